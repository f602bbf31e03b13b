// DRAM models behind the off-chip level (src/sim/dram_model.hpp): the row-buffer model's cycles
// worked by hand, event by event (Ramulator 2's boundary-cycle style); zero timings equal the
// bandwidth bus; in the simulators it changes no count, every DRAM byte passes through it, and
// functional and fast mode agree; the arch files' "model" object and its errors.
#include <optional>
#include <random>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "arch/hierarchy.hpp"
#include "common/errors.hpp"
#include "dataflow/default_mapper.hpp"
#include "io/readers.hpp"
#include "mapping/analytic_model.hpp"
#include "mapping/hierarchy_model.hpp"
#include "mapping/validate_loop_nest.hpp"
#include "mapping/validate_mapping.hpp"
#include "random_hierarchy.hpp"
#include "sim/dram_model.hpp"
#include "sim/hierarchy_sim.hpp"
#include "sim/simulate_layer.hpp"
#include "test_support.hpp"

using namespace dfsim;
using namespace dfsim::test;
using nlohmann::json;

namespace {

/// 2 banks of 64-byte rows, 16-byte bursts; tRCD 3, tCAS 2, tRP 4 cycles; a bus of 8 bytes per
/// cycle and 1 cycle of latency.
RowBufferDramModel smallModel(std::uint64_t tRefi, std::uint64_t tRfc) {
  DramTimingCycles c;
  c.banks = 2;
  c.rowBytes = 64;
  c.burstBytes = 16;
  c.tRcd = 3;
  c.tCas = 2;
  c.tRp = 4;
  c.tRefi = tRefi;
  c.tRfc = tRfc;
  return RowBufferDramModel(c, 8, 1);
}

std::uint64_t at(Cycle c) {
  return c.count();
}

/// A zero-timing row-buffer spec: one bank, one-byte bursts, rows of 1 MiB, no refresh.
DramTimingSpec zeroTimings() {
  DramTimingSpec d;
  d.kind = DramTimingSpec::Kind::RowBuffer;
  d.banks = 1;
  d.rowBytes = 1 << 20;
  d.burstBytes = 1;
  d.tRcdNs = 0;
  d.tCasNs = 0;
  d.tRpNs = 0;
  d.tRefiNs = 0;
  d.tRfcNs = 0;
  return d;
}

ArchSpec withDram(ArchSpec a, const DramTimingSpec& d) {
  Hierarchy h = a.hierarchy();
  h.entries[0].storage.dramTiming = d;
  setHierarchy(a, h);
  return a;
}

std::int64_t dramBytes(const AccessCounts& c, const ArchSpec& a) {
  const Hierarchy h = a.hierarchy();
  std::int64_t bytes = 0;
  for (Tensor t : kAllTensors) {
    const std::int64_t bits =
        h.entries[0].storage.tensorBits[t] > 0 ? h.entries[0].storage.tensorBits[t] : a.bitsOf(t);
    bytes += (c(0, t).reads + c(0, t).writes) * ((bits + 7) / 8);
  }
  return bytes;
}

std::string archError(const json& doc) {
  try {
    archFromJson(doc, "FILE");
  } catch (const InputError& e) {
    return e.what();
  }
  return "no error";
}

json baseArch() {
  return json::parse(R"({
    "name": "t", "word_bits": 16, "clock_mhz": 200,
    "pe_array": {"rows": 2, "cols": 3},
    "rf": {"words": 8},
    "glb": {"size_kib": 1},
    "dram": {"bytes_per_cycle": 4}
  })");
}

}  // namespace

TEST_CASE("row buffer DRAM: the cycle of every burst of hits, misses and conflicts",
          "[dram_model]") {
  RowBufferDramModel m = smallModel(0, 0);
  // Bank 0 closed: activate at 0, column at 3, data 5..7 on the bus, +1 latency.
  CHECK(at(m.access(Cycle(0), 0, 16, false)) == 8);
  // Same row: a hit, column at 3 (the bank's last command), data waits for the bus: 7..9.
  CHECK(at(m.access(Cycle(0), 16, 16, false)) == 10);
  // Byte 64 is row 1 of the device: bank 1, closed: column at 3, data 9..11 (bus order).
  CHECK(at(m.access(Cycle(0), 64, 16, true)) == 12);
  // Byte 128: bank 0's row 1 while its row 0 is open: precharge at 3, activate at 7, column
  // at 10, data 12..14.
  CHECK(at(m.access(Cycle(0), 128, 16, false)) == 15);
  // Two bursts (bytes 130..149: bursts 128 and 144) of the open row at 20: columns at 20, data
  // 22..24 and 24..26.
  CHECK(at(m.access(Cycle(20), 130, 20, false)) == 27);
  const DramRowStats s = m.rowStats();
  CHECK(s.hits == 3);
  CHECK(s.misses == 2);
  CHECK(s.conflicts == 1);
}

