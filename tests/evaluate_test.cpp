// dfsim evaluate: the analytic model alone on any hierarchy. Its counts equal what the simulator
// counts on the 4-level instance (through the binary: run --fast vs evaluate --json), its cycle
// estimate is the mapper's on that instance, and on a two-fan-out hierarchy a general-form
// mapping evaluates to the closed-form numbers worked out below; bad input is one line, exit 2.
#include <cmath>
#include <fstream>
#include <string>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "dataflow/dataflow.hpp"
#include "dataflow/default_mapper.hpp"
#include "dataflow/mapper_search.hpp"
#include "io/readers.hpp"
#include "mapping/analytic_model.hpp"
#include "mapping/loop_nest.hpp"
#include "mapping/nest_cycle_estimate.hpp"
#include "run_dfsim.hpp"
#include "temp_dir.hpp"

namespace dfsim {
namespace {

using nlohmann::json;

/// A WS-like mapping of AlexNet conv3 (M 384, C 256, P = Q = 13, R = S = 3) on
/// eyeriss_v2_like: M and a ragged P (2 tiles of 7, the last 6) over the 8 x 2 clusters, R x M
/// over each cluster's 3 x 4 PEs, C x S in the spads.
const char* kV2Mapping = R"({"layer": "conv3", "dataflow": "ws_like", "levels": [
  {"level": "dram", "temporal": [{"dim": "M", "bound": 12}, {"dim": "C", "bound": 64}],
   "spatial": [{"dim": "M", "bound": 8, "axis": "rows"},
               {"dim": "P", "bound": 2, "tile": 7, "axis": "cols"}]},
  {"level": "cluster_glb", "temporal": [{"dim": "Q", "bound": 13}, {"dim": "P", "bound": 7, "tile": 1}],
   "spatial": [{"dim": "R", "bound": 3, "axis": "rows"}, {"dim": "M", "bound": 4, "axis": "cols"}],
   "keeps": ["weights", "inputs", "outputs"]},
  {"level": "spad", "temporal": [{"dim": "C", "bound": 4}, {"dim": "S", "bound": 3}],
   "keeps": ["weights", "inputs", "outputs"]}]})";

const char* kV2Energy = R"({"name": "v2", "unit": "pJ", "word_bits": 16, "mac": 1,
  "levels": {"dram": {"read": 200, "write": 200}, "cluster_noc": {"per_word": 2},
             "cluster_glb": {"read": 6, "write": 6}, "pe_noc": {"per_word": 2},
             "spad": {"read": 1, "write": 1}}})";

json readJson(const std::filesystem::path& p) {
  std::ifstream in(p);
  return json::parse(in);
}

}  // namespace

TEST_CASE("dfsim evaluate counts what the simulator counts on the 4-level instance",
          "[evaluate][cli]") {
  const test::TempDir tmp("evaluate");
  const std::string base = "--arch configs/arch/tiny_4x4.json --network models/tiny_net.json ";
  const test::Outcome sim = test::runDfsim(
      "run " + base + "--dataflow all --fast --out '" + (tmp.path() / "r").string() + "'",
      tmp.path());
  INFO(sim.err);
  REQUIRE(sim.code == 0);
  const test::Outcome ev = test::runDfsim("evaluate " + base + "--dataflow all --json", tmp.path());
  INFO(ev.err);
  REQUIRE(ev.code == 0);
  const json a = readJson(tmp.path() / "r" / "stats.json");
  const json e = json::parse(ev.out);
  CHECK(e["run"]["model"] == "analytic");
  CHECK(e["run"]["levels"] == json::array({"dram", "glb", "noc", "rf"}));
  std::size_t compared = 0;
  for (const json& row : a["layers"]) {
    if (row["dataflow"] == "-") continue;  // pooling: not on the array
    bool found = false;
    for (const json& er : e["layers"]) {
      if (er["name"] != row["name"] || er["mapping"] != row["dataflow"]) continue;
      found = true;
      CHECK(er["accesses"] == row["accesses"]);
      CHECK(er["macs"] == row["macs"]);
      CHECK(er["active_pes"] == row["active_pes"]);
      // Energy from the same counts and table (leakage 0 in this table: cycles do not enter).
      CHECK(er["energy"]["total"] == row["energy"]["total"]);
      ++compared;
    }
    CHECK(found);
  }
  CHECK(compared >= 6);
}

