// The oracles on layers with prime dimensions, whose mappings tile raggedly: for every dataflow
// of the registry, with the default and the searched mapping, the functional run equals the
// reference convolution, the simulated counts equal the analytic model, fast mode equals the
// functional run (skipping ahead on and off), and cycles respect the compute bound.
#include <random>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "dataflow/dataflow.hpp"
#include "dataflow/default_mapper.hpp"
#include "dataflow/mapper_search.hpp"
#include "energy/energy_table.hpp"
#include "mapping/analytic_model.hpp"
#include "mapping/ragged_nest.hpp"
#include "mapping/validate_mapping.hpp"
#include "sim/simulate_layer.hpp"
#include "test_support.hpp"

using namespace dfsim;

namespace {

/// Layers whose dimensions are primes that do not divide the test arrays' sides.
std::vector<Layer> primeLayers() {
  return {
      test::conv("p_c5_m7_e11", 1, 5, 7, 13, 3),
      test::conv("p_n3_c7_m11_e7", 3, 7, 11, 7, 1),
      test::conv("p_stride2_e5", 1, 3, 5, 11, 3, 2),
      test::conv("p_pad1_e13", 1, 2, 3, 13, 3, 1, 1),
      test::fc("p_fc_37_13", 2, 37, 13),
  };
}

/// Random prime conv layers (small, so that the functional runs stay quick).
std::vector<Layer> randomPrimeLayers(int count, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  const std::vector<std::int64_t> primes = {2, 3, 5, 7, 11, 13};
  auto p = [&](std::size_t upTo) {
    return primes[std::uniform_int_distribution<std::size_t>(0, upTo)(rng)];
  };
  std::vector<Layer> out;
  for (int i = 0; i < count; ++i) {
    const std::int64_t rs = p(1) == 2 ? 1 : 3;
    const std::int64_t e = p(5);
    out.push_back(
        test::conv("rand" + std::to_string(i), p(1) == 2 ? 1 : 2, p(3), p(4), e + rs - 1, rs));
  }
  return out;
}

int checkOracles(const Layer& layer, const ArchSpec& arch, Dataflow df, const Mapping& m,
                 const char* how) {
  INFO(how << " mapping of " << layer.name << " under " << dataflowName(df) << " on " << arch.rows
           << "x" << arch.cols << "\n"
           << test::nest(m));
  REQUIRE_NOTHROW(validateMapping(layer, arch, m, "test"));
  SimOptions functional;
  functional.check = true;
  const SimResult r = simulateLayer(layer, arch, m, functional);
  CHECK(r.checked);
  CHECK(r.checkMismatch.empty());
  const AccessCounts expected = analyticCounts(layer.shape(), arch, m);
  INFO("simulated:\n" << test::describe(r.counts) << "analytic:\n" << test::describe(expected));
  CHECK(r.counts == expected);
  CHECK(r.counts.macs == layer.macs());
  const auto bound = static_cast<std::uint64_t>((layer.macs() + m.activePes() - 1) / m.activePes());
  CHECK(r.cycles.total.count() >= bound);
  for (bool skip : {true, false}) {
    SimOptions fast;
    fast.functional = false;
    fast.skipRepeats = skip;
    const SimResult f = simulateLayer(layer, arch, m, fast);
    INFO("fast, skipping " << (skip ? "on" : "off") << ":\n" << test::describe(f.counts));
    CHECK(f.counts == r.counts);
    CHECK(test::describe(f.cycles) == test::describe(r.cycles));
  }
  return hasRaggedTiles(layer.shape(), m) ? 1 : 0;
}

}  // namespace

TEST_CASE("ragged tilings of prime layers pass every oracle in every dataflow",
          "[ragged][oracle]") {
  const EnergyTable table;
  int ragged = 0;
  int runs = 0;
  for (const ArchSpec& arch :
       {test::arch(3, 5, 64, 1 << 14, true), test::arch(4, 6, 32, 1 << 16, false)}) {
    std::vector<Layer> layers = primeLayers();
    for (const Layer& l : randomPrimeLayers(4, 7)) layers.push_back(l);
    for (const DataflowInfo& info : dataflowRegistry()) {
      for (const Layer& layer : layers) {
        ragged +=
            checkOracles(layer, arch, info.id, defaultMapping(layer, arch, info.id), "default");
        const SearchResult s = searchMapping(layer, arch, info.id, table, SearchOptions{});
        ragged += checkOracles(layer, arch, info.id, s.mapping, "searched");
        runs += 2;
      }
    }
  }
  // The point of the test: most of these mappings are ragged.
  CHECK(ragged * 2 >= runs);
}
