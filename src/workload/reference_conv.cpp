#include "workload/reference_conv.hpp"

#include "workload/tensor_data.hpp"

namespace dfsim {

std::vector<std::int32_t> referenceConv(const Layer& layer,
                                        const std::vector<std::int32_t>& weights,
                                        const std::vector<std::int32_t>& inputs) {
  const std::int64_t mPerGroup = layer.mPerGroup();
  const std::int64_t cPerGroup = layer.cPerGroup();
  const std::int64_t paddedW = layer.paddedW();
  std::vector<std::int32_t> out(static_cast<std::size_t>(layer.tensorWords()[Tensor::Outputs]), 0);
  for (std::int64_t n = 0; n < layer.N; ++n) {
    for (std::int64_t g = 0; g < layer.groups; ++g) {
      for (std::int64_t m = 0; m < mPerGroup; ++m) {
        for (std::int64_t p = 0; p < layer.P; ++p) {
          for (std::int64_t q = 0; q < layer.Q; ++q) {
            std::int32_t acc = 0;
            for (std::int64_t c = 0; c < cPerGroup; ++c) {
              // Filter rows and input rows are row-major: (r, s) and (h, w) step by S and by the
              // padded width; tap (r, s) reads input (p*stride + r*dilation, q*stride +
              // s*dilation) per axis.
              const std::int64_t w0 = weightIndex(layer, g, m, c, 0, 0);
              const std::int64_t i0 =
                  inputIndex(layer, n, g, c, p * layer.rows.stride, q * layer.cols.stride);
              for (std::int64_t r = 0; r < layer.R; ++r) {
                for (std::int64_t s = 0; s < layer.S; ++s) {
                  const std::int64_t tap =
                      r * layer.rows.dilation * paddedW + s * layer.cols.dilation;
                  acc += weights[static_cast<std::size_t>(w0 + r * layer.S + s)] *
                         inputs[static_cast<std::size_t>(i0 + tap)];
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
