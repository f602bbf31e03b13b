// The simulator of any hierarchy (simulateHierarchy) against the three oracles: the reference
// convolution (--check), the generic analytic model's counts, the compute bound, and fast ==
// functional; on random hierarchies and ragged nests, on the 4-level instance against
// simulateLayer, and on eyeriss_v2_like with a small conv.
#include <optional>
#include <random>
#include <string>

#include <catch2/catch.hpp>

#include "arch/hierarchy.hpp"
#include "common/errors.hpp"
#include "dataflow/default_mapper.hpp"
#include "io/readers.hpp"
#include "mapping/analytic_model.hpp"
#include "mapping/hierarchy_model.hpp"
#include "mapping/validate_loop_nest.hpp"
#include "mapping/validate_mapping.hpp"
#include "random_hierarchy.hpp"
#include "random_layers.hpp"
#include "sim/hierarchy_sim.hpp"
#include "sim/simulate_layer.hpp"
#include "test_support.hpp"

using namespace dfsim;
using namespace dfsim::test;

namespace {

void sameCounts(const AccessCounts& want, const AccessCounts& got, std::size_t entries) {
  CHECK(got.macs == want.macs);
  for (std::size_t e = 0; e < entries; ++e) {
    for (Tensor t : kAllTensors) {
      INFO("entry " << e << " " << tensorName(t));
      CHECK(got(e, t).reads == want(e, t).reads);
      CHECK(got(e, t).writes == want(e, t).writes);
    }
  }
  CHECK(got == want);
}

/// The compute bound, counted here from the nest: the steps of the temporal loops above the
/// innermost level whose origin lies inside the layer, times the innermost level's iterations.
std::uint64_t computeBound(const ProblemShape& s, const LoopNest& n) {
  struct L {
    std::size_t dim;
    std::int64_t bound;
    std::int64_t weight;
  };
  std::vector<L> flat;
  std::vector<bool> outer;
  for (std::size_t k = 0; k < n.levels.size(); ++k) {
    for (const Loop& l : n.levels[k].temporal) {
      flat.push_back({idx(l.dim), l.bound, 1});
      outer.push_back(k + 1 < n.levels.size());
    }
    for (const SpatialLoop& l : n.levels[k].spatial) {
      flat.push_back({idx(l.dim), l.bound, 1});
      outer.push_back(false);
    }
  }
  std::vector<std::int64_t> inner(kMaxDims, 1);
  std::int64_t iters = 1;
  for (std::size_t j = flat.size(); j-- > 0;) {
    flat[j].weight = inner[flat[j].dim];
    inner[flat[j].dim] *= flat[j].bound;
  }
  for (const Loop& l : n.levels.back().temporal) iters *= l.bound;
  std::vector<std::size_t> loops;
  for (std::size_t j = 0; j < flat.size(); ++j) {
    if (outer[j]) loops.push_back(j);
  }
  std::vector<std::int64_t> index(loops.size(), 0);
  std::uint64_t steps = 0;
  for (;;) {
    bool in = true;
    std::vector<std::int64_t> o(kMaxDims, 0);
    for (std::size_t k = 0; k < loops.size(); ++k)
      o[flat[loops[k]].dim] += index[k] * flat[loops[k]].weight;
    for (std::size_t d = 0; d < s.numDims(); ++d) in = in && o[d] < s.size(ProblemShape::dimAt(d));
    steps += in ? 1 : 0;
    std::size_t k = loops.size();
    while (k-- > 0) {
      if (++index[k] < flat[loops[k]].bound) break;
      index[k] = 0;
    }
    if (k == static_cast<std::size_t>(-1)) break;
  }
  return steps * static_cast<std::uint64_t>(iters);
}

/// Runs the three oracles on (layer, arch, nest), and fast mode with and without skipping ahead
/// against the functional run; returns the steps skipped.
std::int64_t threeOracles(const Layer& l, const ArchSpec& a, const LoopNest& n) {
  const ProblemShape s = l.shape();
  const Hierarchy h = a.hierarchy();
  SimOptions functional;
  functional.check = true;
  const SimResult f = simulateHierarchy(l, a, n, functional);
  INFO(f.checkMismatch);
  CHECK(f.checked);
  sameCounts(analyticCounts(s, h, n), f.counts, h.size());
  CHECK(f.cycles.total.count() >= computeBound(s, n));
  CHECK(f.cycles.compute.count() == computeBound(s, n));
  std::int64_t skipped = 0;
  for (bool skip : {false, true}) {
    INFO("fast mode, skipping ahead " << (skip ? "on" : "off"));
    SimOptions fast;
    fast.functional = false;
    fast.skipRepeats = skip;
    const SimResult g = simulateHierarchy(l, a, n, fast);
    sameCounts(f.counts, g.counts, h.size());
    CHECK(g.cycles.total == f.cycles.total);
    CHECK(g.cycles.compute == f.cycles.compute);
    CHECK(g.cycles.stallDram == f.cycles.stallDram);
    CHECK(g.cycles.stallGlb == f.cycles.stallGlb);
    CHECK(g.cycles.stallNoc == f.cycles.stallNoc);
    if (!skip) CHECK(g.stepsSkipped == 0);
    skipped += g.stepsSkipped;
  }
  return skipped;
}

/// A random case of the two random tests below.
struct RandomCase {
  Layer layer;
  ArchSpec arch;
  LoopNest nest;
  bool splits = false;    ///< some fan-out keeps psums apart (markUnreducedDims)
  bool streamed = false;  ///< some streamed tile is refetched unchanged (markStreamed)
};

/// Draws trial `trial`: a small layer, a random hierarchy (with random ports when `ports`), a
/// random nest and, from the trial's own generator, unreduced dimensions on most fan-outs.
/// nullopt when the nest is not legal. Validates everything (nothing may throw once a
/// simulation has run: an exception unwinding across SystemC's coroutine stacks gives the
/// sanitized build a false report).
std::optional<RandomCase> drawCase(int trial, std::mt19937_64& rng, bool ports) {
  const Layer l = smallPrimeLayer(trial, rng);
  const ProblemShape s = l.shape();
  Hierarchy h = randomHierarchy(rng);
  // Random ports: the times change, never the counts.
  if (ports) randomPorts(h, rng);
  ArchSpec a = arch(1, 1, 1 << 20, 1 << 24, false);
  setHierarchy(a, h);
  LoopNest n = randomNest(s, h, rng);
  try {
    validateLoopNest(s, a, a.hierarchy(), n, "random");
  } catch (const InputError&) {
    return std::nullopt;
  }
  // Most fan-outs do not reduce along the dimensions they may (own draws: the cases drawn
  // from `rng` stay those of the seed).
  std::mt19937_64 apartRng(static_cast<std::uint64_t>(trial));
  const bool splits = markUnreducedDims(s, h, n, apartRng);
  setHierarchy(a, h);
  REQUIRE_NOTHROW(validateLoopNest(s, a, a.hierarchy(), n, "random, unreduced"));
  // Streamed tiles on some levels (own draws too).
  std::mt19937_64 streamRng(static_cast<std::uint64_t>(trial) + 7919U);
  const bool streamed = markStreamed(s, h, n, streamRng);
  REQUIRE_NOTHROW(validateLoopNest(s, a, a.hierarchy(), n, "random, streamed"));
  return RandomCase{l, a, n, splits, streamed};
}

}  // namespace

