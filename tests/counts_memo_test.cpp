// The mapper's fast path of the analytic model: analyticCounts with a CountsMemo equals the plain
// analyticCounts on random ragged mappings grouped as the search groups them (one spatial and RF
// choice, several GLB and DRAM choices, every DRAM order of each), and energyTotal equals
// computeEnergy's total bit for bit.

#include <algorithm>
#include <numeric>
#include <random>
#include <set>
#include <vector>

#include <catch2/catch.hpp>

#include "common/errors.hpp"
#include "dataflow/tiling.hpp"
#include "energy/energy_breakdown.hpp"
#include "mapping/analytic_model.hpp"
#include "mapping/loop_nest.hpp"
#include "mapping/tile_math.hpp"
#include "mapping/validate_mapping.hpp"
#include "random_hierarchy.hpp"
#include "random_layers.hpp"
#include "test_support.hpp"

using namespace dfsim;
using namespace dfsim::test;

namespace {

/// New GLB and DRAM loops for the spatial and RF loops of `m`: per dimension a random GLB
/// factor of the array tiles left (ceil) and a DRAM loop taking the ceil of the rest, the GLB
/// loops in a random order, the DRAM loops over distinct dimensions.
Mapping withNewOuterLoops(const ProblemShape& s, const Mapping& m, std::mt19937_64& rng) {
  Mapping out = m;
  out.glbLoops.clear();
  out.dramLoops.clear();
  const DimExtents arrayExt = withSpatial(m.spatialLoops, extentsOf(m.rfLoops));
  for (std::size_t i = 0; i < s.numDims(); ++i) {
    const Dim d = ProblemShape::dimAt(i);
    const std::int64_t n = ceilDiv(s.size(d), arrayExt[i]);
    const std::int64_t g = pick(rng, 1, n);
    if (g > 1) out.glbLoops.push_back({d, g});
    if (ceilDiv(n, g) > 1) out.dramLoops.push_back({d, ceilDiv(n, g)});
  }
  std::shuffle(out.glbLoops.begin(), out.glbLoops.end(), rng);
  return out;
}

bool distinctDramDims(const Mapping& m) {
  std::set<Dim> dims;
  for (const Loop& l : m.dramLoops) {
    if (l.bound > 1 && !dims.insert(l.dim).second) return false;
  }
  return true;
}

void checkEqual(const AccessCounts& a, const AccessCounts& b) {
  CHECK(a.macs == b.macs);
  for (std::size_t e = 0; e < kMaxLevelEntries; ++e) {
    for (Tensor t : kAllTensors) {
      INFO("entry " << e << " tensor " << tensorName(t));
      CHECK(a(e, t).reads == b(e, t).reads);
      CHECK(a(e, t).writes == b(e, t).writes);
    }
  }
}

}  // namespace

TEST_CASE("analyticCounts with a CountsMemo equals analyticCounts over grouped ragged mappings",
          "[analytic][search]") {
  std::mt19937_64 rng(13);
  const int trials = test::cases(150, 30);
  int groups = 0;
  int ragged = 0;
  CountsMemo memo;
  for (int trial = 0; trial < trials; ++trial) {
    const Layer l = smallPrimeLayer(trial, rng);
    const ProblemShape s = l.shape();
    ArchSpec a = arch(pick(rng, 1, 4), pick(rng, 1, 4), 1 << 20, 1 << 24, false);
    a.noc.multicast = trial % 2 == 0;
    Mapping first;
    REQUIRE(fromLoopNest(randomNest(s, a.hierarchy(), rng), first));
    for (Tensor t : kAllTensors) {
      first.rfKeeps[t] = pick(rng, 0, 2) > 0;
      first.glbKeeps[t] = pick(rng, 0, 2) > 0;
    }
    // Streamed tiles in some groups (own draws: the mappings drawn from `rng` stay the seed's).
    std::mt19937_64 streamRng(static_cast<std::uint64_t>(trial) + 7919U);
    for (Tensor t : {Tensor::Weights, Tensor::Inputs}) {
      if (first.glbKeeps[t] && pick(streamRng, 0, 2) == 0) first.glbStreamedOver[t] = 1;
      if (first.rfKeeps[t] && pick(streamRng, 0, 2) == 0) {
        first.rfStreamedOver[t] = static_cast<std::uint8_t>(pick(streamRng, 1, 2));
      }
    }
    // 1. The spatial and RF loops of `first`, with its own outer loops (when its DRAM loops are
    // over distinct dimensions) and then new ones; each outer choice in every DRAM order.
    memo.clear();
    std::vector<Mapping> outer;
    if (distinctDramDims(first)) outer.push_back(first);
    for (int k = 0; k < 4; ++k) outer.push_back(withNewOuterLoops(s, first, rng));
    for (Mapping& m : outer) {
      try {
        validateMapping(l, a, m, "random");
      } catch (const InputError&) {
        continue;
      }
      ++groups;
      if (hasRaggedTiles(s, m)) ++ragged;
      memo.newOuterLoops();
      std::vector<std::size_t> order(m.dramLoops.size());
      std::iota(order.begin(), order.end(), 0);
      const std::vector<Loop> dram = m.dramLoops;
      int orders = 0;
      do {
        for (std::size_t i = 0; i < order.size(); ++i) m.dramLoops[i] = dram[order[i]];
        INFO("trial " << trial << " " << shapeOf(l));
        checkEqual(analyticCounts(s, a, m, memo), analyticCounts(s, a, m));
      } while (++orders < 6 && std::next_permutation(order.begin(), order.end()));
    }
  }
  CHECK(groups >= trials);
  CHECK(ragged >= groups / 4);
}

TEST_CASE("energyTotal is computeEnergy's total, bit for bit", "[energy][search]") {
  std::mt19937_64 rng(5);
  std::uniform_real_distribution<double> cost(0.0, 200.0);
  for (int trial = 0; trial < 200; ++trial) {
    EnergyTable table;
    table.macPerOp = cost(rng);
    table.leakagePerCycle = trial % 3 == 0 ? 0.0 : cost(rng) / 7.0;
    AccessCounts c;
    c.macs = pick(rng, 0, 1 << 30);
    for (std::size_t e = 0; e < kMaxLevelEntries; ++e) {
      for (Tensor t : kAllTensors) {
        table.perWord[e][t] = {cost(rng), cost(rng)};
        c(e, t) = {pick(rng, 0, 1 << 30), pick(rng, 0, 1 << 30)};
      }
    }
    const Cycle cycles(static_cast<std::uint64_t>(pick(rng, 0, 1 << 30)));
    CHECK(energyTotal(c, cycles, table) == computeEnergy(c, cycles, table).total);
  }
}
