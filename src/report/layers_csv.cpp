#include "report/layers_csv.hpp"

#include "report/number_format.hpp"

namespace dfsim {

namespace {

/// RFC 4180: a field with a comma, a quote or a line break is quoted, quotes doubled.
std::string csvField(const std::string& s) {
  if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

void appendRow(std::string& out, const std::vector<std::string>& fields) {
  for (std::size_t i = 0; i < fields.size(); ++i) {
    if (i != 0) out.push_back(',');
    out += fields[i];
  }
  out.push_back('\n');
}

std::vector<std::string> rowOf(const LayerStats& l, std::size_t levels) {
  const EnergyBreakdown& e = l.energy;
  std::vector<std::string> f = {
      csvField(l.layer),
      layerTypeName(l.type),
      csvField(l.dataflow),
      std::to_string(l.batch),
      std::to_string(l.macs),
      std::to_string(l.cycles.total.count()),
      std::to_string(l.cycles.compute.count()),
      std::to_string(l.cycles.stallDram.count()),
      std::to_string(l.cycles.stallGlb.count()),
      std::to_string(l.cycles.stallNoc.count()),
      std::to_string(l.activePes),
      std::to_string(l.totalPes),
      formatDouble(l.utilization),
      formatDouble(e.total),
      formatDouble(e.mac),
  };
  for (std::size_t lv = 0; lv < levels; ++lv) f.push_back(formatDouble(e.perLevel[lv]));
  f.push_back(formatDouble(e.leakage));
  f.push_back(formatDouble(e.perTensor[Tensor::Weights]));
  f.push_back(formatDouble(e.perTensor[Tensor::Inputs]));
  f.push_back(formatDouble(e.perTensor[Tensor::Outputs]));
  for (std::size_t lv = 0; lv < levels; ++lv) {
    for (Tensor t : kAllTensors) {
      f.push_back(std::to_string(l.counts(lv, t).reads));
      f.push_back(std::to_string(l.counts(lv, t).writes));
    }
  }
  return f;
}

}  // namespace

std::vector<std::string> layersCsvColumns(const std::vector<std::string>& levels) {
  std::vector<std::string> c = {"layer",
                                "type",
                                "dataflow",
                                "batch",
                                "macs",
                                "cycles",
                                "cycles_compute",
                                "cycles_stall_dram",
                                "cycles_stall_glb",
                                "cycles_stall_noc",
                                "active_pes",
                                "total_pes",
                                "utilization",
                                "energy_total",
                                "energy_mac"};
  for (const std::string& l : levels) c.push_back("energy_" + l);
  for (const char* k : {"energy_leakage", "energy_weights", "energy_inputs", "energy_outputs"}) {
    c.emplace_back(k);
  }
  for (const std::string& l : levels) {
    for (Tensor t : kAllTensors) {
      const std::string prefix = l + "_" + std::string(tensorName(t));
      c.push_back(prefix + "_reads");
      c.push_back(prefix + "_writes");
    }
  }
  return c;
}

std::string layersCsv(const RunStats& run) {
  std::string out;
  appendRow(out, layersCsvColumns(run.levelNames));
  for (const LayerStats& l : run.layers) appendRow(out, rowOf(l, run.levelNames.size()));
  return out;
}

}  // namespace dfsim
