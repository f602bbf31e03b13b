// Sliding-window (halo) reuse (issue 14): the closed-form overlap of one coordinate against the
// sets it counts, and the simulator of any hierarchy with halo_reuse levels against the three
// oracles (reference convolution, the analytic model's counts, the compute bound, fast ==
// functional) on random hierarchies and perfect nests, and on a 3x3 stride-1 layer whose GLB
// tile height is swept under every dataflow.
#include <algorithm>
#include <fstream>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "arch/hierarchy.hpp"
#include "common/errors.hpp"
#include "dataflow/dataflow.hpp"
#include "dataflow/default_mapper.hpp"
#include "io/readers.hpp"
#include "mapping/analytic_model.hpp"
#include "mapping/halo_savings.hpp"
#include "mapping/hierarchy_model.hpp"
#include "mapping/loop_nest.hpp"
#include "mapping/ragged_nest.hpp"
#include "mapping/validate_loop_nest.hpp"
#include "mapping/validate_mapping.hpp"
#include "random_hierarchy.hpp"
#include "random_layers.hpp"
#include "run_dfsim.hpp"
#include "sim/hierarchy_sim.hpp"
#include "test_support.hpp"

using namespace dfsim;
using namespace dfsim::test;

namespace {

/// The coordinates {u*a + w*b} of a tile, enumerated (a < A, b < B; `shift` added).
std::set<std::int64_t> coordinates(std::int64_t u, std::int64_t w, std::int64_t A, std::int64_t B,
                                   std::int64_t shift) {
  std::set<std::int64_t> out;
  for (std::int64_t a = 0; a < A; ++a) {
    for (std::int64_t b = 0; b < B; ++b) out.insert(u * a + w * b + shift);
  }
  return out;
}

/// A layer with windows that overlap: outputs of 4 to 8 per axis, 1 to 3 taps, strides 1 to 3,
/// sometimes dilation 2 or padding.
Layer haloLayer(int trial, std::mt19937_64& rng) {
  const std::int64_t r = pick(rng, 1, 3);
  const std::int64_t s = pick(rng, 1, 3);
  WindowAxis rows{pick(rng, 1, 3), trial % 4 == 1 ? 2 : 1, 0, 0};
  WindowAxis cols{pick(rng, 1, 2), 1, trial % 3 == 0 ? 1 : 0, trial % 3 == 0 ? 1 : 0};
  if (rows.dilation > 1) rows.stride = 1;  // strided and dilated on one axis: refused
  const std::int64_t p = pick(rng, 4, 8);
  const std::int64_t q = pick(rng, 2, 6);
  const std::int64_t h = (p - 1) * rows.stride + (r - 1) * rows.dilation + 1;
  const std::int64_t w = (q - 1) * cols.stride + (s - 1) * cols.dilation + 1 - cols.padTotal();
  return convWindow("halo" + std::to_string(trial), pick(rng, 1, 2), pick(rng, 1, 2),
                    pick(rng, 1, 2), h, w, r, s, rows, cols);
}

/// The three oracles on (layer, arch, nest), fast mode with and without skipping ahead against
/// the functional run; the analytic counts returned, the steps skipped added to `skipped`.
AccessCounts threeOracles(const Layer& l, const ArchSpec& a, const LoopNest& n,
                          std::int64_t* skipped = nullptr) {
  const ProblemShape s = l.shape();
  const Hierarchy h = a.hierarchy();
  SimOptions functional;
  functional.check = true;
  const SimResult f = simulateHierarchy(l, a, n, functional);
  INFO(f.checkMismatch);
  CHECK(f.checked);
  const AccessCounts want = analyticCounts(s, h, n);
  for (std::size_t e = 0; e < h.size(); ++e) {
    for (Tensor t : kAllTensors) {
      INFO("entry " << e << " " << tensorName(t));
      CHECK(f.counts(e, t).reads == want(e, t).reads);
      CHECK(f.counts(e, t).writes == want(e, t).writes);
    }
  }
  CHECK(f.counts == want);
  CHECK(f.cycles.total.count() >= f.cycles.compute.count());
  for (bool skip : {false, true}) {
    SimOptions fast;
    fast.functional = false;
    fast.skipRepeats = skip;
    const SimResult g = simulateHierarchy(l, a, n, fast);
    for (std::size_t e = 0; e < h.size(); ++e) {
      for (Tensor t : kAllTensors) {
        INFO("fast, skipping ahead " << skip << ": entry " << e << " " << tensorName(t));
        CHECK(g.counts(e, t).reads == f.counts(e, t).reads);
        CHECK(g.counts(e, t).writes == f.counts(e, t).writes);
      }
    }
    CHECK(g.counts == f.counts);
    CHECK(g.cycles.total == f.cycles.total);
    CHECK(g.cycles.stallDram == f.cycles.stallDram);
    CHECK(g.cycles.stallGlb == f.cycles.stallGlb);
    CHECK(g.cycles.stallNoc == f.cycles.stallNoc);
    if (skipped != nullptr) *skipped += g.stepsSkipped;
  }
  return want;
}

/// `a` with halo_reuse set on every on-chip level (or cleared).
ArchSpec withHalo(const ArchSpec& a, bool on) {
  Hierarchy h = a.hierarchy();
  for (HierarchyEntry& e : h.entries) {
    if (e.kind == HierarchyEntry::Kind::Storage && !e.storage.offChip) e.storage.haloReuse = on;
  }
  ArchSpec out = a;
  setHierarchy(out, h);
  return out;
}

}  // namespace

