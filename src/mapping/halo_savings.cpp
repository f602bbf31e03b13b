#include "mapping/halo_savings.hpp"

#include <algorithm>
#include <array>
#include <vector>

#include "mapping/tile_math.hpp"

namespace dfsim {

namespace {

/// Most temporal loops of a bound above 1 a nest lists (the table's capacity).
constexpr std::size_t kMaxTableLoops = kMaxDims * kMaxLoopsPerDim;

/// One loop of the table, with its dimension.
struct FlatLoop {
  std::size_t pos = 0;
  std::size_t dim = 0;
  std::int64_t bound = 1;
  std::int64_t tile = 1;
};

/// Whether the coordinate offset `y` (from the tile's first coordinate) is one the tile with
/// extents `e` touches along `axis`.
bool touches(const ProblemShape& shape, Tensor t, std::size_t axis, const DimExtents& e,
             std::int64_t y) {
  if (y < 0) return false;
  if (shape.numTerms(t, axis) == 1) {
    const AxisTerm a = shape.term(t, axis, 0);
    return y % a.coef == 0 && y / a.coef < e[idx(a.dim)];
  }
  const WindowTerms w = windowTerms(shape, t, axis);
  const std::int64_t a = e[idx(w.slide.dim)];
  const std::int64_t b = e[idx(w.window.dim)];
  const std::int64_t u = w.slide.coef;
  if (u <= b) return y < u * (a - 1) + b;
  return y / u < a && y % u < b;
}

/// One past the largest coordinate offset the tile with extents `e` touches along `axis`.
std::int64_t spanOf(const ProblemShape& shape, Tensor t, std::size_t axis, const DimExtents& e) {
  if (shape.numTerms(t, axis) == 1) {
    const AxisTerm a = shape.term(t, axis, 0);
    return a.coef * (e[idx(a.dim)] - 1) + 1;
  }
  const WindowTerms w = windowTerms(shape, t, axis);
  return w.slide.coef * (e[idx(w.slide.dim)] - 1) + e[idx(w.window.dim)];
}

/// The words of coordinate `axis` that every child needing them at a step already held: the
/// union tile's words minus the union, over the children (spread by `spread`, the crossed
/// fan-out's loops over this coordinate's dimensions), of the words each receives new. Counted
/// on this one coordinate (at most the tensor's extent along it, times the children).
std::int64_t keptAcrossChildren(const ProblemShape& shape, Tensor t, std::size_t axis,
                                const DimExtents& child, const DimExtents& unionExt,
                                std::int64_t shift, const FlatLoop* spread, std::size_t n) {
  const std::int64_t span = spanOf(shape, t, axis, child);
  // The base tile's new offsets (those it touches whose offset before the shift it did not).
  std::vector<std::int64_t> fresh;
  for (std::int64_t y = 0; y < span; ++y) {
    if (touches(shape, t, axis, child, y) && !touches(shape, t, axis, child, y - shift)) {
      fresh.push_back(y);
    }
  }
  // Every child's first coordinate, relative to the first child's.
  std::vector<std::int64_t> offsets{0};
  for (std::size_t i = 0; i < n; ++i) {
    const std::int64_t step =
        shape.coef(t, axis, ProblemShape::dimAt(spread[i].dim)) * spread[i].tile;
    const std::size_t before = offsets.size();
    for (std::int64_t j = 1; j < spread[i].bound; ++j) {
      for (std::size_t k = 0; k < before; ++k) offsets.push_back(offsets[k] + j * step);
    }
  }
  const std::int64_t last = *std::max_element(offsets.begin(), offsets.end());
  std::vector<char> marked(static_cast<std::size_t>(last + span), 0);
  std::int64_t freshWords = 0;
  for (std::int64_t o : offsets) {
    for (std::int64_t y : fresh) {
      char& m = marked[static_cast<std::size_t>(o + y)];
      freshWords += m == 0 ? 1 : 0;
      m = 1;
    }
  }
  return axisWords(shape, t, axis, unionExt) - freshWords;
}

/// haloSavings on a perfect nest, in closed form.
HaloSavings perfectSavings(const ProblemShape& shape, const DimLoopTable& loops, Tensor t,
                           const BoundaryPositions& at);

}  // namespace

std::int64_t axisOverlap(const ProblemShape& shape, Tensor t, std::size_t axis, const DimExtents& e,
                         std::int64_t shift) {
  if (shift == 0) return axisWords(shape, t, axis, e);
  const std::int64_t s = shift < 0 ? -shift : shift;
  if (shape.numTerms(t, axis) == 1) {
    const AxisTerm a = shape.term(t, axis, 0);
    if (s % a.coef != 0) return 0;
    return std::max<std::int64_t>(0, e[idx(a.dim)] - s / a.coef);
  }
  const WindowTerms w = windowTerms(shape, t, axis);
  const std::int64_t a = e[idx(w.slide.dim)];
  const std::int64_t b = e[idx(w.window.dim)];
  const std::int64_t u = w.slide.coef;
  if (u <= b) return std::max<std::int64_t>(0, u * (a - 1) + b - s);  // one interval
  // A blocks of b at pitch u: a block meets the one q pitches on in b - r words and the one
  // q + 1 on in b - u + r (r = s mod u).
  const std::int64_t q = s / u;
  const std::int64_t r = s % u;
  return std::max<std::int64_t>(0, b - r) * std::max<std::int64_t>(0, a - q) +
         std::max<std::int64_t>(0, b - u + r) * std::max<std::int64_t>(0, a - q - 1);
}

HaloSavings haloSavings(const ProblemShape& shape, const DimLoopTable& loops, Tensor t,
                        const BoundaryPositions& at, HaloMemo* memo) {
  for (std::size_t d = 0; d < shape.numDims(); ++d) {
    if (!loops.exact[d]) return haloSavingsByPositions(shape, loops, t, at, memo);
  }
  return perfectSavings(shape, loops, t, at);
}

namespace {

HaloSavings perfectSavings(const ProblemShape& shape, const DimLoopTable& loops, Tensor t,
                           const BoundaryPositions& at) {
  // 1. The loops that change the child's tile (temporal, below reuseEnd, in nest order), the
  // parent instances and the children's spread, and the child and union tiles.
  std::array<FlatLoop, kMaxTableLoops> changing{};
  std::size_t nChanging = 0;
  std::array<FlatLoop, kMaxTableLoops> spread{};
  std::size_t nSpread = 0;
  std::int64_t parents = 1;
  std::int64_t children = 1;
  DimExtents child;
  child.fill(1);
  DimExtents unionExt;
  unionExt.fill(1);
  for (std::size_t d = 0; d < shape.numDims(); ++d) {
    for (std::size_t k = 0; k < loops.count[d]; ++k) {
      const DimLoopTable::Entry& e = loops.loops[d][k];
      const FlatLoop l{e.pos, d, e.bound, e.tile};
      if (e.pos >= at.childStart) child[d] *= e.bound;
      if (e.pos >= at.stop) unionExt[d] *= e.bound;
      if (e.spatial && e.pos < at.stop) parents *= e.bound;
      if (e.spatial && e.pos >= at.stop && e.pos < at.childStart) {
        spread[nSpread++] = l;
        children *= e.bound;
      }
      if (!e.spatial && e.pos < at.reuseEnd) changing[nChanging++] = l;
    }
  }
  std::sort(changing.begin(), changing.begin() + static_cast<std::ptrdiff_t>(nChanging),
            [](const FlatLoop& x, const FlatLoop& y) { return x.pos < y.pos; });
  // Per coordinate, the children's spread along it (the crossed fan-out's loops over its
  // dimensions), in the table's order.
  std::array<std::array<FlatLoop, kMaxTableLoops>, kMaxAxes> along{};
  std::array<std::size_t, kMaxAxes> nAlong{};
  for (std::size_t axis = 0; axis < shape.numAxes(t); ++axis) {
    for (std::size_t i = 0; i < nSpread; ++i) {
      if (shape.coef(t, axis, ProblemShape::dimAt(spread[i].dim)) != 0) {
        along[axis][nAlong[axis]++] = spread[i];
      }
    }
  }

  // 2. Per changing loop: its advances, and what a child and the union keep at each.
  HaloSavings s;
  std::int64_t outer = parents;
  for (std::size_t k = 0; k < nChanging; ++k) {
    const FlatLoop& moved = changing[k];
    const std::int64_t advances = outer * (moved.bound - 1);
    outer *= moved.bound;
    std::array<std::int64_t, kMaxDims> shift{};
    shift[moved.dim] += moved.tile;
    for (std::size_t j = k + 1; j < nChanging; ++j) {
      shift[changing[j].dim] -= (changing[j].bound - 1) * changing[j].tile;
    }
    std::int64_t keptChild = 1;
    std::int64_t keptUnion = 1;
    for (std::size_t axis = 0; axis < shape.numAxes(t) && (keptChild > 0 || keptUnion > 0);
         ++axis) {
      std::int64_t dx = 0;
      for (std::size_t term = 0; term < shape.numTerms(t, axis); ++term) {
        const AxisTerm a = shape.term(t, axis, term);
        dx += a.coef * shift[idx(a.dim)];
      }
      const std::int64_t kept = axisOverlap(shape, t, axis, child, dx);
      keptChild *= kept;
      if (dx == 0) {
        keptUnion *= axisWords(shape, t, axis, unionExt);
      } else if (nAlong[axis] == 0 || kept == 0) {
        keptUnion *= kept;  // one set along it for every child (or nothing kept by any)
      } else {
        keptUnion *= keptAcrossChildren(shape, t, axis, child, unionExt, dx, along[axis].data(),
                                        nAlong[axis]);
      }
    }
    s.unionWords += advances * keptUnion;
    s.instanceWords += advances * children * keptChild;
  }
  return s;
}

}  // namespace

}  // namespace dfsim
