// Arithmetic at the edges of what the readers accept (issue 12): loop bounds whose product
// passes 2^63, ports of 2^40 words per cycle in long runs, latencies that would take a run past
// 2^62 cycles, clocks from the smallest double to 1 THz, and energy costs whose products would
// be infinite.
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "common/checked_math.hpp"
#include "common/errors.hpp"
#include "dataflow/default_mapper.hpp"
#include "io/readers.hpp"
#include "mapping/validate_mapping.hpp"
#include "run_dfsim.hpp"
#include "sim/bandwidth_port.hpp"
#include "sim/simulate_layer.hpp"
#include "temp_dir.hpp"
#include "test_support.hpp"

using namespace dfsim;
using nlohmann::json;

namespace {

constexpr std::int64_t kTwo40 = std::int64_t{1} << 40;

// 687084323673 * 53695721 = 1 + 2 * 2^64: two bounds of at most 2^40 whose int64 product wraps
// to exactly 1, the size of a batch-1 layer's N.
constexpr std::int64_t kWrapA = 687084323673;
constexpr std::int64_t kWrapB = 53695721;

/// A legal mapping of `layer` with every loop at DRAM, nothing in the RF, plus `extra` DRAM loops
/// in front.
Mapping allAtDram(const Layer& layer, const std::vector<Loop>& extra) {
  Mapping m;
  m.dramLoops = extra;
  for (Dim d : {test::cd::M, test::cd::C, test::cd::P, test::cd::Q, test::cd::R, test::cd::S}) {
    if (layer.shape().size(d) > 1) m.dramLoops.push_back({d, layer.shape().size(d)});
  }
  m.rfKeeps = {{false, false, false}};
  return m;
}

std::string messageOf(const std::function<void()>& f) {
  try {
    f();
  } catch (const InputError& e) {
    return e.what();
  }
  return "(no InputError)";
}

}  // namespace

TEST_CASE("checked arithmetic reports overflow instead of wrapping", "[common][overflow]") {
  const std::int64_t big = std::numeric_limits<std::int64_t>::max();
  CHECK(checkedMul(std::int64_t{3}, std::int64_t{7}) == std::optional<std::int64_t>(21));
  CHECK_FALSE(checkedMul(kWrapA, kWrapB).has_value());
  CHECK_FALSE(checkedMul(kTwo40, kTwo40).has_value());
  CHECK_FALSE(checkedAdd(big, std::int64_t{1}).has_value());
  CHECK(checkedAdd(big - 1, std::int64_t{1}) == std::optional<std::int64_t>(big));
  CHECK_FALSE(checkedMul(std::uint64_t{1} << 32, std::uint64_t{1} << 32).has_value());
  CHECK_FALSE(checkedAdd(~std::uint64_t{0}, std::uint64_t{1}).has_value());
  CHECK_FALSE(mulOpt(mulOpt(kTwo40, 2), kTwo40).has_value());
  CHECK_FALSE(addOpt(std::nullopt, 1).has_value());
  CHECK(addOpt(mulOpt(kTwo40, 4), 1) == std::optional<std::int64_t>(4 * kTwo40 + 1));
}

TEST_CASE("a mapping whose bounds multiply past 2^63 is refused with the loop's path",
          "[mapping][overflow]") {
  const Layer layer = test::conv("c1", 1, 4, 8, 8, 3);
  const ArchSpec arch = test::arch(4, 4, 16, 1024, true);
  REQUIRE_NOTHROW(validateMapping(layer, arch, allAtDram(layer, {}), "m.json"));
  // On main the product wrapped to 1 == N and the mapping passed, to crash the simulator.
  const Mapping m = allAtDram(layer, {{test::cd::N, kWrapA}, {test::cd::N, kWrapB}});
  CHECK(messageOf([&] { validateMapping(layer, arch, m, "m.json"); }) ==
        "m.json: mapping.dram[1].bound: loop bounds over N multiply to more than 2^63 here, "
        "expected a product of 1 (the layer's N)");

  Mapping spatial = allAtDram(layer, {});
  spatial.spatialLoops = {{test::cd::N, kWrapA, Axis::Rows}, {test::cd::N, kWrapB, Axis::Cols}};
  CHECK(messageOf([&] { validateMapping(layer, arch, spatial, "s.json"); }) ==
        "s.json: mapping.spatial[1].bound: loop bounds over N multiply to more than 2^63 here, "
        "expected a product of 1 (the layer's N)");
}