TEST_CASE("axisOverlap equals the overlap of the enumerated coordinate sets", "[halo]") {
  for (std::int64_t u = 1; u <= 4; ++u) {
    for (std::int64_t A = 1; A <= 4; ++A) {
      for (std::int64_t B = 1; B <= 4; ++B) {
        ProblemShape shape;
        const Dim p = shape.addDim("P", A);
        const Dim r = shape.addDim("R", B);
        shape.addAxis(Tensor::Inputs, {{p, u}, {r, 1}}, u * (A - 1) + B);
        shape.addAxis(Tensor::Weights, {{r, 1}}, B);
        shape.addAxis(Tensor::Outputs, {{p, 1}}, A);
        DimExtents e;
        e.fill(1);
        e[idx(p)] = A;
        e[idx(r)] = B;
        const std::set<std::int64_t> base = coordinates(u, 1, A, B, 0);
        for (std::int64_t shift = -12; shift <= 12; ++shift) {
          const std::set<std::int64_t> moved = coordinates(u, 1, A, B, shift);
          std::int64_t common = 0;
          for (std::int64_t x : moved) common += base.count(x) > 0 ? 1 : 0;
          INFO("u " << u << " A " << A << " B " << B << " shift " << shift);
          CHECK(axisOverlap(shape, Tensor::Inputs, 0, e, shift) == common);
        }
        // One term: the extent minus the shift.
        CHECK(axisOverlap(shape, Tensor::Weights, 0, e, 1) == B - 1);
        CHECK(axisOverlap(shape, Tensor::Weights, 0, e, B) == 0);
      }
    }
  }
}

TEST_CASE("halo reuse passes the three oracles on random hierarchies and nests, ragged or not",
          "[halo][hierarchy_sim]") {
  std::mt19937_64 rng(20261201);
  const int trials = test::cases(600, 60);
  struct Case {
    Layer layer;
    ArchSpec arch;
    LoopNest nest;
  };
  std::vector<Case> valid;
  for (int trial = 0; trial < trials; ++trial) {
    const Layer l = haloLayer(trial, rng);
    const ProblemShape s = l.shape();
    Hierarchy h = randomHierarchy(rng);
    for (HierarchyEntry& e : h.entries) {
      if (e.kind == HierarchyEntry::Kind::Storage && !e.storage.offChip) {
        e.storage.haloReuse = pick(rng, 0, 3) != 0;
      }
    }
    ArchSpec a = arch(1, 1, 1 << 20, 1 << 24, false);
    setHierarchy(a, h);
    const LoopNest n = randomNest(s, h, rng, trial % 2 == 0);
    try {
      validateLoopNest(s, a, a.hierarchy(), n, "random");
    } catch (const InputError&) {
      continue;
    }
    valid.push_back({l, a, n});
  }
  REQUIRE(valid.size() >= static_cast<std::size_t>(trials) / 3);
  // Validated before the first simulation (see hierarchy_sim_test.cpp).
  int saved = 0;
  int ragged = 0;
  std::int64_t skippedSteps = 0;
  for (const Case& c : valid) {
    const ProblemShape s = c.layer.shape();
    const DimLoopTable table = DimLoopTable::of(c.nest, s);
    bool exact = true;
    for (std::size_t d = 0; d < s.numDims(); ++d) exact = exact && table.exact[d];
    ragged += exact ? 0 : 1;
    INFO(shapeOf(c.layer) << "\n" << describe(c.arch.hierarchy(), c.nest, c.layer.shape()));
    const AccessCounts with = threeOracles(c.layer, c.arch, c.nest, &skippedSteps);
    const AccessCounts without =
        analyticCounts(c.layer.shape(), withHalo(c.arch, false).hierarchy(), c.nest);
    std::int64_t a = 0;
    std::int64_t b = 0;
    for (std::size_t e = 0; e < c.arch.hierarchy().size(); ++e) {
      a += with(e, Tensor::Inputs).writes;
      b += without(e, Tensor::Inputs).writes;
    }
    CHECK(a <= b);
    saved += a < b ? 1 : 0;
  }
  // The cases exercise the reuse: a share of them moves fewer input words (about 15%), and
  // about a sixth of them are ragged.
  CHECK(saved >= static_cast<int>(valid.size()) / 10);
  CHECK(ragged >= static_cast<int>(valid.size()) / 8);
  // Skipping ahead happened (with the held tiles moved along), so its comparison means something.
  CHECK(skippedSteps > 0);
}

