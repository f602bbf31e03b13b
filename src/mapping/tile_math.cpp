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

std::int64_t slidingExtent(std::int64_t p, std::int64_t r, std::int64_t u) {
  return (u < r ? u : r) * (p - 1) + r;
}

std::int64_t tileWords(const Layer& layer, Tensor t, const DimExtents& e) {
  auto x = [&](Dim d) { return e[idx(d)]; };
  switch (t) {
    case Tensor::Weights:
      return x(Dim::G) * x(Dim::M) * x(Dim::C) * x(Dim::R) * x(Dim::S);
    case Tensor::Outputs:
      return x(Dim::N) * x(Dim::G) * x(Dim::M) * x(Dim::P) * x(Dim::Q);
    case Tensor::Inputs:
      return x(Dim::N) * x(Dim::G) * x(Dim::C) * slidingExtent(x(Dim::P), x(Dim::R), layer.stride) *
             slidingExtent(x(Dim::Q), x(Dim::S), layer.stride);
  }
  return 0;
}

std::int64_t tileVisits(Tensor t, const std::vector<Loop>& outer) {
  std::size_t end = 0;  // one past the innermost relevant loop with a bound above 1
  for (std::size_t i = 0; i < outer.size(); ++i) {
    if (outer[i].bound > 1 && isRelevant(t, outer[i].dim)) end = i + 1;
  }
  std::int64_t v = 1;
  for (std::size_t i = 0; i < end; ++i) v *= outer[i].bound;
  return v;
}

std::int64_t distinctTiles(Tensor t, const std::vector<Loop>& outer) {
  std::int64_t d = 1;
  for (const Loop& l : outer) {
    if (isRelevant(t, l.dim)) d *= l.bound;
  }
  return d;
}

}  // namespace dfsim
