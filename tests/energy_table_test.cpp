// Energy tables priced per (level, tensor, action): the reader's fallbacks, errors, dump and
// --set; computeEnergy with per-tensor costs; Eyeriss's three spads priced apart by the table
// imported from Timeloop's eyeriss_like ERT, checked against sums written out by hand.
#include <cmath>
#include <filesystem>
#include <functional>
#include <string>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "common/errors.hpp"
#include "energy/energy_breakdown.hpp"
#include "io/overrides.hpp"
#include "io/readers.hpp"
#include "run_dfsim.hpp"
#include "temp_dir.hpp"

namespace dfsim {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

json oldTable() {
  return json::parse(R"({
    "name": "e", "unit": "pJ", "word_bits": 16, "mac": 1, "rf": {"read": 1, "write": 1},
    "noc": {"per_word": 2}, "glb": {"read": 6, "write": 6}, "dram": {"read": 200, "write": 200}
  })");
}

/// The InputError message of reading `doc` (written to a file), the file called "FILE".
std::string errorOf(const json& doc, const std::vector<Override>& sets = {}) {
  const test::TempDir tmp("energy-table");
  const std::string file = tmp.writeText("e.json", doc.dump(2));
  try {
    readEnergy(file, sets);
  } catch (const InputError& e) {
    std::string m = e.what();
    if (m.rfind(file, 0) == 0) m.replace(0, file.size(), "FILE");
    return m;
  }
  return "(no error)";
}

EnergyTable read(const json& doc, const std::vector<Override>& sets = {}) {
  const test::TempDir tmp("energy-table");
  return readEnergy(tmp.writeText("e.json", doc.dump(2)), sets);
}

}  // namespace

TEST_CASE("an energy table may price each tensor of a level apart", "[energy]") {
  json d = oldTable();
  d["rf"]["weights"] = {{"read", 1.5}};
  d["rf"]["outputs"] = {{"read", 0.25}, {"write", 0.5}};
  d["noc"]["inputs"] = {{"per_word", 3}};
  d["glb"] = json::parse(R"({"weights": {"read": 7, "write": 8}, "inputs": {"read": 9,
                          "write": 10}, "outputs": {"read": 11, "write": 12}})");
  const EnergyTable t = read(d);
  CHECK(t.cost(Level::Rf, Tensor::Weights) == AccessCost{1.5, 1.0});  // write from the level
  CHECK(t.cost(Level::Rf, Tensor::Inputs) == AccessCost{1.0, 1.0});
  CHECK(t.cost(Level::Rf, Tensor::Outputs) == AccessCost{0.25, 0.5});
  CHECK(t.cost(Level::Noc, Tensor::Inputs) == AccessCost{3.0, 3.0});  // per_word prices both
  CHECK(t.cost(Level::Noc, Tensor::Weights) == AccessCost{2.0, 2.0});
  CHECK(t.cost(Level::Glb, Tensor::Weights) == AccessCost{7.0, 8.0});  // no level default
  CHECK(t.cost(Level::Glb, Tensor::Outputs) == AccessCost{11.0, 12.0});
  CHECK(t.cost(Level::Dram, Tensor::Inputs) == AccessCost{200.0, 200.0});

  // The dump: per action the cost most tensors share (all differ: the weights'), and per tensor
  // only what differs from it.
  const json dump = energyToJson(t);
  CHECK(dump["rf"] == json::parse(R"({"read": 1.5, "write": 1.0, "inputs": {"read": 1.0},
                                      "outputs": {"read": 0.25, "write": 0.5}})"));
  CHECK(dump["noc"] == json::parse(R"({"per_word": 2.0, "inputs": {"per_word": 3.0}})"));
  CHECK(dump["glb"] == json::parse(R"({"read": 7.0, "write": 8.0, "inputs": {"read": 9.0,
                                       "write": 10.0}, "outputs": {"read": 11.0,
                                       "write": 12.0}})"));
  CHECK(energyToJson(energyFromJson(dump, "dump")) == dump);
  const EnergyTable again = energyFromJson(dump, "dump");
  CHECK(again.perWord == t.perWord);

  // A table with one cost per level dumps exactly as before per-tensor costs existed.
  CHECK(energyToJson(read(oldTable()))["rf"] == json::parse(R"({"read": 1.0, "write": 1.0})"));
  CHECK(energyToJson(read(oldTable()))["noc"] == json::parse(R"({"per_word": 2.0})"));
}