TEST_CASE(
    "a 3x3 stride-1 layer reads its padded input from DRAM once with halo reuse, for "
    "every GLB tile height and dataflow",
    "[halo][hierarchy_sim]") {
  // 8x8 outputs, 3x3 filters, padding 1: the padded input is 10x10 per channel.
  const Layer l = conv("c3", 1, 2, 2, 8, 3, 1, 1);
  const ProblemShape s = l.shape();
  const Dim p = s.dimByName("P");
  const std::int64_t padded = 1 * 2 * 10 * 10;
  ArchSpec base = arch(4, 4, 4096, 1 << 20, false);
  for (const DataflowInfo& info : dataflowRegistry()) {
    const LoopNest whole = toLoopNest(defaultMapping(l, base, info.id, Tiling::Perfect));
    for (std::int64_t height : {1, 2, 4, 8}) {
      // Every loop below DRAM, then P's loops there divided down to `height` (GLB temporal
      // first, then spatial, then the RF's), and DRAM runs P / height tiles of it.
      LoopNest n = whole;
      n.levels[0].temporal.clear();
      n.levels[1].temporal.insert(n.levels[1].temporal.begin(), whole.levels[0].temporal.begin(),
                                  whole.levels[0].temporal.end());
      std::int64_t excess = 8 / height;
      auto divide = [&](std::int64_t& bound) {
        while (excess > 1 && bound % 2 == 0) {
          bound /= 2;
          excess /= 2;
        }
      };
      for (Loop& x : n.levels[1].temporal) {
        if (x.dim == p) divide(x.bound);
      }
      for (SpatialLoop& x : n.levels[1].spatial) {
        if (x.dim == p) divide(x.bound);
      }
      for (Loop& x : n.levels[2].temporal) {
        if (x.dim == p) divide(x.bound);
      }
      REQUIRE(excess == 1);
      if (height < 8) n.levels[0].temporal = {{p, 8 / height}};
      n.levels[1].keeps[Tensor::Inputs] = true;
      for (bool halo : {false, true}) {
        const ArchSpec a = withHalo(base, halo);
        INFO(info.name << " GLB tile height " << height << " halo " << halo << "\n"
                       << describe(a.hierarchy(), n, s));
        validateLoopNest(s, a, a.hierarchy(), n, "sweep");
        const AccessCounts c = threeOracles(l, a, n);
        const std::int64_t dramReads = c(0, Tensor::Inputs).reads;
        // Whole tiles: each of the P / height tiles is height + 2 rows of 10.
        CHECK(dramReads == (halo ? padded : (8 / height) * (height + 2) * 10 * 2));
      }
    }
  }
}

