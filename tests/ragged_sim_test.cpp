// The simulator on ragged mappings (a loop's last iteration may be smaller: issue 13's ragged
// tile semantics): hand-made mappings of every shape on a conv layer with prime dimensions, and
// random ones on random prime shapes. Oracles: the functional outputs equal the reference
// convolution, the MACs equal the layer's, the simulated counts equal the analytic model's
// (src/mapping, independent of the simulator), the fast mode (memoised transfers) counts and
// times exactly as the functional run, and skipping ahead changes nothing (and happens).

#include <catch2/catch.hpp>
#include <cstdint>
#include <sstream>
#include <string>
#include <vector>

#include "mapping/analytic_model.hpp"
#include "mapping/ragged_nest.hpp"
#include "mapping/validate_mapping.hpp"
#include "random_layers.hpp"
#include "sim/nest_plan.hpp"
#include "sim/ragged_plan.hpp"
#include "sim/simulate_layer.hpp"
#include "test_support.hpp"

using namespace dfsim;
using test::cd::C;
using test::cd::M;
using test::cd::P;
using test::cd::Q;
using test::cd::R;
using test::cd::S;

namespace {

/// The ragged semantics' legality rules, written here from the contract (not the lead's
/// validation): per loop (bound - 1) * T < N_d, the outermost loop over d covers N_d, the RF
/// loops over d divide N_d, and a dimension without loops has size 1.
void requireRaggedLegal(const ProblemShape& shape, const Mapping& m) {
  struct L {
    Dim dim;
    std::int64_t bound;
  };
  std::vector<L> nest;
  for (const Loop& l : m.dramLoops) nest.push_back({l.dim, l.bound});
  for (const Loop& l : m.glbLoops) nest.push_back({l.dim, l.bound});
  for (const SpatialLoop& l : m.spatialLoops) nest.push_back({l.dim, l.bound});
  for (const Loop& l : m.rfLoops) nest.push_back({l.dim, l.bound});
  for (std::size_t di = 0; di < shape.numDims(); ++di) {
    const Dim d = ProblemShape::dimAt(di);
    const std::int64_t n = shape.size(d);
    bool outermost = true;
    for (std::size_t i = 0; i < nest.size(); ++i) {
      if (nest[i].dim != d) continue;
      std::int64_t tile = 1;
      for (std::size_t j = i + 1; j < nest.size(); ++j)
        tile *= nest[j].dim == d ? nest[j].bound : 1;
      INFO("loop " << i << " over " << shape.name(d) << " bound " << nest[i].bound << " tile "
                   << tile << " of " << n);
      REQUIRE((nest[i].bound - 1) * tile < n);
      if (outermost) REQUIRE(nest[i].bound * tile >= n);
      outermost = false;
    }
    if (outermost) REQUIRE(n == 1);
    std::int64_t rf = 1;
    for (const Loop& l : m.rfLoops) rf *= l.dim == d ? l.bound : 1;
    REQUIRE(n % rf == 0);
  }
}

/// The prime conv layer: P = Q = 7, M = 5, C = 3, R = S = 3.
Layer primeLayer() {
  return test::conv("prime", 1, 3, 5, 9, 3);
}

/// Runs `m` functionally (checked), in fast mode stepping and in fast mode skipping ahead;
/// requires the three to agree and the outputs and MACs to be right. Returns the fast, skipping
/// result.
SimResult runThreeWays(const Layer& layer, const ArchSpec& arch, const Mapping& m) {
  INFO("layer " << layer.name << "\n"
                << test::nest(m) << "keeps glb " << m.glbKeeps[Tensor::Weights]
                << m.glbKeeps[Tensor::Inputs] << m.glbKeeps[Tensor::Outputs] << " rf "
                << m.rfKeeps[Tensor::Weights] << m.rfKeeps[Tensor::Inputs]
                << m.rfKeeps[Tensor::Outputs] << " double " << arch.glb.doubleBuffered
                << " multicast " << arch.noc.multicast);
  requireRaggedLegal(layer.shape(), m);
  validateMapping(layer, arch, m, "test");
  SimOptions functional;
  functional.check = true;
  const SimResult r = simulateLayer(layer, arch, m, functional);
  INFO(r.checkMismatch);
  CHECK(r.checked);
  CHECK(r.counts.macs == layer.macs());
  CHECK(r.activePes == m.activePes());
  CHECK(r.cycles.total ==
        r.cycles.compute + r.cycles.stallDram + r.cycles.stallGlb + r.cycles.stallNoc);
  const AccessCounts expected = analyticCounts(layer.shape(), arch, m);
  INFO("simulated:\n" << test::describe(r.counts) << "analytic:\n" << test::describe(expected));
  CHECK(r.counts == expected);
  // Compute cycles: one per RF iteration of every non-empty step.
  CHECK(r.cycles.compute.count() ==
        static_cast<std::uint64_t>(nonEmptySteps(layer.shape(), m) * m.rfIterations()));
  SimOptions stepping;
  stepping.functional = false;
  stepping.skipRepeats = false;
  const SimResult f = simulateLayer(layer, arch, m, stepping);
  INFO("functional:\n" << test::describe(r.counts) << "fast:\n" << test::describe(f.counts));
  CHECK(f.counts == r.counts);
  CHECK(test::describe(f.cycles) == test::describe(r.cycles));
  CHECK(f.stepsSkipped == 0);
  SimOptions skipping;
  skipping.functional = false;
  const SimResult s = simulateLayer(layer, arch, m, skipping);
  INFO("skipping:\n" << test::describe(s.counts));
  CHECK(s.counts == r.counts);
  CHECK(test::describe(s.cycles) == test::describe(r.cycles));
  return s;
}

Mapping spatialRagged() {
  // P over 4 rows (7 = 4 + 3), Q over 3 columns (7 = 3 + 3 + 1): four step kinds.
  Mapping m;
  m.glbLoops = {{M, 5}, {Q, 3}, {P, 2}, {C, 3}, {R, 3}};
  m.spatialLoops = {{P, 4, Axis::Rows}, {Q, 3, Axis::Cols}};
  m.rfLoops = {{S, 3}};
  return m;
}

Mapping glbRagged() {
  // DRAM tiles over M (5 = 3 + 2: the last GLB tile's third M step is empty) and P (7 = 4 + 3,
  // inside each the array's P tiles 2 + 2 and 2 + 1: nested ragged over one dimension).
  Mapping m;
  m.dramLoops = {{M, 2}, {P, 2}};
  m.glbLoops = {{M, 3}, {P, 2}, {Q, 7}, {C, 3}};
  m.spatialLoops = {{P, 2, Axis::Rows}, {R, 3, Axis::Cols}};
  m.rfLoops = {{S, 3}};
  return m;
}

Mapping dramRagged() {
  // DRAM tiles over C (3 = 2 + 1: the last tile's second C step is empty) and Q (7 = 3 + 3 + 1)
  // with Q also across the columns (the last tile one column wide).
  Mapping m;
  m.dramLoops = {{Q, 3}, {C, 2}};
  m.glbLoops = {{C, 2}, {M, 5}, {P, 7}};
  m.spatialLoops = {{R, 3, Axis::Rows}, {Q, 3, Axis::Cols}};
  m.rfLoops = {{S, 3}};
  return m;
}

Mapping nestedRagged() {
  // Q ragged at three levels: DRAM 2 tiles of 4 (4 + 3), GLB 2 steps of 2 (2 + 2, 2 + 1), array
  // 2 columns; P across the rows (7 = 4 + 3) with a long GLB loop over M to skip ahead over.
  Mapping m;
  m.dramLoops = {{Q, 2}};
  m.glbLoops = {{Q, 2}, {P, 2}, {M, 5}, {C, 3}, {R, 3}};
  m.spatialLoops = {{P, 4, Axis::Rows}, {Q, 2, Axis::Cols}};
  m.rfLoops = {{S, 3}};
  return m;
}

Mapping twoAxesRagged() {
  // M over rows and columns (3 x 2 = 6 PEs for 5 filters: every step clipped, its first too),
  // P over columns too (7 = 2 + 2 + 2 + 1).
  Mapping m;
  m.glbLoops = {{Q, 7}, {P, 4}, {C, 3}, {R, 3}};
  m.spatialLoops = {{M, 3, Axis::Rows}, {M, 2, Axis::Cols}, {P, 2, Axis::Cols}};
  m.rfLoops = {{S, 3}};
  return m;
}

std::vector<std::pair<std::string, Mapping>> handMade() {
  return {{"spatial", spatialRagged()},
          {"glb", glbRagged()},
          {"dram", dramRagged()},
          {"nested", nestedRagged()},
          {"two axes", twoAxesRagged()}};
}

}  // namespace

