// Traces (`dfsim run --trace FILE`, TraceLog): on random hierarchies the array's spans tile the
// run's time and add up to its cycle breakdown, the transfers' words add up to the counters,
// tracing changes no count or cycle; the writers' formats; the command line's refusals.
#include <algorithm>
#include <cstdint>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "common/errors.hpp"
#include "common/trace_log.hpp"
#include "dataflow/default_mapper.hpp"
#include "mapping/validate_loop_nest.hpp"
#include "mapping/validate_mapping.hpp"
#include "random_hierarchy.hpp"
#include "report/trace_writer.hpp"
#include "run_dfsim.hpp"
#include "sim/hierarchy_sim.hpp"
#include "sim/simulate_layer.hpp"
#include "temp_dir.hpp"
#include "test_support.hpp"

using namespace dfsim;
using namespace dfsim::test;

namespace {

bool onArray(TraceKind k) {
  return k == TraceKind::Compute || k == TraceKind::StallDram || k == TraceKind::StallOnChip ||
         k == TraceKind::StallNetwork || k == TraceKind::MeshLoad || k == TraceKind::MeshSkew ||
         k == TraceKind::Skipped;
}

/// What a trace says, summed: the array's spans per kind (after checking that they tile
/// [0, end) in order), the skipped steps, and the transfers' words per (kind, level, tensor).
struct TraceSums {
  std::map<TraceKind, std::uint64_t> cycles;
  std::uint64_t end = 0;
  std::int64_t skippedSteps = 0;
  std::map<std::tuple<TraceKind, std::size_t, Tensor>, std::int64_t> words;
  bool tiles = true;
  std::string pastEnd;  ///< the first transfer but a write-back that ends after the run
};

TraceSums sumTrace(const TraceLog& log) {
  TraceSums s;
  for (const TraceSpan& x : log.spans()) {
    if (x.end < x.begin) s.tiles = false;
    if (!onArray(x.kind)) continue;
    if (x.begin.count() != s.end) s.tiles = false;
    s.end = x.end.count();
    s.cycles[x.kind] += (x.end - x.begin).count();
    if (x.kind == TraceKind::Skipped) s.skippedSteps += x.words;
  }
  for (const TraceSpan& x : log.spans()) {
    if (onArray(x.kind)) continue;
    REQUIRE(x.hasTensor);
    s.words[{x.kind, x.level, x.tensor}] += x.words;
    // Posted write-backs between on-chip levels may end after the run: it ends when DRAM has
    // taken its last word (src/sim/README.md "Traces").
    if (x.kind != TraceKind::WriteBack && x.end.count() > s.end && s.pastEnd.empty()) {
      std::ostringstream os;
      os << traceKindName(x.kind) << " level " << int{x.level} << " " << tensorName(x.tensor)
         << " [" << x.begin.count() << ", " << x.end.count() << ") words " << x.words
         << ", the run's end " << s.end;
      s.pastEnd = os.str();
    }
  }
  return s;
}

std::int64_t wordsOf(const TraceSums& s, TraceKind k, std::size_t level, Tensor t) {
  const auto it = s.words.find({k, level, t});
  return it == s.words.end() ? 0 : it->second;
}

struct Case {
  Layer layer;
  ArchSpec arch;
  LoopNest nest;
  std::string described;
};

/// Random hierarchies with random ports, some with a systolic mesh above the PEs; validated
/// before any simulation (an exception after SystemC has run is a false report under
/// AddressSanitizer).
std::vector<Case> drawCases(int trials, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<Case> valid;
  for (int trial = 0; trial < trials; ++trial) {
    const Layer l = smallPrimeLayer(trial, rng);
    const ProblemShape s = l.shape();
    Hierarchy h = randomHierarchy(rng);
    randomPorts(h, rng);
    for (HierarchyEntry& e : h.entries) {
      if (e.kind == HierarchyEntry::Kind::Storage && !e.storage.offChip) {
        e.storage.doubleBuffered = pick(rng, 0, 1) == 1;
      }
    }
    const std::size_t above = h.size() - 2;
    if (!h.isStorage(above) && trial % 3 == 0)
      h.entries[above].fanOut.network = NetworkKind::Systolic;
    const LoopNest n = randomNest(s, h, rng);
    ArchSpec a = arch(1, 1, 1 << 20, 1 << 24, false);
    setHierarchy(a, h);
    try {
      validateLoopNest(s, a, a.hierarchy(), n, "random");
    } catch (const InputError&) {
      continue;
    }
    valid.push_back({l, a, n, describe(h, n, s)});
  }
  return valid;
}

/// The trace of `r`'s run agrees with `r`: the array's spans tile [0, total] and sum to the
/// breakdown; with no step skipped, the fills and prefetches of weights and inputs wrote every
/// word a level below DRAM wrote of them, and the outputs' transfers every output word the
/// levels above the PEs wrote.
void agrees(const TraceLog& log, const SimResult& r, const Hierarchy& h, bool stepped) {
  TraceSums s = sumTrace(log);
  CHECK(log.dropped() == 0);
  CHECK(s.tiles);
  CHECK(s.pastEnd == "");
  CHECK(s.end == r.cycles.total.count());
  CHECK(s.skippedSteps == r.stepsSkipped);
  const std::vector<std::size_t> storage = h.storageEntries();
  CHECK(log.levelNames.size() == storage.size());
  if (!stepped) return;
  CHECK(s.cycles[TraceKind::Compute] == r.cycles.compute.count());
  CHECK(s.cycles[TraceKind::StallDram] == r.cycles.stallDram.count());
  CHECK(s.cycles[TraceKind::StallOnChip] == r.cycles.stallGlb.count());
  CHECK(s.cycles[TraceKind::StallNetwork] + s.cycles[TraceKind::MeshLoad] +
            s.cycles[TraceKind::MeshSkew] ==
        r.cycles.stallNoc.count());
  const std::size_t last = storage.size() - 1;
  for (std::size_t k = 1; k < storage.size(); ++k) {
    for (Tensor t : {Tensor::Weights, Tensor::Inputs}) {
      INFO("level " << k << " " << tensorName(t));
      CHECK(wordsOf(s, TraceKind::Fill, k, t) + wordsOf(s, TraceKind::Prefetch, k, t) ==
            r.counts(storage[k], t).writes);
    }
  }
  // Outputs: a level above the PEs writes psums from its children's drains, write-backs and
  // latches (the parent's writes) and takes returned psums of a revisit (a fill's child writes).
  std::int64_t written = 0;
  std::int64_t traced = 0;
  for (std::size_t k = 0; k < last; ++k) {
    written += r.counts(storage[k], Tensor::Outputs).writes;
    traced += wordsOf(s, TraceKind::Fill, k, Tensor::Outputs);
  }
  for (std::size_t k = 0; k <= last; ++k) {
    for (TraceKind kind : {TraceKind::Drain, TraceKind::WriteBack, TraceKind::Stream}) {
      traced += wordsOf(s, kind, k, Tensor::Outputs);
    }
  }
  CHECK(traced == written);
}

}  // namespace

