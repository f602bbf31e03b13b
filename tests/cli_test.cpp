// The dfsim executable, run as a user would: exit codes, stdout, stderr and files.
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "io/readers.hpp"
#include "run_dfsim.hpp"
#include "temp_dir.hpp"
#include "workload/network.hpp"

namespace fs = std::filesystem;

namespace {

using dfsim::test::Outcome;

/// Runs `dfsim <args>` (dfsim::test::runDfsim) with a scratch folder of its own.
Outcome runDfsim(const std::string& args) {
  static int counter = 0;
  const dfsim::test::TempDir scratch("run" + std::to_string(counter++));
  return dfsim::test::runDfsim(args, scratch.path());
}

std::size_t lineCount(const std::string& s) {
  return static_cast<std::size_t>(std::count(s.begin(), s.end(), '\n'));
}

bool contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

/// The shipped Eyeriss architecture, relative to the source tree.
const std::string kArch = "configs/arch/eyeriss.json";

}  // namespace

TEST_CASE("dfsim --version, --help and subcommand help exit 0", "[cli]") {
  const Outcome v = runDfsim("--version");
  CHECK(v.code == 0);
  CHECK(v.out == std::string("dfsim ") + DFSIM_VERSION + "\n");
  CHECK(v.err.empty());  // no SystemC banner either

  const Outcome h = runDfsim("--help");
  CHECK(h.code == 0);
  CHECK(contains(h.out, "Usage: dfsim <command>"));

  const Outcome r = runDfsim("run --help");
  CHECK(r.code == 0);
  CHECK(contains(r.out, "Usage: dfsim run"));
  CHECK(contains(r.out, "--dataflow"));

  const Outcome s = runDfsim("summary --help");
  CHECK(s.code == 0);
  CHECK(contains(s.out, "Usage: dfsim summary"));
}

TEST_CASE("dfsim rejects unknown options and commands with exit 2 and one line", "[cli]") {
  for (const char* args : {"--frobnicate", "run --frobnicate", "summary --frobnicate", "frobnicate",
                           "", "run --arc x.json", "dataflows --frobnicate"}) {
    INFO("args: " << args);
    const Outcome o = runDfsim(args);
    CHECK(o.code == 2);
    CHECK(o.out.empty());
    CHECK(lineCount(o.err) == 1);
    CHECK(o.err.rfind("dfsim: error: ", 0) == 0);
    CHECK(contains(o.err, "--help"));
  }
}

TEST_CASE("dfsim dataflows lists the registry, which run --dataflow takes in that order", "[cli]") {
  const Outcome j = runDfsim("dataflows --json");
  REQUIRE(j.code == 0);
  CHECK(j.err.empty());
  const nlohmann::json list = nlohmann::json::parse(j.out);
  std::vector<std::string> names;
  for (const auto& d : list) {
    names.push_back(d.at("name").get<std::string>());
    CHECK(!d.at("description").get<std::string>().empty());
  }
  CHECK(names == std::vector<std::string>{"ws", "os_a", "os_b", "os_c", "nlr", "rs"});
  // The rule sets of each (dfsim run --rules): paper mode has all six.
  for (const auto& d : list) {
    const std::string name = d.at("name").get<std::string>();
    const bool paper = true;
    CHECK(d.at("rules") == (paper ? nlohmann::json{"free", "isca16"} : nlohmann::json{"free"}));
  }

  const Outcome t = runDfsim("dataflows");
  REQUIRE(t.code == 0);
  CHECK(lineCount(t.out) == names.size());
  CHECK(t.out.rfind("ws ", 0) == 0);
  CHECK(contains(runDfsim("dataflows --help").out, "Usage: dfsim dataflows"));
  CHECK(contains(runDfsim("--help").out, "dataflows"));

  // `--dataflow all` runs exactly the registry, in its order.
  const dfsim::test::TempDir tmp("dataflows");
  const Outcome r = runDfsim(
      "run --arch configs/arch/tiny_4x4.json --network "
      "models/tiny_conv.json --dataflow all --fast --quiet --out '" +
      (tmp.path() / "r").string() + "'");
  REQUIRE(r.code == 0);
  const std::string csv = dfsim::test::readFile(tmp.path() / "r" / "layers.csv");
  std::vector<std::string> ran;
  std::istringstream lines(csv);
  std::string line;
  std::getline(lines, line);  // header: layer,type,dataflow,...
  while (std::getline(lines, line)) {
    const std::size_t a = line.find(',');
    const std::size_t b = line.find(',', a + 1);
    const std::size_t c = line.find(',', b + 1);
    ran.push_back(line.substr(b + 1, c - b - 1));
  }
  CHECK(ran == names);
}