TEST_CASE(
    "halo reuse across children spread along the sliding coordinate passes the three "
    "oracles",
    "[halo][hierarchy_sim]") {
  // Children spread over P along the rows, each holding rfP outputs' window of R taps: when the
  // GLB's P loop moves on, each child keeps part of its window and the parent multicasts the
  // union of what they lack (the coordinate counted on its own in haloSavings).
  struct Case {
    Layer layer;
    ArchSpec arch;
    LoopNest nest;
    bool reuses;
  };
  std::vector<Case> cases;
  for (std::int64_t stride : {1, 2}) {
    for (std::int64_t dilation : {1, 2}) {
      if (stride > 1 && dilation > 1) continue;
      for (std::int64_t r : {3, 5}) {
        for (std::int64_t spread : {2, 4}) {
          for (std::int64_t rfP : {1, 2}) {
            const WindowAxis rows{stride, dilation, 0, 0};
            const WindowAxis cols{1, 1, 0, 0};
            const std::int64_t h = 7 * stride + (r - 1) * dilation + 1;
            const Layer l = convWindow("spread", 1, 2, 2, h, 5, r, 2, rows, cols);
            const ProblemShape s = l.shape();
            Hierarchy hier;
            HierarchyEntry e;
            e.storage.name = "dram";
            e.storage.offChip = true;
            hier.entries.push_back(e);
            e.storage.name = "glb";
            e.storage.offChip = false;
            e.storage.partitions = {partition(true, true, true, 1 << 20)};
            e.storage.doubleBuffered = rfP == 2;
            hier.entries.push_back(e);
            HierarchyEntry f;
            f.kind = HierarchyEntry::Kind::FanOut;
            f.fanOut.name = "noc";
            f.fanOut.rows = 4;
            f.fanOut.cols = 2;
            f.fanOut.multicast = spread == 2;
            hier.entries.push_back(f);
            e.storage.name = "rf";
            e.storage.partitions = {partition(true, true, true, 1 << 12)};
            e.storage.doubleBuffered = false;
            e.storage.haloReuse = true;
            hier.entries.push_back(e);
            ArchSpec a = arch(1, 1, 1 << 12, 1 << 20, false);
            setHierarchy(a, hier);
            const Dim P = s.dimByName("P");
            LoopNest n;
            n.levels.resize(3);
            n.levels[0].temporal = {{s.dimByName("M"), 2}};
            n.levels[1].temporal = {
                {s.dimByName("C"), 2}, {s.dimByName("Q"), 2}, {P, 8 / (spread * rfP)}};
            n.levels[1].spatial = {{P, spread, Axis::Rows}, {s.dimByName("S"), 2, Axis::Cols}};
            n.levels[2].temporal = {{P, rfP}, {s.dimByName("R"), r}, {s.dimByName("Q"), 2}};
            validateLoopNest(s, a, a.hierarchy(), n, "spread");
            // A child's window (rows) and how far the GLB's P loop moves it.
            const std::int64_t window = stride * (rfP - 1) + dilation * (r - 1) + 1;
            const bool reuses = 8 / (spread * rfP) > 1 && window > stride * spread * rfP;
            cases.push_back({l, a, n, reuses});
          }
        }
      }
    }
  }
  int reusing = 0;
  for (const Case& c : cases) {
    INFO(shapeOf(c.layer) << "\n" << describe(c.arch.hierarchy(), c.nest, c.layer.shape()));
    const AccessCounts with = threeOracles(c.layer, c.arch, c.nest);
    const AccessCounts without =
        analyticCounts(c.layer.shape(), withHalo(c.arch, false).hierarchy(), c.nest);
    CHECK((with(3, Tensor::Inputs).writes < without(3, Tensor::Inputs).writes) == c.reuses);
    reusing += c.reuses ? 1 : 0;
  }
  CHECK(reusing >= 4);
}

