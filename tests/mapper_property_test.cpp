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
#include "sim/simulate_layer.hpp"
#include "test_support.hpp"

using namespace dfsim;

namespace {

/// Layers drawn per run: 60 x 6 dataflows x 3 arrays take about 1-2 s in Release (1000 layers
/// passed too, in about 23 s: too slow for the default set).
constexpr int kLayerCount = 60;
constexpr std::uint64_t kSeed = 0x5eed2016;

/// Uniform integers in [lo, hi] from the raw engine output (std::uniform_int_distribution is
/// implementation-defined; mt19937_64's sequence is not).
class Draw {
 public:
  explicit Draw(std::uint64_t seed) : rng_(seed) {}
  std::int64_t operator()(std::int64_t lo, std::int64_t hi) {
    return lo + static_cast<std::int64_t>(rng_() % static_cast<std::uint64_t>(hi - lo + 1));
  }

 private:
  std::mt19937_64 rng_;
};

/// `count` layers: N 1-2, C 1-16, M 1-16, groups dividing C and M; convs with H 3-12, padding 0-2,
/// R 1-5 (within the padded input), stride 1-3; one in four an FC layer (flat, or over a small
/// input plane).
std::vector<Layer> randomLayers(int count, std::uint64_t seed) {
  Draw draw(seed);
  std::vector<Layer> layers;
  for (int i = 0; i < count; ++i) {
    const std::int64_t n = draw(1, 2);
    const std::int64_t c = draw(1, 16);
    const std::int64_t m = draw(1, 16);
    const std::string name = "rand" + std::to_string(i);
    if (i % 4 == 3) {
      if (draw(0, 1) == 0) {
        layers.push_back(test::fc(name, n, c, m));
      } else {
        const std::int64_t hw = draw(2, 4);
        Layer l = test::conv(name, n, c, m, hw, hw);
        l.type = LayerType::Fc;
        layers.push_back(l);
      }
      continue;
    }
    std::vector<std::int64_t> divisors;
    const std::int64_t common = std::gcd(c, m);
    for (std::int64_t g = 1; g <= common; ++g) {
      if (common % g == 0) divisors.push_back(g);
    }
    const std::int64_t groups =
        divisors[static_cast<std::size_t>(draw(0, static_cast<std::int64_t>(divisors.size()) - 1))];
    const std::int64_t hw = draw(3, 12);
    const std::int64_t padding = draw(0, 2);
    const std::int64_t rs = draw(1, std::min<std::int64_t>(5, hw + 2 * padding));
    const std::int64_t stride = draw(1, 3);
    layers.push_back(test::conv(name, n, c, m, hw, rs, stride, padding, groups));
  }
  return layers;
}

std::string shapeOf(const Layer& l) {
  std::ostringstream os;
  os << l.name << " (" << layerTypeName(l.type) << ") N=" << l.N << " C=" << l.C << " M=" << l.M
     << " H=" << l.H << " R=" << l.R << " stride=" << l.stride << " pad=" << l.padding
     << " groups=" << l.groups << " P=" << l.P << " MACs=" << l.macs();
  return os.str();
}

std::vector<ArchSpec> propertyArchs() {
  ArchSpec shared = test::arch(4, 4, 16, 2048, true);
  shared.name = "4x4 shared RF 16";
  ArchSpec eyeriss = test::eyerissLike();
  eyeriss.name = "eyeriss-like";
  ArchSpec noRf = test::arch(3, 5, 0, 2048, true);
  noRf.name = "3x5 no RF";
  return {shared, eyeriss, noRf};
}

}  // namespace

TEST_CASE("random layers: the generator draws legal, varied shapes", "[mapper]") {
  const std::vector<Layer> layers = randomLayers(kLayerCount, kSeed);
  REQUIRE(layers.size() == static_cast<std::size_t>(kLayerCount));
  bool grouped = false, strided = false, padded = false, fc = false, batch = false;
  for (const Layer& l : layers) {
    INFO(shapeOf(l));
    CHECK(l.P >= 1);
    CHECK(l.Q >= 1);
    CHECK(l.C % l.groups == 0);
    CHECK(l.M % l.groups == 0);
    CHECK(l.R <= l.paddedH());
    grouped = grouped || l.groups > 1;
    strided = strided || l.stride > 1;
    padded = padded || l.padding > 0;
    fc = fc || l.type == LayerType::Fc;
    batch = batch || l.N > 1;
  }
  CHECK(grouped);
  CHECK(strided);
  CHECK(padded);
  CHECK(fc);
  CHECK(batch);
  // Deterministic: the same seed gives the same layers.
  const std::vector<Layer> again = randomLayers(kLayerCount, kSeed);
  for (std::size_t i = 0; i < layers.size(); ++i) CHECK(shapeOf(layers[i]) == shapeOf(again[i]));
}

TEST_CASE("random layers x every dataflow x three arrays: legal default mapping, sim == analytic",
          "[mapper]") {
  const std::vector<Dataflow> dataflows = {Dataflow::WS,   Dataflow::OS_A, Dataflow::OS_B,
                                           Dataflow::OS_C, Dataflow::NLR,  Dataflow::RS};
  const std::vector<ArchSpec> archs = propertyArchs();
  for (const Layer& layer : randomLayers(kLayerCount, kSeed)) {
    for (const ArchSpec& arch : archs) {
      for (Dataflow df : dataflows) {
        INFO(shapeOf(layer) << ", " << dataflowName(df) << ", " << arch.name);
        Mapping m;
        REQUIRE_NOTHROW(m = defaultMapping(layer, arch, df));
        INFO(renderLoopNest(m));
        REQUIRE_NOTHROW(validateMapping(layer, arch, m, "mapper property test"));
        SimOptions opt;
        opt.check = true;
        const SimResult r = simulateLayer(layer, arch, m, opt);
        CHECK(r.checked);
        CHECK(r.counts == analyticCounts(layer, arch, m));
        CHECK(r.counts.macs == layer.macs());
      }
    }
  }
}
