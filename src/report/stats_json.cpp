#include "report/stats_json.hpp"

#include <algorithm>

namespace dfsim {

namespace {

using nlohmann::json;

json cyclesJson(const CycleBreakdown& c) {
  return {{"total", c.total.count()},
          {"compute", c.compute.count()},
          {"stall_dram", c.stallDram.count()},
          {"stall_glb", c.stallGlb.count()},
          {"stall_noc", c.stallNoc.count()}};
}

using Names = std::vector<std::string>;

}  // namespace

json accessesJson(const AccessCounts& counts, const Names& levels) {
  json a = {{"unit", "words"}};
  for (std::size_t l = 0; l < levels.size(); ++l) {
    json level = json::object();
    for (Tensor t : kAllTensors) {
      const ReadWrite& rw = counts(l, t);
      level[std::string(tensorName(t))] = {{"reads", rw.reads}, {"writes", rw.writes}};
    }
    a[levels[l]] = std::move(level);
  }
  return a;
}

json energyJson(const EnergyBreakdown& e, const std::string& unit, const Names& levels) {
  json byLevel = json::object();
  for (std::size_t l = 0; l < levels.size(); ++l) byLevel[levels[l]] = e.perLevel[l];
  json byTensor = json::object();
  for (Tensor t : kAllTensors) byTensor[std::string(tensorName(t))] = e.perTensor[t];
  json byLevelTensor = json::object();
  for (std::size_t l = 0; l < levels.size(); ++l) {
    json level = json::object();
    for (Tensor t : kAllTensors) level[std::string(tensorName(t))] = e.perLevelTensor[l][t];
    byLevelTensor[levels[l]] = std::move(level);
  }
  return {{"unit", unit},
          {"total", e.total},
          {"mac", e.mac},
          {"leakage", e.leakage},
          {"by_level", byLevel},
          {"by_tensor", byTensor},
          {"by_level_tensor", byLevelTensor}};
}

namespace {

json layerJson(const LayerStats& l, const std::string& unit, const Names& levels) {
  json row = {{"name", l.layer},
              {"type", layerTypeName(l.type)},
              {"dataflow", l.dataflow},
              {"batch", l.batch},
              {"macs", l.macs},
              {"cycles", cyclesJson(l.cycles)},
              {"active_pes", l.activePes},
              {"total_pes", l.totalPes},
              {"utilization", l.utilization},
              {"accesses", accessesJson(l.counts, levels)},
              {"energy", energyJson(l.energy, unit, levels)},
              {"check", l.check},
              {"mapping", l.mapping},
              {"mapper",
               {{"kind", l.mapper},
                {"tried", l.searchTried},
                {"scored", l.searchTried - l.searchPruned},
                {"finalists_simulated", l.finalistsSimulated},
                {"tiling", l.tiling.empty() ? json(nullptr) : json(l.tiling)},
                {"ragged_tiles", l.raggedTiles},
                {"rules", l.rules}}}};
  if (l.dramRowModel) {
    row["dram_rows"] = {{"unit", "bursts"},
                        {"hits", l.dramRows.hits},
                        {"misses", l.dramRows.misses},
                        {"conflicts", l.dramRows.conflicts}};
  }
  // A paper-mode search's winner: its variables in the framework's names.
  if (!l.variables.empty()) {
    json v = json::object();
    for (const auto& [name, value] : l.variables) v[name] = value;
    row["mapper"]["variables"] = std::move(v);
  }
  return row;
}

json totalJson(const LayerStats& t, const std::string& unit, const Names& levels) {
  return {{"dataflow", t.dataflow},
          {"batch", t.batch},
          {"macs", t.macs},
          {"cycles", cyclesJson(t.cycles)},
          {"active_pes_mean", t.activePes},
          {"total_pes", t.totalPes},
          {"utilization", t.utilization},
          {"accesses", accessesJson(t.counts, levels)},
          {"energy", energyJson(t.energy, unit, levels)},
          {"check", t.check}};
}

}  // namespace

std::vector<std::string> dataflowsOf(const RunStats& run) {
  std::vector<std::string> out;
  for (const LayerStats& l : run.layers) {
    if (l.dataflow == "-") continue;
    if (std::find(out.begin(), out.end(), l.dataflow) == out.end()) out.push_back(l.dataflow);
  }
  return out;
}

nlohmann::json statsToJson(const RunStats& run) {
  json j;
  j["run"] = {{"dfsim_version", DFSIM_VERSION},
              {"network", run.network},
              {"arch", run.arch},
              {"clock_mhz", run.clockMhz},
              {"energy_table", {{"name", run.energyTable}, {"unit", run.energyUnit}}}};
  json layers = json::array();
  for (const LayerStats& l : run.layers)
    layers.push_back(layerJson(l, run.energyUnit, run.levelNames));
  j["layers"] = std::move(layers);
  json totals = json::array();
  for (const std::string& df : dataflowsOf(run)) {
    totals.push_back(totalJson(totalFor(run, df), run.energyUnit, run.levelNames));
  }
  j["totals"] = std::move(totals);
  if (run.unmapped) {
    json unmapped = json::array();
    for (const UnmappedLayer& u : *run.unmapped) {
      unmapped.push_back({{"layer", u.layer}, {"dataflow", u.dataflow}, {"reason", u.reason}});
    }
    j["unmapped"] = std::move(unmapped);
  }
  return j;
}

}  // namespace dfsim
