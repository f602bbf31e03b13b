// The three oracles on tiny layers, for every dataflow: outputs equal the reference convolution,
// simulated counts equal the analytic model exactly, and cycles respect the compute bound (and
// equal it when bandwidth is unlimited and latency zero).

#include <catch2/catch.hpp>
#include <sstream>
#include <vector>

#include "dataflow/default_mapper.hpp"
#include "mapping/analytic_model.hpp"
#include "mapping/ragged_nest.hpp"
#include "mapping/validate_mapping.hpp"
#include "sim/simulate_layer.hpp"
#include "test_support.hpp"

using namespace dfsim;

namespace {

std::vector<Layer> tinyLayers() {
  return {
      test::conv("plain", 1, 3, 4, 6, 3),
      test::conv("stride2_pad1", 1, 2, 3, 7, 3, 2, 1),
      test::conv("stride4", 1, 2, 2, 11, 3, 4),
      test::conv("groups2", 1, 4, 6, 5, 3, 1, 1, 2),
      test::conv("depthwise", 1, 4, 4, 5, 3, 1, 1, 4),
      test::conv("batch2", 2, 3, 4, 5, 3),
      test::conv("pointwise", 1, 8, 5, 4, 1),
      test::conv("bigfilter", 1, 1, 2, 7, 5, 1, 0),
      test::fc("fc", 2, 24, 10),
      // windows per axis (issue 17): dilation, strides and paddings that differ by axis and side
      test::convWindow("dilated2", 1, 2, 3, 7, 7, 3, 3, {1, 2, 2, 2}, {1, 2, 2, 2}),
      test::convWindow("stride2x1", 1, 2, 3, 9, 8, 3, 3, {2, 1, 1, 1}, {1, 1, 0, 0}),
      test::convWindow("asympad", 1, 2, 2, 6, 5, 2, 2, {1, 1, 0, 1}, {1, 1, 1, 0}),
      test::convWindow("rowstride_coldil", 1, 2, 2, 8, 8, 3, 2, {2, 1, 1, 0}, {1, 3, 0, 1}),
      test::convWindow("inception_1x7", 1, 3, 2, 5, 9, 1, 7, {1, 1, 0, 0}, {1, 1, 3, 3}),
  };
}

std::vector<Dataflow> allDataflows() {
  return {Dataflow::WS,   Dataflow::OS_A, Dataflow::OS_B,
          Dataflow::OS_C, Dataflow::NLR,  Dataflow::RS};
}

void checkThreeWays(const Layer& layer, const ArchSpec& arch, Dataflow df, bool exactBound,
                    Tiling tiling) {
  INFO("layer " << layer.name << " dataflow " << dataflowName(df) << " arch " << arch.rows << "x"
                << arch.cols << " tiling " << tilingName(tiling));
  const Mapping m = defaultMapping(layer, arch, df, tiling);
  INFO(test::nest(m));
  validateMapping(layer, arch, m, "test");
  SimOptions opt;
  opt.check = true;
  const SimResult r = simulateLayer(layer, arch, m, opt);
  CHECK(r.checked);
  const AccessCounts expected = analyticCounts(layer.shape(), arch, m);
  INFO("simulated:\n" << test::describe(r.counts) << "analytic:\n" << test::describe(expected));
  CHECK(r.counts == expected);
  CHECK(r.counts.macs == layer.macs());
  const std::uint64_t bound =
      static_cast<std::uint64_t>((layer.macs() + m.activePes() - 1) / m.activePes());
  CHECK(r.cycles.total.count() >= bound);
  CHECK(r.cycles.total ==
        r.cycles.compute + r.cycles.stallDram + r.cycles.stallGlb + r.cycles.stallNoc);
  // The compute bound: every non-empty array step takes the RF iterations (with a perfect
  // tiling, MACs / active PEs).
  const auto steps = static_cast<std::uint64_t>(nonEmptySteps(layer.shape(), m));
  if (exactBound) {
    CHECK(r.cycles.total.count() == steps * static_cast<std::uint64_t>(m.rfIterations()));
    if (tiling == Tiling::Perfect) CHECK(r.cycles.total.count() == bound);
  }

  // Oracle 4: the fast mode (no values, replayed counts) gives the same counts and cycles.
  SimOptions fastOpt;
  fastOpt.functional = false;
  const SimResult f = simulateLayer(layer, arch, m, fastOpt);
  INFO("fast:\n" << test::describe(f.counts));
  CHECK(f.counts == r.counts);
  CHECK(test::describe(f.cycles) == test::describe(r.cycles));
  CHECK_FALSE(f.checked);
}

}  // namespace

TEST_CASE("every dataflow: functional, analytic and bound oracles on a limited 4x4 array",
          "[sim][oracle]") {
  const ArchSpec arch = test::arch(4, 4, 16, 2048, true);
  for (Dataflow df : allDataflows()) {
    for (const Layer& layer : tinyLayers()) {
      for (Tiling t : {Tiling::Perfect, Tiling::Ragged}) checkThreeWays(layer, arch, df, false, t);
    }
  }
}

TEST_CASE("every dataflow: cycles equal the compute bound with unlimited bandwidth",
          "[sim][oracle]") {
  const ArchSpec arch = test::arch(4, 4, 64, 32768, false);
  for (Dataflow df : allDataflows()) {
    for (const Layer& layer : tinyLayers()) {
      for (Tiling t : {Tiling::Perfect, Tiling::Ragged}) checkThreeWays(layer, arch, df, true, t);
    }
  }
}

TEST_CASE("every dataflow on Eyeriss-like partitioned storage", "[sim][oracle]") {
  const ArchSpec arch = test::eyerissLike();
  for (Dataflow df : allDataflows()) {
    for (const Layer& layer : tinyLayers()) {
      for (Tiling t : {Tiling::Perfect, Tiling::Ragged}) checkThreeWays(layer, arch, df, false, t);
    }
  }
}

TEST_CASE("a GLB that is not double buffered and tiny tiles that spill to DRAM", "[sim][oracle]") {
  ArchSpec arch = test::arch(2, 3, 4, 64, true);
  arch.glb.doubleBuffered = false;
  for (Dataflow df : allDataflows()) {
    for (const Layer& layer : tinyLayers()) {
      for (Tiling t : {Tiling::Perfect, Tiling::Ragged}) checkThreeWays(layer, arch, df, false, t);
    }
  }
}

TEST_CASE("no multicast: one parent read per PE delivery", "[sim][oracle]") {
  ArchSpec arch = test::arch(4, 4, 16, 2048, true);
  arch.noc.multicast = false;
  for (Dataflow df : allDataflows()) {
    for (const Layer& layer : tinyLayers()) {
      for (Tiling t : {Tiling::Perfect, Tiling::Ragged}) checkThreeWays(layer, arch, df, false, t);
    }
  }
}
