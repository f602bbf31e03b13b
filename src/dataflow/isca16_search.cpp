#include "dataflow/isca16_search.hpp"

#include <algorithm>

#include "common/errors.hpp"
#include "dataflow/isca16_line_buffer.hpp"
#include "dataflow/nest_score.hpp"
#include "energy/energy_breakdown.hpp"
#include "mapping/analytic_model.hpp"
#include "mapping/ragged_nest.hpp"
#include "mapping/tile_math.hpp"

namespace dfsim {

namespace {

/// The error of a layer no assignment of `dataflow`'s variables maps.
UnmappableLayer nothingLegal(const Layer& layer, const ArchSpec& view, Dataflow dataflow,
                             const std::string& problem) {
  return UnmappableLayer("layer " + layer.name + ": no assignment of the isca16 " +
                         dataflowName(dataflow) + " variables (" + isca16VariableNames(dataflow) +
                         ") is legal on " + view.name + ": with all of them 1, " + problem);
}

/// The best candidate so far in the search's order: the lowest objective, then more active
/// PEs (the framework's tie-break), then fewer cycles, then the first offered.
struct Leader {
  bool found = false;
  double score = 0.0;
  std::int64_t pes = 0;
  double cycles = 0.0;

  /// Whether a candidate with `energy`, `cycles` and `pes` active PEs beats the leader under
  /// `objective`; if it does, it becomes the leader.
  bool offer(Objective objective, double energy, double candidateCycles, std::int64_t activePes) {
    const double s = objective == Objective::Energy   ? energy
                     : objective == Objective::Cycles ? candidateCycles
                                                      : energy * candidateCycles;
    const bool better =
        !found || s < score ||
        (s == score && (activePes > pes || (activePes == pes && candidateCycles < cycles)));
    if (!better) return false;
    found = true;
    score = s;
    pes = activePes;
    cycles = candidateCycles;
    return true;
  }
};

/// searchIsca16 on a line-buffer view: every candidate scored by the general model.
Isca16SearchResult searchLineBuffer(const Layer& layer, const ArchSpec& view, Dataflow dataflow,
                                    const EnergyTable& table, Objective objective) {
  const ProblemShape shape = layer.shape();
  const Hierarchy h = view.hierarchy();
  Isca16SearchResult best;
  best.lineBuffer = true;
  Leader leader;
  forEachIsca16LineBufferCandidate(layer, view, dataflow, [&](const Isca16Variables& v) {
    ++best.stats.tried;
    LoopNest nest = isca16LineBufferNest(layer, dataflow, v);
    const NestScore s = scoreLoopNest(shape, view, h, nest, table);
    const double cycles = s.cycles.cycles;
    const double energy = s.energy.total;
    std::int64_t pes = 1;
    for (const LevelLoops& l : nest.levels) {
      for (const SpatialLoop& x : l.spatial) pes *= x.bound;
    }
    if (!leader.offer(objective, energy, cycles, pes)) return;
    best.nest = std::move(nest);
    best.variables = v;
    best.energy = energy;
    best.cycles = cycles;
  });
  if (!leader.found) {
    Isca16Variables ones;
    throw nothingLegal(layer, view, dataflow, isca16LineBufferProblem(layer, view, dataflow, ones));
  }
  return best;
}

}  // namespace

Isca16SearchResult searchIsca16(const Layer& layer, const ArchSpec& view, Dataflow dataflow,
                                const EnergyTable& table, Objective objective, bool everyM,
                                bool bound) {
  if (isca16UsesLineBuffer(dataflow)) {
    return searchLineBuffer(layer, view, dataflow, table, objective);
  }
  const ProblemShape shape = layer.shape();
  const DimExtents full = dimSizes(shape);
  PerTensor<std::int64_t> footprint{};
  for (Tensor t : kAllTensors) footprint[t] = tileWords(shape, t, full);
  const bool grouped = bound && objective == Objective::Energy;
  Isca16SearchResult best;
  Leader leader;
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
    if (fresh && grouped && leader.found) {
      // No leakage in the bound: the cycles of other members may be fewer.
      skipGroup = energyTotal(isca16GroupBound(layer, dataflow, counts, footprint), Cycle(0),
                              table) > leader.score;
      if (skipGroup) {
        ++best.stats.pruned;
        return;
      }
    }
    // After newOuterLoops the memo's table is m's own (DimLoopTable::of(m, shape)).
    const double cycles = estimateCycles(view, m, counts, nonEmptySteps(shape, memo.table()));
    const double energy = energyTotal(counts, Cycle(static_cast<std::uint64_t>(cycles)), table);
    if (!leader.offer(objective, energy, cycles, m.activePes())) return;
    best.mapping = m;  // a copy: `m`'s storage is reused by the next candidate
    best.variables = v;
    best.energy = energy;
    best.cycles = cycles;
  });
  if (!leader.found) {
    throw nothingLegal(layer, view, dataflow,
                       isca16Problem(layer, view, dataflow, Isca16Variables{}));
  }
  return best;
}

}  // namespace dfsim