TEST_CASE("dfsim summary prints AlexNet's weights and MACs", "[cli]") {
  const Outcome o = runDfsim("summary --network models/alexnet.json");
  INFO(o.err);
  CHECK(o.code == 0);
  CHECK(contains(o.out, "34,848"));
  CHECK(contains(o.out, "105,415,200"));
  CHECK(contains(o.out, "665,784,864"));
  CHECK(contains(o.out, "724,406,816"));

  const Outcome b = runDfsim("summary --network models/alexnet.json --batch 4");
  CHECK(b.code == 0);
  CHECK(contains(b.out, "421,660,800"));  // conv1 x 4

  const Outcome bad = runDfsim("summary --network models/alexnet.json --batch 0");
  CHECK(bad.code == 2);
  CHECK(contains(bad.err, "--batch"));
}

TEST_CASE("dfsim run reports bad input with exit 2 before simulating", "[cli]") {
  SECTION("a missing --arch file is named") {
    const Outcome o = runDfsim(
        "run --arch configs/arch/no_such_arch.json --network models/alexnet.json --dataflow rs");
    CHECK(o.code == 2);
    CHECK(lineCount(o.err) == 1);
    CHECK(contains(o.err, "no_such_arch.json"));
  }

  SECTION("a missing required option") {
    const Outcome o = runDfsim("run --network models/alexnet.json --dataflow rs");
    CHECK(o.code == 2);
    CHECK(contains(o.err, "--arch"));
  }

  SECTION("an unknown dataflow lists the valid ones") {
    const Outcome o =
        runDfsim("run --arch " + kArch + " --network models/alexnet.json --dataflow xyz");
    CHECK(o.code == 2);
    CHECK(lineCount(o.err) == 1);
    CHECK(contains(o.err, "xyz"));
    CHECK(contains(o.err, "ws, os_a, os_b, os_c, nlr, rs, all"));
  }

  SECTION("bad numbers") {
    const std::string base = "run --arch " + kArch + " --network models/alexnet.json ";
    CHECK(runDfsim(base + "--dataflow rs --batch 0").code == 2);
    CHECK(runDfsim(base + "--dataflow rs --batch=-3").code == 2);
    CHECK(runDfsim(base + "--dataflow rs --seed x").code == 2);
    CHECK(runDfsim(base + "--dataflow rs --set nonsense").code == 2);
  }

  SECTION("an unknown --layer lists the layers and creates no output folder") {
    const dfsim::test::TempDir scratch("badlayer");
    const fs::path outDir = scratch.path() / "results" / "sub";
    const Outcome o = runDfsim("run --arch " + kArch +
                               " --network models/alexnet.json --dataflow rs --layer conv1 "
                               "--layer conv9 --out '" +
                               outDir.string() + "'");
    INFO(o.err);
    CHECK(o.code == 2);
    CHECK(lineCount(o.err) == 1);
    CHECK(contains(o.err, "conv9"));
    CHECK(contains(o.err, "conv1, "));
    CHECK(o.out.empty());
    CHECK_FALSE(fs::exists(scratch.path() / "results"));
  }

  SECTION("an energy table for another word size") {
    const Outcome o = runDfsim("run --arch " + kArch +
                               " --network models/alexnet.json --dataflow rs "
                               "--set energy.word_bits=8");
    CHECK(o.code == 2);
    CHECK(lineCount(o.err) == 1);
    CHECK(contains(o.err, "energy.word_bits: expected 16"));
  }

  SECTION("--out under a file") {
    const dfsim::test::TempDir scratch("outfile");
    const fs::path file = scratch.path() / "plain";
    std::ofstream(file) << "keep";
    const Outcome o = runDfsim("run --arch " + kArch +
                               " --network models/alexnet.json --dataflow rs --layer conv1 "
                               "--out '" +
                               (file / "sub").string() + "'");
    CHECK(o.code == 2);
    CHECK(contains(o.err, "cannot write"));
    CHECK(o.out.empty());
    CHECK(dfsim::test::readFile(file) == "keep");
  }
}

