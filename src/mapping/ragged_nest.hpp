#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "mapping/loop_nest.hpp"
#include "mapping/mapping.hpp"
#include "mapping/tile_math.hpp"
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
  /// Makes this one tile of extent `n`.
  void reset(std::int64_t n) {
    kinds = 1;
    extent[0] = n;
    count[0] = 1;
  }
  /// The tiles after a loop whose iterations are `tile` wide: a tile of extent E splits into
  /// E / tile full tiles and, when E % tile > 0, one ragged tile of E % tile (the ragged-tile
  /// rule: README "Ragged tiles").
  void split(std::int64_t tile) {
    if (kinds == 1 && extent[0] % tile == 0) {  // the common case: whole tiles only
      count[0] *= extent[0] / tile;
      extent[0] = tile;
      return;
    }
    splitKinds(tile);
  }
  /// Only the loop's first iteration, min(E, tile), of every tile: what the nest looks like
  /// when it reaches that loop's index 0 (the largest iteration).
  void firstOnly(std::int64_t tile) {
    if (kinds == 1) {
      if (extent[0] > tile) extent[0] = tile;
      return;
    }
    firstOnlyKinds(tile);
  }
  /// Total number of tiles.
  std::int64_t total() const {
    std::int64_t n = 0;
    for (std::size_t k = 0; k < kinds; ++k) n += count[k];
    return n;
  }
  /// Adds `c` tiles of extent `e` (merging with an equal extent).
  void add(std::int64_t e, std::int64_t c);

 private:
  void splitKinds(std::int64_t tile);
  void firstOnlyKinds(std::int64_t tile);
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

/// Per dimension, the loops of a validated mapping with a bound above 1, in nest order, each
/// with its position in the nest (0-based over every loop of the four lists, DRAM first, or of
/// a LoopNest's flat order; loops of bound 1 count for positions but are not listed), bound,
/// nominal tile and whether it is spatial. Fixed-size (no allocation: the analytic model builds
/// one per scored candidate).
struct DimLoopTable {
  /// One loop (plain, uninitialised until listed: entries [0, count[d]) are set).
  struct Entry {
    std::size_t pos;
    std::int64_t bound;
    std::int64_t tile;
    bool spatial;
  };
  std::array<std::array<Entry, kMaxLoopsPerDim>, kMaxDims> loops;  ///< [dim][k], k < count
  std::array<std::size_t, kMaxDims> count{};
  /// exact[d]: the bounds over d multiply to its size (no ragged tile: every split is whole).
  std::array<bool, kMaxDims> exact{};
  std::size_t glb = 0;      ///< position of the first GLB loop (a Mapping's table only)
  std::size_t spatial = 0;  ///< position of the first spatial loop (a Mapping's table only)
  std::size_t rf = 0;       ///< position of the first RF loop (a Mapping's table only)

