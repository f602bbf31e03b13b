// validateLoopNest: each rule refused with its message (paths in the nest), and on the 4-level
// instance the same verdict as validateMapping on random mappings, valid and invalid.
#include <functional>
#include <random>
#include <string>

#include <catch2/catch.hpp>

#include "arch/hierarchy.hpp"
#include "common/errors.hpp"
#include "mapping/loop_nest.hpp"
#include "mapping/validate_loop_nest.hpp"
#include "mapping/validate_mapping.hpp"
#include "random_layers.hpp"
#include "test_support.hpp"

using namespace dfsim;
using namespace dfsim::test;

namespace {

std::string messageOf(const std::function<void()>& f) {
  try {
    f();
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

HierarchyEntry storageLevel(const std::string& name, std::vector<StoragePartition> parts) {
  HierarchyEntry e;
  e.storage.name = name;
  e.storage.partitions = std::move(parts);
  return e;
}

HierarchyEntry fanOut(const std::string& name, std::int64_t rows, std::int64_t cols) {
  HierarchyEntry e;
  e.kind = HierarchyEntry::Kind::FanOut;
  e.fanOut.name = name;
  e.fanOut.rows = rows;
  e.fanOut.cols = cols;
  return e;
}

/// [dram, glb, cluster 2x1, buf, pe 1x3, reg]: two fan-outs, four storage levels.
Hierarchy twoFanOuts() {
  Hierarchy h;
  HierarchyEntry dram;
  dram.storage.name = "dram";
  dram.storage.offChip = true;
  h.entries = {
      dram,
      storageLevel("glb", {partition(true, true, true, 1 << 20)}),
      fanOut("cluster", 2, 1),
      storageLevel("buf", {partition(true, true, true, 1 << 16)}),
      fanOut("pe", 1, 3),
      storageLevel("reg", {partition(true, false, false, 64), partition(false, true, true, 64)})};
  return h;
}

/// A legal nest of `l` (M=6 C=4 P=Q=5 R=S=3) on twoFanOuts().
LoopNest legal() {
  LoopNest n;
  n.levels.resize(4);
  n.levels[0].temporal = {{cd::P, 5}, {cd::Q, 5}};
  n.levels[1].temporal = {{cd::C, 2}};
  n.levels[1].spatial = {{cd::M, 2, Axis::Rows}};
  n.levels[2].temporal = {{cd::C, 2}};
  n.levels[2].spatial = {{cd::M, 3, Axis::Cols}};
  n.levels[3].temporal = {{cd::R, 3}, {cd::S, 3}};
  return n;
}

Layer layer() {
  return conv("l", 1, 4, 6, 7, 3);
}

/// The four lists of `m` (renderLoopNest needs bounds >= 1).
std::string lists(const ProblemShape& s, const Mapping& m) {
  std::string out;
  const auto add = [&](const char* key, Dim d, std::int64_t b) {
    out += std::string(key) + " " + std::string(s.name(d)) + std::to_string(b) + "; ";
  };
  for (const Loop& l : m.dramLoops) add("dram", l.dim, l.bound);
  for (const Loop& l : m.glbLoops) add("glb", l.dim, l.bound);
  for (const SpatialLoop& l : m.spatialLoops) add("spatial", l.dim, l.bound);
  for (const Loop& l : m.rfLoops) add("rf", l.dim, l.bound);
  return out;
}

}  // namespace

TEST_CASE("validateLoopNest accepts a legal nest over two fan-outs", "[hierarchy]") {
  const ArchSpec a = arch(1, 1, 0, 0, false);
  REQUIRE_NOTHROW(validateHierarchy(twoFanOuts()));
  CHECK_NOTHROW(validateLoopNest(layer().shape(), a, twoFanOuts(), legal(), "n.json"));
}

TEST_CASE("validateLoopNest refuses each rule, naming the loop or level", "[hierarchy]") {
  const ArchSpec a = arch(1, 1, 0, 0, false);
  const ProblemShape s = layer().shape();
  const Hierarchy h = twoFanOuts();
  auto refuse = [&](const LoopNest& n, const Hierarchy& hh = twoFanOuts()) {
    return messageOf([&] { validateLoopNest(s, a, hh, n, "n.json"); });
  };
  SECTION("one LevelLoops per storage level") {
    LoopNest n = legal();
    n.levels.pop_back();
    CHECK(refuse(n) ==
          "n.json: levels: 3 levels of loops, expected 4 (one per storage level: dram, glb, buf, "
          "reg)");
  }
  SECTION("DRAM keeps all") {
    LoopNest n = legal();
    n.levels[0].keeps[Tensor::Inputs] = false;
    CHECK(refuse(n) ==
          "n.json: levels[0].keeps: dram does not keep inputs; expected the "
          "outermost level to keep every tensor");
  }
  SECTION("spatial loops only above a fan-out") {
    LoopNest n = legal();
    n.levels[0].spatial = {{cd::P, 1, Axis::Rows}};
    CHECK(refuse(n) ==
          "n.json: levels[0].spatial: dram has no fan-out directly below it; "
          "expected no spatial loops");
  }
  SECTION("spatial products within the fan-out") {
    LoopNest n = legal();
    n.levels[2].spatial = {{cd::M, 3, Axis::Rows}};
    CHECK(refuse(n) == "n.json: levels[2].spatial: spatial loops use 3 rows, the fan-out pe has 1");
  }
  SECTION("a bound below 1") {
    LoopNest n = legal();
    n.levels[1].temporal[0].bound = 0;
    CHECK(refuse(n) == "n.json: glb temporal loop over C has bound 0, expected >= 1");
  }
  SECTION("a loop whose last iteration starts beyond the edge") {
    LoopNest n = legal();
    n.levels[0].temporal[0].bound = 6;
    CHECK(refuse(n) ==
          "n.json: levels[0].temporal[0]: a loop over P of bound 6 with tiles of 1 "
          "starts its last iteration at 5, beyond the layer's P of 5; expected a "
          "bound of at most 5");
  }
  SECTION("tiles that do not cover a dimension") {
    LoopNest n = legal();
    n.levels[1].spatial[0].bound = 1;
    CHECK(refuse(n) ==
          "n.json: loop bounds over M multiply to 3, expected 6 (the layer's M, or a "
          "little more with a ragged last tile)");
  }
  SECTION("the innermost level's extent divides each dimension") {
    LoopNest n = legal();
    n.levels[0].temporal = {{cd::P, 3}, {cd::Q, 5}};
    n.levels[3].temporal = {{cd::R, 3}, {cd::S, 3}, {cd::P, 2}};
    CHECK(refuse(n) ==
          "n.json: the reg loops over P cover 2, which does not divide the layer's P "
          "of 5; expected a divisor (a ragged last tile may fall at a fan-out or "
          "above, not inside a tile of the innermost level, reg)");
  }
  SECTION("a kept tensor needs a partition") {
    Hierarchy hh = h;
    hh.entries[5].storage.partitions = {partition(false, true, true, 64)};
    CHECK(refuse(legal(), hh) ==
          "n.json: levels[3].keeps: keeps weights in reg, but reg has no "
          "partition for them");
  }
  SECTION("the one-fan-out rule: two fan-outs between two levels keeping a tensor") {
    LoopNest n = legal();
    n.levels[2].keeps[Tensor::Weights] = false;
    CHECK(refuse(n) ==
          "n.json: weights cross the fan-outs cluster, pe between glb and reg; "
          "expected at most one fan-out between two levels keeping a tensor, "
          "directly above the lower one (keep weights in a level between them)");
  }
  SECTION("the one-fan-out rule: a fan-out not directly above the lower level") {
    // [dram, glb, cluster, buf, reg]: glb -> reg crosses cluster, which is above buf.
    Hierarchy hh = h;
    hh.entries.erase(hh.entries.begin() + 4);
    LoopNest n = legal();
    n.levels[1].spatial = {{cd::M, 2, Axis::Rows}};
    n.levels[2].spatial.clear();
    n.levels[2].temporal = {{cd::C, 2}, {cd::M, 3}};
    n.levels[2].keeps[Tensor::Outputs] = false;
    CHECK(refuse(n, hh) ==
          "n.json: outputs cross the fan-out cluster between glb and reg; "
          "expected at most one fan-out between two levels keeping a tensor, "
          "directly above the lower one (keep outputs in a level between them)");
  }
  SECTION("the one-fan-out rule: towards the innermost level's operand latch") {
    LoopNest n = legal();
    n.levels[2].keeps[Tensor::Inputs] = false;
    n.levels[3].keeps[Tensor::Inputs] = false;
    CHECK(refuse(n) ==
          "n.json: inputs cross the fan-outs cluster, pe between glb and reg's "
          "operand latch; expected at most one fan-out between two levels keeping a "
          "tensor, directly above the lower one (keep inputs in a level between "
          "them)");
  }
  SECTION("capacity, in words, doubled where double buffered") {
    Hierarchy hh = h;
    hh.entries[3].storage.partitions = {partition(true, true, true, 100)};
    hh.entries[3].storage.doubleBuffered = true;
    // buf's tile: C2 M3 R3 S3 -> weights 54, inputs 2*3*3 = 18, outputs 3: twice 75.
    CHECK(refuse(legal(), hh) ==
          "n.json: buf tile of weights+inputs+outputs needs 150 words "
          "(double buffered) but its partition holds 100");
  }
  SECTION("capacity in bits with a per-level word width") {
    Hierarchy hh = h;
    hh.entries[5].storage.tensorBits[Tensor::Weights] = 32;
    hh.entries[5].storage.partitions = {partition(true, false, false, 17),
                                        partition(false, true, true, 64)};
    CHECK(refuse(legal(), hh) ==
          "n.json: reg tile of weights needs 288 bits (9 32-bit weights) "
          "but its partition holds 272 (17 16-bit words)");
  }
  SECTION("a fan-out's unreduced dimensions: not the outputs', whole tiles along them") {
    Hierarchy hh = h;
    hh.entries[4].fanOut.unreducedDims = {"C", "Z"};  // Z: no such dimension, no effect
    CHECK_NOTHROW(validateLoopNest(s, a, hh, legal(), "n.json"));
    hh.entries[4].fanOut.unreducedDims = {"M"};
    CHECK(refuse(legal(), hh) ==
          "n.json: the fan-out pe does not reduce along M, a dimension of the outputs; "
          "expected unreduced_dims to name dimensions the outputs do not depend on");
    hh.entries[4].fanOut.unreducedDims = {"C"};
    LoopNest n = legal();
    n.levels[2].temporal = {{cd::C, 3}};  // C: 2 tiles of 3 over 4, the last ragged
    CHECK_NOTHROW(validateLoopNest(s, a, h, n, "n.json"));
    CHECK(refuse(n, hh) ==
          "n.json: the loops over C multiply to 6, not its size 4; the fan-out pe does not "
          "reduce along C, which needs whole tiles along it");
  }
  SECTION("streamed tiles: over levels above, of weights or inputs the level keeps") {
    LoopNest n = legal();
    n.levels[2].streamedOver[Tensor::Inputs] = 2;
    CHECK_NOTHROW(validateLoopNest(s, a, h, n, "n.json"));
    n.levels[2].streamedOver[Tensor::Inputs] = 3;
    CHECK(refuse(n) ==
          "n.json: levels[2].streamed_over.inputs: streamed over 3 levels, buf has 2 "
          "above it");
    n = legal();
    n.levels[1].streamedOver[Tensor::Outputs] = 1;
    CHECK(refuse(n) == "n.json: levels[1].streamed_over.outputs: psums are not streamed");
    n = legal();
    n.levels[1].keeps[Tensor::Weights] = false;
    n.levels[1].streamedOver[Tensor::Weights] = 1;
    CHECK(refuse(n) == "n.json: levels[1].streamed_over.weights: glb does not keep weights");
  }
  SECTION("the cycle bound") {
    Hierarchy hh = h;
    hh.entries[0].storage.latencyCycles = std::int64_t{1} << 52;
    CHECK(refuse(legal(), hh) ==
          "n.json: with dram.latency_cycles=4503599627370496, glb.latency_cycles=0, "
          "cluster.hop_latency_cycles=0, buf.latency_cycles=0, pe.hop_latency_cycles=0, "
          "reg.latency_cycles=0 the simulation could pass the limit of 2^62 cycles; expected "
          "smaller latencies");
  }
}

TEST_CASE("on the 4-level instance validateLoopNest accepts and refuses what validateMapping does",
          "[hierarchy]") {
  std::mt19937_64 rng(1312);
  auto pick = [&](std::int64_t lo, std::int64_t hi) {
    return std::uniform_int_distribution<std::int64_t>(lo, std::max(lo, hi))(rng);
  };
  const std::vector<Layer> layers = randomLayers(40, 99);
  int accepted = 0;
  int refused = 0;
  const int trials = test::cases(3000, 400);
  for (int trial = 0; trial < trials; ++trial) {
    const Layer& l = layers[static_cast<std::size_t>(trial) % layers.size()];
    const ProblemShape s = l.shape();
    ArchSpec a = arch(pick(1, 4), pick(1, 4), pick(0, 3) == 0 ? 0 : pick(1, 64), pick(16, 4096),
                      pick(0, 3) == 0);
    a.glb.doubleBuffered = pick(0, 1) == 0;
    if (pick(0, 3) == 0) a.tensorBits[Tensor::Outputs] = 32;
    if (pick(0, 3) == 0) a.glb.partitions = {partition(false, true, true, pick(16, 4096))};
    // A random, often invalid mapping: per dimension random factors at every level (not
    // always covering, not always dividing), random spatial axes, random keeps.
    Mapping m;
    for (std::size_t i = 0; i < s.numDims(); ++i) {
      const Dim d = ProblemShape::dimAt(i);
      const std::int64_t n = s.size(d);
      std::int64_t left = n;
      const std::int64_t r = pick(0, 2) == 0 ? pick(1, std::min<std::int64_t>(left, 4)) : 1;
      if (r > 1) m.rfLoops.push_back({d, r});
      left = (left + r - 1) / r;
      const std::int64_t f = pick(0, 2) == 0 ? pick(1, std::min<std::int64_t>(left, 4)) : 1;
      if (f > 1) m.spatialLoops.push_back({d, f, pick(0, 1) == 0 ? Axis::Rows : Axis::Cols});
      left = (left + f - 1) / f;
      const std::int64_t g = pick(1, left);
      if (g > 1) m.glbLoops.push_back({d, g});
      left = (left + g - 1) / g;
      const std::int64_t dram = left + (pick(0, 9) == 0 ? pick(-1, 1) : 0);
      if (dram != 1) m.dramLoops.push_back({d, dram});
    }
    std::shuffle(m.dramLoops.begin(), m.dramLoops.end(), rng);
    std::shuffle(m.glbLoops.begin(), m.glbLoops.end(), rng);
    for (Tensor t : kAllTensors) {
      m.rfKeeps[t] = pick(0, 2) != 0;
      m.glbKeeps[t] = pick(0, 3) != 0;
    }
    const std::string old = messageOf([&] { validateMapping(l, a, m, "m"); });
    const std::string now =
        messageOf([&] { validateLoopNest(s, a, a.hierarchy(), toLoopNest(m), "m"); });
    if (old.empty() != now.empty()) {
      FAIL_CHECK(shapeOf(l) << "\n"
                            << lists(s, m) << "\nvalidateMapping: " << old
                            << "\nvalidateLoopNest: " << now);
    }
    (old.empty() ? accepted : refused) += 1;
  }
  CHECK(accepted >= trials / 10);
  CHECK(refused >= trials / 10);
}

TEST_CASE("on the 4-level instance the cycle bound refuses what validateMapping refuses",
          "[hierarchy]") {
  const Layer l = conv("big", 1, 64, 64, 32, 1);
  ArchSpec a = arch(1, 1, 64, 1 << 20, false);
  Mapping m;
  m.dramLoops = {{cd::M, 64}, {cd::C, 64}, {cd::P, 32}, {cd::Q, 32}};
  m.glbKeeps = {{false, false, false}};
  m.rfKeeps = {{false, false, false}};
  REQUIRE_NOTHROW(validateMapping(l, a, m, "m"));
  REQUIRE_NOTHROW(validateLoopNest(l.shape(), a, a.hierarchy(), toLoopNest(m), "m"));
  a.dram.latencyCycles = std::int64_t{1} << 40;
  a.glb.latencyCycles = std::int64_t{1} << 40;
  CHECK(messageOf([&] { validateMapping(l, a, m, "m"); }).find("2^62 cycles") != std::string::npos);
  CHECK(messageOf([&] {
          validateLoopNest(l.shape(), a, a.hierarchy(), toLoopNest(m), "m");
        }).find("2^62 cycles") != std::string::npos);
}

TEST_CASE("validateMapping streams weights and inputs a level keeps, over the levels above it",
          "[hierarchy]") {
  const Layer l = conv("small", 1, 4, 4, 4, 1);
  const ArchSpec a = arch(1, 1, 64, 1 << 20, false);
  Mapping m;
  m.dramLoops = {{cd::M, 4}, {cd::C, 4}};
  m.glbLoops = {{cd::P, 4}, {cd::Q, 4}};
  m.glbKeeps = {{true, true, true}};
  m.rfKeeps = {{true, false, true}};
  m.glbStreamedOver[Tensor::Inputs] = 1;
  m.rfStreamedOver[Tensor::Weights] = 2;
  REQUIRE_NOTHROW(validateMapping(l, a, m, "m"));
  REQUIRE_NOTHROW(validateLoopNest(l.shape(), a, a.hierarchy(), toLoopNest(m), "m"));
  const auto refused = [&](const Mapping& bad) {
    return messageOf([&] { validateMapping(l, a, bad, "m"); });
  };
  Mapping bad = m;
  bad.glbStreamedOver[Tensor::Inputs] = 2;
  CHECK(refused(bad) ==
        "m: glb_streamed_over.inputs: streamed over 2 levels, the GLB has 1 above it");
  bad = m;
  bad.rfStreamedOver[Tensor::Inputs] = 1;
  CHECK(refused(bad) == "m: rf_streamed_over.inputs: the RF does not keep inputs");
  bad = m;
  bad.rfStreamedOver[Tensor::Outputs] = 1;
  CHECK(refused(bad) == "m: rf_streamed_over.outputs: psums are not streamed");
}
