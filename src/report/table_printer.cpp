#include "report/table_printer.hpp"

#include <algorithm>
#include <string>
#include <vector>

#include "report/number_format.hpp"
#include "report/stats_json.hpp"
#include "report/text_table.hpp"

namespace dfsim {

namespace {

using Align = TextTable::Align;

/// How a table heads a level: the 4-level instance's names as they always were (DRAM, GLB,
/// NoC, RF), any other name as it is.
std::string shownName(const std::string& level) {
  if (level == "dram") return "DRAM";
  if (level == "glb") return "GLB";
  if (level == "noc") return "NoC";
  if (level == "rf") return "RF";
  return level;
}

/// Reads plus writes of all tensors at one level (a hierarchy entry).
double levelAccesses(const AccessCounts& c, std::size_t l) {
  double sum = 0.0;
  for (Tensor t : kAllTensors) {
    sum += static_cast<double>(c(l, t).reads) + static_cast<double>(c(l, t).writes);
  }
  return sum;
}

/// `v` / `macs` with 4 significant digits, or "-" when there are no MACs.
std::string perMac(double v, std::int64_t macs) {
  return macs > 0 ? significant(v / static_cast<double>(macs), 4) : "-";
}

std::vector<std::string> mainRow(const LayerStats& l, const std::string& name, std::size_t levels) {
  const bool computes = l.macs > 0;
  std::vector<std::string> row = {name,
                                  l.dataflow,
                                  withThousands(l.macs),
                                  withThousands(static_cast<std::int64_t>(l.cycles.total.count())),
                                  computes ? significant(100.0 * l.utilization, 3) : "-",
                                  computes ? withThousands(l.activePes) : "-"};
  for (std::size_t lv = 0; lv < levels; ++lv) {
    row.push_back(compactCount(levelAccesses(l.counts, lv)));
  }
  row.push_back(significant(l.energy.total, 3));
  row.push_back(perMac(l.energy.total, l.macs));
  return row;
}

/// Mean active PEs of one dataflow's layers, weighted by their MACs (unrounded).
double meanActivePes(const RunStats& run, const std::string& df) {
  double weighted = 0.0;
  double macs = 0.0;
  for (const LayerStats& l : run.layers) {
    if (l.dataflow != df) continue;
    weighted += static_cast<double>(l.activePes) * static_cast<double>(l.macs);
    macs += static_cast<double>(l.macs);
  }
  return macs > 0.0 ? weighted / macs : 0.0;
}

void printDataflowSummary(std::ostream& os, const RunStats& run,
                          const std::vector<std::string>& dfs) {
  std::vector<LayerStats> totals;
  bool leakage = false;
  for (const std::string& df : dfs) {
    totals.push_back(totalFor(run, df));
    leakage = leakage || totals.back().energy.leakage != 0.0;
  }

  TextTable t;
  t.addColumn("dataflow", Align::Left);
  t.addColumn("ALU", Align::Right);
  // Innermost level first, as the energy stacks up from the ALU.
  const std::size_t levels = run.levelNames.size();
  for (std::size_t lv = levels; lv-- > 0;) t.addColumn(shownName(run.levelNames[lv]), Align::Right);
  if (leakage) t.addColumn("leak", Align::Right);
  t.addColumn("total", Align::Right);
  t.addColumn(shownName(run.levelNames.empty() ? "dram" : run.levelNames[0]) + " acc/MAC",
              Align::Right);
  t.addColumn("cycles", Align::Right);
  t.addColumn("mean active PEs", Align::Right);
  for (const LayerStats& s : totals) {
    const EnergyBreakdown& e = s.energy;
    std::vector<std::string> row = {s.dataflow, perMac(e.mac, s.macs)};
    for (std::size_t lv = levels; lv-- > 0;) row.push_back(perMac(e.perLevel[lv], s.macs));
    if (leakage) row.push_back(perMac(e.leakage, s.macs));
    row.push_back(perMac(e.total, s.macs));
    row.push_back(perMac(levelAccesses(s.counts, 0), s.macs));  // the off-chip level
    row.push_back(withThousands(static_cast<std::int64_t>(s.cycles.total.count())));
    row.push_back(significant(meanActivePes(run, s.dataflow), 4));
    t.addRow(std::move(row));
  }
  os << "\nPer-dataflow summary (energy per MAC in " << run.energyUnit << ", by level):\n";
  t.print(os);
}

}  // namespace

void printRunTable(std::ostream& os, const RunStats& run) {
  std::int64_t totalPes = 0;
  for (const LayerStats& l : run.layers) totalPes = std::max(totalPes, l.totalPes);
  os << "network " << run.network << " | arch " << run.arch << " (" << totalPes << " PEs, "
     << significant(run.clockMhz, 6) << " MHz) | energy table " << run.energyTable << " ("
     << run.energyUnit << ")\n\n";

  TextTable t;
  t.addColumn("layer", Align::Left);
  t.addColumn("dataflow", Align::Left);
  t.addColumn("MACs", Align::Right);
  t.addColumn("cycles", Align::Right);
  t.addColumn("util %", Align::Right);
  t.addColumn("active PEs", Align::Right);
  for (const std::string& level : run.levelNames) {
    t.addColumn(shownName(level) + " words", Align::Right);
  }
  t.addColumn("energy [" + run.energyUnit + "]", Align::Right);
  t.addColumn("energy/MAC", Align::Right);
  const std::size_t levels = run.levelNames.size();
  for (const LayerStats& l : run.layers) t.addRow(mainRow(l, l.layer, levels));

  const std::vector<std::string> dfs = dataflowsOf(run);
  if (!dfs.empty()) {
    t.addRule();
    for (const std::string& df : dfs) t.addRow(mainRow(totalFor(run, df), "TOTAL", levels));
  }
  t.print(os);
  if (run.unmapped && !run.unmapped->empty()) {
    os << "\nnot mapped (left out of the rows and TOTALs above):\n";
    for (const UnmappedLayer& u : *run.unmapped) {
      os << "  " << u.dataflow << ": " << u.reason << "\n";
    }
  }

  std::size_t simulated = 0;
  std::size_t passed = 0;
  for (const LayerStats& l : run.layers) {
    if (l.dataflow == "-") continue;
    ++simulated;
    if (l.check == "passed") ++passed;
  }
  if (passed > 0) {
    os << "\nreference check: passed for " << passed << " of " << simulated << " simulated rows\n";
  }

  if (dfs.size() > 1) printDataflowSummary(os, run, dfs);
}

}  // namespace dfsim
