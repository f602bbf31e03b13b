#include "mapping/mapping.hpp"

#include <limits>
#include <sstream>

#include "common/checked_math.hpp"

#include "mapping/ragged_nest.hpp"
#include "mapping/tile_math.hpp"

namespace dfsim {

namespace {
template <typename L>
std::int64_t product(const std::vector<L>& loops) {
  std::int64_t p = 1;
  for (const L& l : loops) p *= l.bound;
  return p;
}
}  // namespace

std::int64_t Mapping::spatialExtent(Axis axis) const {
  std::int64_t p = 1;
  for (const SpatialLoop& l : spatialLoops) {
    if (l.axis == axis) p *= l.bound;
  }
  return p;
}

std::int64_t Mapping::activePes() const {
  return product(spatialLoops);
}
std::int64_t Mapping::rfIterations() const {
  return product(rfLoops);
}
std::int64_t Mapping::arraySteps() const {
  return product(dramLoops) * product(glbLoops);
}

const char* axisName(Axis a) {
  return a == Axis::Rows ? "rows" : "cols";
}

std::string renderLoopNest(const ProblemShape& shape, const Mapping& m) {
  std::ostringstream os;
  int depth = 0;
  // Per dimension, the product of the bounds not yet printed (the tile of the next loop over
  // it is this product divided by that loop's bound) and whether its tiling is ragged.
  DimExtents rest;
  rest.fill(1);
  auto note = [&](Dim d, std::int64_t bound) {
    rest[idx(d)] /= bound;
    if (!isRaggedDim(shape, m, d)) return std::string();
    return " tiles of " + std::to_string(rest[idx(d)]) + ", the last one clipped to " +
           std::string(shape.name(d)) + "=" + std::to_string(shape.size(d));
  };
  // Saturating products: a mapping may be rendered before validation refuses it.
  const auto grow = [&](Dim d, std::int64_t b) {
    rest[idx(d)] = checkedMul(rest[idx(d)], b).value_or(std::numeric_limits<std::int64_t>::max());
  };
  for (const Loop& l : m.dramLoops) grow(l.dim, l.bound);
  for (const Loop& l : m.glbLoops) grow(l.dim, l.bound);
  for (const SpatialLoop& l : m.spatialLoops) grow(l.dim, l.bound);
  for (const Loop& l : m.rfLoops) grow(l.dim, l.bound);
  auto keeps = [](const PerTensor<bool>& k) {
    std::string s;
    for (Tensor t : kAllTensors) {
      if (k[t]) s += std::string(s.empty() ? "" : ",") + std::string(tensorName(t));
    }
    return s.empty() ? std::string("nothing") : s;
  };
  auto streamed = [](const PerTensor<std::uint8_t>& over) {
    static const char* const kOuter[] = {"", "DRAM", "GLB"};
    std::string s;
    for (Tensor t : kAllTensors) {
      if (over[t] == 0) continue;
      s += "; " + std::string(tensorName(t)) + " streamed over " +
           (over[t] < 3 ? kOuter[over[t]] : "?");
    }
    return s;
  };
  auto temporal = [&](const char* level, const std::vector<Loop>& loops, const std::string& kept) {
    os << std::string(static_cast<std::size_t>(depth) * 2, ' ') << level << " [" << kept << "]\n";
    for (const Loop& l : loops) {
      if (l.bound == 1) continue;
      os << std::string(static_cast<std::size_t>(depth) * 2, ' ') << "| for " << shape.name(l.dim)
         << " in [0:" << l.bound << ")" << note(l.dim, l.bound) << "\n";
      ++depth;
    }
  };
  temporal("DRAM", m.dramLoops, "weights,inputs,outputs");
  temporal("GLB", m.glbLoops, keeps(m.glbKeeps) + streamed(m.glbStreamedOver));
  for (const SpatialLoop& l : m.spatialLoops) {
    if (l.bound == 1) continue;
    os << std::string(static_cast<std::size_t>(depth) * 2, ' ') << "| par " << shape.name(l.dim)
       << " in [0:" << l.bound << ") across " << axisName(l.axis) << note(l.dim, l.bound) << "\n";
    ++depth;
  }
  temporal("RF", m.rfLoops, keeps(m.rfKeeps) + streamed(m.rfStreamedOver));
  os << std::string(static_cast<std::size_t>(depth) * 2, ' ') << "<< MAC >>\n";
  return os.str();
}

}  // namespace dfsim