TEST_CASE("a trace tiles the run's time and its transfers add up to the counters", "[trace]") {
  const std::vector<Case> valid = drawCases(cases(160, 30), 20261207);
  CHECK(valid.size() >= 20);
  int meshes = 0;
  int stalled = 0;
  for (const Case& c : valid) {
    INFO(c.described);
    const Hierarchy h = c.arch.hierarchy();
    meshes += h.entries[h.size() - 2].kind == HierarchyEntry::Kind::FanOut &&
                      h.entries[h.size() - 2].fanOut.network == NetworkKind::Systolic
                  ? 1
                  : 0;
    for (int mode = 0; mode < 3; ++mode) {
      // 0: functional; 1: fast, stepping through; 2: fast, skipping ahead.
      SimOptions o;
      o.functional = mode == 0;
      o.check = mode == 0;
      o.skipRepeats = mode == 2;
      const SimResult plain = simulateHierarchy(c.layer, c.arch, c.nest, o);
      TraceLog log(1 << 20);
      o.trace = &log;
      const SimResult traced = simulateHierarchy(c.layer, c.arch, c.nest, o);
      INFO("mode " << mode);
      CHECK(traced.counts == plain.counts);
      CHECK(traced.cycles.total == plain.cycles.total);
      CHECK(traced.cycles.stallNoc == plain.cycles.stallNoc);
      CHECK(traced.stepsSkipped == plain.stepsSkipped);
      if (mode == 0) CHECK(traced.checked);
      agrees(log, traced, h, mode < 2);
      stalled += traced.cycles.total != traced.cycles.compute ? 1 : 0;
    }
  }
  CHECK(meshes > 0);
  CHECK(stalled > 0);
}

