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
