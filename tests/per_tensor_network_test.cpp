// A network per tensor (NetworkKind::PerTensor, README "Array networks"): the transfers of
// different tensors at one step overlap instead of queueing on one port. A hand-worked run,
// random hierarchies against the shared network (same counts, never slower), fast against
// functional, and the arch file's key.
#include <algorithm>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "arch/arch_equality.hpp"
#include "arch/hierarchy.hpp"
#include "common/errors.hpp"
#include "io/readers.hpp"
#include "mapping/analytic_model.hpp"
#include "mapping/hierarchy_model.hpp"
#include "mapping/nest_cycle_estimate.hpp"
#include "mapping/validate_loop_nest.hpp"
#include "mapping/validate_mapping.hpp"
#include "random_hierarchy.hpp"
#include "sim/hierarchy_sim.hpp"
#include "sim/simulate_layer.hpp"
#include "test_support.hpp"

using namespace dfsim;
using namespace dfsim::test;

TEST_CASE("per-tensor networks: one step worked by hand", "[per_tensor]") {
  // An FC layer of 4 inputs and 2 outputs on one PE that holds it all: one step. Every port is
  // unlimited and instant but the network, 1 word per cycle. The step fills 8 weights and 4
  // inputs, computes 8 MACs, and the 2 outputs drain at the end.
  // One shared port: 8 + 4 = 12 cycles of fill, 8 of compute, 2 of drain = 22.
  // A port per tensor: the fills overlap, max(8, 4) = 8, then 8 and 2 = 18.
  const Layer l = fc("fc", 1, 4, 2);
  ArchSpec a = arch(1, 1, 64, 1 << 16, false);
  a.noc.wordsPerCycle = 1;
  Mapping m;
  m.rfLoops = {{cd::M, 2}, {cd::C, 4}};
  m.rfKeeps = {{true, true, true}};
  ArchSpec split = a;
  split.noc.network = NetworkKind::PerTensor;
  REQUIRE_NOTHROW(validateMapping(l, a, m, "hand"));
  REQUIRE_NOTHROW(validateMapping(l, split, m, "hand"));
  for (bool functional : {true, false}) {
    SimOptions o;
    o.functional = functional;
    o.check = functional;
    const SimResult shared = simulateLayer(l, a, m, o);
    const SimResult own = simulateLayer(l, split, m, o);
    if (functional) {
      CHECK(shared.checked);
      CHECK(own.checked);
    }
    CHECK(own.counts == shared.counts);
    CHECK(shared.cycles.total.count() == 22);
    CHECK(shared.cycles.compute.count() == 8);
    CHECK(shared.cycles.stallNoc.count() == 14);
    CHECK(own.cycles.total.count() == 18);
    CHECK(own.cycles.compute.count() == 8);
    CHECK(own.cycles.stallNoc.count() == 10);
  }
  // The analytic estimate charges a fan-out every word its parent reads or writes (here the
  // GLB's fills from DRAM too): 8 + 8 weights, 4 + 4 inputs, 2 + 2 outputs, all 28 on one
  // port; per tensor the largest, the weights' 16.
  const Hierarchy h = split.hierarchy();
  const LoopNest n = toLoopNest(m);
  const ProblemShape s = l.shape();
  const NestCycleEstimate shared = estimateNestCycles(
      s, a.hierarchy(), n, analyticCounts(s, a.hierarchy(), n), PerTensor<std::int64_t>{{2, 2, 2}});
  const NestCycleEstimate own =
      estimateNestCycles(s, h, n, analyticCounts(s, h, n), PerTensor<std::int64_t>{{2, 2, 2}});
  CHECK(shared.entryCycles[2] == 28.0);
  CHECK(own.entryCycles[2] == 16.0);
}

