#include "mapping/ragged_nest.hpp"

#include "mapping/tile_math.hpp"

#include <limits>
#include <optional>

#include "common/checked_math.hpp"
#include "common/errors.hpp"

namespace dfsim {

ExtentHistogram ExtentHistogram::whole(std::int64_t n) {
  ExtentHistogram h;
  h.reset(n);
  return h;
}

void ExtentHistogram::add(std::int64_t e, std::int64_t c) {
  for (std::size_t k = 0; k < kinds; ++k) {
    if (extent[k] == e) {
      count[k] += c;
      return;
    }
  }
  if (kinds == extent.size()) {
    throw InternalError("extent histogram: more tile kinds than loops over one dimension allow");
  }
  extent[kinds] = e;
  count[kinds] = c;
  ++kinds;
}

void ExtentHistogram::splitKinds(std::int64_t tile) {
  // In place: the full tiles go first (they all have extent `tile`), then the ragged ones,
  // E % tile < tile, merged where equal; no entry is overwritten before it is read.
  std::int64_t full = 0;
  std::array<std::int64_t, kMaxLoopsPerDim + 1> restExtent;
  std::array<std::int64_t, kMaxLoopsPerDim + 1> restCount;
  std::size_t rests = 0;
  for (std::size_t k = 0; k < kinds; ++k) {
    full += count[k] * (extent[k] / tile);
    const std::int64_t rest = extent[k] % tile;
    if (rest == 0) continue;
    std::size_t r = 0;
    while (r < rests && restExtent[r] != rest) ++r;
    if (r == rests) {
      restExtent[rests] = rest;
      restCount[rests++] = 0;
    }
    restCount[r] += count[k];
  }
  kinds = 0;
  if (full > 0) add(tile, full);
  for (std::size_t r = 0; r < rests; ++r) add(restExtent[r], restCount[r]);
}

void ExtentHistogram::firstOnlyKinds(std::int64_t tile) {
  const ExtentHistogram before = *this;
  kinds = 0;
  for (std::size_t k = 0; k < before.kinds; ++k) {
    add(before.extent[k] < tile ? before.extent[k] : tile, before.count[k]);
  }
}

NestLoops NestLoops::of(const Mapping& m) {
  NestLoops n;
  n.loops.reserve(m.dramLoops.size() + m.glbLoops.size() + m.spatialLoops.size() +
                  m.rfLoops.size());
  for (const Loop& l : m.dramLoops) n.loops.push_back({l.dim, l.bound, 1});
  n.glb = n.loops.size();
  for (const Loop& l : m.glbLoops) n.loops.push_back({l.dim, l.bound, 1});
  n.spatial = n.loops.size();
  for (const SpatialLoop& l : m.spatialLoops) n.loops.push_back({l.dim, l.bound, 1});
  n.rf = n.loops.size();
  for (const Loop& l : m.rfLoops) n.loops.push_back({l.dim, l.bound, 1});
  std::array<std::int64_t, kMaxDims> inner{};
  inner.fill(1);
  for (std::size_t i = n.loops.size(); i-- > 0;) {
    NestLoop& l = n.loops[i];
    l.tile = inner[idx(l.dim)];
    // Saturating: the mapping readers and writers list tiles before validation, which refuses
    // bounds whose products pass 2^63.
    inner[idx(l.dim)] =
        checkedMul(inner[idx(l.dim)], l.bound).value_or(std::numeric_limits<std::int64_t>::max());
  }
  return n;
}

namespace {

/// Lists a loop of bound above 1 over `d` at position `pos` (InternalError past kMaxLoopsPerDim).
void listLoop(DimLoopTable& t, Dim d, std::int64_t bound, std::size_t pos, bool spatial) {
  const std::size_t i = idx(d);
  if (bound <= 1) return;
  if (t.count[i] == kMaxLoopsPerDim) {
    throw InternalError("loop table: more loops over one dimension than validation allows");
  }
  t.loops[i][t.count[i]++] = {pos, bound, 1, spatial};
}

/// Sets the nominal tiles (inner products of bounds) and `exact` of every dimension.
void finishTable(DimLoopTable& t, const ProblemShape& shape) {
  for (std::size_t i = 0; i < kMaxDims; ++i) {
    std::int64_t inner = 1;
    for (std::size_t k = t.count[i]; k-- > 0;) {
      t.loops[i][k].tile = inner;
      inner *= t.loops[i][k].bound;
    }
    t.exact[i] = inner == (i < shape.numDims() ? shape.size(ProblemShape::dimAt(i)) : 1);
  }
}

}  // namespace

DimLoopTable DimLoopTable::of(const Mapping& m, const ProblemShape& shape) {
  DimLoopTable t;  // entries are set as they are listed
  t.assign(m, shape);
  return t;
}

void DimLoopTable::assign(const Mapping& m, const ProblemShape& shape) {
  count.fill(0);
  std::size_t pos = 0;
  for (const Loop& l : m.dramLoops) listLoop(*this, l.dim, l.bound, pos++, false);
  glb = pos;
  for (const Loop& l : m.glbLoops) listLoop(*this, l.dim, l.bound, pos++, false);
  spatial = pos;
  for (const SpatialLoop& l : m.spatialLoops) listLoop(*this, l.dim, l.bound, pos++, true);
  rf = pos;
  for (const Loop& l : m.rfLoops) listLoop(*this, l.dim, l.bound, pos++, false);
  finishTable(*this, shape);
}

DimLoopTable DimLoopTable::of(const LoopNest& n, const ProblemShape& shape) {
  DimLoopTable t;
  std::size_t pos = 0;
  for (const LevelLoops& level : n.levels) {
    for (const Loop& l : level.temporal) listLoop(t, l.dim, l.bound, pos++, false);
    for (const SpatialLoop& l : level.spatial) listLoop(t, l.dim, l.bound, pos++, true);
  }
  finishTable(t, shape);
  return t;
}

std::int64_t nonEmptySteps(const ProblemShape& shape, const Mapping& m) {
  return nonEmptySteps(shape, DimLoopTable::of(m, shape));
}

std::int64_t nonEmptySteps(const ProblemShape& shape, const DimLoopTable& table) {
  std::int64_t steps = 1;
  for (std::size_t i = 0; i < shape.numDims(); ++i) {
    ExtentHistogram h;
    h.reset(shape.size(ProblemShape::dimAt(i)));
    table.tiles(i, h, 0, table.spatial, table.spatial);
    steps *= h.total();
  }
  return steps;
}

bool isRaggedDim(const ProblemShape& shape, const Mapping& m, Dim d) {
  std::optional<std::int64_t> product = 1;  // nullopt: past 2^63, certainly not the size
  for (const Loop& l : m.dramLoops) product = mulOpt(product, l.dim == d ? l.bound : 1);
  for (const Loop& l : m.glbLoops) product = mulOpt(product, l.dim == d ? l.bound : 1);
  for (const SpatialLoop& l : m.spatialLoops) product = mulOpt(product, l.dim == d ? l.bound : 1);
  for (const Loop& l : m.rfLoops) product = mulOpt(product, l.dim == d ? l.bound : 1);
  return product != shape.size(d);
}

bool hasRaggedTiles(const ProblemShape& shape, const Mapping& m) {
  for (std::size_t i = 0; i < shape.numDims(); ++i) {
    if (isRaggedDim(shape, m, ProblemShape::dimAt(i))) return true;
  }
  return false;
}

std::int64_t wordsOverKinds(const ProblemShape& shape, Tensor t, const DimHistograms& h,
                            const DimExtents& divisor) {
  const std::uint32_t relevant = shape.projectedDims(t);
  DimExtents e;
  e.fill(1);
  bool oneKind = true;
  std::int64_t tiles = 1;
  for (std::size_t d = 0; d < shape.numDims(); ++d) {
    if ((relevant >> d & 1U) == 0) continue;
    oneKind = oneKind && h[d].kinds == 1;
    e[d] = h[d].extent[0] / divisor[d];
    tiles *= h[d].count[0];
  }
  if (oneKind) return tiles * tileWords(shape, t, e);  // no ragged tile: one kind
  std::int64_t product = 1;
  for (std::size_t k = 0; k < shape.numAxes(t); ++k) {
    const Dim a = shape.term(t, k, 0).dim;
    const ExtentHistogram& ha = h[idx(a)];
    std::int64_t sum = 0;
    if (shape.numTerms(t, k) == 1) {
      for (std::size_t i = 0; i < ha.kinds; ++i) {
        e[idx(a)] = ha.extent[i] / divisor[idx(a)];
        sum += ha.count[i] * axisWords(shape, t, k, e);
      }
    } else {
      const Dim b = shape.term(t, k, 1).dim;
      const ExtentHistogram& hb = h[idx(b)];
      for (std::size_t i = 0; i < ha.kinds; ++i) {
        e[idx(a)] = ha.extent[i] / divisor[idx(a)];
        for (std::size_t j = 0; j < hb.kinds; ++j) {
          e[idx(b)] = hb.extent[j] / divisor[idx(b)];
          sum += ha.count[i] * hb.count[j] * axisWords(shape, t, k, e);
        }
      }
    }
    product *= sum;
  }
  return product;
}

std::int64_t otherTiles(const ProblemShape& shape, Tensor t, const DimHistograms& h) {
  const std::uint32_t relevant = shape.projectedDims(t);
  std::int64_t n = 1;
  for (std::size_t d = 0; d < shape.numDims(); ++d) {
    if ((relevant >> d & 1U) == 0) n *= h[d].total();
  }
  return n;
}

}  // namespace dfsim
