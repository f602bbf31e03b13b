#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "mapping/mapping.hpp"
#include "workload/problem_shape.hpp"

namespace dfsim {

/// Most loops over one dimension (of bound above 1) that a mapping may have; validateMapping
/// refuses more. Bounds the extent histograms below (one more kind per loop at most).
inline constexpr std::size_t kMaxLoopsPerDim = 7;

/// The tiles of one dimension at one point of a loop nest, as a histogram: `count[k]` tiles of
/// extent `extent[k]` (distinct extents, at most kMaxLoopsPerDim + 1 of them). Plain value.
struct ExtentHistogram {
  std::array<std::int64_t, kMaxLoopsPerDim + 1> extent;  ///< entries [0, kinds) are set
  std::array<std::int64_t, kMaxLoopsPerDim + 1> count;   ///< entries [0, kinds) are set
  std::size_t kinds = 0;

  /// One tile of extent `n` (a whole dimension).
  static ExtentHistogram whole(std::int64_t n);
  /// The tiles after a loop whose iterations are `tile` wide: a tile of extent E splits into
  /// E / tile full tiles and, when E % tile > 0, one ragged tile of E % tile (the ragged-tile
  /// rule: README "Ragged tiles").
  void split(std::int64_t tile);
  /// Only the loop's first iteration, min(E, tile), of every tile: what the nest looks like
  /// when it reaches that loop's index 0 (the largest iteration).
  void firstOnly(std::int64_t tile);
  /// Total number of tiles.
  std::int64_t total() const;
  /// Adds `c` tiles of extent `e` (merging with an equal extent).
  void add(std::int64_t e, std::int64_t c);
};

/// One loop of a mapping in nest order (DRAM, GLB, spatial, RF loops, each list outermost
/// first) with its nominal tile: the product of the bounds of the loops after it over the same
/// dimension (how wide one of its iterations is before the layer's edge clips it).
struct NestLoop {
  Dim dim{};
  std::int64_t bound = 1;
  std::int64_t tile = 1;
};

/// A mapping's loops in nest order with their nominal tiles; `dram`, `glb`, `spatial`, `rf`
/// give where each level's loops start (`rf` + rfLoops.size() is the end).
struct NestLoops {
  std::vector<NestLoop> loops;
  std::size_t glb = 0;
  std::size_t spatial = 0;
  std::size_t rf = 0;

  /// The loops of `m`; a tile whose product of bounds passes 2^63 (a mapping validation would
  /// refuse) is 2^63 - 1.
  static NestLoops of(const Mapping& m);
};

/// The number of array steps (iterations of the DRAM and GLB loops) that hold at least one
/// point of the layer: for a perfectly factorised mapping, Mapping::arraySteps(). Contract: `m`
/// passed validateMapping() for `shape`.
std::int64_t nonEmptySteps(const ProblemShape& shape, const Mapping& m);

/// Whether `m` tiles dimension `d` of `shape` raggedly (the bounds of its loops over d multiply
/// to more than its size; also true, without overflow, for any product other than the size).
bool isRaggedDim(const ProblemShape& shape, const Mapping& m, Dim d);

/// Whether some dimension of `shape` is tiled raggedly by `m` (the bounds of its loops multiply
/// to more than its size).
bool hasRaggedTiles(const ProblemShape& shape, const Mapping& m);

}  // namespace dfsim
