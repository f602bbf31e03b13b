#include "dataflow/hierarchy_mapper.hpp"

#include <algorithm>
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "arch/hierarchy.hpp"
#include "common/errors.hpp"
#include "dataflow/default_mapper.hpp"
#include "dataflow/hierarchy_parts.hpp"
#include "mapping/loop_nest.hpp"
#include "mapping/mapping.hpp"
#include "mapping/validate_loop_nest.hpp"

namespace dfsim {

namespace {

/// A candidate nest with what ranks it: the PEs of its outer choice's first inner mapping (a
/// fallback inner tiling ranks with the mapping it stands in for, right after it).
struct Candidate {
  LoopNest nest;
  std::int64_t rank = 0;
};

}  // namespace

std::vector<Dim> outerSpatialDims(Dataflow d, const ProblemShape& shape) {
  const Dim N = shape.dimByName("N"), G = shape.dimByName("G"), M = shape.dimByName("M"),
            P = shape.dimByName("P"), Q = shape.dimByName("Q");
  switch (d) {
    case Dataflow::WS:
      return {M, P, N, G};
    case Dataflow::OS_A:
      return {M, N, P, G};
    case Dataflow::OS_B:
      return {P, N, M, G};
    case Dataflow::OS_C:
      return {P, Q, M, G};
    case Dataflow::NLR:
      return {P, N, M, G};
    case Dataflow::RS:
      return {M, P, N, G};
  }
  return {};
}

LoopNest defaultLoopNest(const Layer& layer, const ArchSpec& arch, Dataflow dataflow,
                         Tiling tiling) {
  if (arch.isFourLevel()) return toLoopNest(defaultMapping(layer, arch, dataflow, tiling));
  const std::string context =
      std::string("default ") + dataflowName(dataflow) + " loop nest of layer " + layer.name;
  if (!layer.onArray()) throw InputError(context + ": the layer does not run on the PE array");
  const Hierarchy h = arch.hierarchy();
  const HierarchyParts p = partsOf(h);
  const ProblemShape shape = layer.shape();
  const DimExtents full = dimSizes(shape);
  const ArchSpec inner = innerArch(arch, h, p);

  // 1. Candidates: every outer choice x the inner tilings (Ragged, then Perfect as a fallback
  //    whose RF tiles more often divide the full layer), each with the inner default mapping
  //    of its sub-layer (memoised by sub-layer: many choices split alike).
  std::vector<Tiling> innerTilings = {tiling};
  if (tiling == Tiling::Ragged) innerTilings.push_back(Tiling::Perfect);
  std::map<std::pair<std::vector<std::int64_t>, int>, std::pair<bool, Mapping>> memo;
  const std::size_t dramLevel = p.dramLevel();
  std::vector<Candidate> candidates;
  std::string lastProblem = "no candidate";
  for (const OuterChoice& choice :
       outerChoices(h, p, outerSpatialDims(dataflow, shape), full, tiling)) {
    const DimExtents split = splitOf(choice);
    const Layer sub = subLayer(layer, shape, split);
    std::int64_t rank = -1;
    for (Tiling t : innerTilings) {
      const auto key = std::make_pair(std::vector<std::int64_t>(split.begin(), split.end()),
                                      static_cast<int>(t));
      auto it = memo.find(key);
      if (it == memo.end()) {
        std::pair<bool, Mapping> v{false, Mapping{}};
        try {
          v = {true, defaultMapping(sub, inner, dataflow, t)};
        } catch (const InputError& e) {
          lastProblem = e.what();
        }
        it = memo.emplace(key, std::move(v)).first;
      }
      if (!it->second.first) continue;
      // The DRAM loops of the sub-mapping: at the outermost on-chip level above the parent,
      // all of them first, then fewer (the outermost stay at DRAM); at DRAM when there is no
      // such level.
      const Mapping& m = it->second.second;
      const std::size_t lastAtDram = dramLevel > 0 ? m.dramLoops.size() : 0;
      for (std::size_t atDram = 0; atDram <= lastAtDram; ++atDram) {
        Candidate c{composeNest(m, choice, h, p, shape, dramLevel, atDram), 0};
        if (rank < 0) rank = activeInstances(c.nest);
        c.rank = rank;
        candidates.push_back(std::move(c));
      }
    }
  }

  // 2. The most PEs first (a stable sort: on a tie the enumeration's preference), and the
  //    first that validates.
  std::stable_sort(candidates.begin(), candidates.end(),
                   [](const Candidate& a, const Candidate& b) { return a.rank > b.rank; });
  for (const Candidate& c : candidates) {
    if (!innerExtentDivides(c.nest, shape)) continue;
    try {
      validateLoopNest(shape, arch, h, c.nest, context);
      return c.nest;
    } catch (const InputError& e) {
      lastProblem = e.what();
    }
  }
  throw InputError(context + ": no legal loop nest (last problem: " + lastProblem + ")");
}

}  // namespace dfsim