TEST_CASE("a traced 4-level run is simulated by the hierarchy simulator with the same numbers",
          "[trace]") {
  const Layer l = conv("conv3_like", 1, 16, 24, 7, 3, 1, 1);
  const ArchSpec a = eyerissLike();
  const Mapping m = defaultMapping(l, a, Dataflow::RS, Tiling::Ragged);
  REQUIRE_NOTHROW(validateMapping(l, a, m, "rs"));
  SimOptions o;
  o.check = true;
  const SimResult plain = simulateLayer(l, a, m, o);
  TraceLog log(1000);
  o.trace = &log;
  const SimResult traced = simulateLayer(l, a, m, o);
  CHECK(traced.checked);
  CHECK(traced.counts == plain.counts);
  CHECK(traced.cycles.total == plain.cycles.total);
  CHECK(traced.cycles.compute == plain.cycles.compute);
  CHECK(traced.cycles.stallDram == plain.cycles.stallDram);
  CHECK(traced.cycles.stallGlb == plain.cycles.stallGlb);
  CHECK(traced.cycles.stallNoc == plain.cycles.stallNoc);
  CHECK(log.levelNames == std::vector<std::string>{"dram", "glb", "rf"});
  agrees(log, traced, a.hierarchy(), true);
}

TEST_CASE("a trace keeps at most its limit and the writers say it was cut", "[trace]") {
  TraceLog log(2);
  log.levelNames = {"dram", "glb"};
  log.layer = "conv \"1\"";
  log.dataflow = "ws";
  TraceSpan compute;
  compute.begin = Cycle(0);
  compute.end = Cycle(5);
  log.record(compute);
  TraceSpan fill;
  fill.begin = Cycle(0);
  fill.end = Cycle(7);
  fill.kind = TraceKind::Fill;
  fill.phase = TraceKind::Fill;
  fill.level = 1;
  fill.tensor = Tensor::Inputs;
  fill.hasTensor = true;
  fill.words = 12;
  log.record(fill);
  log.record(fill);
  log.record(compute);
  CHECK(log.spans().size() == 2);
  CHECK(log.dropped() == 2);
  CHECK(traceToCsv(log) ==
        "begin_cycle,end_cycle,kind,phase,level,tensor,step,words\n"
        "0,5,compute,compute,dram,,0,0\n"
        "0,7,fill,fill,glb,inputs,0,12\n"
        "7,7,truncated,truncated,,,,2\n");
  const nlohmann::json j = nlohmann::json::parse(traceToChromeJson(log));
  CHECK(j["otherData"]["layer"] == "conv \"1\"");
  CHECK(j["otherData"]["spans_dropped"] == 2);
  int spans = 0;
  bool cut = false;
  for (const nlohmann::json& e : j["traceEvents"]) {
    if (e["ph"] == "X") ++spans;
    if (e["name"] == "truncated") cut = e["args"]["spans_dropped"] == 2;
  }
  CHECK(spans == 2);
  CHECK(cut);
}

TEST_CASE("the Chrome trace of a real run parses and no two spans of one thread overlap",
          "[trace]") {
  const std::vector<Case> valid = drawCases(40, 20261208);
  REQUIRE(!valid.empty());
  for (const Case& c : valid) {
    INFO(c.described);
    SimOptions o;
    o.functional = false;
    o.skipRepeats = false;
    TraceLog log(1 << 20);
    o.trace = &log;
    simulateHierarchy(c.layer, c.arch, c.nest, o);
    const nlohmann::json j = nlohmann::json::parse(traceToChromeJson(log));
    std::map<std::int64_t, std::vector<std::pair<std::uint64_t, std::uint64_t>>> byThread;
    std::map<std::int64_t, std::string> names;
    std::size_t spans = 0;
    for (const nlohmann::json& e : j["traceEvents"]) {
      if (e["ph"] == "M" && e["name"] == "thread_name") {
        names[e["tid"].get<std::int64_t>()] = e["args"]["name"].get<std::string>();
      }
      if (e["ph"] != "X") continue;
      ++spans;
      const auto ts = e["ts"].get<std::uint64_t>();
      byThread[e["tid"].get<std::int64_t>()].push_back({ts, ts + e["dur"].get<std::uint64_t>()});
    }
    CHECK(spans == log.spans().size());
    for (auto& [tid, v] : byThread) {
      INFO("thread " << names[tid]);
      CHECK(names.count(tid) == 1);
      std::sort(v.begin(), v.end());
      for (std::size_t i = 1; i < v.size(); ++i) CHECK(v[i].first >= v[i - 1].second);
    }
  }
}

