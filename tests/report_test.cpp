// Writers of src/report.
#include <algorithm>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "common/errors.hpp"
#include "report/layer_stats.hpp"
#include "report/layers_csv.hpp"
#include "report/number_format.hpp"
#include "report/stats_json.hpp"
#include "report/summary_table.hpp"
#include "report/table_printer.hpp"

using namespace dfsim;

namespace {

/// A simulated row with distinct, recognisable numbers in every field.
LayerStats convRow(const std::string& name, const std::string& dataflow, std::int64_t scale) {
  LayerStats s;
  s.layer = name;
  s.type = LayerType::Conv;
  s.dataflow = dataflow;
  s.batch = 4;
  s.macs = 1000 * scale;
  s.cycles.compute = Cycle(100 * scale);
  s.cycles.stallDram = Cycle(10 * scale);
  s.cycles.stallGlb = Cycle(5 * scale);
  s.cycles.stallNoc = Cycle(scale);
  s.cycles.total = Cycle(116 * scale);
  s.activePes = 8 * scale;
  s.totalPes = 168;
  s.utilization = static_cast<double>(s.macs) / (116.0 * static_cast<double>(scale) * 168.0);
  std::int64_t v = 1;
  for (Level l : kAllLevels) {
    for (Tensor t : kAllTensors) {
      s.counts(l, t).reads = v * scale;
      s.counts(l, t).writes = (v + 100) * scale;
      ++v;
    }
  }
  s.counts.macs = s.macs;
  s.energy.mac = 1.5 * static_cast<double>(scale);
  s.energy.perLevel = {200.25 * static_cast<double>(scale), 6.5 * static_cast<double>(scale),
                       2.0 * static_cast<double>(scale), 1.0 * static_cast<double>(scale)};
  s.energy.perTensor[Tensor::Weights] = 100.0 * static_cast<double>(scale);
  s.energy.perTensor[Tensor::Inputs] = 60.0 * static_cast<double>(scale);
  s.energy.perTensor[Tensor::Outputs] = 49.75 * static_cast<double>(scale);
  s.energy.leakage = 0.25 * static_cast<double>(scale);
  s.energy.total = s.energy.mac + 209.75 * static_cast<double>(scale) + s.energy.leakage;
  s.check = "passed";
  s.mapping = "for M in [0:2)\n  for C in [0:3)\n";
  return s;
}

LayerStats poolRow(const std::string& name) {
  LayerStats s;
  s.layer = name;
  s.type = LayerType::Pool;
  s.dataflow = "-";
  s.batch = 4;
  s.totalPes = 168;
  return s;
}

RunStats sampleRun() {
  RunStats r;
  r.network = "tiny";
  r.arch = "eyeriss";
  r.energyTable = "isca16_normalized";
  r.energyUnit = "MAC-energy";
  r.clockMhz = 200.0;
  r.layers.push_back(convRow("conv1", "ws", 1));
  r.layers.push_back(convRow("conv1", "rs", 2));
  r.layers.push_back(poolRow("pool1"));
  r.layers.push_back(convRow("odd,\"name\"", "ws", 3));
  r.layers.push_back(convRow("odd,\"name\"", "rs", 4));
  r.layers.back().check = "not run";
  return r;
}

std::vector<std::string> splitLines(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

std::vector<std::string> splitCommas(const std::string& s) {
  std::vector<std::string> out(1);
  for (char c : s) {
    if (c == ',') {
      out.emplace_back();
    } else {
      out.back().push_back(c);
    }
  }
  return out;
}

/// Alexnet as in Krizhevsky et al. 2012 (two groups in conv2, conv4, conv5).
Network alexnet() {
  auto conv = [](const char* name, std::int64_t C, std::int64_t H, std::int64_t M, std::int64_t R,
                 std::int64_t stride, std::int64_t pad, std::int64_t groups) {
    Layer l;
    l.name = name;
    l.type = LayerType::Conv;
    l.C = C;
    l.H = l.W = H;
    l.M = M;
    l.R = l.S = R;
    l.setUniformWindow(stride, pad);
    l.groups = groups;
    l.P = l.Q = convOutputSize(H, R, stride, pad);
    return l;
  };
  auto pool = [&](const char* name, std::int64_t C, std::int64_t H) {
    Layer l = conv(name, C, H, C, 3, 2, 0, 1);
    l.type = LayerType::Pool;
    return l;
  };
  auto fc = [&](const char* name, std::int64_t C, std::int64_t H, std::int64_t M) {
    Layer l = conv(name, C, H, M, H, 1, 0, 1);
    l.type = LayerType::Fc;
    return l;
  };
  Network n;
  n.name = "alexnet";
  n.layers = {conv("conv1", 3, 227, 96, 11, 4, 0, 1),
              pool("pool1", 96, 55),
              conv("conv2", 96, 27, 256, 5, 1, 2, 2),
              pool("pool2", 256, 27),
              conv("conv3", 256, 13, 384, 3, 1, 1, 1),
              conv("conv4", 384, 13, 384, 3, 1, 1, 2),
              conv("conv5", 384, 13, 256, 3, 1, 1, 2),
              pool("pool5", 256, 13),
              fc("fc6", 256, 6, 4096),
              fc("fc7", 4096, 1, 4096),
              fc("fc8", 4096, 1, 1000)};
  return n;
}

}  // namespace

TEST_CASE("number formats are fixed and locale-free", "[report]") {
  CHECK(withThousands(0) == "0");
  CHECK(withThousands(999) == "999");
  CHECK(withThousands(1000) == "1,000");
  CHECK(withThousands(105415200) == "105,415,200");
  CHECK(withThousands(-1234567) == "-1,234,567");
  CHECK(formatDouble(0.1) == "0.1");
  CHECK(formatDouble(1.0 / 3.0) == "0.3333333333");
  CHECK(formatDouble(1e20) == "1e+20");
  CHECK(compactCount(9999999) == "9,999,999");
  CHECK(compactCount(123456789) == "1.23e+08");
}

TEST_CASE("layers.csv has the documented columns in order", "[report]") {
  const std::vector<std::string> expected = {"layer",
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
                                             "energy_mac",
                                             "energy_dram",
                                             "energy_glb",
                                             "energy_noc",
                                             "energy_rf",
                                             "energy_leakage",
                                             "energy_weights",
                                             "energy_inputs",
                                             "energy_outputs",
                                             "dram_weights_reads",
                                             "dram_weights_writes",
                                             "dram_inputs_reads",
                                             "dram_inputs_writes",
                                             "dram_outputs_reads",
                                             "dram_outputs_writes",
                                             "glb_weights_reads",
                                             "glb_weights_writes",
                                             "glb_inputs_reads",
                                             "glb_inputs_writes",
                                             "glb_outputs_reads",
                                             "glb_outputs_writes",
                                             "noc_weights_reads",
                                             "noc_weights_writes",
                                             "noc_inputs_reads",
                                             "noc_inputs_writes",
                                             "noc_outputs_reads",
                                             "noc_outputs_writes",
                                             "rf_weights_reads",
                                             "rf_weights_writes",
                                             "rf_inputs_reads",
                                             "rf_inputs_writes",
                                             "rf_outputs_reads",
                                             "rf_outputs_writes"};
  CHECK(layersCsvColumns() == expected);

  const std::vector<std::string> lines = splitLines(layersCsv(sampleRun()));
  REQUIRE(lines.size() == 6);  // header + 5 rows
  CHECK(splitCommas(lines[0]) == expected);

  SECTION("a simulated row") {
    const std::vector<std::string> f = splitCommas(lines[2]);  // conv1 rs, scale 2
    REQUIRE(f.size() == expected.size());
    auto col = [&](const std::string& name) {
      const auto it = std::find(expected.begin(), expected.end(), name);
      return f[static_cast<std::size_t>(it - expected.begin())];
    };
    CHECK(col("layer") == "conv1");
    CHECK(col("type") == "conv");
    CHECK(col("dataflow") == "rs");
    CHECK(col("batch") == "4");
    CHECK(col("macs") == "2000");
    CHECK(col("cycles") == "232");
    CHECK(col("cycles_compute") == "200");
    CHECK(col("cycles_stall_dram") == "20");
    CHECK(col("cycles_stall_glb") == "10");
    CHECK(col("cycles_stall_noc") == "2");
    CHECK(col("active_pes") == "16");
    CHECK(col("total_pes") == "168");
    CHECK(col("utilization") == formatDouble(2000.0 / (232.0 * 168.0)));
    CHECK(col("energy_total") == "423");
    CHECK(col("energy_mac") == "3");
    CHECK(col("energy_dram") == "400.5");
    CHECK(col("energy_glb") == "13");
    CHECK(col("energy_noc") == "4");
    CHECK(col("energy_rf") == "2");
    CHECK(col("energy_leakage") == "0.5");
    CHECK(col("energy_weights") == "200");
    CHECK(col("energy_inputs") == "120");
    CHECK(col("energy_outputs") == "99.5");
    CHECK(col("dram_weights_reads") == "2");
    CHECK(col("dram_weights_writes") == "202");
    CHECK(col("glb_weights_reads") == "8");    // level 1, tensor 0: v = 4
    CHECK(col("rf_outputs_writes") == "224");  // v = 12: (12 + 100) * 2
  }

  SECTION("a pooling row has zeros") {
    const std::vector<std::string> f = splitCommas(lines[3]);
    REQUIRE(f.size() == expected.size());
    CHECK(f[0] == "pool1");
    CHECK(f[1] == "pool");
    CHECK(f[2] == "-");
    CHECK(f[4] == "0");
    CHECK(f[12] == "0");
  }

  SECTION("names with a comma or a quote are quoted per RFC 4180") {
    CHECK(lines[4].rfind("\"odd,\"\"name\"\"\",conv,ws,", 0) == 0);
  }
}

TEST_CASE("stats.json holds nested values with units", "[report]") {
  const RunStats run = sampleRun();
  const nlohmann::json j = statsToJson(run);

  CHECK(j["run"]["dfsim_version"] == DFSIM_VERSION);
  CHECK(j["run"]["network"] == "tiny");
  CHECK(j["run"]["arch"] == "eyeriss");
  CHECK(j["run"]["clock_mhz"] == 200.0);
  CHECK(j["run"]["energy_table"]["name"] == "isca16_normalized");
  CHECK(j["run"]["energy_table"]["unit"] == "MAC-energy");

  REQUIRE(j["layers"].size() == 5);
  const nlohmann::json& l = j["layers"][1];  // conv1 rs, scale 2
  CHECK(l["name"] == "conv1");
  CHECK(l["type"] == "conv");
  CHECK(l["dataflow"] == "rs");
  CHECK(l["batch"] == 4);
  CHECK(l["macs"] == 2000);
  CHECK(l["cycles"]["total"] == 232);
  CHECK(l["cycles"]["compute"] == 200);
  CHECK(l["cycles"]["stall_dram"] == 20);
  CHECK(l["cycles"]["stall_glb"] == 10);
  CHECK(l["cycles"]["stall_noc"] == 2);
  CHECK(l["active_pes"] == 16);
  CHECK(l["total_pes"] == 168);
  CHECK(l["utilization"].get<double>() == Approx(2000.0 / (232.0 * 168.0)));
  CHECK(l["accesses"]["unit"] == "words");
  CHECK(l["accesses"]["dram"]["weights"]["reads"] == 2);
  CHECK(l["accesses"]["dram"]["weights"]["writes"] == 202);
  CHECK(l["accesses"]["glb"]["inputs"]["reads"] == 10);
  CHECK(l["accesses"]["rf"]["outputs"]["writes"] == 224);
  CHECK(l["energy"]["unit"] == "MAC-energy");
  CHECK(l["energy"]["total"] == 423.0);
  CHECK(l["energy"]["mac"] == 3.0);
  CHECK(l["energy"]["leakage"] == 0.5);
  CHECK(l["energy"]["by_level"]["dram"] == 400.5);
  CHECK(l["energy"]["by_level"]["rf"] == 2.0);
  CHECK(l["energy"]["by_tensor"]["outputs"] == 99.5);
  CHECK(l["check"] == "passed");
  CHECK(l["mapping"] == "for M in [0:2)\n  for C in [0:3)\n");
  CHECK(j["layers"][2]["dataflow"] == "-");

  REQUIRE(j["totals"].size() == 2);
  CHECK(j["totals"][0]["dataflow"] == "ws");
  CHECK(j["totals"][1]["dataflow"] == "rs");
  CHECK(j["totals"][0]["macs"] == 4000);  // scales 1 + 3
  CHECK(j["totals"][1]["check"] == "not run");
  CHECK(j["totals"][0]["check"] == "passed");

  SECTION("no wall time, timestamp or environment") {
    std::function<void(const nlohmann::json&)> visit = [&](const nlohmann::json& v) {
      if (!v.is_object() && !v.is_array()) return;
      for (auto it = v.begin(); it != v.end(); ++it) {
        if (v.is_object()) {
          const std::string& k = it.key();
          CHECK(k.find("time") == std::string::npos);
          CHECK(k.find("wall") == std::string::npos);
          CHECK(k.find("date") == std::string::npos);
          CHECK(k.find("host") == std::string::npos);
        }
        visit(*it);
      }
    };
    visit(j);
  }
}

TEST_CASE("totalFor sums one dataflow, pooling included", "[report]") {
  const RunStats run = sampleRun();
  const LayerStats ws = totalFor(run, "ws");  // scales 1 and 3
  CHECK(ws.layer == "TOTAL");
  CHECK(ws.dataflow == "ws");
  CHECK(ws.macs == 4000);
  CHECK(ws.cycles.total == Cycle(464));
  CHECK(ws.cycles.compute == Cycle(400));
  CHECK(ws.cycles.stallDram == Cycle(40));
  CHECK(ws.cycles.stallGlb == Cycle(20));
  CHECK(ws.cycles.stallNoc == Cycle(4));
  CHECK(ws.counts(Level::Dram, Tensor::Weights).reads == 4);
  CHECK(ws.counts(Level::Rf, Tensor::Outputs).writes == 448);
  CHECK(ws.counts.macs == 4000);
  CHECK(ws.energy.total == Approx(4 * 211.5));
  CHECK(ws.energy.perLevel[idx(Level::Dram)] == Approx(4 * 200.25));
  CHECK(ws.totalPes == 168);
  // MAC-weighted mean of 8 PEs (1000 MACs) and 24 PEs (3000 MACs).
  CHECK(ws.activePes == 20);
  CHECK(ws.utilization == Approx(4000.0 / (464.0 * 168.0)));
  CHECK(ws.check == "passed");

  const LayerStats rs = totalFor(run, "rs");  // scales 2 and 4, the second not checked
  CHECK(rs.macs == 6000);
  CHECK(rs.check == "not run");

  const LayerStats none = totalFor(run, "nlr");
  CHECK(none.macs == 0);
  CHECK(none.utilization == 0.0);
  CHECK(none.check == "not run");
}

TEST_CASE("the run table shows rows, totals and a per-dataflow summary", "[report]") {
  RunStats run = sampleRun();
  run.layers[0].macs = 105415200;
  std::ostringstream os;
  printRunTable(os, run);
  const std::string text = os.str();
  CHECK(text.find("105,415,200") != std::string::npos);
  CHECK(text.find("TOTAL") != std::string::npos);
  CHECK(text.find("energy [MAC-energy]") != std::string::npos);
  CHECK(text.find("Per-dataflow summary") != std::string::npos);
  CHECK(text.find("mean active PEs") != std::string::npos);
  for (const std::string& line : splitLines(text)) {
    CHECK((line.empty() || line.back() != ' '));
  }

  SECTION("one dataflow: no summary") {
    RunStats one = sampleRun();
    one.layers.erase(std::remove_if(one.layers.begin(), one.layers.end(),
                                    [](const LayerStats& l) { return l.dataflow == "rs"; }),
                     one.layers.end());
    std::ostringstream os1;
    printRunTable(os1, one);
    CHECK(os1.str().find("Per-dataflow summary") == std::string::npos);
    CHECK(os1.str().find("TOTAL") != std::string::npos);
  }
}

TEST_CASE("summary prints AlexNet's weights and MACs with totals", "[report]") {
  const Network net = alexnet();
  CHECK(shapeText(net.layers[0]) == "C3 H227x227 -> M96 P55x55, R11x11 /4 pad0 g1");
  std::ostringstream os;
  printSummary(os, net);
  const std::string text = os.str();
  const std::vector<std::string> lines = splitLines(text);
  auto lineWith = [&](const std::string& start) {
    for (const std::string& l : lines) {
      if (l.rfind(start, 0) == 0) return l;
    }
    return std::string();
  };
  const std::string conv1 = lineWith("conv1");
  CHECK(conv1.find("34,848") != std::string::npos);
  CHECK(conv1.find("105,415,200") != std::string::npos);
  CHECK(conv1.find("C3 H227x227 -> M96 P55x55, R11x11 /4 pad0 g1") != std::string::npos);
  CHECK(lineWith("CONV total").find("665,784,864") != std::string::npos);
  CHECK(lineWith("CONV total").find("2,332,704") != std::string::npos);
  CHECK(lineWith("FC total").find("58,621,952") != std::string::npos);
  CHECK(lineWith("All layers").find("724,406,816") != std::string::npos);
  CHECK(lineWith("All layers").find("60,954,656") != std::string::npos);
}

TEST_CASE("identical input gives byte-identical output", "[report]") {
  const RunStats a = sampleRun();
  const RunStats b = sampleRun();
  CHECK(statsToJson(a).dump(2) == statsToJson(b).dump(2));
  CHECK(layersCsv(a) == layersCsv(b));
  std::ostringstream ta, tb;
  printRunTable(ta, a);
  printRunTable(tb, b);
  CHECK(ta.str() == tb.str());
}