TEST_CASE("RaggedPlan: step kinds, working PEs, GLB kinds and empty steps", "[sim][ragged]") {
  const Layer layer = primeLayer();
  const ProblemShape shape = layer.shape();
  const NestPlan plan = NestPlan::make(spatialRagged());
  const RaggedPlan r = RaggedPlan::make(plan, shape);
  // P over 4 rows (7 mod 4 = 3) and Q over 3 columns (7 mod 3 = 1) do not divide: 4 kinds.
  REQUIRE(r.stepKinds() == 4);
  DimVector origin{};
  CHECK(r.stepKindAt(origin).id == 0);
  CHECK(r.stepKindAt(origin).pes.size() == 12);
  origin[idx(P)] = 4;
  CHECK(r.stepKindAt(origin).pes.size() == 9);  // 3 rows x 3 columns
  origin[idx(Q)] = 6;
  const StepKind& corner = r.stepKindAt(origin);
  CHECK(corner.pes == std::vector<std::int64_t>{0, 3, 6});  // 3 rows x 1 column
  CHECK_FALSE(r.empty(origin));
  origin[idx(Q)] = 7;  // at the edge: nothing left to compute
  CHECK(r.empty(origin));
  // No DRAM loop: one GLB tile, clipped to the problem (the GLB tile spans 8 x 9 of P x Q).
  REQUIRE(r.glbKinds() == 4);
  DimVector zero{};
  const DimVector ext = r.glbExtent(r.glbKindAt(zero));
  CHECK(ext[idx(P)] == 7);
  CHECK(ext[idx(Q)] == 7);
  CHECK(ext[idx(M)] == 5);

  // A perfectly factorised mapping has one kind of each and no overhang.
  Mapping perfect;
  perfect.glbLoops = {{M, 5}, {Q, 7}, {C, 3}, {R, 3}};
  perfect.spatialLoops = {{P, 7, Axis::Rows}};
  perfect.rfLoops = {{S, 3}};
  const RaggedPlan p = RaggedPlan::make(NestPlan::make(perfect), shape);
  CHECK(p.stepKinds() == 1);
  CHECK(p.glbKinds() == 1);
  CHECK(p.overhangDims().empty());
}

