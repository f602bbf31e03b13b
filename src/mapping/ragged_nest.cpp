#include "mapping/ragged_nest.hpp"

#include <limits>
#include <optional>

#include "common/checked_math.hpp"
#include "common/errors.hpp"

namespace dfsim {

ExtentHistogram ExtentHistogram::whole(std::int64_t n) {
  ExtentHistogram h;
  h.add(n, 1);
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

void ExtentHistogram::split(std::int64_t tile) {
  if (kinds == 1 && extent[0] % tile == 0) {  // the common case: whole tiles only
    count[0] *= extent[0] / tile;
    extent[0] = tile;
    return;
  }
  const ExtentHistogram before = *this;
  kinds = 0;
  for (std::size_t k = 0; k < before.kinds; ++k) {
    const std::int64_t full = before.extent[k] / tile;
    const std::int64_t rest = before.extent[k] % tile;
    if (full > 0) add(tile, before.count[k] * full);
    if (rest > 0) add(rest, before.count[k]);
  }
}

void ExtentHistogram::firstOnly(std::int64_t tile) {
  if (kinds == 1) {
    if (extent[0] > tile) extent[0] = tile;
    return;
  }
  const ExtentHistogram before = *this;
  kinds = 0;
  for (std::size_t k = 0; k < before.kinds; ++k) {
    add(before.extent[k] < tile ? before.extent[k] : tile, before.count[k]);
  }
}

std::int64_t ExtentHistogram::total() const {
  std::int64_t n = 0;
  for (std::size_t k = 0; k < kinds; ++k) n += count[k];
  return n;
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

std::int64_t nonEmptySteps(const ProblemShape& shape, const Mapping& m) {
  const NestLoops nest = NestLoops::of(m);
  std::int64_t steps = 1;
  for (std::size_t i = 0; i < shape.numDims(); ++i) {
    const Dim d = ProblemShape::dimAt(i);
    ExtentHistogram h = ExtentHistogram::whole(shape.size(d));
    for (std::size_t j = 0; j < nest.spatial; ++j) {
      if (nest.loops[j].dim == d) h.split(nest.loops[j].tile);
    }
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

}  // namespace dfsim
