#include "report/timing_json.hpp"

namespace dfsim {

nlohmann::json timingToJson(const std::vector<JobTiming>& jobs) {
  nlohmann::json list = nlohmann::json::array();
  double searchTotal = 0.0;
  double simulateTotal = 0.0;
  for (const JobTiming& j : jobs) {
    const double rate =
        j.simulateSeconds > 0.0 ? static_cast<double>(j.simulatedCycles) / j.simulateSeconds : 0.0;
    list.push_back({{"layer", j.layer},
                    {"dataflow", j.dataflow},
                    {"mapper", j.mapper},
                    {"search",
                     {{"tried", j.searchTried},
                      {"valid", j.searchTried},
                      {"pruned", j.searchPruned},
                      {"seconds", j.searchSeconds},
                      {"finalists_seconds", j.finalistsSeconds}}},
                    {"simulate_seconds", j.simulateSeconds},
                    {"simulated_cycles", j.simulatedCycles},
                    {"cycles_per_second", rate}});
    searchTotal += j.searchSeconds;
    simulateTotal += j.simulateSeconds;
  }
  return {{"jobs", list}, {"search_seconds", searchTotal}, {"simulate_seconds", simulateTotal}};
}

}  // namespace dfsim
