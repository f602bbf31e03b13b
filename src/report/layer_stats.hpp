#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/access_counts.hpp"
#include "common/cycle_breakdown.hpp"
#include "common/dram_row_stats.hpp"
#include "energy/energy_breakdown.hpp"
#include "workload/layer.hpp"

namespace dfsim {

/// Everything reported for one layer under one dataflow. A plain value; writers only format it.
struct LayerStats {
  std::string layer;  ///< layer name
  LayerType type = LayerType::Conv;
  std::string dataflow;  ///< "ws", "os_a", ...; "-" for layers not on the array (pooling)
  std::int64_t batch = 1;
  std::int64_t macs = 0;
  CycleBreakdown cycles;
  std::int64_t activePes = 0;  ///< PEs the mapping uses
  std::int64_t totalPes = 0;   ///< PEs in the array
  double utilization = 0.0;    ///< macs / (cycles.total * totalPes), in [0, 1]
  AccessCounts counts;         ///< simulated word accesses
  EnergyBreakdown energy;
  std::string check = "not run";   ///< "passed" when --check compared every output
  std::string mapping;             ///< loop-nest rendering of the mapping used
  std::string mapper = "default";  ///< "default", "search:<objective>" or "file"
  std::int64_t searchTried = 0;    ///< candidate mappings the search built (0: none)
  std::int64_t searchPruned = 0;   ///< of them, those a lower bound showed could not win
  /// A time objective's finalists simulated to pick the mapping (0: the analytic winner).
  std::int64_t finalistsSimulated = 0;
  /// The tilings the mapper was allowed ("ragged" or "perfect", dfsim run --tiling; "" for a
  /// mapping file) and whether the mapping has a ragged tile.
  std::string tiling;
  bool raggedTiles = false;
  /// The rule set the mapping follows ("free" or "isca16", dfsim run --rules) and, for a
  /// paper-mode search's winner, its variables in the framework's names (empty otherwise).
  std::string rules = "free";
  std::vector<std::pair<std::string, std::int64_t>> variables;
  /// Whether the arch's DRAM model has rows (then `dramRows` is what it saw).
  bool dramRowModel = false;
  DramRowStats dramRows;
};

/// A layer x dataflow the run's rules could not map (dfsim run --unmappable skip): no row of it
/// is simulated or summed into the dataflow's TOTAL.
struct UnmappedLayer {
  std::string layer;
  std::string dataflow;
  std::string reason;  ///< the UnmappableLayer message: the rules and the constraint broken
};

/// A whole run: the layers in order (one entry per layer x dataflow) and what produced them.
struct RunStats {
  std::string network;
  std::string arch;
  std::string energyTable;
  std::string energyUnit;
  double clockMhz = 0.0;
  /// The arch's hierarchy entries by name, outermost first (what `counts` and the energy are
  /// indexed by; the 4-level instance's default: dram, glb, noc, rf). Reports name them so.
  std::vector<std::string> levelNames = {"dram", "glb", "noc", "rf"};
  std::vector<LayerStats> layers;
  /// With --unmappable skip: the layers left out, in network order (written to stats.json as
  /// "unmapped", even when empty); absent without it (a layer that cannot be mapped is an error).
  std::optional<std::vector<UnmappedLayer>> unmapped;
};

/// Sum over the layers of one dataflow (pooling layers included with their zero counts).
/// `activePes` of the total is the MAC-weighted mean; utilization is recomputed from the sums.
LayerStats totalFor(const RunStats& run, const std::string& dataflow);

}  // namespace dfsim