TEST_CASE("simulateHierarchy passes the three oracles on random hierarchies and ragged nests",
          "[hierarchy_sim]") {
  std::mt19937_64 rng(20261202);
  const int trials = test::cases(300, 40);
  int checked = 0;
  int ragged = 0;
  int latched = 0;
  int splitting = 0;  // cases with a fan-out that does not reduce some of its psums
  int streaming = 0;  // cases with a streamed tile refetched unchanged
  // Every case is drawn and validated before the first simulation (drawCase).
  std::vector<RandomCase> valid;
  for (int trial = 0; trial < trials; ++trial) {
    std::optional<RandomCase> c = drawCase(trial, rng, trial % 2 == 0);
    if (!c) continue;
    ++checked;
    splitting += c->splits ? 1 : 0;
    streaming += c->streamed ? 1 : 0;
    const ProblemShape s = c->layer.shape();
    const LoopNest& n = c->nest;
    std::int64_t prod = 1;
    for (std::size_t i = 0; i < s.numDims(); ++i) {
      std::int64_t p = 1;
      for (const LevelLoops& lv : n.levels) {
        for (const Loop& x : lv.temporal) p *= idx(x.dim) == i ? x.bound : 1;
        for (const SpatialLoop& x : lv.spatial) p *= idx(x.dim) == i ? x.bound : 1;
      }
      prod *= p == s.size(ProblemShape::dimAt(i)) ? 1 : 0;
    }
    ragged += prod == 0 ? 1 : 0;
    for (Tensor t : kAllTensors) latched += n.levels.back().keeps[t] ? 0 : 1;
    valid.push_back(std::move(*c));
  }
  std::int64_t skipped = 0;
  for (const RandomCase& c : valid) {
    INFO(shapeOf(c.layer) << "\n" << describe(c.arch.hierarchy(), c.nest, c.layer.shape()));
    skipped += threeOracles(c.layer, c.arch, c.nest);
  }
  // The comparison with skipping ahead means something only if it skipped.
  CHECK(skipped > 0);
  CHECK(checked >= trials / 3);
  CHECK(ragged >= checked / 3);
  CHECK(latched >= checked / 4);
  CHECK(splitting >= checked / 40);
  CHECK(streaming >= checked / 8);
}