TEST_CASE("ragged mappings: spatial, GLB, DRAM and nested edges, all three oracles",
          "[sim][ragged]") {
  const Layer layer = primeLayer();
  for (bool limited : {false, true}) {
    const ArchSpec arch = test::arch(4, 4, 64, 4096, limited);
    for (const auto& [name, m] : handMade()) {
      INFO(name << (limited ? " limited" : " unlimited"));
      CHECK(hasRaggedTiles(layer.shape(), m));
      runThreeWays(layer, arch, m);
    }
  }
}

TEST_CASE("ragged mappings: exact words at the edges", "[sim][ragged]") {
  // Independent hand counts: with every tile fetched once, DRAM reads are the tensor's words,
  // and each output is written to DRAM once; the array's MACs and weight RF reads are the
  // layer's MACs (the padded nest would give 8 * 9 / 49 times more).
  const Layer layer = primeLayer();
  const ArchSpec arch = test::arch(4, 4, 64, 4096, true);
  SimOptions opt;
  opt.check = true;
  const SimResult r = simulateLayer(layer, arch, spatialRagged(), opt);
  CHECK(r.checked);
  CHECK(r.counts(Level::Dram, Tensor::Weights).reads == 5 * 3 * 3 * 3);
  CHECK(r.counts(Level::Dram, Tensor::Inputs).reads == 3 * 9 * 9);
  CHECK(r.counts(Level::Dram, Tensor::Outputs).writes == 5 * 7 * 7);
  CHECK(r.counts(Level::Glb, Tensor::Weights).writes == 5 * 3 * 3 * 3);
  CHECK(r.counts(Level::Rf, Tensor::Weights).reads == layer.macs());
  // Each output tile (one word per PE) is visited once, over the C and R steps, and leaves the
  // PEs that work on it once: the clipped P x Q extents summed, 7 * 7 per M.
  CHECK(r.counts(Level::Noc, Tensor::Outputs).writes == 5 * 7 * 7);
  CHECK(r.counts(Level::Noc, Tensor::Outputs).reads == 0);
}

