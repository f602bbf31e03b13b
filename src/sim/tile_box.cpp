#include "sim/tile_box.hpp"

#include <algorithm>

namespace dfsim {

TensorLayout TensorLayout::make(const ProblemShape& shape, Tensor t) {
  TensorLayout l;
  l.tensor = t;
  l.fullExtent.fill(1);
  const std::size_t first = kAxes - shape.numAxes(t);
  for (std::size_t k = 0; k < shape.numAxes(t); ++k) {
    for (std::size_t i = 0; i < shape.numDims(); ++i) {
      l.coef[first + k][i] = shape.coef(t, k, ProblemShape::dimAt(i));
    }
    l.fullExtent[first + k] = shape.extent(t, k);
  }
  for (std::size_t i = 0; i < kMaxDims; ++i) {
    DimVector unit{};
    unit[i] = 1;
    const AxisVector a = l.axes(unit);
    l.moved[i] = a != AxisVector{};
  }
  return l;
}

AxisVector TensorLayout::axes(const DimVector& dims) const {
  AxisVector a{};
  for (std::size_t k = 0; k < kAxes; ++k) {
    for (std::size_t d = 0; d < kMaxDims; ++d) a[k] += coef[k][d] * dims[d];
  }
  return a;
}

BoxShape BoxShape::make(const TensorLayout& layout, const DimVector& ext) {
  BoxShape s;
  for (std::size_t k = 0; k < kAxes; ++k) {
    // Enumerate every combination of the (at most two) dimensions feeding this axis.
    std::vector<std::int64_t> offsets{0};
    for (std::size_t d = 0; d < kMaxDims; ++d) {
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
  std::int64_t pitch = 1;
  s.touchedWords = 1;
  for (std::size_t k = kAxes; k-- > 0;) {
    s.pitch[k] = pitch;
    pitch *= s.extent[k];
    s.touchedWords *= static_cast<std::int64_t>(s.touched[k].size());
  }
  s.size = pitch;
  return s;
}

BoxShape BoxShape::whole(const TensorLayout& layout) {
  BoxShape s;
  std::int64_t pitch = 1;
  for (std::size_t k = kAxes; k-- > 0;) {
    s.extent[k] = layout.fullExtent[k];
    s.pitch[k] = pitch;
    pitch *= s.extent[k];
    s.touched[k].resize(static_cast<std::size_t>(s.extent[k]));
    for (std::int64_t i = 0; i < s.extent[k]; ++i) s.touched[k][static_cast<std::size_t>(i)] = i;
  }
  s.size = pitch;
  s.touchedWords = pitch;
  return s;
}

}  // namespace dfsim
