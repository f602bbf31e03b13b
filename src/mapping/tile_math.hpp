#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "common/ids.hpp"
#include "mapping/mapping.hpp"
#include "workload/problem_shape.hpp"

namespace dfsim {

// Overflow: these functions use plain products. Their inputs are loops of a mapping that passed
// validateMapping (or that a mapper builds from divisors of the layer's dimensions), so every
// extent of a dimension is at most the layer's size of it, a tile at most the layer's tensor
// (<= 2^40 words, network reader) and a product of visits at most the layer's MACs (<= 2^40).

/// Per-dimension extents of a tile: the product of the bounds of the loops inside a level.
using DimExtents = std::array<std::int64_t, kMaxDims>;

/// Extents of the tile formed by `loops` (all 1 for an empty list).
DimExtents extentsOf(const std::vector<Loop>& loops);
/// Extents of the tile formed by the spatial loops times `inner`.
DimExtents withSpatial(const std::vector<SpatialLoop>& spatial, DimExtents inner);

/// Whether a loop over `d` is relevant to tensor `t` (moving it changes t's tile): the analytic
/// side's derivation, from the shape's projection (some coordinate of `t` has a term of `d`).
/// The simulator derives the same from its own layout (TensorLayout::moves), and a test checks
/// that the two agree.
inline bool isRelevant(const ProblemShape& shape, Tensor t, Dim d) {
  return (shape.projectedDims(t) >> idx(d) & 1U) != 0;
}

/// Distinct coordinates { a_i*u + b_i } for a_i < `a`, b_i < `b`: min(u, b)*(a-1) + b (a sliding
/// window of extent `b` at stride `u`).
inline std::int64_t slidingExtent(std::int64_t a, std::int64_t b, std::int64_t u) {
  return (u < b ? u : b) * (a - 1) + b;
}

/// The two terms of a sliding coordinate: the window (coefficient 1) and the slide.
struct WindowTerms {
  AxisTerm window;
  AxisTerm slide;
};

/// The window and slide of two-term coordinate `axis` of `t`: at least one term has
/// coefficient 1 (the shape's contract), and that one (the second when both do) is the window.
inline WindowTerms windowTerms(const ProblemShape& shape, Tensor t, std::size_t axis) {
  const AxisTerm first = shape.term(t, axis, 0);
  const AxisTerm second = shape.term(t, axis, 1);
  return second.coef == 1 ? WindowTerms{second, first} : WindowTerms{first, second};
}

/// Distinct values coordinate `axis` of tensor `t` takes over a tile with extents `e` (one term:
/// its extent; two terms: slidingExtent with the unit-coefficient term as the window).
/// (Inline: the analytic model calls it for every tile kind of every scored candidate.)
inline std::int64_t axisWords(const ProblemShape& shape, Tensor t, std::size_t axis,
                              const DimExtents& e) {
  if (shape.numTerms(t, axis) == 1) return e[idx(shape.term(t, axis, 0).dim)];
  const WindowTerms w = windowTerms(shape, t, axis);
  return slidingExtent(e[idx(w.slide.dim)], e[idx(w.window.dim)], w.slide.coef);
}

/// Words of tensor `t` in a tile with extents `e`, in closed form from the shape's projection:
/// the product over t's coordinates of the distinct values each takes (one term: its extent;
/// two terms: slidingExtent with the unit-coefficient term as the window).
inline std::int64_t tileWords(const ProblemShape& shape, Tensor t, const DimExtents& e) {
  std::int64_t words = 1;
  for (std::size_t k = 0; k < shape.numAxes(t); ++k) words *= axisWords(shape, t, k, e);
  return words;
}

/// The sizes of `shape`'s dimensions as extents (1 beyond its last dimension).
DimExtents dimSizes(const ProblemShape& shape);
/// `e` clipped to the layer, per dimension min(e, size): the largest tile a ragged nest with
/// nominal extents `e` holds (its first tile).
DimExtents clippedToLayer(const ProblemShape& shape, DimExtents e);

}  // namespace dfsim