TEST_CASE("a port of 2^40 units per cycle stays exact far past 2^24 cycles", "[sim][overflow]") {
  // On main the port kept its time in units of 1/W cycle: 2^30 cycles * 2^40 wrapped to 0.
  const auto w = static_cast<std::uint64_t>(kTwo40);
  const Cycle now(std::uint64_t{1} << 30);
  BandwidthPort port(w, 5);
  CHECK(port.reserve(now, 3 * w).count() == now.count() + 3 + 5);
  CHECK(port.backlogUnits(now) == 3 * w);
  CHECK(port.backlogUnits(Cycle(now.count() + 3)) == 0);
  // Back to back, fractions of a cycle pack without rounding: 1.5 + 1.5 cycles end at +6.
  CHECK(port.reserve(now, w + w / 2).count() == now.count() + 3 + 2 + 5);
  CHECK(port.reserve(now, w + w / 2).count() == now.count() + 6 + 5);
  CHECK(port.freeAt().count() == now.count() + 6);
  port.carryBacklog(now, Cycle(now.count() + 100));
  CHECK(port.freeAt().count() == now.count() + 106);
  CHECK(port.backlogUnits(Cycle(now.count() + 100)) == 6 * w);
}

TEST_CASE("latencies that could take a run past 2^62 cycles are refused before simulating",
          "[mapping][overflow]") {
  const Layer layer = test::conv("c1", 1, 64, 64, 34, 3);
  ArchSpec arch = test::arch(4, 4, 16, 1024, true);
  const Mapping m = defaultMapping(layer, arch, Dataflow::RS);
  REQUIRE_NOTHROW(validateMapping(layer, arch, m, "rs"));
  arch.dram.latencyCycles = kTwo40;
  CHECK(messageOf([&] { validateMapping(layer, arch, m, "rs"); }) ==
        "rs: with arch.dram.latency_cycles=1099511627776, arch.glb.latency_cycles=2, "
        "arch.noc.hop_latency_cycles=1 the simulation of layer c1 could pass the limit of 2^62 "
        "cycles; expected smaller latencies");
}

TEST_CASE("cycles and counts do not depend on the clock", "[sim][overflow]") {
  // The arch reader accepts every clock in (0, 1e6] MHz. On main the period was rounded to
  // whole picoseconds: the smallest clocks overflowed sc_time and changed the cycle count.
  const json base = json::parse(R"({"name": "c", "word_bits": 16, "clock_mhz": 200,
    "pe_array": {"rows": 4, "cols": 4}, "rf": {"words": 16},
    "glb": {"size_kib": 2, "read_words_per_cycle": 4, "latency_cycles": 2},
    "noc": {"words_per_cycle": 3, "hop_latency_cycles": 1},
    "dram": {"bytes_per_cycle": 4, "latency_cycles": 10}})");
  const Layer layer = test::conv("c1", 1, 4, 8, 8, 3);
  std::vector<SimResult> results;
  for (const double mhz : {200.0, 1.0, 1e6, 1e-12, std::numeric_limits<double>::denorm_min()}) {
    json doc = base;
    doc["clock_mhz"] = mhz;
    const ArchSpec arch = archFromJson(doc, "clock.json");
    const Mapping m = defaultMapping(layer, arch, Dataflow::RS);
    SimOptions opt;
    opt.check = true;
    results.push_back(simulateLayer(layer, arch, m, opt));
    INFO("clock " << mhz << " MHz");
    CHECK(results.back().checked);
    CHECK(test::describe(results.back().cycles) == test::describe(results.front().cycles));
    CHECK(results.back().counts == results.front().counts);
  }
  CHECK(results.front().cycles.total.count() > 1000);
}