TEST_CASE("per-tensor networks: same counts as one shared network and never slower",
          "[per_tensor]") {
  std::mt19937_64 rng(20261209);
  const int trials = cases(200, 40);
  struct Case {
    Layer layer;
    ArchSpec shared;
    ArchSpec own;
    LoopNest nest;
    std::string described;
  };
  std::vector<Case> valid;
  // Validated first, simulated after (no exception once SystemC has run: AddressSanitizer).
  for (int trial = 0; trial < trials; ++trial) {
    const Layer l = smallPrimeLayer(trial, rng);
    const ProblemShape s = l.shape();
    Hierarchy h = randomHierarchy(rng);
    randomPorts(h, rng);
    bool fanOut = false;
    for (HierarchyEntry& e : h.entries) {
      if (e.kind != HierarchyEntry::Kind::FanOut) continue;
      e.fanOut.wordsPerCycle = std::max<std::int64_t>(e.fanOut.wordsPerCycle, 1);  // limited
      fanOut = true;
    }
    if (!fanOut) continue;
    const LoopNest n = randomNest(s, h, rng);
    ArchSpec shared = arch(1, 1, 1 << 20, 1 << 24, false);
    setHierarchy(shared, h);
    for (HierarchyEntry& e : h.entries) {
      if (e.kind == HierarchyEntry::Kind::FanOut) e.fanOut.network = NetworkKind::PerTensor;
    }
    ArchSpec own = shared;
    setHierarchy(own, h);
    try {
      validateLoopNest(s, own, own.hierarchy(), n, "random");
    } catch (const InputError&) {
      continue;
    }
    REQUIRE_NOTHROW(validateLoopNest(s, shared, shared.hierarchy(), n, "random"));
    valid.push_back({l, shared, own, n, describe(h, n, s)});
  }
  CHECK(static_cast<int>(valid.size()) >= trials / 5);
  int faster = 0;
  for (const Case& c : valid) {
    INFO(c.described);
    SimOptions functional;
    functional.check = true;
    const SimResult a = simulateHierarchy(c.layer, c.shared, c.nest, functional);
    const SimResult b = simulateHierarchy(c.layer, c.own, c.nest, functional);
    CHECK(b.checked);
    CHECK(b.counts == a.counts);
    CHECK(b.cycles.total <= a.cycles.total);
    CHECK(b.cycles.compute == a.cycles.compute);
    faster += b.cycles.total < a.cycles.total ? 1 : 0;
    for (bool skip : {false, true}) {
      SimOptions fast;
      fast.functional = false;
      fast.skipRepeats = skip;
      const SimResult f = simulateHierarchy(c.layer, c.own, c.nest, fast);
      CHECK(f.counts == b.counts);
      CHECK(f.cycles.total == b.cycles.total);
      CHECK(f.cycles.stallDram == b.cycles.stallDram);
      CHECK(f.cycles.stallGlb == b.cycles.stallGlb);
      CHECK(f.cycles.stallNoc == b.cycles.stallNoc);
    }
  }
  CHECK(faster > 0);
}

TEST_CASE("per-tensor networks: the arch file's key, on any fan-out", "[per_tensor]") {
  nlohmann::json doc = {{"name", "p"},
                        {"word_bits", 16},
                        {"clock_mhz", 200},
                        {"pe_array", {{"rows", 2}, {"cols", 2}}},
                        {"rf", {{"words", 4}}},
                        {"glb", {{"size_kib", 4}}},
                        {"noc", {{"network", {{"kind", "per_tensor"}}}}},
                        {"dram", {{"bytes_per_cycle", 8}}}};
  const ArchSpec a = archFromJson(doc, "p.json");
  CHECK(a.noc.network == NetworkKind::PerTensor);
  CHECK(archToJson(a)["levels"][2]["network"] == nlohmann::json{{"kind", "per_tensor"}});
  CHECK(archFromJson(archToJson(a), "again.json") == a);
  // Not only above the PEs, unlike a systolic mesh.
  const nlohmann::json levels = {{"name", "g"},
                                 {"word_bits", 16},
                                 {"clock_mhz", 200},
                                 {"levels",
                                  {{{"name", "dram"}, {"kind", "dram"}, {"bytes_per_cycle", 8}},
                                   {{"name", "outer"},
                                    {"kind", "fanout"},
                                    {"rows", 2},
                                    {"cols", 1},
                                    {"network", {{"kind", "per_tensor"}}}},
                                   {{"name", "buf"}, {"kind", "storage"}, {"words", 1024}},
                                   {{"name", "inner"},
                                    {"kind", "fanout"},
                                    {"rows", 2},
                                    {"cols", 1},
                                    {"network", {{"kind", "per_tensor"}}}},
                                   {{"name", "pe"}, {"kind", "storage"}, {"words", 8}}}}};
  const ArchSpec g = archFromJson(levels, "g.json");
  CHECK(g.hierarchy().entries[1].fanOut.network == NetworkKind::PerTensor);
  CHECK(g.hierarchy().entries[3].fanOut.network == NetworkKind::PerTensor);
}