TEST_CASE("a per-tensor energy table must price every level, tensor and action", "[energy]") {
  json d = oldTable();
  d["rf"] = json::parse(R"({"weights": {"read": 1, "write": 1}, "inputs": {"read": 1,
                         "write": 1}, "outputs": {"read": 1}})");
  CHECK(errorOf(d) ==
        "FILE: energy.rf.outputs.write: missing required key (expected a number in [0, 1e15], "
        "or energy.rf.write as the default of every tensor)");

  d["rf"] = json::parse(R"({"write": 1, "weights": {"read": 1}, "inputs": {"read": 1}})");
  CHECK(errorOf(d) ==
        "FILE: energy.rf.read: missing required key (expected a number in [0, 1e15]; it may be "
        "left out only where weights, inputs and outputs each give their own read)");

  d = oldTable();
  d["noc"]["psums"] = {{"per_word", 1}};
  CHECK(errorOf(d) ==
        "FILE: energy.noc.psums: unknown key; valid keys: inputs, outputs, per_word, weights");
  d = oldTable();
  d["rf"]["weights"] = {{"update", 1}};
  CHECK(errorOf(d) == "FILE: energy.rf.weights.update: unknown key; valid keys: read, write");
  d = oldTable();
  d["dram"]["inputs"] = {{"write", 1e16}};
  CHECK(errorOf(d) == "FILE: energy.dram.inputs.write: expected a number in [0, 1e15], got 1e+16");
  d = oldTable();
  d["glb"]["outputs"] = {{"read", -1}};
  CHECK(errorOf(d) == "FILE: energy.glb.outputs.read: expected a number >= 0, got -1");
  d = oldTable();
  d["noc"]["weights"] = 3;
  CHECK(errorOf(d) == "FILE: energy.noc.weights: expected an object, got 3");
}

TEST_CASE("a --set override reaches a tensor's cost even where the table gives none", "[energy]") {
  const EnergyTable t = read(oldTable(), {parseOverride("energy.rf.weights.read=2"),
                                          parseOverride("energy.noc.outputs.per_word=0.5")});
  CHECK(t.cost(Level::Rf, Tensor::Weights) == AccessCost{2.0, 1.0});
  CHECK(t.cost(Level::Rf, Tensor::Inputs) == AccessCost{1.0, 1.0});
  CHECK(t.cost(Level::Noc, Tensor::Outputs) == AccessCost{0.5, 0.5});
  CHECK(errorOf(oldTable(), {parseOverride("energy.rf.weights.reed=2")}) ==
        "FILE: energy.rf.weights.reed: unknown key; valid keys: read, write");
  // Without a tensor name the path must exist as before.
  CHECK(errorOf(oldTable(), {parseOverride("energy.sram.weights.read=2")}) ==
        "--set energy.sram.weights.read=2: energy.sram: no such key; keys here: dram, glb, mac, "
        "name, noc, rf, unit, word_bits");
}

TEST_CASE("computeEnergy prices each level and tensor with its own cost", "[energy]") {
  EnergyTable t;
  t.macPerOp = 0.5;
  t.cost(Level::Rf, Tensor::Weights) = {3.0, 5.0};
  t.cost(Level::Rf, Tensor::Inputs) = {0.25, 0.75};
  t.cost(Level::Noc, Tensor::Outputs) = {4.0, 4.0};
  t.leakagePerCycle = 0.125;
  AccessCounts c;
  c.macs = 10;
  c(Level::Rf, Tensor::Weights) = {7, 2};
  c(Level::Rf, Tensor::Inputs) = {8, 4};
  c(Level::Rf, Tensor::Outputs) = {1, 1};  // the default 1 per word
  c(Level::Noc, Tensor::Outputs) = {0, 6};
  c(Level::Dram, Tensor::Weights) = {2, 0};  // the default 200 per word
  const EnergyBreakdown e = computeEnergy(c, Cycle(8), t);
  CHECK(e.perLevelTensor[idx(Level::Rf)][Tensor::Weights] == 7 * 3.0 + 2 * 5.0);
  CHECK(e.perLevelTensor[idx(Level::Rf)][Tensor::Inputs] == 8 * 0.25 + 4 * 0.75);
  CHECK(e.perLevelTensor[idx(Level::Rf)][Tensor::Outputs] == 2.0);
  CHECK(e.perLevelTensor[idx(Level::Noc)][Tensor::Outputs] == 24.0);
  CHECK(e.perLevel[idx(Level::Rf)] == 31.0 + 5.0 + 2.0);
  CHECK(e.perTensor[Tensor::Weights] == 31.0 + 400.0);
  CHECK(e.total == 5.0 + 38.0 + 24.0 + 400.0 + 1.0);
}

