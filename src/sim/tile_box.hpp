#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "common/ids.hpp"
#include "workload/problem_shape.hpp"

namespace dfsim {

/// Number of coordinate axes of every tensor in the simulator: a shape's tensor with fewer
/// coordinates gets leading axes of extent 1.
inline constexpr std::size_t kAxes = kMaxAxes;
/// A point or extent in the loop-dimension space.
using DimVector = std::array<std::int64_t, kMaxDims>;
/// A point or extent in a tensor's coordinate space.
using AxisVector = std::array<std::int64_t, kAxes>;

/// How loop-dimension indices map to one tensor's coordinates: axis k = sum_d coef[k][d] * dim_d
/// (a conv's inputs: h = stride * p + r), as a dense matrix; also the tensor's full extents in
/// DRAM. The simulator's own representation of the shape's projection: what a loop means for a
/// tensor is read from here (moves()), never from the analytic side's tile_math.
struct TensorLayout {
  Tensor tensor = Tensor::Weights;
  std::array<DimVector, kAxes> coef{};
  AxisVector fullExtent{};
  /// moved[d]: a unit step of dimension d moves the tensor's coordinates (axes() of the unit
  /// vector is not 0), so a loop over d changes the tile a level holds.
  std::array<bool, kMaxDims> moved{};

  /// The layout of tensor `t` of `shape` (its coordinates right-aligned on the kAxes axes).
  static TensorLayout make(const ProblemShape& shape, Tensor t);
  /// Tensor coordinates of the loop-dimension point `dims`.
  AxisVector axes(const DimVector& dims) const;
  /// Whether a loop over `d` is relevant to this tensor: a unit step of it moves the tile's
  /// origin in tensor coordinates.
  bool moves(Dim d) const { return moved[idx(d)]; }
};

/// Row-major index of the coordinates `abs` in a box of strides `pitch` (a tensor's DRAM layout:
/// its full pitch).
inline std::int64_t linearIndex(const AxisVector& abs, const AxisVector& pitch) {
  std::int64_t i = 0;
  for (std::size_t k = 0; k < kAxes; ++k) i += abs[k] * pitch[k];
  return i;
}

/// The shape of a tile of one tensor: its bounding box in tensor coordinates, row-major strides
/// in that box, and which offsets along each axis the loops really touch (inputs with a filter
/// tile narrower than the stride leave gaps). Computed by enumerating the loop offsets, not from
/// a formula.
struct BoxShape {
  AxisVector extent{};
  AxisVector pitch{};     ///< row-major step of each axis in the box, in words
  std::int64_t size = 0;  ///< words in the bounding box
  std::array<std::vector<std::int64_t>, kAxes> touched;  ///< touched offsets per axis, ascending
  std::int64_t touchedWords = 0;                         ///< product of the touched counts

  /// The tile of `layout` spanned by loop extents `ext` (per dimension).
  static BoxShape make(const TensorLayout& layout, const DimVector& ext);
  /// The box of a whole tensor (what DRAM holds): the layout's full extents, every word
  /// touched.
  static BoxShape whole(const TensorLayout& layout);
  /// Row-major index of `off` (offsets from the box origin).
  std::int64_t index(const AxisVector& off) const {
    std::int64_t i = 0;
    for (std::size_t k = 0; k < kAxes; ++k) i += off[k] * pitch[k];
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
