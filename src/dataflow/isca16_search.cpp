#include "dataflow/isca16_search.hpp"

#include <algorithm>

#include "common/errors.hpp"
#include "energy/energy_breakdown.hpp"
#include "mapping/analytic_model.hpp"
#include "mapping/ragged_nest.hpp"
#include "mapping/tile_math.hpp"

namespace dfsim {

Isca16SearchResult searchIsca16(const Layer& layer, const ArchSpec& view, Dataflow dataflow,
                                const EnergyTable& table, Objective objective, bool everyM,
                                bool bound) {
  const ProblemShape shape = layer.shape();
  const DimExtents full = dimSizes(shape);
  PerTensor<std::int64_t> footprint{};
  for (Tensor t : kAllTensors) footprint[t] = tileWords(shape, t, full);
  const bool grouped = bound && objective == Objective::Energy;
  Isca16SearchResult best;
  double bestScore = 0.0;
  std::int64_t bestPes = 0;
  bool found = false;
  CountsMemo memo;
  Mapping m;               // the candidate being scored (its loop lists' storage reused)
  Isca16Variables group;   // the first assignment of the current group
  bool inGroup = false;    // a group has started
  bool skipGroup = false;  // its bound cannot beat the best
  forEachIsca16Candidate(layer, view, dataflow, everyM, [&](const Isca16Variables& v) {
    ++best.stats.tried;
    const bool fresh = !inGroup || !isca16SameArrayLoops(dataflow, group, v);
    if (fresh) {
      inGroup = true;
      group = v;
      skipGroup = false;
      memo.clear();
    } else if (skipGroup) {
      ++best.stats.pruned;
      return;
    }
    isca16MappingInto(layer, dataflow, v, m);
    memo.newOuterLoops();
    const AccessCounts counts = analyticCounts(shape, view, m, memo);
    if (fresh && grouped && found) {
      // No leakage in the bound: the cycles of other members may be fewer.
      skipGroup = energyTotal(isca16GroupBound(layer, dataflow, counts, footprint), Cycle(0),
                              table) > bestScore;
      if (skipGroup) {
        ++best.stats.pruned;
        return;
      }
    }
    // After newOuterLoops the memo's table is m's own (DimLoopTable::of(m, shape)).
    const double cycles = estimateCycles(view, m, counts, nonEmptySteps(shape, memo.table()));
    const double energy = energyTotal(counts, Cycle(static_cast<std::uint64_t>(cycles)), table);
    const double score = objective == Objective::Energy   ? energy
                         : objective == Objective::Cycles ? cycles
                                                          : energy * cycles;
    const std::int64_t pes = m.activePes();
    const bool better =
        !found || score < bestScore ||
        (score == bestScore && (pes > bestPes || (pes == bestPes && cycles < best.cycles)));
    if (!better) return;
    found = true;
    bestScore = score;
    bestPes = pes;
    best.mapping = m;
    best.variables = v;
    best.energy = energy;
    best.cycles = cycles;
  });
  if (!found) {
    throw InputError("layer " + layer.name + ": no assignment of the isca16 " +
                     dataflowName(dataflow) + " variables (" + isca16VariableNames(dataflow) +
                     ") is legal on " + view.name + ": with all of them 1, " +
                     isca16Problem(layer, view, dataflow, Isca16Variables{}));
  }
  return best;
}

}  // namespace dfsim