// Eyeriss's ifmap, weights and psum scratchpads, each priced by its own entry of Timeloop's
// public eyeriss_like ERT (v0.3, configs/energy/eyeriss_like_ert_pj.json), on one tile of a
// tiny layer under a fixed RS mapping. The costs are the ERT's numbers typed here, not read
// through the code under test.
TEST_CASE("eyeriss's spads priced apart: the energy of one tile equals the hand sum",
          "[energy][cli]") {
  const test::TempDir scratch("spads");
  // All loops inside the array and the RF: the whole layer is one GLB/DRAM tile.
  const std::string mapping = scratch.writeText("conv.rs.json", R"({
    "layer": "conv", "dataflow": "rs", "dram": [], "glb": [],
    "spatial": [{"dim": "R", "bound": 3, "axis": "rows"}, {"dim": "C", "bound": 2, "axis": "rows"},
                {"dim": "P", "bound": 4, "axis": "cols"}, {"dim": "M", "bound": 2, "axis": "cols"}],
    "rf": [{"dim": "M", "bound": 2}, {"dim": "Q", "bound": 4}, {"dim": "S", "bound": 3}],
    "glb_keeps": ["weights", "inputs", "outputs"], "rf_keeps": ["weights", "inputs", "outputs"]})");
  const std::string base =
      "run --arch configs/arch/eyeriss.json --network models/tiny_conv.json --quiet "
      "--energy configs/energy/eyeriss_like_ert_pj.json --mapping '" +
      mapping + "' ";
  const std::string apart = (scratch.path() / "apart").string();
  const test::Outcome o = test::runDfsim(base + "--out '" + apart + "'", scratch.path());
  REQUIRE(o.code == 0);
  const json layer = json::parse(test::readFile(fs::path(apart) / "stats.json"))["layers"][0];
  const json& acc = layer["accesses"];
  const json& e = layer["energy"];
  REQUIRE(e["unit"] == "pJ");

  const auto hand = [&](const char* level, const char* tensor, double read, double write) {
    const double reads = acc[level][tensor]["reads"].get<double>();
    const double writes = acc[level][tensor]["writes"].get<double>();
    return reads * read + writes * write;
  };
  // ERT: weights_spad, ifmap_spad, psum_spad read and write with address_delta = data_delta = 1.
  const double rfWeights = hand("rf", "weights", 1.586, 1.586);
  const double rfInputs = hand("rf", "inputs", 0.237, 0.237);
  const double rfOutputs = hand("rf", "outputs", 0.251, 0.251);
  CHECK(e["by_level_tensor"]["rf"]["weights"].get<double>() == Approx(rfWeights));
  CHECK(e["by_level_tensor"]["rf"]["inputs"].get<double>() == Approx(rfInputs));
  CHECK(e["by_level_tensor"]["rf"]["outputs"].get<double>() == Approx(rfOutputs));
  CHECK(e["by_level"]["rf"].get<double>() == Approx(rfWeights + rfInputs + rfOutputs));
  // shared_glb: 52.612 pJ per 64-bit read, 53.372 per write (4 words); DRAM 512 per 64 bits.
  double glb = 0.0;
  double dram = 0.0;
  for (const char* t : {"weights", "inputs", "outputs"}) {
    INFO(t);
    const double g = hand("glb", t, 52.612 / 4, 53.372 / 4);
    const double d = hand("dram", t, 512.0 / 4, 512.0 / 4);
    CHECK(e["by_level_tensor"]["glb"][t].get<double>() == Approx(g));
    CHECK(e["by_level_tensor"]["dram"][t].get<double>() == Approx(d));
    CHECK(e["by_level_tensor"]["noc"][t].get<double>() == 0.0);  // the ERT has no network
    glb += g;
    dram += d;
  }
  const double mac = layer["macs"].get<double>() * 2.2;  // mac_random
  CHECK(e["mac"].get<double>() == Approx(mac));
  CHECK(e["total"].get<double>() == Approx(mac + rfWeights + rfInputs + rfOutputs + glb + dram));

  // One averaged RF cost (what a table without per-tensor costs could say) prices differently.
  const double mean = (1.586 + 0.237 + 0.251) / 3;
  const std::string averaged = (scratch.path() / "averaged").string();
  const test::Outcome o2 =
      test::runDfsim(base + "--set 'energy.rf={\"read\": " + std::to_string(mean) +
                         ", \"write\": " + std::to_string(mean) + "}' --out '" + averaged + "'",
                     scratch.path());
  REQUIRE(o2.code == 0);
  const json e2 =
      json::parse(test::readFile(fs::path(averaged) / "stats.json"))["layers"][0]["energy"];
  const double rfAveraged = e2["by_level"]["rf"].get<double>();
  CHECK(std::abs(rfAveraged - e["by_level"]["rf"].get<double>()) > 100.0);
  CHECK(e2["by_level"]["glb"].get<double>() == Approx(glb));  // the rest is the same
}

}  // namespace dfsim