TEST_CASE("on perfect nests the halo savings by positions equal the closed form", "[halo]") {
  std::mt19937_64 rng(20261203);
  int compared = 0;
  for (int trial = 0; trial < 400; ++trial) {
    const Layer l = haloLayer(trial, rng);
    const ProblemShape s = l.shape();
    const Hierarchy h = randomHierarchy(rng);
    const LoopNest n = randomNest(s, h, rng, true);
    const DimLoopTable table = DimLoopTable::of(n, s);
    // Each level's spatial loops, [start, end): the boundary across the fan-out below it.
    std::size_t pos = 0;
    for (const LevelLoops& lv : n.levels) {
      pos += lv.temporal.size();
      const BoundaryPositions at{pos, 0, pos + lv.spatial.size()};
      pos += lv.spatial.size();
      for (Tensor t : {Tensor::Weights, Tensor::Inputs}) {
        BoundaryPositions b = at;
        for (std::size_t d = 0; d < s.numDims(); ++d) {
          if ((s.projectedDims(t) >> d & 1U) == 0) continue;
          for (std::size_t k = 0; k < table.count[d]; ++k) {
            const DimLoopTable::Entry& e = table.loops[d][k];
            if (!e.spatial && e.pos < b.stop) b.reuseEnd = std::max(b.reuseEnd, e.pos + 1);
          }
        }
        const HaloSavings closed = haloSavings(s, table, t, b);
        const HaloSavings listed = haloSavingsByPositions(s, table, t, b);
        INFO(shapeOf(l) << "\n"
                        << describe(h, n, s) << "stop " << b.stop << " reuseEnd " << b.reuseEnd
                        << " child " << b.childStart << " " << tensorName(t));
        CHECK(listed.unionWords == closed.unionWords);
        CHECK(listed.instanceWords == closed.instanceWords);
        compared += closed.unionWords > 0 ? 1 : 0;
      }
    }
  }
  CHECK(compared >= 50);
}

TEST_CASE("the halo savings by positions with one memo over many nests equal those without",
          "[halo]") {
  // The memo keeps the children's offsets of the last crossed fan-out and per-pair words across
  // calls: nests one after another (each twice, the second time after a different one) must
  // count as a fresh call does, ragged ones included.
  std::mt19937_64 rng(20261205);
  HaloMemo memo;
  int compared = 0;
  for (int trial = 0; trial < 300; ++trial) {
    const Layer l = haloLayer(trial, rng);
    const ProblemShape s = l.shape();
    const Hierarchy h = randomHierarchy(rng);
    const LoopNest n = randomNest(s, h, rng, trial % 2 == 0);
    const DimLoopTable table = DimLoopTable::of(n, s);
    std::vector<std::pair<Tensor, BoundaryPositions>> boundaries;
    std::size_t pos = 0;
    for (const LevelLoops& lv : n.levels) {
      pos += lv.temporal.size();
      const BoundaryPositions at{pos, 0, pos + lv.spatial.size()};
      pos += lv.spatial.size();
      for (Tensor t : {Tensor::Weights, Tensor::Inputs}) {
        BoundaryPositions b = at;
        for (std::size_t d = 0; d < s.numDims(); ++d) {
          if ((s.projectedDims(t) >> d & 1U) == 0) continue;
          for (std::size_t k = 0; k < table.count[d]; ++k) {
            const DimLoopTable::Entry& e = table.loops[d][k];
            if (!e.spatial && e.pos < b.stop) b.reuseEnd = std::max(b.reuseEnd, e.pos + 1);
          }
        }
        boundaries.emplace_back(t, b);
      }
    }
    for (int pass = 0; pass < 2; ++pass) {
      for (const auto& [t, b] : boundaries) {
        const HaloSavings fresh = haloSavingsByPositions(s, table, t, b);
        const HaloSavings kept = haloSavingsByPositions(s, table, t, b, &memo);
        INFO(shapeOf(l) << "\n"
                        << describe(h, n, s) << "stop " << b.stop << " reuseEnd " << b.reuseEnd
                        << " child " << b.childStart << " " << tensorName(t) << " pass " << pass);
        CHECK(kept.unionWords == fresh.unionWords);
        CHECK(kept.instanceWords == fresh.instanceWords);
        compared += fresh.unionWords > 0 ? 1 : 0;
      }
      std::reverse(boundaries.begin(), boundaries.end());
    }
  }
  CHECK(compared >= 50);
}

