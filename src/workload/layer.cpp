#include "workload/layer.hpp"

namespace dfsim {

const char* layerTypeName(LayerType t) {
  switch (t) {
    case LayerType::Conv:
      return "conv";
    case LayerType::Fc:
      return "fc";
    case LayerType::Pool:
      return "pool";
  }
  return "?";
}

std::int64_t convOutputSize(std::int64_t in, std::int64_t k, std::int64_t stride,
                            std::int64_t pad) {
  if (stride <= 0) return 0;
  const std::int64_t span = in + 2 * pad - k;
  if (span < 0) return 0;
  return span / stride + 1;
}

std::int64_t Layer::dim(Dim d) const {
  switch (d) {
    case Dim::N:
      return N;
    case Dim::G:
      return groups;
    case Dim::M:
      return M / groups;
    case Dim::C:
      return C / groups;
    case Dim::P:
      return P;
    case Dim::Q:
      return Q;
    case Dim::R:
      return R;
    case Dim::S:
      return S;
  }
  return 0;
}

std::int64_t Layer::macs() const {
  if (!onArray()) return 0;
  return N * groups * (M / groups) * (C / groups) * P * Q * R * S;
}

std::int64_t Layer::weightCount() const {
  if (!onArray()) return 0;
  return groups * (M / groups) * (C / groups) * R * S;
}

PerTensor<std::int64_t> Layer::tensorWords() const {
  PerTensor<std::int64_t> w;
  w[Tensor::Weights] = weightCount();
  w[Tensor::Inputs] = N * C * paddedH() * paddedW();
  w[Tensor::Outputs] = N * M * P * Q;
  return w;
}

}  // namespace dfsim
