#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "common/ids.hpp"
#include "mapping/mapping.hpp"
#include "workload/layer.hpp"

namespace dfsim {

// Overflow: these functions use plain products. Their inputs are loops of a mapping that passed
// validateMapping (or that a mapper builds from divisors of the layer's dimensions), so every
// extent of a dimension is at most the layer's size of it, a tile at most the layer's tensor
// (<= 2^40 words, network reader) and a product of visits at most the layer's MACs (<= 2^40).

/// Per-dimension extents of a tile: the product of the bounds of the loops inside a level.
using DimExtents = std::array<std::int64_t, kNumDims>;

/// Extents of the tile formed by `loops` (all 1 for an empty list).
DimExtents extentsOf(const std::vector<Loop>& loops);
/// Extents of the tile formed by the spatial loops times `inner`.
DimExtents withSpatial(const std::vector<SpatialLoop>& spatial, DimExtents inner);

/// Distinct input rows touched by an output extent `p` and a filter extent `r` at stride `u`:
/// { p_i*u + r_i } has min(u, r)*(p-1) + r elements.
std::int64_t slidingExtent(std::int64_t p, std::int64_t r, std::int64_t u);

/// Words of tensor `t` in a tile with extents `e` (inputs: rows/cols by slidingExtent).
std::int64_t tileWords(const Layer& layer, Tensor t, const DimExtents& e);

/// How many times the tile of `t` inside `outer` changes while `outer` (temporal loops, outermost
/// first) runs, counting the first fill: the product of the bounds of every loop from the
/// outermost down to the innermost one that is relevant to `t` (inner irrelevant loops reuse).
std::int64_t tileVisits(Tensor t, const std::vector<Loop>& outer);
/// How many distinct tiles of `t` `outer` visits: the product of its relevant bounds.
std::int64_t distinctTiles(Tensor t, const std::vector<Loop>& outer);

}  // namespace dfsim
