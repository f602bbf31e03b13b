#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "common/ids.hpp"
#include "workload/layer.hpp"

namespace dfsim {

/// Number of coordinate axes of every tensor (weights g m c r s; inputs n g c h w; outputs
/// n g m p q).
inline constexpr std::size_t kAxes = 5;
/// A point or extent in the loop-dimension space.
using DimVector = std::array<std::int64_t, kNumDims>;
/// A point or extent in a tensor's coordinate space.
using AxisVector = std::array<std::int64_t, kAxes>;

/// How loop-dimension indices map to one tensor's coordinates: axis k = sum_d coef[k][d] * dim_d
/// (inputs: h = stride * p + r, w = stride * q + s). Also the tensor's full extents in DRAM.
struct TensorLayout {
  Tensor tensor = Tensor::Weights;
  std::array<DimVector, kAxes> coef{};
  AxisVector fullExtent{};

  /// The layout of tensor `t` of `layer`.
  static TensorLayout make(const Layer& layer, Tensor t);
  /// Tensor coordinates of the loop-dimension point `dims`.
  AxisVector axes(const DimVector& dims) const;
};

/// The shape of a tile of one tensor: its bounding box in tensor coordinates, row-major strides
/// in that box, and which offsets along each axis the loops really touch (inputs with a filter
/// tile narrower than the stride leave gaps). Computed by enumerating the loop offsets, not from
/// a formula.
struct BoxShape {
  AxisVector extent{};
  AxisVector stride{};
  std::int64_t size = 0;                                 ///< words in the bounding box
  std::array<std::vector<std::int64_t>, kAxes> touched;  ///< touched offsets per axis, ascending
  std::int64_t touchedWords = 0;                         ///< product of the touched counts

  /// The tile of `layout` spanned by loop extents `ext` (per dimension).
  static BoxShape make(const TensorLayout& layout, const DimVector& ext);
  /// Row-major index of `off` (offsets from the box origin).
  std::int64_t index(const AxisVector& off) const {
    std::int64_t i = 0;
    for (std::size_t k = 0; k < kAxes; ++k) i += off[k] * stride[k];
    return i;
  }
};

/// Calls fn(offsets) for every touched point of `shape`, in row-major order.
template <typename Fn>
void forEachTouched(const BoxShape& shape, Fn&& fn) {
  AxisVector off{};
  for (std::int64_t a : shape.touched[0]) {
    off[0] = a;
    for (std::int64_t b : shape.touched[1]) {
      off[1] = b;
      for (std::int64_t c : shape.touched[2]) {
        off[2] = c;
        for (std::int64_t d : shape.touched[3]) {
          off[3] = d;
          for (std::int64_t e : shape.touched[4]) {
            off[4] = e;
            fn(off);
          }
        }
      }
    }
  }
}

}  // namespace dfsim
