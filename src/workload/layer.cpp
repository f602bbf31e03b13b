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

std::int64_t convOutputSize(std::int64_t in, std::int64_t k, const WindowAxis& axis) {
  if (axis.stride <= 0 || axis.dilation <= 0) return 0;
  const std::int64_t span = in + axis.padTotal() - axis.span(k);
  if (span < 0) return 0;
  return span / axis.stride + 1;
}

ProblemShape Layer::shape() const {
  ProblemShape s;
  const Dim n = s.addDim("N", N);
  const Dim g = s.addDim("G", groups);
  const Dim m = s.addDim("M", mPerGroup());
  const Dim c = s.addDim("C", cPerGroup());
  const Dim p = s.addDim("P", P);
  const Dim q = s.addDim("Q", Q);
  const Dim r = s.addDim("R", R);
  const Dim sd = s.addDim("S", S);
  s.addAxis(Tensor::Weights, {{g, 1}}, groups);
  s.addAxis(Tensor::Weights, {{m, 1}}, mPerGroup());
  s.addAxis(Tensor::Weights, {{c, 1}}, cPerGroup());
  s.addAxis(Tensor::Weights, {{r, 1}}, R);
  s.addAxis(Tensor::Weights, {{sd, 1}}, S);
  s.addAxis(Tensor::Inputs, {{n, 1}}, N);
  s.addAxis(Tensor::Inputs, {{g, 1}}, groups);
  s.addAxis(Tensor::Inputs, {{c, 1}}, cPerGroup());
  s.addAxis(Tensor::Inputs, {{p, rows.stride}, {r, rows.dilation}}, paddedH());
  s.addAxis(Tensor::Inputs, {{q, cols.stride}, {sd, cols.dilation}}, paddedW());
  s.addAxis(Tensor::Outputs, {{n, 1}}, N);
  s.addAxis(Tensor::Outputs, {{g, 1}}, groups);
  s.addAxis(Tensor::Outputs, {{m, 1}}, mPerGroup());
  s.addAxis(Tensor::Outputs, {{p, 1}}, P);
  s.addAxis(Tensor::Outputs, {{q, 1}}, Q);
  return s;
}

std::int64_t Layer::macs() const {
  if (!onArray()) return 0;
  return N * groups * mPerGroup() * cPerGroup() * P * Q * R * S;
}

std::int64_t Layer::weightCount() const {
  if (!onArray()) return 0;
  return groups * mPerGroup() * cPerGroup() * R * S;
}

PerTensor<std::int64_t> Layer::tensorWords() const {
  PerTensor<std::int64_t> w;
  w[Tensor::Weights] = weightCount();
  w[Tensor::Inputs] = N * C * paddedH() * paddedW();
  w[Tensor::Outputs] = N * M * P * Q;
  return w;
}

}  // namespace dfsim
