#include "mapping/tile_math.hpp"

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

std::int64_t tileVisits(const ProblemShape& shape, Tensor t, const std::vector<Loop>& outer) {
  std::size_t end = 0;  // one past the innermost relevant loop with a bound above 1
  for (std::size_t i = 0; i < outer.size(); ++i) {
    if (outer[i].bound > 1 && isRelevant(shape, t, outer[i].dim)) end = i + 1;
  }
  std::int64_t v = 1;
  for (std::size_t i = 0; i < end; ++i) v *= outer[i].bound;
  return v;
}

std::int64_t distinctTiles(const ProblemShape& shape, Tensor t, const std::vector<Loop>& outer) {
  std::int64_t d = 1;
  for (const Loop& l : outer) {
    if (isRelevant(shape, t, l.dim)) d *= l.bound;
  }
  return d;
}

}  // namespace dfsim
