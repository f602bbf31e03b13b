// Pseudo-random small layers and three small arrays for the property tests of the mappers
// (tests/mapper_property_test.cpp, tests/mapper_search_test.cpp). Fixed seeds: every run sees
// the same layers.
#pragma once

#include <algorithm>
#include <cstdint>
#include <numeric>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "arch/arch_spec.hpp"
#include "test_support.hpp"
#include "workload/layer.hpp"

namespace dfsim::test {

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
inline std::vector<Layer> randomLayers(int count, std::uint64_t seed) {
  Draw draw(seed);
  std::vector<Layer> layers;
  for (int i = 0; i < count; ++i) {
    const std::int64_t n = draw(1, 2);
    const std::int64_t c = draw(1, 16);
    const std::int64_t m = draw(1, 16);
    const std::string name = "rand" + std::to_string(i);
    if (i % 4 == 3) {
      if (draw(0, 1) == 0) {
        layers.push_back(fc(name, n, c, m));
      } else {
        const std::int64_t hw = draw(2, 4);
        Layer l = conv(name, n, c, m, hw, hw);
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
    layers.push_back(conv(name, n, c, m, hw, rs, stride, padding, groups));
  }
  return layers;
}

/// `count` layers whose dims are 1 or primes (ragged tilings are the only way to split them):
/// N 1-2, C and M from {1, 2, 3, 5, 7, 11, 13}, convs with P from {3, 5, 7, 11}, R from
/// {1, 3, 5}, stride 1-2, padding 0-1; one in four an FC layer with 13-37 inputs.
inline std::vector<Layer> randomPrimeLayers(int count, std::uint64_t seed) {
  Draw draw(seed);
  const std::int64_t small[] = {1, 2, 3, 5, 7, 11, 13};
  const std::int64_t planes[] = {3, 5, 7, 11};
  const std::int64_t filters[] = {1, 3, 5};
  const std::int64_t inputs[] = {13, 17, 29, 31, 37};
  std::vector<Layer> layers;
  for (int i = 0; i < count; ++i) {
    const std::int64_t n = draw(1, 2);
    const std::int64_t m = small[draw(0, 6)];
    const std::string name = "prime" + std::to_string(i);
    if (i % 4 == 3) {
      layers.push_back(fc(name, n, inputs[draw(0, 4)], m));
      continue;
    }
    const std::int64_t c = small[draw(0, 6)];
    const std::int64_t p = planes[draw(0, 3)];
    const std::int64_t r = filters[draw(0, 2)];
    const std::int64_t stride = draw(1, 2);
    const std::int64_t padding = r > 1 ? draw(0, 1) : 0;
    // H such that P = (H + 2 padding - R) / stride + 1.
    const std::int64_t h = (p - 1) * stride + r - 2 * padding;
    layers.push_back(conv(name, n, c, m, h, r, stride, padding));
  }
  return layers;
}

inline std::string shapeOf(const Layer& l) {
  std::ostringstream os;
  os << l.name << " (" << layerTypeName(l.type) << ") N=" << l.N << " C=" << l.C << " M=" << l.M
     << " H=" << l.H << " R=" << l.R << " stride=" << l.rows.stride << "x" << l.cols.stride
     << " dil=" << l.rows.dilation << "x" << l.cols.dilation << " pad=" << l.rows.padBefore << ","
     << l.rows.padAfter << "," << l.cols.padBefore << "," << l.cols.padAfter
     << " groups=" << l.groups << " P=" << l.P << " MACs=" << l.macs();
  return os.str();
}

inline std::vector<ArchSpec> propertyArchs() {
  ArchSpec shared = arch(4, 4, 16, 2048, true);
  shared.name = "4x4 shared RF 16";
  ArchSpec eyeriss = eyerissLike();
  eyeriss.name = "eyeriss-like";
  ArchSpec noRf = arch(3, 5, 0, 2048, true);
  noRf.name = "3x5 no RF";
  return {shared, eyeriss, noRf};
}

}  // namespace dfsim::test