TEST_CASE("dfsim run --dump-config prints the resolved configs as JSON", "[cli]") {
  const Outcome o =
      runDfsim("run --arch " + kArch + " --network models/alexnet.json --batch 2 --dump-config");
  INFO(o.err);
  REQUIRE(o.code == 0);
  const nlohmann::json j = nlohmann::json::parse(o.out);
  CHECK(j.contains("arch"));
  CHECK(j.contains("network"));
  CHECK(j.contains("energy"));
}

TEST_CASE("dfsim run simulates a small layer and writes stats.json and layers.csv", "[cli][slow]") {
  const dfsim::test::TempDir scratch("small");
  // A small conv layer, written through the network writer so that the test follows the format.
  dfsim::Network net;
  net.name = "tiny";
  dfsim::Layer conv;
  conv.name = "c1";
  conv.type = dfsim::LayerType::Conv;
  conv.N = 1;
  conv.C = 4;
  conv.M = 8;
  conv.H = conv.W = 8;
  conv.R = conv.S = 3;
  conv.P = conv.Q = 6;
  dfsim::Layer pool = conv;
  pool.name = "p1";
  pool.type = dfsim::LayerType::Pool;
  pool.C = pool.M = 8;
  pool.H = pool.W = 6;
  pool.R = pool.S = 2;
  pool.rows.stride = pool.cols.stride = 2;
  pool.P = pool.Q = 3;
  net.layers = {conv, pool};
  const fs::path netFile = scratch.path() / "tiny.json";
  std::ofstream(netFile) << dfsim::networkToJson(net).dump(2) << "\n";

  const fs::path outDir = scratch.path() / "r";
  const std::string args = "run --arch " + kArch + " --network '" + netFile.string() +
                           "' --dataflow all --check --quiet --out '" + outDir.string() + "'";
  const Outcome o = runDfsim(args);
  INFO(o.err);
  REQUIRE(o.code == 0);
  CHECK(o.err.empty());
  CHECK(contains(o.out, "TOTAL"));
  CHECK(contains(o.out, "Per-dataflow summary"));

  const nlohmann::json stats = nlohmann::json::parse(dfsim::test::readFile(outDir / "stats.json"));
  REQUIRE(stats["layers"].size() == 7);  // c1 under six dataflows, then p1
  CHECK(stats["layers"][0]["dataflow"] == "ws");
  CHECK(stats["layers"][5]["dataflow"] == "rs");
  CHECK(stats["layers"][6]["dataflow"] == "-");
  for (std::size_t i = 0; i < 6; ++i) {
    CHECK(stats["layers"][i]["macs"] == 8 * 4 * 6 * 6 * 9);
    CHECK(stats["layers"][i]["check"] == "passed");
  }
  CHECK(stats["totals"].size() == 6);
  const std::string csv = dfsim::test::readFile(outDir / "layers.csv");
  CHECK(lineCount(csv) == 8);

  // Wall times go to timing.json, one entry per simulated layer x dataflow, never to stats.json.
  const nlohmann::json timing =
      nlohmann::json::parse(dfsim::test::readFile(outDir / "timing.json"));
  REQUIRE(timing["jobs"].size() == 6);
  CHECK(timing["jobs"][0]["layer"] == "c1");
  CHECK(timing["jobs"][5]["dataflow"] == "rs");
  CHECK(timing["jobs"][0]["mapper"] == "default");
  CHECK(timing["jobs"][0]["search"]["tried"] == 0);
  CHECK(timing["jobs"][0]["simulated_cycles"] == stats["layers"][0]["cycles"]["total"]);
  CHECK(timing["simulate_seconds"].get<double>() > 0.0);

  // Same inputs, same bytes.
  const std::string firstStats = dfsim::test::readFile(outDir / "stats.json");
  REQUIRE(runDfsim(args).code == 0);
  CHECK(dfsim::test::readFile(outDir / "stats.json") == firstStats);
  CHECK(dfsim::test::readFile(outDir / "layers.csv") == csv);
}