TEST_CASE("a clock above 1e6 MHz is refused with its unit", "[io][overflow]") {
  json doc = json::parse(R"({"name": "c", "word_bits": 16, "clock_mhz": 1e6,
    "pe_array": {"rows": 1, "cols": 1}, "rf": {"words": 0}, "glb": {"size_kib": 0},
    "dram": {"bytes_per_cycle": "unlimited"}})");
  CHECK_NOTHROW(archFromJson(doc, "a.json"));
  doc["clock_mhz"] = 3e9;
  CHECK(messageOf([&] { archFromJson(doc, "a.json"); }) ==
        "a.json: arch.clock_mhz: expected a number in (0, 1e6] MHz, got 3000000000.0 (a clock in "
        "Hz?)");
  doc["clock_mhz"] = -1;
  CHECK(messageOf([&] { archFromJson(doc, "a.json"); }) ==
        "a.json: arch.clock_mhz: expected a number in (0, 1e6] MHz, got -1");
}

TEST_CASE("energy costs whose products would be infinite are refused", "[io][overflow]") {
  json doc = json::parse(R"({"name": "e", "unit": "pJ", "word_bits": 16, "mac": 1,
    "rf": {"read": 1, "write": 1}, "noc": {"per_word": 2}, "glb": {"read": 6, "write": 6},
    "dram": {"read": 200, "write": 200}, "leakage_per_cycle": 1e15})");
  CHECK_NOTHROW(energyFromJson(doc, "e.json"));
  doc["dram"]["read"] = 1e308;
  CHECK(messageOf([&] { energyFromJson(doc, "e.json"); }) ==
        "e.json: energy.dram.read: expected a number in [0, 1e15], got 1e+308");
}

TEST_CASE("huge energy costs never put null or inf into the results", "[cli][overflow]") {
  // On main this run exited 0 and wrote null into stats.json and inf into layers.csv.
  const test::TempDir tmp("overflow");
  const std::string dir = tmp.path().string();
  const std::string energy = R"({"name": "e", "unit": "pJ", "word_bits": 16, "mac": 1e308,
    "rf": {"read": 1e308, "write": 1}, "noc": {"per_word": 2}, "glb": {"read": 6, "write": 6},
    "dram": {"read": 1e308, "write": 200}})";
  std::ofstream(tmp.path() / "energy.json") << energy;
  const std::string args =
      "run --arch configs/arch/tiny_4x4.json --network models/tiny_conv.json "
      "--dataflow rs --quiet --energy '" +
      dir + "/energy.json' --out '" + dir + "/out'";
  const test::Outcome o = test::runDfsim(args, tmp.path());
  CHECK(o.code == 2);
  CHECK(o.err == "dfsim: error: " + dir +
                     "/energy.json: energy.mac: expected a number in [0, 1e15], got 1e+308\n");
  const std::filesystem::path stats = tmp.path() / "out" / "stats.json";
  const std::filesystem::path csv = tmp.path() / "out" / "layers.csv";
  if (std::filesystem::exists(stats))
    CHECK(test::readFile(stats).find("null") == std::string::npos);
  if (std::filesystem::exists(csv)) CHECK(test::readFile(csv).find("inf") == std::string::npos);

  // The largest costs accepted give finite figures everywhere.
  const std::string largest = R"({"name": "e", "unit": "pJ", "word_bits": 16, "mac": 1e15,
    "rf": {"read": 1e15, "write": 1e15}, "noc": {"per_word": 1e15},
    "glb": {"read": 1e15, "write": 1e15}, "dram": {"read": 1e15, "write": 1e15},
    "leakage_per_cycle": 1e15})";
  std::ofstream(tmp.path() / "energy.json") << largest;
  const test::Outcome ok = test::runDfsim(args + " --objective edp", tmp.path());
  REQUIRE(ok.code == 0);
  const std::string statsText = test::readFile(stats);
  const std::string csvText = test::readFile(csv);
  CHECK(statsText.find("null") == std::string::npos);
  CHECK(csvText.find("inf") == std::string::npos);
  CHECK(csvText.find("nan") == std::string::npos);
  CHECK(json::parse(statsText)["layers"][0]["energy"]["total"].get<double>() > 1e15);
}