TEST_CASE(
    "glb.halo_reuse and rf.halo_reuse keep the 4-level instance, and run, --check and "
    "evaluate agree on it",
    "[halo][cli]") {
  const TempDir scratch("halo-cli");
  // A 3x3 padded conv whose windows slide across the array's steps.
  Network net;
  net.name = "slide";
  net.layers = {conv("c1", 1, 4, 8, 30, 3, 1, 1), conv("c2", 1, 8, 8, 16, 5, 2, 2)};
  const std::string netFile = (scratch.path() / "slide.json").string();
  std::ofstream(netFile) << networkToJson(net).dump(2) << "\n";
  const std::string common =
      "--arch configs/arch/eyeriss.json --network '" + netFile + "' --dataflow all";
  const std::string halo = " --set arch.glb.halo_reuse=true --set arch.rf.halo_reuse=true";
  // The resolved arch keeps the 4-level form's names and says halo_reuse per level.
  const Outcome dump = runDfsim("run " + common + halo + " --dump-config", scratch.path());
  REQUIRE(dump.code == 0);
  const nlohmann::json config = nlohmann::json::parse(dump.out);
  CHECK(config["arch"]["levels"][1]["name"] == "glb");
  CHECK(config["arch"]["levels"][1]["halo_reuse"] == true);
  CHECK(config["arch"]["levels"][3]["halo_reuse"] == true);
  auto totals = [&](const std::string& cmd, const std::string& file) {
    const Outcome o = runDfsim(cmd, scratch.path());
    INFO(cmd << "\n" << o.err);
    REQUIRE(o.code == 0);
    return nlohmann::json::parse(file.empty() ? o.out : readFile(scratch.path() / file));
  };
  const std::string out = (scratch.path() / "r").string();
  const nlohmann::json sim =
      totals("run " + common + halo + " --check --quiet --out '" + out + "'", "r/stats.json");
  const nlohmann::json model = totals("evaluate " + common + halo + " --json", "");
  const std::string noHalo = " --set arch.glb.halo_reuse=false --set arch.rf.halo_reuse=false";
  const nlohmann::json plain = totals("evaluate " + common + noHalo + " --json", "");
  // Halo reuse is the arch file's default at both levels.
  const nlohmann::json byDefault = totals("evaluate " + common + " --json", "");
  REQUIRE(sim["layers"].size() == 12);
  REQUIRE(model["layers"].size() == 12);
  std::int64_t fewer = 0;
  for (std::size_t i = 0; i < 12; ++i) {
    const nlohmann::json& s = sim["layers"][i];
    const nlohmann::json& m = model["layers"][i];
    INFO(s["layer"] << " " << s["dataflow"]);
    CHECK(s["check"] == "passed");
    CHECK(s["accesses"] == m["accesses"]);
    CHECK(byDefault["layers"][i]["accesses"] == m["accesses"]);
    const auto words = [](const nlohmann::json& l) {
      std::int64_t w = 0;
      for (const char* level : {"dram", "glb", "noc", "rf"}) {
        w += l["accesses"][level]["inputs"]["reads"].get<std::int64_t>() +
             l["accesses"][level]["inputs"]["writes"].get<std::int64_t>();
      }
      return w;
    };
    CHECK(words(m) <= words(plain["layers"][i]));
    fewer += words(m) < words(plain["layers"][i]) ? 1 : 0;
    // RS's RF holds a window of 12 input columns that its GLB's Q loop moves by 10.
    if (s["layer"] == "c1" && s["dataflow"] == "rs") CHECK(words(m) < words(plain["layers"][i]));
  }
  CHECK(fewer >= 1);
}

TEST_CASE("with halo reuse the 4-level model and its memo equal the generic model", "[halo]") {
  std::mt19937_64 rng(20261204);
  int checked = 0;
  int saved = 0;
  CountsMemo memo;
  for (int trial = 0; trial < 400; ++trial) {
    const Layer l = haloLayer(trial, rng);
    const ProblemShape s = l.shape();
    ArchSpec a = arch(pick(rng, 1, 4), pick(rng, 1, 4), 1 << 20, 1 << 24, false);
    a.noc.multicast = trial % 2 == 0;
    a.glb.haloReuse = trial % 3 != 0;
    a.rf.haloReuse = trial % 3 != 1;
    Mapping m;
    REQUIRE(fromLoopNest(randomNest(s, a.hierarchy(), rng, trial % 2 == 0), m));
    try {
      validateMapping(l, a, m, "random");
    } catch (const InputError&) {
      continue;
    }
    ++checked;
    INFO(shapeOf(l) << "\n" << describe(a.hierarchy(), toLoopNest(m), s));
    const AccessCounts four = analyticCounts(s, a, m);
    CHECK(four == analyticCounts(s, a.hierarchy(), toLoopNest(m)));
    memo.clear();
    CHECK(analyticCounts(s, a, m, memo) == four);
    ArchSpec off = a;
    off.glb.haloReuse = off.rf.haloReuse = false;
    saved += analyticCounts(s, off, m) == four ? 0 : 1;
  }
  CHECK(checked >= 100);
  CHECK(saved >= checked / 10);
}