TEST_CASE("a mapping written by --out runs again with --mapping and gives identical stats",
          "[cli]") {
  const dfsim::test::TempDir scratch("mapping");
  const std::string first = (scratch.path() / "first").string();
  const std::string second = (scratch.path() / "second").string();
  const std::string base =
      "run --arch configs/arch/tiny_4x4.json --network models/tiny_net.json --check -q ";
  const Outcome a = runDfsim(base + "--dataflow rs --layer conv2 --out '" + first + "'");
  REQUIRE(a.code == 0);
  const fs::path saved = fs::path(first) / "mappings" / "conv2.rs.json";
  REQUIRE(fs::exists(saved));
  CHECK(fs::exists(fs::path(first) / "mappings" / "conv2.rs.txt"));
  const Outcome b =
      runDfsim(base + "--layer conv2 --mapping '" + saved.string() + "' --out '" + second + "'");
  REQUIRE(b.code == 0);
  const auto statsA = nlohmann::json::parse(dfsim::test::readFile(fs::path(first) / "stats.json"));
  const auto statsB = nlohmann::json::parse(dfsim::test::readFile(fs::path(second) / "stats.json"));
  REQUIRE(statsA["layers"].size() == 1);
  REQUIRE(statsB["layers"].size() == 1);
  // Everything but how the mapping was made ("default" first, "file" the second time).
  auto rowA = statsA["layers"][0];
  auto rowB = statsB["layers"][0];
  CHECK(rowA["mapper"]["kind"] == "default");
  CHECK(rowB["mapper"]["kind"] == "file");
  rowA.erase("mapper");
  rowB.erase("mapper");
  CHECK(rowA == rowB);
  CHECK(dfsim::test::readFile(saved) ==
        dfsim::test::readFile(fs::path(second) / "mappings" / "conv2.rs.json"));
}

