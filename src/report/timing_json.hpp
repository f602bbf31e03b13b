#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace dfsim {

/// Wall time of one layer x dataflow of a run: how long its mapping search and its simulation
/// took on this machine. Kept apart from stats.json, which must be the same bytes on every
/// re-run.
struct JobTiming {
  std::string layer;
  std::string dataflow;           ///< the dataflow, or a mapping file's label
  std::string mapper;             ///< "default", "file" or "search:<objective>"
  std::int64_t searchTried = 0;   ///< candidate mappings the search built and scored (0: none)
  std::int64_t searchPruned = 0;  ///< of them, those a lower bound showed could not win
  double searchSeconds = 0.0;     ///< wall time of the search (0 without search)
  /// Wall time of simulating a time objective's finalists to pick the mapping (0: none).
  double finalistsSeconds = 0.0;
  double simulateSeconds = 0.0;  ///< wall time of the simulation
  std::int64_t simulatedCycles = 0;
};

/// timing.json: {"jobs": [{layer, dataflow, mapper, search: {tried, valid, pruned, seconds,
/// finalists_seconds}, simulate_seconds, simulated_cycles, cycles_per_second}], "search_seconds",
/// "simulate_seconds"} (totals over the jobs; seconds are wall-clock, cycles_per_second is
/// simulated cycles over simulate_seconds, 0 when that is 0). Not deterministic by nature.
nlohmann::json timingToJson(const std::vector<JobTiming>& jobs);

}  // namespace dfsim
