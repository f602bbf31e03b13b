#include "report/layer_stats.hpp"

#include <algorithm>
#include <cmath>

namespace dfsim {

LayerStats totalFor(const RunStats& run, const std::string& dataflow) {
  LayerStats t;
  t.layer = "TOTAL";
  t.dataflow = dataflow;
  t.check = "not run";
  t.batch = 0;
  bool anySimulated = false;
  bool allPassed = true;
  // MAC-weighted sum of active PEs, in double: the products overflow nothing for any real net.
  double activeWeighted = 0.0;
  for (const LayerStats& l : run.layers) {
    const bool mine = l.dataflow == dataflow;
    if (!mine && l.dataflow != "-") continue;
    t.batch = std::max(t.batch, l.batch);
    t.macs += l.macs;
    t.cycles += l.cycles;
    t.counts += l.counts;
    t.energy += l.energy;
    t.totalPes = std::max(t.totalPes, l.totalPes);
    activeWeighted += static_cast<double>(l.activePes) * static_cast<double>(l.macs);
    if (mine) {
      anySimulated = true;
      allPassed = allPassed && l.check == "passed";
    }
  }
  if (t.batch == 0) t.batch = 1;
  if (t.macs > 0) {
    t.activePes = std::llround(activeWeighted / static_cast<double>(t.macs));
  }
  const double capacity =
      static_cast<double>(t.cycles.total.count()) * static_cast<double>(t.totalPes);
  t.utilization = capacity > 0.0 ? static_cast<double>(t.macs) / capacity : 0.0;
  if (anySimulated && allPassed) t.check = "passed";
  return t;
}

}  // namespace dfsim