TEST_CASE("row buffer DRAM: a refresh window delays the next command and closes every row",
          "[dram_model]") {
  RowBufferDramModel m = smallModel(100, 10);
  CHECK(at(m.access(Cycle(0), 0, 16, false)) == 8);     // miss: column 3, data 5..7
  CHECK(at(m.access(Cycle(50), 16, 16, false)) == 55);  // hit at 50: data 52..54
  // 102 falls in the window [100, 110): the command waits for 110 and the row is closed.
  CHECK(at(m.access(Cycle(102), 32, 16, false)) == 118);  // activate 110, column 113, data 115..117
  // Past the window, before the next one: a hit again.
  CHECK(at(m.access(Cycle(150), 48, 16, false)) == 155);
  const DramRowStats s = m.rowStats();
  CHECK(s.hits == 2);
  CHECK(s.misses == 2);
  CHECK(s.conflicts == 0);
}

TEST_CASE("row buffer DRAM with zero timings and one-byte bursts is the bandwidth bus",
          "[dram_model]") {
  std::mt19937_64 rng(20261206);
  for (int trial = 0; trial < 200; ++trial) {
    const std::uint64_t perCycle = static_cast<std::uint64_t>(pick(rng, 0, 9));
    const std::uint64_t latency = static_cast<std::uint64_t>(pick(rng, 0, 5));
    BandwidthDramModel bus(perCycle, latency);
    const auto fast = makeDramModel(zeroTimings(), static_cast<std::int64_t>(perCycle),
                                    static_cast<std::int64_t>(latency), 200.0);
    std::uint64_t now = 0;
    for (int r = 0; r < 30; ++r) {
      now += static_cast<std::uint64_t>(pick(rng, 0, 6));
      const auto bytes = static_cast<std::uint64_t>(pick(rng, 1, 40));
      const auto address = static_cast<std::uint64_t>(pick(rng, 0, 5000));
      INFO("trial " << trial << " request " << r);
      CHECK(at(fast->access(Cycle(now), address, bytes, r % 3 == 0)) ==
            at(bus.access(Cycle(now), address, bytes, r % 3 == 0)));
    }
  }
}

TEST_CASE("DRAM timings in nanoseconds become core cycles rounded up", "[dram_model]") {
  const DramTimingSpec lpddr4;  // the defaults: LPDDR4-3200, 8 Gb
  const DramTimingCycles at200 = DramTimingCycles::of(lpddr4, 200.0);
  CHECK(at200.tRcd == 4);  // 18 ns = 3.6 cycles
  CHECK(at200.tCas == 4);  // 17.5 ns = 3.5
  CHECK(at200.tRp == 4);
  CHECK(at200.tRefi == 781);  // 3904 ns = 780.8
  CHECK(at200.tRfc == 56);    // 280 ns exactly
  const DramTimingCycles at1000 = DramTimingCycles::of(lpddr4, 1000.0);
  CHECK(at1000.tRcd == 18);
  CHECK(at1000.tCas == 18);
  CHECK(at1000.tRefi == 3904);
}