TEST_CASE("a ragged mapping file runs, passes --check and is written back with its tiles",
          "[cli][ragged]") {
  const dfsim::test::TempDir scratch("raggedmapping");
  const fs::path file = scratch.path() / "m.json";
  // 4 filters over 3 array rows: 2 tiles of 3, the last 1 (one row idles in the second step).
  std::ofstream(file) << R"({"layer": "conv", "dataflow": "ragged",
    "dram": [{"dim": "M", "bound": 2, "tile": 3}, {"dim": "C", "bound": 2},
             {"dim": "P", "bound": 4}, {"dim": "R", "bound": 3}],
    "spatial": [{"dim": "M", "bound": 3, "axis": "rows"}, {"dim": "Q", "bound": 4, "axis": "cols"}],
    "rf": [{"dim": "S", "bound": 3}],
    "glb_keeps": ["weights", "inputs", "outputs"], "rf_keeps": ["weights", "inputs", "outputs"]})";
  const std::string out = (scratch.path() / "r").string();
  const Outcome o = runDfsim(
      "run --arch configs/arch/tiny_4x4.json --network models/tiny_conv.json --check -q "
      "--mapping '" +
      file.string() + "' --out '" + out + "'");
  INFO(o.err);
  REQUIRE(o.code == 0);
  const auto stats = nlohmann::json::parse(dfsim::test::readFile(fs::path(out) / "stats.json"));
  REQUIRE(stats["layers"].size() == 1);
  CHECK(stats["layers"][0]["check"] == "passed");
  CHECK(stats["layers"][0]["macs"] == 1152);
  CHECK(stats["layers"][0]["active_pes"] == 12);
  CHECK(stats["layers"][0]["mapper"]["tiling"] == nullptr);
  CHECK(stats["layers"][0]["mapper"]["ragged_tiles"] == true);
  const auto written =
      nlohmann::json::parse(dfsim::test::readFile(fs::path(out) / "mappings" / "conv.ragged.json"));
  CHECK(written["dram"][0]["tile"] == 3);
  CHECK(contains(dfsim::test::readFile(fs::path(out) / "mappings" / "conv.ragged.txt"),
                 "tiles of 3, the last one clipped to M=4"));
}

TEST_CASE("a bad mapping file is refused with exit 2 before simulating", "[cli]") {
  const dfsim::test::TempDir scratch("badmapping");
  const fs::path file = scratch.path() / "m.json";
  const std::string base =
      "run --arch configs/arch/tiny_4x4.json --network models/tiny_net.json --mapping '" +
      file.string() + "'";
  SECTION("an unknown dimension") {
    std::ofstream(file) << R"({"layer": "conv1", "dram": [{"dim": "X", "bound": 2}],
      "glb_keeps": ["weights"], "rf_keeps": []})";
    const Outcome o = runDfsim(base);
    CHECK(o.code == 2);
    CHECK(lineCount(o.err) == 1);
    CHECK(
        contains(o.err, "mapping.dram[0].dim: expected one of N, G, M, C, P, Q, R, S, got \"X\""));
  }
  SECTION("loop bounds that do not multiply to the layer") {
    std::ofstream(file) << R"({"layer": "conv1", "dram": [{"dim": "M", "bound": 3}],
      "glb_keeps": ["weights", "inputs", "outputs"], "rf_keeps": []})";
    const Outcome o = runDfsim(base);
    CHECK(o.code == 2);
    CHECK(contains(o.err,
                   "loop bounds over N multiply to 1, expected 2 (the layer's N, or a little more "
                   "with a ragged last tile)"));
  }
  SECTION("a layer the network does not have") {
    std::ofstream(file) << R"({"layer": "conv9", "glb_keeps": [], "rf_keeps": []})";
    const Outcome o = runDfsim(base);
    CHECK(o.code == 2);
    CHECK(contains(o.err, "mapping.layer: expected a conv or fc layer"));
  }
}

TEST_CASE("dfsim run --search reports what it tried in stats.json and its time in timing.json",
          "[cli]") {
  const dfsim::test::TempDir scratch("search");
  const fs::path outDir = scratch.path() / "r";
  const Outcome o = runDfsim(
      "run --arch configs/arch/tiny_4x4.json --network models/tiny_net.json --layer conv2 "
      "--dataflow ws --objective edp --check -q --out '" +
      outDir.string() + "'");
  INFO(o.err);
  REQUIRE(o.code == 0);
  const nlohmann::json stats = nlohmann::json::parse(dfsim::test::readFile(outDir / "stats.json"));
  REQUIRE(stats["layers"].size() == 1);
  const nlohmann::json& mapper = stats["layers"][0]["mapper"];
  CHECK(mapper["kind"] == "search:edp");
  CHECK(mapper["tried"].get<std::int64_t>() >= mapper["scored"].get<std::int64_t>());
  CHECK(mapper["scored"].get<std::int64_t>() > 0);
  CHECK(stats["layers"][0]["check"] == "passed");
  const nlohmann::json timing =
      nlohmann::json::parse(dfsim::test::readFile(outDir / "timing.json"));
  REQUIRE(timing["jobs"].size() == 1);
  CHECK(timing["jobs"][0]["mapper"] == "search:edp");
  CHECK(timing["jobs"][0]["search"]["tried"] == mapper["tried"]);
  CHECK(timing["jobs"][0]["search"]["valid"] == mapper["tried"]);
  CHECK(mapper["scored"].get<std::int64_t>() ==
        mapper["tried"].get<std::int64_t>() -
            timing["jobs"][0]["search"]["pruned"].get<std::int64_t>());
  CHECK(timing["jobs"][0]["search"]["seconds"].get<double>() > 0.0);
}