  /// The table of `m` for `shape`. Contract: `m` passed validateMapping() for `shape` (at most
  /// kMaxLoopsPerDim loops of a bound above 1 per dimension; InternalError otherwise).
  static DimLoopTable of(const Mapping& m, const ProblemShape& shape);
  /// Makes this the table of `m` for `shape` (of() in place, without a copy). Same contract.
  void assign(const Mapping& m, const ProblemShape& shape);
  /// The table of `n` in its flat order (levels[0].temporal, levels[0].spatial, ...); `glb`,
  /// `spatial` and `rf` stay 0. Contract: `n` passed validateLoopNest() for `shape`.
  static DimLoopTable of(const LoopNest& n, const ProblemShape& shape);
  /// Moves the tiles `h` of dimension `d` on through its loops at positions [first, stop): a
  /// spatial loop or one below `reuseEnd` splits into its tiles, any other keeps its first
  /// iteration only (the visits one instance of a parent sees: the spatial loops above it make
  /// instances of their own, the temporal loops inside the innermost relevant one reuse).
  void tilesPerInstance(std::size_t d, ExtentHistogram& h, std::size_t first, std::size_t reuseEnd,
                        std::size_t stop) const {
    if (exact[d]) {  // one kind throughout: a tile of extent b*T splits into b tiles of T
      for (std::size_t k = 0; k < count[d]; ++k) {
        const Entry& e = loops[d][k];
        if (e.pos < first || e.pos >= stop) continue;
        if (e.spatial || e.pos < reuseEnd) h.count[0] *= e.bound;
        h.extent[0] = e.tile;
      }
      return;
    }
    for (std::size_t k = 0; k < count[d]; ++k) {
      const Entry& e = loops[d][k];
      if (e.pos < first || e.pos >= stop) continue;
      if (e.spatial || e.pos < reuseEnd) {
        h.split(e.tile);
      } else {
        h.firstOnly(e.tile);
      }
    }
  }
  /// Moves the tiles `h` of dimension `d` (those before its loops at positions below `first`)
  /// on through its loops at positions [first, split) (split into their tiles) and
  /// [split, stop) (their first iteration only).
  void tiles(std::size_t d, ExtentHistogram& h, std::size_t first, std::size_t split,
             std::size_t stop) const {
    if (exact[d]) {  // one kind throughout: a tile of extent b*T splits into b tiles of T
      for (std::size_t k = 0; k < count[d]; ++k) {
        const Entry& e = loops[d][k];
        if (e.pos < first || e.pos >= stop) continue;
        if (e.pos < split) h.count[0] *= e.bound;
        h.extent[0] = e.tile;
      }
      return;
    }
    for (std::size_t k = 0; k < count[d]; ++k) {
      const Entry& e = loops[d][k];
      if (e.pos < first || e.pos >= stop) continue;
      if (e.pos < split) {
        h.split(e.tile);
      } else {
        h.firstOnly(e.tile);
      }
    }
  }
};

/// The number of array steps (iterations of the DRAM and GLB loops) that hold at least one
/// point of the layer: for a perfectly factorised mapping, Mapping::arraySteps(). Contract: `m`
/// passed validateMapping() for `shape`.
std::int64_t nonEmptySteps(const ProblemShape& shape, const Mapping& m);

/// nonEmptySteps(shape, m) from the table of `m` (DimLoopTable::of(m, shape)); the same for
/// any order of the loops above the array.
std::int64_t nonEmptySteps(const ProblemShape& shape, const DimLoopTable& table);

/// Whether `m` tiles dimension `d` of `shape` raggedly (the bounds of its loops over d multiply
/// to more than its size; also true, without overflow, for any product other than the size).
bool isRaggedDim(const ProblemShape& shape, const Mapping& m, Dim d);

/// Whether some dimension of `shape` is tiled raggedly by `m` (the bounds of its loops multiply
/// to more than its size).
bool hasRaggedTiles(const ProblemShape& shape, const Mapping& m);

/// Per dimension, a histogram of tile extents (one nest position's tiles).
using DimHistograms = std::array<ExtentHistogram, kMaxDims>;

/// Sum, over every combination of one tile kind per dimension `t` depends on (its shape's
/// projection), of the number of such tiles times the words of `t` in a tile of those extents
/// (each divided by `divisor`). Dimensions `t` does not depend on are not enumerated (their
/// tiles do not change its words). A dimension feeds one coordinate of `t` (the shape's
/// contract) and the words are the product of the coordinates' distinct values, so the sum is
/// the product over coordinates of the sums over their own dimensions' kinds. Both analytic
/// models (4-level and any hierarchy) count words with it.
std::int64_t wordsOverKinds(const ProblemShape& shape, Tensor t, const DimHistograms& h,
                            const DimExtents& divisor);

/// Product of the tile counts in `h` of the dimensions `t` does not depend on.
std::int64_t otherTiles(const ProblemShape& shape, Tensor t, const DimHistograms& h);

}  // namespace dfsim
