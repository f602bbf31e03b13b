#pragma once

#include "arch/arch_spec.hpp"
#include "arch/hierarchy.hpp"
#include "common/access_counts.hpp"
#include "energy/energy_breakdown.hpp"
#include "energy/energy_table.hpp"
#include "mapping/loop_nest.hpp"
#include "mapping/nest_cycle_estimate.hpp"
#include "workload/problem_shape.hpp"

namespace dfsim {

/// What the analytic model says of one loop nest on one hierarchy: its counts, its cycle
/// estimate and its energy. The one way `dfsim evaluate` and searchLoopNest price a nest.
struct NestScore {
  AccessCounts counts;       ///< analyticCounts, indexed by entry
  NestCycleEstimate cycles;  ///< estimateNestCycles of those counts
  EnergyBreakdown energy;    ///< computeEnergy of those counts, leakage over ceil(cycles)
};

/// Scores `nest` (already valid for `shape` on `arch`, whose hierarchy is `h`) with the analytic
/// model: counts, the cycle estimate (DRAM words at the arch's bytes per word), and the energy
/// from `table` (in `h`'s entry order: resolvedFor, or the 4-level form on the 4-level
/// instance). Pure and deterministic.
NestScore scoreLoopNest(const ProblemShape& shape, const ArchSpec& arch, const Hierarchy& h,
                        const LoopNest& nest, const EnergyTable& table);

}  // namespace dfsim