TEST_CASE("ragged mappings: operands latched instead of held in the RF", "[sim][ragged]") {
  const Layer layer = primeLayer();
  const ArchSpec arch = test::arch(4, 4, 64, 4096, true);
  for (const auto& [name, base] : handMade()) {
    for (Tensor t : kAllTensors) {
      Mapping m = base;
      m.rfKeeps[t] = false;
      INFO(name << " latches " << tensorName(t));
      runThreeWays(layer, arch, m);
    }
    Mapping none = base;
    none.rfKeeps = {{false, false, false}};
    INFO(name << " latches everything");
    runThreeWays(layer, arch, none);
  }
}

TEST_CASE("ragged mappings: tensors that bypass the GLB", "[sim][ragged]") {
  const Layer layer = primeLayer();
  const ArchSpec arch = test::arch(4, 4, 64, 4096, true);
  for (const auto& [name, base] : handMade()) {
    for (Tensor t : kAllTensors) {
      Mapping m = base;
      m.glbKeeps[t] = false;
      INFO(name << " bypasses the GLB with " << tensorName(t));
      runThreeWays(layer, arch, m);
    }
  }
}

TEST_CASE("ragged mappings: double buffering, multicast off, starved bandwidth", "[sim][ragged]") {
  const Layer layer = primeLayer();
  for (int variant = 0; variant < 3; ++variant) {
    ArchSpec arch = test::arch(4, 4, 64, 4096, true);
    if (variant == 0) arch.glb.doubleBuffered = true;
    if (variant == 1) arch.noc.multicast = false;
    if (variant == 2) {
      arch.glb.readWordsPerCycle = 1;
      arch.glb.writeWordsPerCycle = 1;
      arch.noc.wordsPerCycle = 1;
      arch.dram.bytesPerCycle = 1;
      arch.dram.latencyCycles = 37;
      arch.glb.doubleBuffered = true;
    }
    for (const auto& [name, m] : handMade()) {
      INFO(name << " variant " << variant);
      runThreeWays(layer, arch, m);
    }
  }
}

TEST_CASE("ragged mappings: skipping ahead stops before a clipped iteration", "[sim][ragged]") {
  // Q = 13 over a GLB loop of 7 steps of 2 (the last one 1 wide) and M = 11 over a GLB loop of
  // 11: both long enough to skip ahead over, the first ragged in its own dimension.
  const Layer layer = test::conv("prime13", 1, 2, 11, 15, 3);
  const ArchSpec arch = test::arch(4, 4, 64, 8192, true);
  Mapping own;
  own.glbLoops = {{M, 11}, {Q, 7}, {C, 2}, {R, 3}};
  own.spatialLoops = {{P, 4, Axis::Rows}, {Q, 2, Axis::Cols}};
  own.dramLoops = {{P, 4}};  // 13 = 4 + 4 + 4 + 1
  own.rfLoops = {{S, 3}};
  const SimResult s = runThreeWays(layer, arch, own);
  CHECK(s.stepsSkipped > 0);
  Mapping inner = own;  // the Q loop innermost: it alone sweeps, clipped at its end
  inner.glbLoops = {{M, 11}, {C, 2}, {R, 3}, {Q, 7}};
  CHECK(runThreeWays(layer, arch, inner).stepsSkipped > 0);
  // Skipping happens on the hand-made mappings too (the M loops of 5).
  CHECK(runThreeWays(primeLayer(), arch, nestedRagged()).stepsSkipped > 0);
}

