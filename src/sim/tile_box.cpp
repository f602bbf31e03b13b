#include "sim/tile_box.hpp"

#include <algorithm>

namespace dfsim {

TensorLayout TensorLayout::make(const Layer& layer, Tensor t) {
  TensorLayout l;
  l.tensor = t;
  auto set = [&](std::size_t axis, Dim d, std::int64_t c) { l.coef[axis][idx(d)] = c; };
  switch (t) {
    case Tensor::Weights:
      set(0, Dim::G, 1);
      set(1, Dim::M, 1);
      set(2, Dim::C, 1);
      set(3, Dim::R, 1);
      set(4, Dim::S, 1);
      l.fullExtent = {layer.groups, layer.dim(Dim::M), layer.dim(Dim::C), layer.R, layer.S};
      break;
    case Tensor::Inputs:
      set(0, Dim::N, 1);
      set(1, Dim::G, 1);
      set(2, Dim::C, 1);
      set(3, Dim::P, layer.stride);
      set(3, Dim::R, 1);
      set(4, Dim::Q, layer.stride);
      set(4, Dim::S, 1);
      l.fullExtent = {layer.N, layer.groups, layer.dim(Dim::C), layer.paddedH(), layer.paddedW()};
      break;
    case Tensor::Outputs:
      set(0, Dim::N, 1);
      set(1, Dim::G, 1);
      set(2, Dim::M, 1);
      set(3, Dim::P, 1);
      set(4, Dim::Q, 1);
      l.fullExtent = {layer.N, layer.groups, layer.dim(Dim::M), layer.P, layer.Q};
      break;
  }
  return l;
}

AxisVector TensorLayout::axes(const DimVector& dims) const {
  AxisVector a{};
  for (std::size_t k = 0; k < kAxes; ++k) {
    for (std::size_t d = 0; d < kNumDims; ++d) a[k] += coef[k][d] * dims[d];
  }
  return a;
}

BoxShape BoxShape::make(const TensorLayout& layout, const DimVector& ext) {
  BoxShape s;
  for (std::size_t k = 0; k < kAxes; ++k) {
    // Enumerate every combination of the (at most two) dimensions feeding this axis.
    std::vector<std::int64_t> offsets{0};
    for (std::size_t d = 0; d < kNumDims; ++d) {
      const std::int64_t c = layout.coef[k][d];
      if (c == 0) continue;
      std::vector<std::int64_t> next;
      next.reserve(offsets.size() * static_cast<std::size_t>(ext[d]));
      for (std::int64_t o : offsets) {
        for (std::int64_t j = 0; j < ext[d]; ++j) next.push_back(o + c * j);
      }
      offsets.swap(next);
    }
    std::sort(offsets.begin(), offsets.end());
    offsets.erase(std::unique(offsets.begin(), offsets.end()), offsets.end());
    s.extent[k] = offsets.back() + 1;
    s.touched[k] = std::move(offsets);
  }
  std::int64_t stride = 1;
  s.touchedWords = 1;
  for (std::size_t k = kAxes; k-- > 0;) {
    s.stride[k] = stride;
    stride *= s.extent[k];
    s.touchedWords *= static_cast<std::int64_t>(s.touched[k].size());
  }
  s.size = stride;
  return s;
}

}  // namespace dfsim