TEST_CASE("overlapping transfers of one track go to lanes of their own", "[trace]") {
  // Viewers draw a thread's spans as a stack and misplace spans that overlap without nesting;
  // posted write-backs can overlap (they are not waited for).
  TraceLog log(10);
  log.levelNames = {"dram", "glb", "rf"};
  auto writeBack = [&](std::uint64_t begin, std::uint64_t end) {
    TraceSpan s;
    s.begin = Cycle(begin);
    s.end = Cycle(end);
    s.kind = TraceKind::WriteBack;
    s.phase = TraceKind::WriteBack;
    s.level = 2;
    s.tensor = Tensor::Outputs;
    s.hasTensor = true;
    log.record(s);
  };
  writeBack(0, 10);
  writeBack(5, 12);   // overlaps the first: lane 2
  writeBack(10, 20);  // after the first: lane 1 again
  const nlohmann::json j = nlohmann::json::parse(traceToChromeJson(log));
  std::map<std::int64_t, std::string> names;
  std::vector<std::pair<std::uint64_t, std::int64_t>> spans;  // ts, tid
  for (const nlohmann::json& e : j["traceEvents"]) {
    if (e["ph"] == "M" && e["name"] == "thread_name") {
      names[e["tid"].get<std::int64_t>()] = e["args"]["name"].get<std::string>();
    }
    if (e["ph"] == "X")
      spans.push_back({e["ts"].get<std::uint64_t>(), e["tid"].get<std::int64_t>()});
  }
  REQUIRE(spans.size() == 3);
  CHECK(names[spans[0].second] == "rf outputs write_back");
  CHECK(names[spans[1].second] == "rf outputs write_back (lane 2)");
  CHECK(spans[2].second == spans[0].second);
}

TEST_CASE("dfsim run --trace writes one layer's trace in one step and refuses what it cannot do",
          "[trace][cli]") {
  TempDir dir("trace");
  const std::string base =
      "run --arch configs/arch/tiny_4x4.json --network models/tiny_conv.json --dataflow ws -q ";
  const std::string json = (dir.path() / "t.json").string();
  const std::string csv = (dir.path() / "t.csv").string();
  const Outcome plain = runDfsim(base, dir.path());
  REQUIRE(plain.code == 0);
  const Outcome a = runDfsim(base + "--trace '" + json + "'", dir.path());
  INFO(a.err);
  REQUIRE(a.code == 0);
  CHECK(a.out == plain.out);  // the table is the untraced run's
  const nlohmann::json j = nlohmann::json::parse(readFile(json));
  CHECK(j["otherData"]["dataflow"] == "ws");
  CHECK(j["otherData"]["spans"].get<std::int64_t>() > 0);
  const Outcome b = runDfsim(base + "--trace '" + csv + "' --trace-limit 3", dir.path());
  CHECK(b.code == 0);
  CHECK(b.err.find("cut at --trace-limit 3") != std::string::npos);  // said even with -q
  const std::string text = readFile(csv);
  CHECK(text.rfind("begin_cycle,end_cycle,kind,phase,level,tensor,step,words\n", 0) == 0);
  CHECK(std::count(text.begin(), text.end(), '\n') == 5);  // header, 3 spans, the cut
  CHECK(text.find(",truncated,") != std::string::npos);

  struct Refusal {
    std::string args;
    std::string says;
  };
  const std::string fresh = (dir.path() / "new.json").string();
  const std::vector<Refusal> refusals = {
      {"--trace '" + (dir.path() / "t.txt").string() + "'", "expected a file name ending in .json"},
      {"--trace-limit 5", "--trace-limit: expected --trace FILE too"},
      {"--trace '" + fresh + "' --trace-limit 0", "--trace-limit"},
      {"--trace '" + (dir.path() / "missing" / "t.json").string() + "'", "does not exist"},
      {"--trace '" + dir.path().string() + "/'", "expected a file name"},
      {"--out '" + (dir.path() / "r").string() + "' --trace '" +
           (dir.path() / "r" / "t.json").string() + "'",
       "which each run replaces whole"},
  };
  for (const Refusal& r : refusals) {
    INFO(r.args);
    const Outcome o = runDfsim(base + r.args, dir.path());
    CHECK(o.code == 2);
    CHECK(o.err.find(r.says) != std::string::npos);
    CHECK_FALSE(std::filesystem::exists(fresh));
  }
  // Two dataflows: refused before any simulation, nothing written.
  const Outcome two = runDfsim(
      "run --arch configs/arch/tiny_4x4.json --network models/tiny_conv.json --dataflow ws,os "
      "-q --trace '" +
          fresh + "'",
      dir.path());
  CHECK(two.code == 2);
  CHECK(two.err.find("traces one layer under one dataflow; this run simulates 2") !=
        std::string::npos);
  CHECK_FALSE(std::filesystem::exists(fresh));
  // A folder in the file's place is not replaced.
  std::filesystem::create_directory(dir.path() / "d.json");
  const Outcome d =
      runDfsim(base + "--trace '" + (dir.path() / "d.json").string() + "'", dir.path());
  CHECK(d.code == 2);
  CHECK(d.err.find("is not a regular file") != std::string::npos);
  // No temporary file is left beside the traces.
  for (const auto& e : std::filesystem::directory_iterator(dir.path())) {
    CHECK(e.path().filename().string().find(".dfsim-tmp.") == std::string::npos);
  }
}