namespace dfsim {
namespace {

json generalTable() {
  return json::parse(R"({
    "name": "g", "unit": "pJ", "word_bits": 16, "mac": 1,
    "levels": {"dram": {"read": 200, "write": 190}, "glb": {"read": 6, "write": 7},
               "cluster_noc": {"per_word": 3, "weights": {"per_word": 4}},
               "noc": {"per_word": 2}, "spad": {"read": 1, "write": 1.5,
                                               "outputs": {"read": 0.5}}}
  })");
}

}  // namespace

TEST_CASE("an energy table in the general form prices levels by name", "[energy]") {
  const EnergyTable t = read(generalTable());
  CHECK_FALSE(t.fourLevelForm());
  // Resolved for an arch's entries, outermost first; names the arch lacks are ignored.
  const EnergyTable r = resolvedFor(t, {"dram", "glb", "noc", "spad"}, true, "E");
  CHECK(r.cost(std::size_t{0}, Tensor::Inputs) == AccessCost{200.0, 190.0});
  CHECK(r.cost(std::size_t{1}, Tensor::Weights) == AccessCost{6.0, 7.0});
  CHECK(r.cost(std::size_t{2}, Tensor::Outputs) == AccessCost{2.0, 2.0});  // per_word: both
  CHECK(r.cost(std::size_t{3}, Tensor::Outputs) == AccessCost{0.5, 1.5});
  CHECK(r.cost(std::size_t{3}, Tensor::Weights) == AccessCost{1.0, 1.5});
  const EnergyTable five = resolvedFor(t, {"dram", "glb", "cluster_noc", "spad"}, false, "E");
  CHECK(five.cost(std::size_t{2}, Tensor::Weights) == AccessCost{4.0, 4.0});
  CHECK(five.cost(std::size_t{2}, Tensor::Inputs) == AccessCost{3.0, 3.0});
  // Energy follows the resolved order: one read of each tensor at entry 2.
  AccessCounts c;
  for (Tensor x : kAllTensors) c(std::size_t{2}, x).reads = 1;
  CHECK(computeEnergy(c, Cycle(0), five).perLevel[2] == 10.0);

  // The dump is the general form again, and reads back to the same costs.
  const json dump = energyToJson(t);
  CHECK(dump.contains("levels"));
  CHECK(dump["levels"]["cluster_noc"] == json::parse(R"({"per_word": 3.0,
                                                      "weights": {"per_word": 4.0}})"));
  CHECK(energyFromJson(dump, "dump").perWord == t.perWord);
  CHECK(energyFromJson(dump, "dump").names == t.names);

  // --set reaches a level of the general form, per tensor too.
  const EnergyTable s = read(generalTable(), {{"energy.levels.glb.inputs.read", "9"}});
  CHECK(resolvedFor(s, {"dram", "glb", "noc", "spad"}, true, "E")
            .cost(std::size_t{1}, Tensor::Inputs) == AccessCost{9.0, 7.0});
}

TEST_CASE("an energy table must price every level of the arch it is used with", "[energy]") {
  const EnergyTable t = read(generalTable());
  try {
    resolvedFor(t, {"dram", "glb", "pe_noc", "spad"}, false, "E");
    FAIL("no error");
  } catch (const InputError& e) {
    CHECK(std::string(e.what()) ==
          "E: energy.levels: expected costs for the arch's level \"pe_noc\"; the table names "
          "cluster_noc, dram, glb, noc, spad");
  }
  // The 4-level form applies by position to a 4-level arch only.
  const EnergyTable old = read(oldTable());
  CHECK(resolvedFor(old, {"dram", "glb", "noc", "spad"}, true, "E").perWord == old.perWord);
  CHECK_THROWS_WITH(resolvedFor(old, {"dram", "glb", "cluster_noc", "cl", "noc", "rf"}, false, "E"),
                    Catch::Contains("the arch's levels are dram, glb, cluster_noc, cl, noc, rf"));
  // A malformed general form: named, with its path.
  json bad = generalTable();
  bad["levels"]["glb"] = json::parse(R"({"read": 6})");
  CHECK(errorOf(bad) ==
        "FILE: energy.levels.glb.write: missing required key (expected a number "
        ">= 0)");
  bad = generalTable();
  bad["rf"] = json::parse(R"({"read": 1, "write": 1})");
  CHECK_THAT(errorOf(bad), Catch::StartsWith("FILE: energy.rf: unknown key"));
  bad = generalTable();
  bad["levels"] = json::object();
  CHECK_THAT(errorOf(bad), Catch::Contains("expected a non-empty object"));
}

}  // namespace dfsim