TEST_CASE("a row buffer DRAM changes no count and every DRAM byte passes through it",
          "[dram_model]") {
  std::mt19937_64 rng(20261207);
  const int trials = cases(160, 30);
  int refused = 0;
  // Every case is generated and validated before any simulation runs: under AddressSanitizer an
  // exception thrown on the main stack after SystemC has switched coroutine stacks is reported
  // as a false stack-use-after-scope (google/sanitizers#189), so no throw follows a run.
  struct Case {
    Layer layer;
    ArchSpec bandwidth;
    ArchSpec zero;
    ArchSpec lpddr4;
    LoopNest nest;
    std::string described;
  };
  std::vector<Case> valid;
  for (int trial = 0; trial < trials; ++trial) {
    const Layer l = smallPrimeLayer(trial, rng);
    const ProblemShape s = l.shape();
    Hierarchy h = randomHierarchy(rng);
    h.entries[0].storage.bytesPerCycle = pick(rng, 0, 8);
    h.entries[0].storage.latencyCycles = pick(rng, 0, 20);
    ArchSpec bandwidth = arch(1, 1, 1 << 20, 1 << 24, false);
    setHierarchy(bandwidth, h);
    const LoopNest n = randomNest(s, h, rng);
    try {
      validateLoopNest(s, bandwidth, bandwidth.hierarchy(), n, "random");
    } catch (const InputError&) {
      continue;
    }
    const ArchSpec zero = withDram(bandwidth, zeroTimings());
    const ArchSpec lpddr4 = withDram(bandwidth, [] {
      DramTimingSpec d;
      d.kind = DramTimingSpec::Kind::RowBuffer;
      d.tRefiNs = 390.4;  // refresh often, so small layers see windows
      d.tRfcNs = 28.0;
      return d;
    }());
    // A tensor no on-chip level keeps streams from DRAM through the latches: refused up front.
    bool latched = false;
    for (Tensor t : kAllTensors) {
      bool kept = false;
      for (std::size_t k = 1; k < n.levels.size(); ++k) kept = kept || n.levels[k].keeps[t];
      latched = latched || !kept;
    }
    if (latched) {
      CHECK_THROWS_AS(validateLoopNest(s, zero, zero.hierarchy(), n, "random"), InputError);
      ++refused;
      continue;
    }
    REQUIRE_NOTHROW(validateLoopNest(s, zero, zero.hierarchy(), n, "random"));
    REQUIRE_NOTHROW(validateLoopNest(s, lpddr4, lpddr4.hierarchy(), n, "random"));
    valid.push_back({l, bandwidth, zero, lpddr4, n, describe(h, n, s)});
  }
  for (const Case& c : valid) {
    const Layer& l = c.layer;
    const ArchSpec& bandwidth = c.bandwidth;
    const ArchSpec& zero = c.zero;
    const ArchSpec& lpddr4 = c.lpddr4;
    const LoopNest& n = c.nest;
    const ProblemShape s = l.shape();
    INFO(c.described);
    SimOptions functional;
    functional.check = true;
    const SimResult want = simulateHierarchy(l, bandwidth, n, functional);
    const SimResult z = simulateHierarchy(l, zero, n, functional);
    CHECK(z.checked);
    CHECK(z.counts == want.counts);
    CHECK(describe(z.cycles) == describe(want.cycles));
    // One-byte bursts: every byte DRAM moved was one burst of the model.
    const DramRowStats zs = z.dramRows;
    CHECK(zs.hits + zs.misses + zs.conflicts == dramBytes(want.counts, bandwidth));
    CHECK(want.dramRows.hits + want.dramRows.misses + want.dramRows.conflicts == 0);

    const SimResult r = simulateHierarchy(l, lpddr4, n, functional);
    CHECK(r.checked);
    CHECK(r.counts == want.counts);
    CHECK(r.counts == analyticCounts(s, lpddr4.hierarchy(), n));
    CHECK(r.dramRows.hits + r.dramRows.misses + r.dramRows.conflicts > 0);
    SimOptions fast;
    fast.functional = false;
    const SimResult rf = simulateHierarchy(l, lpddr4, n, fast);
    CHECK(rf.counts == r.counts);
    CHECK(describe(rf.cycles) == describe(r.cycles));
    CHECK(rf.stepsSkipped == 0);  // the model's state is not a backlog: no skipping ahead
    CHECK(rf.dramRows.hits == r.dramRows.hits);
    CHECK(rf.dramRows.conflicts == r.dramRows.conflicts);
  }
  CHECK(static_cast<int>(valid.size()) >= trials / 5);
  CHECK(refused > 0);
}

