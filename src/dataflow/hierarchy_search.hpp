#pragma once

#include "arch/arch_spec.hpp"
#include "dataflow/dataflow.hpp"
#include "dataflow/mapper_search.hpp"
#include "energy/energy_table.hpp"
#include "mapping/loop_nest.hpp"
#include "workload/layer.hpp"

namespace dfsim {

/// The winner of a search on any hierarchy and its analytic scores.
struct NestSearchResult {
  LoopNest nest;
  double energy = 0.0;  ///< analytic energy, in the table's unit
  double cycles = 0.0;  ///< analytic cycle estimate
  SearchStats stats;    ///< tried: candidate nests scored on the whole hierarchy
  /// Candidates the 4-level searches of the sub-layers scored on their stand-in (0 on a
  /// 4-level arch, where `stats` is searchMapping's).
  std::int64_t subSearchTried = 0;
  /// With SearchOptions::finalists > 1: the finalists (FinalistBoard), `nest` first; else
  /// empty.
  std::vector<LoopNest> finalists;
};

/// Searches loop nests of `layer` (conv or fc) on `arch`'s hierarchy that follow `dataflow`'s
/// rules for the one with the smallest `options.objective` (src/dataflow/README "Search on any
/// hierarchy"). On a 4-level arch (`arch.isFourLevel()`) it is exactly searchMapping: the nest
/// toLoopNest(searchMapping(...).mapping), its energy, cycles and stats. Otherwise the
/// candidates are built as defaultLoopNest builds its nest, enumerating instead of taking the
/// first legal choice: the outer fan-outs' spatial choices (those using at least half the most
/// instances, at most a fixed number unless `options.exhaustive`), for each the 4-level search
/// of the innermost part's sub-layer (and its default mappings; each also with its RF loops
/// shrunk to divide the full layer, GLB loops grown to cover as before), the placements of the
/// sub-mapping's DRAM loops, and four loop orders of the levels above the innermost part; the
/// default nest is a candidate too, so the result never scores worse than it. Each candidate
/// passes validateLoopNest and is scored on the whole hierarchy by scoreLoopNest with `table`
/// (in the arch's entry order: resolvedFor, or the 4-level form on the 4-level instance).
/// Ties go to fewer cycles, then to the first found. Deterministic. Throws InputError naming
/// the layer when no candidate is legal.
NestSearchResult searchLoopNest(const Layer& layer, const ArchSpec& arch, Dataflow dataflow,
                                const EnergyTable& table, const SearchOptions& options);

}  // namespace dfsim