namespace {

/// A random ragged mapping of `shape` on a 4 x 4 array: per dimension an RF bound dividing it,
/// then (inside out) optional spatial, GLB and DRAM loops, each of a legal bound, the outermost
/// covering the dimension; random loop orders and keeps.
Mapping randomRagged(const ProblemShape& shape, test::Draw& draw) {
  Mapping m;
  std::int64_t rows = 1;
  std::int64_t cols = 1;
  for (std::size_t di = 0; di < shape.numDims(); ++di) {
    const Dim d = ProblemShape::dimAt(di);
    const std::int64_t n = shape.size(d);
    if (n == 1) continue;
    std::int64_t tile = 1;
    // RF: the whole (prime) dimension or nothing, small ones only.
    if (n <= 3 && draw(0, 1) == 0) {
      m.rfLoops.push_back({d, n});
      continue;
    }
    const auto maxBound = [&] { return (n + tile - 1) / tile; };
    const Axis axis = draw(0, 1) == 0 ? Axis::Rows : Axis::Cols;
    std::int64_t& used = axis == Axis::Rows ? rows : cols;
    const std::int64_t spatialMax = std::min<std::int64_t>(4 / used, maxBound());
    if (spatialMax >= 2 && draw(0, 2) != 0) {
      const std::int64_t b = draw(2, spatialMax);
      m.spatialLoops.push_back({d, b, axis});
      used *= b;
      tile *= b;
    }
    bool atGlb = false;
    if (maxBound() >= 2 && draw(0, 1) == 0) {
      const std::int64_t b = draw(2, maxBound());
      m.glbLoops.push_back({d, b});
      tile *= b;
      atGlb = true;
    }
    // The outermost loop covers the dimension: at DRAM, or at the GLB when none is there yet.
    if (maxBound() >= 2) {
      if (atGlb || draw(0, 1) == 0) {
        m.dramLoops.push_back({d, maxBound()});
      } else {
        m.glbLoops.push_back({d, maxBound()});
      }
    }
  }
  // Random orders of the temporal loops (each level's list shuffled by swaps).
  for (std::vector<Loop>* level : {&m.dramLoops, &m.glbLoops}) {
    for (std::size_t i = level->size(); i > 1; --i) {
      std::swap((*level)[i - 1],
                (*level)[static_cast<std::size_t>(draw(0, static_cast<std::int64_t>(i) - 1))]);
    }
  }
  for (Tensor t : kAllTensors) {
    m.glbKeeps[t] = draw(0, 3) != 0;
    m.rfKeeps[t] = draw(0, 3) != 0;
  }
  return m;
}

}  // namespace

TEST_CASE("ragged mappings: random prime shapes and random ragged mappings", "[sim][ragged]") {
  test::Draw draw(13);
  const std::int64_t primes[] = {2, 3, 5, 7, 11, 13};
  std::int64_t skipped = 0;
  int ragged = 0;
  for (int i = 0; i < 300; ++i) {
    const std::int64_t pq = primes[draw(0, 5)];
    const std::int64_t rs = draw(0, 1) == 0 ? 1 : 3;
    const std::int64_t stride = draw(1, 2);
    const std::int64_t hw = (pq - 1) * stride + rs;
    const Layer layer = test::conv("rand" + std::to_string(i), draw(1, 2), primes[draw(0, 3)],
                                   primes[draw(0, 3)], hw, rs, stride);
    REQUIRE(layer.P == pq);
    ArchSpec arch = test::arch(4, 4, 4096, 1 << 16, draw(0, 1) == 0);
    arch.glb.doubleBuffered = draw(0, 1) == 0;
    arch.noc.multicast = draw(0, 3) != 0;
    const Mapping m = randomRagged(layer.shape(), draw);
    INFO("case " << i);
    ragged += hasRaggedTiles(layer.shape(), m) ? 1 : 0;
    skipped += runThreeWays(layer, arch, m).stepsSkipped;
  }
  CHECK(ragged >= 250);
  CHECK(skipped > 0);
}
