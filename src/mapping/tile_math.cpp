#include "mapping/tile_math.hpp"

#include <algorithm>

namespace dfsim {

DimExtents extentsOf(const std::vector<Loop>& loops) {
  DimExtents e;
  e.fill(1);
  for (const Loop& l : loops) e[idx(l.dim)] *= l.bound;
  return e;
}

DimExtents withSpatial(const std::vector<SpatialLoop>& spatial, DimExtents inner) {
  for (const SpatialLoop& l : spatial) inner[idx(l.dim)] *= l.bound;
  return inner;
}

std::int64_t slidingExtent(std::int64_t a, std::int64_t b, std::int64_t u) {
  return (u < b ? u : b) * (a - 1) + b;
}

std::int64_t axisWords(const ProblemShape& shape, Tensor t, std::size_t axis, const DimExtents& e) {
  const AxisTerm first = shape.term(t, axis, 0);
  if (shape.numTerms(t, axis) == 1) return e[idx(first.dim)];
  // Two terms, at least one with coefficient 1 (the shape's contract): that one is the window.
  const AxisTerm second = shape.term(t, axis, 1);
  const AxisTerm& window = second.coef == 1 ? second : first;
  const AxisTerm& slide = second.coef == 1 ? first : second;
  return slidingExtent(e[idx(slide.dim)], e[idx(window.dim)], slide.coef);
}

std::int64_t tileWords(const ProblemShape& shape, Tensor t, const DimExtents& e) {
  std::int64_t words = 1;
  for (std::size_t k = 0; k < shape.numAxes(t); ++k) words *= axisWords(shape, t, k, e);
  return words;
}

DimExtents dimSizes(const ProblemShape& shape) {
  DimExtents sizes;
  sizes.fill(1);
  for (std::size_t i = 0; i < shape.numDims(); ++i) sizes[i] = shape.size(ProblemShape::dimAt(i));
  return sizes;
}

DimExtents clippedToLayer(const ProblemShape& shape, DimExtents e) {
  for (std::size_t i = 0; i < shape.numDims(); ++i) {
    e[i] = std::min(e[i], shape.size(ProblemShape::dimAt(i)));
  }
  return e;
}

}  // namespace dfsim
