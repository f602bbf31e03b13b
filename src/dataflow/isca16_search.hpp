#pragma once

#include "arch/arch_spec.hpp"
#include "dataflow/dataflow.hpp"
#include "dataflow/isca16_rules.hpp"
#include "dataflow/mapper_search.hpp"
#include "energy/energy_table.hpp"
#include "mapping/loop_nest.hpp"
#include "mapping/mapping.hpp"
#include "workload/layer.hpp"

namespace dfsim {

/// The winner of a paper-mode search, with its variables and analytic scores.
struct Isca16SearchResult {
  Mapping mapping;  ///< the winner on a 4-level view (isca16View)
  /// The winner on a line-buffer view (isca16LineBufferView), when `lineBuffer`.
  LoopNest nest;
  bool lineBuffer = false;
  Isca16Variables variables;
  double energy = 0.0;  ///< analytic energy, in the table's unit
  double cycles = 0.0;  ///< analytic cycle estimate (estimateCycles)
  SearchStats stats;    ///< candidates visited, and of them those a lower bound ruled out
};

/// Enumerates `dataflow`'s paper-mode space (forEachIsca16Candidate) for `layer` on `view` (an
/// isca16View) and returns the assignment with the smallest `objective`, each candidate scored
/// by dfsim's analytic model and `table` (the framework used a genetic search on its own
/// objective; this one is exhaustive and deterministic). Ties go to more active PEs (the
/// framework's tie-break), then to fewer cycles, then to the first. `everyM`: see
/// forEachIsca16Candidate. With `bound` and the energy objective, the candidates sharing their
/// spatial and RF loops (isca16SameArrayLoops) are first priced together from a lower bound
/// (isca16GroupBound of the first one's counts, energy without leakage):
/// when it is above the best so far no candidate of the group can win and none is scored
/// (counted in stats.pruned); the winner is the same as with `bound` false (a test compares).
/// For a dataflow with a line buffer (isca16UsesLineBuffer) `view` is its
/// isca16LineBufferView and `table` isca16LineBufferTable: every candidate is scored by the
/// general model (scoreLoopNest), with the same objective and ties; `everyM` and `bound` do
/// not apply (its space is small: r, t and f). Throws UnmappableLayer (an InputError) naming the
/// layer, and the first rule the smallest assignment breaks, when nothing is legal.
Isca16SearchResult searchIsca16(const Layer& layer, const ArchSpec& view, Dataflow dataflow,
                                const EnergyTable& table, Objective objective, bool everyM = false,
                                bool bound = true);

}  // namespace dfsim