TEST_CASE("simulateHierarchy passes the three oracles where fan-outs keep psums apart",
          "[hierarchy_sim]") {
  // Only cases in which some fan-out does not reduce some of its psums (markUnreducedDims), so
  // that the grouped drains and latches are exercised on many nests.
  std::mt19937_64 rng(20261204);
  std::vector<RandomCase> valid;
  const std::size_t wanted = static_cast<std::size_t>(test::cases(40, 8));
  for (int trial = 0; trial < 20000 && valid.size() < wanted; ++trial) {
    std::optional<RandomCase> c = drawCase(trial, rng, false);
    if (c && c->splits) valid.push_back(std::move(*c));
  }
  REQUIRE(valid.size() == wanted);
  for (const RandomCase& c : valid) {
    INFO(shapeOf(c.layer) << "\n" << describe(c.arch.hierarchy(), c.nest, c.layer.shape()));
    threeOracles(c.layer, c.arch, c.nest);
  }
}

TEST_CASE("on the 4-level instance simulateHierarchy counts and times what simulateLayer does",
          "[hierarchy_sim]") {
  std::mt19937_64 rng(11);
  const int trials = test::cases(100, 20);
  int checked = 0;
  int doubled = 0;
  int streamed = 0;  // cases with a streamed tile refetched unchanged
  struct Case {
    Layer layer;
    ArchSpec arch;
    Mapping mapping;
  };
  std::vector<Case> valid;
  for (int trial = 0; trial < trials; ++trial) {
    const Layer l = smallPrimeLayer(trial, rng);
    const ProblemShape s = l.shape();
    ArchSpec a = arch(pick(rng, 1, 4), pick(rng, 1, 4), 1 << 20, 1 << 24, trial % 3 != 2);
    a.noc.multicast = trial % 2 == 0;
    // Double buffering on in about half the cases; per-tensor widths (the DRAM bus's bytes)
    // and random ports in some.
    a.glb.doubleBuffered = trial % 4 < 2;
    if (trial % 5 == 1) {
      a.tensorBits[Tensor::Weights] = 8;
      a.tensorBits[Tensor::Inputs] = 16;
      a.tensorBits[Tensor::Outputs] = 32;
    }
    if (trial % 3 == 1) {
      a.glb.readWordsPerCycle = pick(rng, 0, 4);
      a.glb.writeWordsPerCycle = pick(rng, 0, 4);
      a.glb.latencyCycles = pick(rng, 0, 3);
      a.noc.wordsPerCycle = pick(rng, 0, 3);
      a.noc.hopLatencyCycles = pick(rng, 0, 2);
      a.dram.bytesPerCycle = pick(rng, 0, 8);
      a.dram.latencyCycles = pick(rng, 0, 20);
    }
    LoopNest n = randomNest(s, a.hierarchy(), rng);
    std::mt19937_64 streamRng(static_cast<std::uint64_t>(trial) + 104729U);
    const bool refetches = markStreamed(s, a.hierarchy(), n, streamRng);
    Mapping m;
    REQUIRE(fromLoopNest(n, m));
    try {
      validateMapping(l, a, m, "random");
    } catch (const InputError&) {
      continue;
    }
    ++checked;
    doubled += a.glb.doubleBuffered ? 1 : 0;
    streamed += refetches ? 1 : 0;
    valid.push_back({l, a, m});
  }
  // The same machine with a level that keeps nothing between DRAM and the GLB: no longer the
  // 4-level instance, the same run (no boundary touches that level).
  const auto withPass = [](const Mapping& m) {
    LoopNest n = toLoopNest(m);
    LevelLoops pass;
    pass.keeps = PerTensor<bool>{};
    n.levels.insert(n.levels.begin() + 1, pass);
    // A tile streamed over the GLB's loops is now streamed over one level more.
    for (Tensor t : kAllTensors) n.levels[3].streamedOver[t] += n.levels[3].streamedOver[t] == 2;
    return n;
  };
  std::vector<ArchSpec> passArch;
  for (std::size_t i = 0; i < valid.size(); i += 3) {
    ArchSpec a = valid[i].arch;
    Hierarchy h = a.hierarchy();
    HierarchyEntry pass;
    pass.storage.name = "pass";
    h.entries.insert(h.entries.begin() + 1, pass);
    setHierarchy(a, h);
    REQUIRE_FALSE(a.isFourLevel());
    REQUIRE_NOTHROW(validateLoopNest(valid[i].layer.shape(), a, a.hierarchy(),
                                     withPass(valid[i].mapping), "pass"));
    passArch.push_back(a);
  }
  // Simulated only once every case is validated (see the test above: no throw after a run).
  for (std::size_t i = 0; i < valid.size(); ++i) {
    const Case& c = valid[i];
    INFO(shapeOf(c.layer) << "\n"
                          << nest(c.mapping) << "double buffered " << c.arch.glb.doubleBuffered);
    SimOptions o;
    o.check = true;
    const SimResult four = simulateLayer(c.layer, c.arch, c.mapping, o);
    const SimResult any = simulateHierarchy(c.layer, c.arch, toLoopNest(c.mapping), o);
    CHECK(any.checked);
    sameCounts(four.counts, any.counts, 4);
    CHECK(any.activePes == four.activePes);
    CHECK(describe(any.cycles) == describe(four.cycles));
    if (i % 3 != 0) continue;
    const SimResult more = simulateHierarchy(c.layer, passArch[i / 3], withPass(c.mapping), o);
    CHECK(more.checked);
    CHECK(more.counts.macs == four.counts.macs);
    CHECK(describe(more.cycles) == describe(four.cycles));
  }
  CHECK(checked >= trials / 2);
  CHECK(doubled >= checked / 4);
  CHECK(streamed >= checked / 8);
}