TEST_CASE("a 4-level arch with a row buffer DRAM keeps its counts under every dataflow",
          "[dram_model]") {
  DramTimingSpec d;
  d.kind = DramTimingSpec::Kind::RowBuffer;
  ArchSpec a = eyerissLike();
  a.dram.timing = d;
  ArchSpec plain = eyerissLike();
  // Validated first, simulated after: no exception is thrown once SystemC has run (see above).
  struct Case {
    Dataflow dataflow;
    Layer layer;
    Mapping mapping;
  };
  std::vector<Case> valid;
  for (Dataflow df : {Dataflow::WS, Dataflow::OS_A, Dataflow::OS_B, Dataflow::OS_C, Dataflow::NLR,
                      Dataflow::RS}) {
    for (const Layer& layer : {conv("c", 1, 3, 4, 9, 3), conv("s2", 2, 2, 3, 7, 3, 2, 1)}) {
      INFO(dataflowName(df) << " " << layer.name);
      const Mapping m = defaultMapping(layer, a, df);
      try {
        validateMapping(layer, a, m, "test");
      } catch (const InputError& e) {
        // Only a tensor streamed from DRAM into the latches is refused.
        CHECK(std::string(e.what()).find("row_buffer DRAM model needs every tensor") !=
              std::string::npos);
        continue;
      }
      valid.push_back({df, layer, m});
    }
  }
  CHECK(valid.size() >= 6);
  for (const Case& c : valid) {
    INFO(dataflowName(c.dataflow) << " " << c.layer.name);
    SimOptions opt;
    opt.check = true;
    const SimResult r = simulateLayer(c.layer, a, c.mapping, opt);
    CHECK(r.checked);
    CHECK(r.counts == analyticCounts(c.layer.shape(), a, c.mapping));
    const SimResult p = simulateLayer(c.layer, plain, c.mapping, opt);
    CHECK(r.counts == p.counts);
    CHECK(r.dramRows.hits + r.dramRows.misses + r.dramRows.conflicts > 0);
  }
}

TEST_CASE("arch files: the DRAM model object, its defaults, round trip and errors",
          "[dram_model][io]") {
  json d = baseArch();
  d["dram"]["model"] = {{"kind", "row_buffer"}, {"banks", 4}, {"t_rcd_ns", 15}};
  const ArchSpec a = archFromJson(d, "FILE");
  CHECK(a.dram.timing.kind == DramTimingSpec::Kind::RowBuffer);
  CHECK(a.dram.timing.banks == 4);
  CHECK(a.dram.timing.tRcdNs == 15.0);
  CHECK(a.dram.timing.rowBytes == 2048);  // a default
  // Written in the levels form and read back equal.
  const json written = archToJson(a);
  CHECK(written["levels"][0]["model"]["kind"] == "row_buffer");
  CHECK(archToJson(archFromJson(written, "dump")) == written);
  // The default model is not written (outputs of today's configs are unchanged).
  CHECK(archToJson(archFromJson(baseArch(), "FILE"))["levels"][0].count("model") == 0);
  d["dram"]["model"] = {{"kind", "bandwidth"}};
  CHECK(archFromJson(d, "FILE").dram.timing.kind == DramTimingSpec::Kind::Bandwidth);

  d["dram"]["model"] = {{"kind", "ddr"}};
  CHECK(archError(d) ==
        "FILE: arch.dram.model.kind: expected \"bandwidth\" or \"row_buffer\", got \"ddr\"");
  d["dram"]["model"] = {{"kind", "row_buffer"}, {"row_bytes", 100}};
  CHECK(archError(d) ==
        "FILE: arch.dram.model.row_bytes: expected a multiple of burst_bytes (32), got 100");
  d["dram"]["model"] = {{"kind", "row_buffer"}, {"t_refi_ns", 100}, {"t_rfc_ns", 100}};
  CHECK(archError(d) ==
        "FILE: arch.dram.model.t_rfc_ns: expected less than t_refi_ns (100.0; 0 there turns "
        "refresh off), got 100.0");
  d["dram"]["model"] = {{"kind", "row_buffer"}, {"t_cas_ns", -1}};
  CHECK(archError(d) ==
        "FILE: arch.dram.model.t_cas_ns: expected a number of nanoseconds in [0, 1e6], got -1");
  d["dram"]["model"] = {{"kind", "row_buffer"}, {"tcas", 1}};
  CHECK(archError(d).rfind("FILE: arch.dram.model.tcas: unknown key; valid keys: banks, ", 0) == 0);
  d["dram"]["model"] = "row_buffer";
  CHECK(archError(d) ==
        "FILE: arch.dram.model: expected an object with \"kind\": "
        "\"bandwidth\" or \"row_buffer\", got \"row_buffer\"");
}
