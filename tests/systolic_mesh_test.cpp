// A systolic mesh above the PE array (FanOutSpec::network, README "Array networks"): the
// hand-worked time of every fold on a 2x2 array, the simulated time against the closed form on
// random hierarchies, SCALE-Sim v2's own cycle counts where its mappings and ours agree, and the
// arch file's key.
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

namespace {

/// A rows x cols array whose PEs hold one word of each tensor, a GLB that holds any layer here,
/// every port unlimited and instant; `systolic` picks the mesh.
ArchSpec meshArch(std::int64_t rows, std::int64_t cols, bool systolic) {
  ArchSpec a = arch(rows, cols, 0, std::int64_t{1} << 34, false);
  a.rf.partitions = {partition(true, false, false, 1), partition(false, true, false, 1),
                     partition(false, false, true, 1)};
  a.noc.network = systolic ? NetworkKind::Systolic : NetworkKind::Ideal;
  return a;
}

/// Weight stationary as SCALE-Sim maps it: the window (C, then R and S in time) down the rows,
/// the filters across the columns, one weight per PE, the output pixels streamed through.
Mapping weightStationary(const Layer& l, std::int64_t rows, std::int64_t cols) {
  Mapping m;
  m.glbLoops = {{cd::M, (l.M + cols - 1) / cols},
                {cd::R, l.R},
                {cd::S, l.S},
                {cd::C, (l.C + rows - 1) / rows}};
  m.spatialLoops = {{cd::C, std::min(rows, l.C), Axis::Rows},
                    {cd::M, std::min(cols, l.M), Axis::Cols}};
  m.rfLoops = {{cd::P, l.P}, {cd::Q, l.Q}};
  if (l.N > 1) m.rfLoops.insert(m.rfLoops.begin(), Loop{cd::N, l.N});
  m.rfKeeps = {{true, false, false}};
  return m;
}

/// Output stationary as SCALE-Sim maps a GEMM (a 1x1 conv over an M x 1 input): the output
/// pixels (P) down the rows, the filters across the columns, one psum per PE, the window (C)
/// streamed through.
Mapping outputStationary(const Layer& l, std::int64_t rows, std::int64_t cols) {
  Mapping m;
  m.glbLoops = {{cd::P, (l.P + rows - 1) / rows}, {cd::M, (l.M + cols - 1) / cols}};
  m.spatialLoops = {{cd::P, std::min(rows, l.P), Axis::Rows},
                    {cd::M, std::min(cols, l.M), Axis::Cols}};
  m.rfLoops = {{cd::C, l.C}};
  m.rfKeeps = {{false, false, true}};
  return m;
}

/// SCALE-Sim's GEMM row (M, N, K) as its topology reader makes it: an M x K input, a 1 x K
/// filter, one channel, N filters; the same product as our 1x1 conv of K channels over M x 1.
Layer gemm(const std::string& name, std::int64_t m, std::int64_t n, std::int64_t k) {
  Layer l = conv(name, 1, k, n, 1, 1);
  l.H = l.P = m;
  l.W = l.Q = 1;
  return l;
}

SimResult simulate(const Layer& l, const ArchSpec& a, const Mapping& m, bool functional) {
  SimOptions o;
  o.functional = functional;
  o.check = functional;
  return simulateLayer(l, a, m, o);
}

std::string readerError(const nlohmann::json& doc) {
  try {
    (void)archFromJson(doc, "mesh.json");
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("systolic mesh: the time of every fold of a 2x2 array, worked by hand", "[systolic]") {
  // WS: 4 channels down 2 rows, 4 filters across 2 columns: 4 folds, 9 pixels streamed each.
  // A fold: 2 cycles to shift one weight per PE down 2 rows, (2-1) + (2-1) of skew and drain,
  // 9 of MACs: 13; four of them back to back: 52 (the ideal network: 36).
  const Layer ws = conv("ws", 1, 4, 4, 3, 1);
  const Mapping wsMap = weightStationary(ws, 2, 2);
  const ArchSpec mesh = meshArch(2, 2, true);
  const ArchSpec ideal = meshArch(2, 2, false);
  // Two images: the pixel loop of the second image sits outside the folds' weights (N at the
  // GLB, innermost), so its steps stream on without a new fold: 8 steps of 9, 4 folds of 4.
  const Layer ws2 = conv("ws2", 2, 4, 4, 3, 1);
  Mapping ws2Map = wsMap;
  ws2Map.rfLoops = {{cd::P, 3}, {cd::Q, 3}};
  ws2Map.glbLoops.push_back({cd::N, 2});
  // OS: 4 pixels down 2 rows, 4 filters across 2 columns, 3 channels streamed: 4 folds of
  // 0 (a psum starts in place: nothing to load) + 2 + 3 = 5 cycles.
  const Layer os = gemm("os", 4, 4, 3);
  const Mapping osMap = outputStationary(os, 2, 2);
  // No local reuse: the PEs keep nothing, so the mesh fills once, at the first step.
  Mapping nlrMap = wsMap;
  nlrMap.rfKeeps = {{false, false, false}};
  for (const auto& [l, m] :
       {std::pair<Layer, Mapping>{ws, wsMap}, {ws2, ws2Map}, {os, osMap}, {ws, nlrMap}}) {
    validateMapping(l, mesh, m, "test");
    validateMapping(l, ideal, m, "test");
  }
  struct Want {
    const Layer* layer;
    const Mapping* mapping;
    std::int64_t ideal;
    std::int64_t mesh;
  };
  for (const Want& w : {Want{&ws, &wsMap, 36, 52}, Want{&ws2, &ws2Map, 72, 88},
                        Want{&os, &osMap, 12, 20}, Want{&ws, &nlrMap, 36, 38}}) {
    INFO(w.layer->name << " ideal " << w.ideal << " mesh " << w.mesh);
    for (bool functional : {true, false}) {
      const SimResult i = simulate(*w.layer, ideal, *w.mapping, functional);
      const SimResult s = simulate(*w.layer, mesh, *w.mapping, functional);
      CHECK(i.cycles.total.count() == static_cast<std::uint64_t>(w.ideal));
      CHECK(s.cycles.total.count() == static_cast<std::uint64_t>(w.mesh));
      CHECK(s.cycles.stallNoc.count() - i.cycles.stallNoc.count() ==
            static_cast<std::uint64_t>(w.mesh - w.ideal));
      CHECK(s.cycles.compute == i.cycles.compute);
      CHECK(s.counts == i.counts);
      if (functional) CHECK(s.checked);
      CHECK(systolicMeshCycles(w.layer->shape(), mesh.hierarchy(), toLoopNest(*w.mapping)) ==
            w.mesh - w.ideal);
    }
  }
}

TEST_CASE("systolic mesh: simulated time is the closed form on random hierarchies", "[systolic]") {
  std::mt19937_64 rng(20261206);
  const int trials = cases(200, 40);
  struct Case {
    Layer layer;
    ArchSpec ideal;
    ArchSpec mesh;
    LoopNest nest;
    std::string described;
  };
  std::vector<Case> valid;
  // Validated first, simulated after: no exception is thrown once SystemC has run (an
  // exception after a coroutine switch is a false report under AddressSanitizer).
  for (int trial = 0; trial < trials; ++trial) {
    const Layer l = smallPrimeLayer(trial, rng);
    const ProblemShape s = l.shape();
    Hierarchy h = randomHierarchy(rng);
    const std::size_t above = h.size() - 2;
    if (h.isStorage(above)) continue;
    const LoopNest n = randomNest(s, h, rng);
    ArchSpec ideal = arch(1, 1, 1 << 20, 1 << 24, false);
    setHierarchy(ideal, h);
    h.entries[above].fanOut.network = NetworkKind::Systolic;
    ArchSpec mesh = ideal;
    setHierarchy(mesh, h);
    try {
      validateLoopNest(s, mesh, mesh.hierarchy(), n, "random");
    } catch (const InputError&) {
      continue;
    }
    REQUIRE_NOTHROW(validateLoopNest(s, ideal, ideal.hierarchy(), n, "random"));
    valid.push_back({l, ideal, mesh, n, describe(h, n, s)});
  }
  CHECK(static_cast<int>(valid.size()) >= trials / 5);
  int loaded = 0;
  for (const Case& c : valid) {
    INFO(c.described);
    const ProblemShape s = c.layer.shape();
    const Hierarchy h = c.mesh.hierarchy();
    const std::int64_t meshCycles = systolicMeshCycles(s, h, c.nest);
    const NestCycleEstimate e = estimateNestCycles(s, h, c.nest, analyticCounts(s, h, c.nest),
                                                   PerTensor<std::int64_t>{{2, 2, 2}});
    CHECK(e.meshCycles == static_cast<double>(meshCycles));
    const bool keepsOperand =
        c.nest.levels.back().keeps[Tensor::Weights] || c.nest.levels.back().keeps[Tensor::Inputs];
    loaded += keepsOperand ? 1 : 0;
    for (bool functional : {true, false}) {
      SimOptions o;
      o.functional = functional;
      o.check = functional;
      const SimResult i = simulateHierarchy(c.layer, c.ideal, c.nest, o);
      const SimResult r = simulateHierarchy(c.layer, c.mesh, c.nest, o);
      CHECK(r.counts == i.counts);
      if (functional) CHECK(r.checked);
      // Every port unlimited and instant: the ideal run is the compute alone, and the mesh
      // adds its closed form, all of it as network stalls.
      CHECK(i.cycles.total == i.cycles.compute);
      CHECK(static_cast<double>(i.cycles.compute.count()) == e.computeCycles);
      CHECK(r.cycles.total.count() == i.cycles.total.count() + meshCycles);
      CHECK(r.cycles.stallNoc.count() == static_cast<std::uint64_t>(meshCycles));
    }
  }
  CHECK(loaded > 0);
}

// SCALE-Sim v2 (github.com/scalesim-project/scale-sim-v2, commit 22f88b17, 2025-02-25), run with
// its configs/scale.cfg (32x32, InterfaceBandwidth CALC) and "Dataflow : ws" or "os", on
// topologies/conv_nets/alexnet.csv and topologies/GEMM_mnk/test_mnk_input.csv (copies in
// ../shared/peer-files/scalesim). Its COMPUTE_REPORT.csv "Total Cycles" is the index of the
// last cycle, counted from 0: one less than the cycles, so ours is that plus one. The layers
// are those whose mappings agree with ours: AlexNet conv1 (a window of 3x11x11 = 363 rows that
// SCALE-Sim folds as one flat dimension, 12 folds of 32; we tile C, R and S apart) and every
// AlexNet layer under OS (E x F pixels flattened, 23x23 or 11x11, cut in 32s) are left out.
TEST_CASE("systolic mesh: SCALE-Sim's own cycles on a 32x32 array, WS and OS", "[systolic]") {
  const ArchSpec mesh = meshArch(32, 32, true);
  struct Row {
    Layer layer;
    bool ws;
    std::int64_t scaleSimTotal;
  };
  // AlexNet as SCALE-Sim's topology has it: no padding, so conv2 is 27 - 5 + 1 = 23 wide.
  const std::vector<Row> rows = {
      {conv("Conv2", 1, 96, 256, 27, 5), true, 373799},
      {conv("Conv3", 1, 256, 384, 13, 3), true, 185759},
      {conv("Conv4", 1, 384, 384, 13, 3), true, 278639},
      {conv("Conv5", 1, 384, 256, 13, 3), true, 185759},
      {gemm("Test 1", 128, 64, 256), true, 3551},
      {gemm("Test 1", 128, 64, 256), false, 2543},
  };
  std::vector<Mapping> maps;
  for (const Row& r : rows) {
    maps.push_back(r.ws ? weightStationary(r.layer, 32, 32) : outputStationary(r.layer, 32, 32));
    validateMapping(r.layer, mesh, maps.back(), "scalesim");
  }
  for (std::size_t i = 0; i < rows.size(); ++i) {
    INFO(rows[i].layer.name << (rows[i].ws ? " ws" : " os"));
    const SimResult s = simulate(rows[i].layer, mesh, maps[i], false);
    CHECK(s.cycles.total.count() == static_cast<std::uint64_t>(rows[i].scaleSimTotal + 1));
  }
}

TEST_CASE("arch files: the array network object, round trip and errors", "[systolic]") {
  nlohmann::json doc = {{"name", "m"},
                        {"word_bits", 16},
                        {"clock_mhz", 200},
                        {"pe_array", {{"rows", 2}, {"cols", 2}}},
                        {"rf", {{"words", 4}}},
                        {"glb", {{"size_kib", 4}}},
                        {"noc", {{"network", {{"kind", "systolic"}}}}},
                        {"dram", {{"bytes_per_cycle", 8}}}};
  const ArchSpec a = archFromJson(doc, "mesh.json");
  CHECK(a.noc.network == NetworkKind::Systolic);
  CHECK(a.hierarchy().entries[2].fanOut.network == NetworkKind::Systolic);
  const ArchSpec back = archFromJson(archToJson(a), "again.json");
  CHECK(back == a);
  doc["noc"]["network"] = {{"kind", "ideal"}};
  CHECK(archFromJson(doc, "mesh.json").noc.network == NetworkKind::Ideal);
  CHECK(archToJson(archFromJson(doc, "mesh.json")).dump().find("network") == std::string::npos);

  doc["noc"]["network"] = {{"kind", "torus"}};
  CHECK(readerError(doc) ==
        "mesh.json: arch.noc.network.kind: expected \"ideal\", \"systolic\" or \"per_tensor\", got "
        "\"torus\"");
  doc["noc"]["network"] = "systolic";
  CHECK(readerError(doc).find("mesh.json: arch.noc.network: expected an object with \"kind\"") ==
        0);
  doc["noc"]["network"] = {{"kind", "systolic"}, {"depth", 2}};
  CHECK(readerError(doc).find("noc.network.depth") != std::string::npos);

  // The general form: a systolic mesh only directly above the innermost level.
  const nlohmann::json storage = {{"name", "buf"}, {"kind", "storage"}, {"words", 1024}};
  const nlohmann::json pe = {{"name", "pe"}, {"kind", "storage"}, {"words", 8}};
  nlohmann::json levels = {{"name", "g"},
                           {"word_bits", 16},
                           {"clock_mhz", 200},
                           {"levels",
                            {{{"name", "dram"}, {"kind", "dram"}, {"bytes_per_cycle", 8}},
                             storage,
                             {{"name", "outer"},
                              {"kind", "fanout"},
                              {"rows", 1},
                              {"cols", 2},
                              {"network", {{"kind", "systolic"}}}},
                             {{"name", "mid"}, {"kind", "storage"}, {"words", 64}},
                             {{"name", "inner"}, {"kind", "fanout"}, {"rows", 2}, {"cols", 2}},
                             pe}}};
  CHECK(readerError(levels) ==
        "mesh.json: arch.levels[2].network: expected \"ideal\" here: a systolic mesh sits directly "
        "above the innermost storage level (the PE array), got {\"kind\":\"systolic\"}");
  levels["levels"][2].erase("network");
  levels["levels"][4]["network"] = {{"kind", "systolic"}};
  const ArchSpec g = archFromJson(levels, "mesh.json");
  CHECK(g.hierarchy().entries[4].fanOut.network == NetworkKind::Systolic);
  CHECK(archFromJson(archToJson(g), "again.json") == g);
}