TEST_CASE("on the 4-level instance simulateHierarchy times small real layers as simulateLayer",
          "[hierarchy_sim]") {
  // Each dataflow's default mapping (perfect and ragged tilings) on an Eyeriss-like chip with
  // and without double buffering, on small layers with AlexNet-like shapes.
  const std::vector<Layer> layers = {
      conv("conv3_like", 1, 16, 24, 7, 3, 1, 1),
      conv("conv1_like", 1, 3, 8, 23, 11, 4),
      conv("grouped", 1, 8, 12, 9, 3, 1, 1, 2),
      fc("fc_like", 2, 97, 31),
  };
  const std::vector<Dataflow> dataflows = {Dataflow::WS,   Dataflow::OS_A, Dataflow::OS_B,
                                           Dataflow::OS_C, Dataflow::NLR,  Dataflow::RS};
  int runs = 0;
  for (bool doubled : {true, false}) {
    ArchSpec a = eyerissLike();
    a.glb.doubleBuffered = doubled;
    for (const Layer& l : layers) {
      for (Dataflow df : dataflows) {
        for (Tiling tiling : {Tiling::Perfect, Tiling::Ragged}) {
          const Mapping m = defaultMapping(l, a, df, tiling);
          INFO(l.name << " " << dataflowName(df) << " " << tilingName(tiling) << " double buffered "
                      << doubled << "\n"
                      << nest(m));
          SimOptions o;
          o.functional = false;
          const SimResult four = simulateLayer(l, a, m, o);
          const SimResult any = simulateHierarchy(l, a, toLoopNest(m), o);
          sameCounts(four.counts, any.counts, 4);
          CHECK(describe(any.cycles) == describe(four.cycles));
          ++runs;
        }
      }
    }
  }
  CHECK(runs == 96);
}

TEST_CASE("eyeriss_v2_like runs a small conv with a conv3-like mapping through the three oracles",
          "[hierarchy_sim]") {
  const ArchSpec a = readArch(std::string(DFSIM_SOURCE_DIR) + "/configs/arch/eyeriss_v2_like.json");
  // 8 -> 40 output channels, 7x7 -> 5x5 with 3x3 filters; the structure of
  // configs/mappings/eyeriss_v2_like_alexnet_conv3.json: M (ragged) and P (ragged) over the
  // 8x2 clusters, R x M over each cluster's 3x4 PEs, C x S in the spads.
  const Layer l = conv("small", 1, 8, 40, 7, 3, 1);
  const ProblemShape s = l.shape();
  LoopNest n;
  n.levels.resize(3);
  n.levels[0].temporal = {{cd::M, 2}, {cd::C, 2}};
  n.levels[0].spatial = {{cd::M, 8, Axis::Rows}, {cd::P, 2, Axis::Cols}};
  n.levels[1].temporal = {{cd::Q, 5}, {cd::P, 3}};
  n.levels[1].spatial = {{cd::R, 3, Axis::Rows}, {cd::M, 4, Axis::Cols}};
  n.levels[2].temporal = {{cd::C, 4}, {cd::S, 3}};
  REQUIRE_NOTHROW(validateLoopNest(s, a, a.hierarchy(), n, "small"));
  threeOracles(l, a, n);
  // And with the spads streaming the weights through the latches.
  n.levels[2].keeps[Tensor::Weights] = false;
  REQUIRE_NOTHROW(validateLoopNest(s, a, a.hierarchy(), n, "small"));
  threeOracles(l, a, n);
}
