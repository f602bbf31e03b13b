#include "workload/tensor_data.hpp"

namespace dfsim {

namespace {

/// SplitMix64: tiny, portable, and the same on every platform.
std::uint64_t splitmix64(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

std::int32_t smallValue(std::uint64_t& state) {
  return static_cast<std::int32_t>(splitmix64(state) % 16) - 8;
}

}  // namespace

std::vector<std::int32_t> makeWeights(const Layer& layer, std::uint64_t seed) {
  std::vector<std::int32_t> w(static_cast<std::size_t>(layer.tensorWords()[Tensor::Weights]));
  std::uint64_t state = seed * 2 + 1;
  for (auto& v : w) v = smallValue(state);
  return w;
}

std::vector<std::int32_t> makeInputs(const Layer& layer, std::uint64_t seed) {
  std::vector<std::int32_t> in(static_cast<std::size_t>(layer.tensorWords()[Tensor::Inputs]), 0);
  std::uint64_t state = seed * 2 + 2;
  const std::int64_t top = layer.rows.padBefore;
  const std::int64_t left = layer.cols.padBefore;
  for (std::int64_t n = 0; n < layer.N; ++n) {
    for (std::int64_t g = 0; g < layer.groups; ++g) {
      for (std::int64_t c = 0; c < layer.cPerGroup(); ++c) {
        for (std::int64_t h = top; h < top + layer.H; ++h) {
          for (std::int64_t w = left; w < left + layer.W; ++w) {
            in[static_cast<std::size_t>(inputIndex(layer, n, g, c, h, w))] = smallValue(state);
          }
        }
      }
    }
  }
  return in;
}

std::int64_t weightIndex(const Layer& l, std::int64_t g, std::int64_t m, std::int64_t c,
                         std::int64_t r, std::int64_t s) {
  return (((g * l.mPerGroup() + m) * l.cPerGroup() + c) * l.R + r) * l.S + s;
}

std::int64_t inputIndex(const Layer& l, std::int64_t n, std::int64_t g, std::int64_t c,
                        std::int64_t h, std::int64_t w) {
  return (((n * l.groups + g) * l.cPerGroup() + c) * l.paddedH() + h) * l.paddedW() + w;
}

std::int64_t outputIndex(const Layer& l, std::int64_t n, std::int64_t g, std::int64_t m,
                         std::int64_t p, std::int64_t q) {
  return (((n * l.groups + g) * l.mPerGroup() + m) * l.P + p) * l.Q + q;
}

}  // namespace dfsim