TEST_CASE("the nest cycle estimate is the mapper's estimate on the 4-level instance",
          "[evaluate]") {
  const ArchSpec arch = readArch(std::string(DFSIM_SOURCE_DIR) + "/configs/arch/eyeriss.json");
  const Network net = readNetwork(std::string(DFSIM_SOURCE_DIR) + "/models/alexnet.json");
  PerTensor<std::int64_t> bytes{};
  for (Tensor t : kAllTensors) bytes[t] = arch.dramBytesPerWord(t);
  int checked = 0;
  for (const Layer& layer : net.layers) {
    if (!layer.onArray()) continue;
    for (const DataflowInfo& df : dataflowRegistry()) {
      const Mapping m = defaultMapping(layer, arch, df.id);
      const AccessCounts c = analyticCounts(layer.shape(), arch, m);
      const NestCycleEstimate e =
          estimateNestCycles(layer.shape(), arch.hierarchy(), toLoopNest(m), c, bytes);
      CHECK(e.cycles == estimateCycles(layer, arch, m, c));
      ++checked;
    }
  }
  CHECK(checked == 8 * 6);
}

TEST_CASE("dfsim evaluate takes a two-fan-out hierarchy with a general-form mapping",
          "[evaluate][cli]") {
  const test::TempDir tmp("evaluate-v2");
  const std::string mapping = tmp.writeText("conv3.json", kV2Mapping);
  const std::string energy = tmp.writeText("energy.json", kV2Energy);
  const std::string base =
      "evaluate --arch configs/arch/eyeriss_v2_like.json --network models/alexnet.json ";
  const test::Outcome o = test::runDfsim(
      base + "--energy '" + energy + "' --mapping '" + mapping + "' --json", tmp.path());
  INFO(o.err);
  REQUIRE(o.code == 0);
  const json r = json::parse(o.out)["layers"][0];
  CHECK(r["macs"] == 149520384);
  CHECK(r["active_pes"] == 192);  // 16 clusters x 12 PEs
  CHECK(r["total_pes"] == 192);
  // Steps: M 12 x C 64 at DRAM, Q 13 x P 7 in a cluster (instance 0's P range is 7 wide);
  // 12 spad iterations each; plus the DRAM latency of 100 cycles.
  CHECK(r["cycles"]["steps"] == 12 * 64 * 13 * 7);
  CHECK(r["cycles"]["estimate"] == 12.0 * 64 * 13 * 7 * 12 + 100);
  CHECK(r["cycles"]["limited_by"] == "compute");
  // Closed forms a reader can redo: the weights cross DRAM once per (M, C) tile, the same for
  // both P columns of clusters (multicast over the irrelevant P): 384 x 256 x 9 words.
  CHECK(r["accesses"]["dram"]["weights"]["reads"] == 384 * 256 * 9);
  // Each of the 16 clusters gets its own copy: 8 M rows x 2 P cols, the M rows distinct.
  CHECK(r["accesses"]["cluster_noc"]["weights"]["reads"] == 384 * 256 * 9 * 2);
  CHECK(r["accesses"]["cluster_glb"]["weights"]["writes"] == 384 * 256 * 9 * 2);
  // The spads: every MAC reads its weight.
  CHECK(r["accesses"]["spad"]["weights"]["reads"] == 149520384);
  CHECK(r["energy"]["unit"] == "pJ");

  // Bad input: one line naming the file and what was expected, exit 2.
  const test::Outcome noTable = test::runDfsim(base + "--mapping '" + mapping + "'", tmp.path());
  CHECK(noTable.code == 2);
  CHECK_THAT(noTable.err, Catch::Contains("configs/energy/isca16_normalized.json: energy: the "
                                          "table prices dram, glb, noc and rf"));
  // Every dataflow's default mapping on this hierarchy (the simulator's counts of them are
  // checked in tests/hierarchy_sim_test.cpp and by dfsim run --check).
  const test::Outcome df = test::runDfsim(
      base + "--energy '" + energy + "' --dataflow all --layer conv3 --json", tmp.path());
  INFO(df.err);
  REQUIRE(df.code == 0);
  CHECK(json::parse(df.out)["layers"].size() == 6);
  json wrong = json::parse(kV2Mapping);
  wrong["levels"][1]["level"] = "glb";
  const std::string bad = tmp.writeText("bad.json", wrong.dump());
  const test::Outcome names =
      test::runDfsim(base + "--energy '" + energy + "' --mapping '" + bad + "'", tmp.path());
  CHECK(names.code == 2);
  CHECK_THAT(names.err, Catch::Contains("bad.json: mapping.levels: expected one level per "
                                        "storage level of configs/arch/eyeriss_v2_like.json, in "
                                        "order (dram, cluster_glb, spad)"));
  wrong = json::parse(kV2Mapping);
  wrong["levels"][1]["spatial"][1]["bound"] = 5;  // 5 columns on a 3 x 4 fan-out
  const std::string wide = tmp.writeText("wide.json", wrong.dump());
  const test::Outcome fan =
      test::runDfsim(base + "--energy '" + energy + "' --mapping '" + wide + "'", tmp.path());
  CHECK(fan.code == 2);
  CHECK_THAT(fan.err, Catch::Contains("wide.json"));
  CHECK(fan.out.empty());  // nothing printed before the error
}

}  // namespace dfsim
