#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "arch/arch_spec.hpp"
#include "common/access_counts.hpp"
#include "dataflow/dataflow.hpp"
#include "dataflow/tiling.hpp"
#include "energy/energy_table.hpp"
#include "mapping/mapping.hpp"
#include "workload/layer.hpp"

namespace dfsim {

/// What the mapper minimises.
enum class Objective : std::uint8_t { Energy, Cycles, Edp };
/// "energy", "cycles" or "edp".
const char* objectiveName(Objective o);
/// Parses an objective name; false when unknown.
bool parseObjective(std::string_view s, Objective& out);

/// How hard to search.
struct SearchOptions {
  Objective objective = Objective::Energy;
  /// Every (spatial, RF) choice gets the full GLB-factor x DRAM-order enumeration instead of
  /// only the most promising few (for tests on tiny layers: the search then covers its whole
  /// space).
  bool exhaustive = false;
  /// Which tilings the search builds (Perfect: the search of issue 5, same mappings and
  /// scores; Ragged: also ragged spatial, GLB and DRAM loops, README "Mapper search").
  Tiling tiling = Tiling::Ragged;
  /// With halo reuse at some level, a candidate is first scored from a lower bound of its
  /// counts (its counts without halo savings, each transfer a halo could shorten cut to the
  /// tensor's footprint), and scored exactly only when that bound could beat the best so far.
  /// The winner is the same either way (false: for the test that checks that).
  bool boundHalo = true;
  /// With more than 1: the result also lists this many of the best candidates by the
  /// objective's analytic score and half as many by each other objective (FinalistBoard), for
  /// the caller to rank by simulated time (`dfsim run --objective cycles|edp`). The winner is
  /// the same.
  std::size_t finalists = 1;
};

/// What a search looked at. Deterministic (no wall time: the CLI measures that).
/// Every candidate built fits every capacity (the enumeration only builds fitting ones) and is
/// scored, so there is no separate count of valid ones.
struct SearchStats {
  std::int64_t tried = 0;   ///< candidate mappings built and scored
  std::int64_t pruned = 0;  ///< of them, those a lower bound showed could not win
};

/// The winner of a search and its analytic scores.
struct SearchResult {
  Mapping mapping;
  double energy = 0.0;  ///< analytic energy, in the table's unit
  double cycles = 0.0;  ///< analytic cycle estimate (estimateCycles)
  SearchStats stats;
  /// With SearchOptions::finalists > 1: the finalists (FinalistBoard::finalists, `mapping`
  /// first); else empty.
  std::vector<Mapping> finalists;
};

/// A cycle estimate from a mapping's analytic counts: the largest of the compute cycles
/// (non-empty array steps x RF iterations: a step beyond a ragged edge takes no time) and the
/// cycles DRAM, GLB and NoC need for their words at their bandwidths, plus the DRAM latency. Used
/// to rank mappings; the simulator gives the real count.
double estimateCycles(const Layer& layer, const ArchSpec& arch, const Mapping& m,
                      const AccessCounts& counts);

/// estimateCycles(layer, arch, m, counts) from `steps`, which must be
/// nonEmptySteps(layer.shape(), m) (a search has the shape or the loop table at hand).
double estimateCycles(const ArchSpec& arch, const Mapping& m, const AccessCounts& counts,
                      std::int64_t steps);

/// The three loop orders the searches try above the GLB (outermost first), from the
/// projections of `shape`: finish outputs (the dims outputs do not project, the reduction,
/// innermost), keep weights (the dims weights do not project innermost), keep inputs (the dims
/// inputs do not project innermost); within each group the shape's order. For a conv:
/// N G M P Q C R S, G M C R S N P Q and N G C P Q R S M.
std::vector<std::vector<Dim>> stationaryOrders(const ProblemShape& shape);

/// Searches the mappings `dataflow`'s rules allow on `arch` for the one with the smallest
/// objective, scoring each with the analytic model (README "Mapper search" describes the space
/// and the pruning). Deterministic: same inputs, same mapping. Ties go to fewer cycles, then to
/// the first found. Throws InputError when no mapping fits (as defaultMapping does).
SearchResult searchMapping(const Layer& layer, const ArchSpec& arch, Dataflow dataflow,
                           const EnergyTable& table, const SearchOptions& options);

}  // namespace dfsim
