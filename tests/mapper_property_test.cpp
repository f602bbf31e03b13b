// Property test of the default mapper: on pseudo-random small conv and FC layers (a fixed seed,
// so every run sees the same layers), for every dataflow and three arrays (a shared 16-word RF,
// Eyeriss-like partitioned storage, no RF at all), the default mapping exists, is legal, and the
// simulator's counts equal the analytic model's, with the outputs checked against the reference
// convolution.

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdint>
#include <numeric>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "dataflow/default_mapper.hpp"
#include "mapping/analytic_model.hpp"
#include "mapping/validate_mapping.hpp"
#include "random_layers.hpp"
#include "sim/simulate_layer.hpp"
#include "test_support.hpp"

using namespace dfsim;

namespace {

/// Layers drawn per run: 60 x 6 dataflows x 3 arrays take about 1-2 s in Release (1000 layers
/// passed too, in about 23 s: too slow for the default set).
constexpr int kLayerCount = 60;
constexpr std::uint64_t kSeed = 0x5eed2016;

}  // namespace

TEST_CASE("random layers: the generator draws legal, varied shapes", "[mapper]") {
  const std::vector<Layer> layers = test::randomLayers(kLayerCount, kSeed);
  REQUIRE(layers.size() == static_cast<std::size_t>(kLayerCount));
  bool grouped = false, strided = false, padded = false, fc = false, batch = false;
  for (const Layer& l : layers) {
    INFO(test::shapeOf(l));
    CHECK(l.P >= 1);
    CHECK(l.Q >= 1);
    CHECK(l.C % l.groups == 0);
    CHECK(l.M % l.groups == 0);
    CHECK(l.R <= l.paddedH());
    grouped = grouped || l.groups > 1;
    strided = strided || l.rows.stride > 1;
    padded = padded || l.rows.padBefore > 0;
    fc = fc || l.type == LayerType::Fc;
    batch = batch || l.N > 1;
  }
  CHECK(grouped);
  CHECK(strided);
  CHECK(padded);
  CHECK(fc);
  CHECK(batch);
  // Deterministic: the same seed gives the same layers.
  const std::vector<Layer> again = test::randomLayers(kLayerCount, kSeed);
  for (std::size_t i = 0; i < layers.size(); ++i)
    CHECK(test::shapeOf(layers[i]) == test::shapeOf(again[i]));
}

TEST_CASE("random layers x every dataflow x three arrays: legal default mapping, sim == analytic",
          "[mapper]") {
  const std::vector<Dataflow> dataflows = {Dataflow::WS,   Dataflow::OS_A, Dataflow::OS_B,
                                           Dataflow::OS_C, Dataflow::NLR,  Dataflow::RS};
  const std::vector<ArchSpec> archs = test::propertyArchs();
  for (const Layer& layer : test::randomLayers(kLayerCount, kSeed)) {
    for (const ArchSpec& arch : archs) {
      for (Dataflow df : dataflows) {
        INFO(test::shapeOf(layer) << ", " << dataflowName(df) << ", " << arch.name);
        Mapping m;
        REQUIRE_NOTHROW(m = defaultMapping(layer, arch, df));
        INFO(test::nest(m));
        REQUIRE_NOTHROW(validateMapping(layer, arch, m, "mapper property test"));
        SimOptions opt;
        opt.check = true;
        const SimResult r = simulateLayer(layer, arch, m, opt);
        CHECK(r.checked);
        CHECK(r.counts == analyticCounts(layer.shape(), arch, m));
        CHECK(r.counts.macs == layer.macs());
      }
    }
  }
}
