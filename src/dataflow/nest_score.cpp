#include "dataflow/nest_score.hpp"

#include <cmath>
#include <cstdint>

#include "common/cycle.hpp"
#include "mapping/hierarchy_model.hpp"

namespace dfsim {

NestScore scoreLoopNest(const ProblemShape& shape, const ArchSpec& arch, const Hierarchy& h,
                        const LoopNest& nest, const EnergyTable& table) {
  NestScore s;
  s.counts = analyticCounts(shape, h, nest);
  PerTensor<std::int64_t> bytes{};
  for (Tensor t : kAllTensors) bytes[t] = arch.dramBytesPerWord(t);
  s.cycles = estimateNestCycles(shape, h, nest, s.counts, bytes);
  s.energy =
      computeEnergy(s.counts, Cycle(static_cast<std::int64_t>(std::ceil(s.cycles.cycles))), table);
  return s;
}

}  // namespace dfsim
