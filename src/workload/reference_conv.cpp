#include "workload/reference_conv.hpp"

#include "workload/tensor_data.hpp"

namespace dfsim {

std::vector<std::int32_t> referenceConv(const Layer& layer,
                                        const std::vector<std::int32_t>& weights,
                                        const std::vector<std::int32_t>& inputs) {
  const std::int64_t mPerGroup = layer.dim(Dim::M);
  const std::int64_t cPerGroup = layer.dim(Dim::C);
  std::vector<std::int32_t> out(static_cast<std::size_t>(layer.tensorWords()[Tensor::Outputs]), 0);
  for (std::int64_t n = 0; n < layer.N; ++n) {
    for (std::int64_t g = 0; g < layer.groups; ++g) {
      for (std::int64_t m = 0; m < mPerGroup; ++m) {
        for (std::int64_t p = 0; p < layer.P; ++p) {
          for (std::int64_t q = 0; q < layer.Q; ++q) {
            std::int32_t acc = 0;
            for (std::int64_t c = 0; c < cPerGroup; ++c) {
              for (std::int64_t r = 0; r < layer.R; ++r) {
                for (std::int64_t s = 0; s < layer.S; ++s) {
                  const std::int64_t h = p * layer.stride + r;
                  const std::int64_t w = q * layer.stride + s;
                  acc += weights[static_cast<std::size_t>(weightIndex(layer, g, m, c, r, s))] *
                         inputs[static_cast<std::size_t>(inputIndex(layer, n, g, c, h, w))];
                }
              }
            }
            out[static_cast<std::size_t>(outputIndex(layer, n, g, m, p, q))] = acc;
          }
        }
      }
    }
  }
  return out;
}

}  // namespace dfsim