TEST_CASE("dfsim run --dataflow takes a list, and --out writes the resolved configs to config.json",
          "[cli]") {
  const dfsim::test::TempDir scratch("list");
  const fs::path outDir = scratch.path() / "r";
  const std::string base =
      "run --arch configs/arch/tiny_4x4.json --network models/tiny_conv.json "
      "--set arch.dram.latency_cycles=7 ";
  const Outcome o = runDfsim(base + "--dataflow rs,ws --fast -q --out '" + outDir.string() + "'");
  INFO(o.err);
  REQUIRE(o.code == 0);
  const nlohmann::json stats = nlohmann::json::parse(dfsim::test::readFile(outDir / "stats.json"));
  REQUIRE(stats["layers"].size() == 2);
  CHECK(stats["layers"][0]["dataflow"] == "rs");  // in the order given
  CHECK(stats["layers"][1]["dataflow"] == "ws");
  const Outcome dump = runDfsim(base + "--dump-config");
  REQUIRE(dump.code == 0);
  CHECK(dfsim::test::readFile(outDir / "config.json") == dump.out);
  CHECK(nlohmann::json::parse(dump.out)["arch"]["levels"][0]["latency_cycles"] == 7);
}

TEST_CASE(
    "dfsim run --tiling: ragged (the default) spreads a 997-in, 31-out FC layer over at "
    "least 150 of eyeriss's 168 PEs, perfect over 1, and a bad kind is exit 2",
    "[cli]") {
  const dfsim::test::TempDir scratch("tiling");
  const fs::path net = scratch.path() / "fc997.json";
  dfsim::test::writeFile(net, R"({"name": "fc997", "batch": 1, "layers": [
      {"name": "fc", "type": "fc", "in_features": 997, "out_features": 31}]})");
  const std::string base = "run --arch configs/arch/eyeriss.json --network '" + net.string() +
                           "' --dataflow all --check -q";
  auto mostPes = [&](const std::string& extra, const std::string& tag) {
    const fs::path outDir = scratch.path() / tag;
    const Outcome o = runDfsim(base + extra + " --out '" + outDir.string() + "'");
    INFO(o.err);
    REQUIRE(o.code == 0);
    const nlohmann::json stats =
        nlohmann::json::parse(dfsim::test::readFile(outDir / "stats.json"));
    std::int64_t most = 0;
    const bool perfect = extra.find("perfect") != std::string::npos;
    for (const nlohmann::json& row : stats["layers"]) {
      CHECK(row["check"] == "passed");
      CHECK(row["mapper"]["tiling"] == (perfect ? "perfect" : "ragged"));
      if (perfect) CHECK(row["mapper"]["ragged_tiles"] == false);
      most = std::max(most, row["active_pes"].get<std::int64_t>());
    }
    return most;
  };
  CHECK(mostPes("", "default") >= 150);
  CHECK(mostPes(" --tiling ragged --search --objective edp", "search") >= 150);
  CHECK(mostPes(" --tiling perfect", "perfect") == 1);
  const Outcome bad = runDfsim(base + " --tiling square");
  CHECK(bad.code == 2);
  CHECK(contains(bad.err, "--tiling square: expected ragged or perfect"));
}
