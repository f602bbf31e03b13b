#include "mapping/loop_nest.hpp"

#include <array>
#include <cctype>
#include <limits>
#include <sstream>

#include "common/checked_math.hpp"

namespace dfsim {

LoopNest toLoopNest(const Mapping& m) {
  LoopNest n;
  n.levels.resize(3);
  n.levels[0].temporal = m.dramLoops;
  n.levels[1].temporal = m.glbLoops;
  n.levels[1].spatial = m.spatialLoops;
  n.levels[1].keeps = m.glbKeeps;
  n.levels[1].streamedOver = m.glbStreamedOver;
  n.levels[2].temporal = m.rfLoops;
  n.levels[2].keeps = m.rfKeeps;
  n.levels[2].streamedOver = m.rfStreamedOver;
  return n;
}

bool fromLoopNest(const LoopNest& n, Mapping& m) {
  if (n.levels.size() != 3 || !n.levels[0].spatial.empty() || !n.levels[2].spatial.empty()) {
    return false;
  }
  m.dramLoops = n.levels[0].temporal;
  m.glbLoops = n.levels[1].temporal;
  m.spatialLoops = n.levels[1].spatial;
  m.glbKeeps = n.levels[1].keeps;
  m.rfLoops = n.levels[2].temporal;
  m.rfKeeps = n.levels[2].keeps;
  m.glbStreamedOver = n.levels[1].streamedOver;
  m.rfStreamedOver = n.levels[2].streamedOver;
  return true;
}

namespace {

/// Per dimension, the saturating product of every bound of `n` over it.
std::array<std::int64_t, kMaxDims> boundProducts(const LoopNest& n) {
  std::array<std::int64_t, kMaxDims> p{};
  p.fill(1);
  const auto grow = [&](Dim d, std::int64_t b) {
    p[idx(d)] = checkedMul(p[idx(d)], b).value_or(std::numeric_limits<std::int64_t>::max());
  };
  for (const LevelLoops& l : n.levels) {
    for (const Loop& x : l.temporal) grow(x.dim, x.bound);
    for (const SpatialLoop& x : l.spatial) grow(x.dim, x.bound);
  }
  return p;
}

}  // namespace

bool hasRaggedTiles(const ProblemShape& shape, const LoopNest& n) {
  const std::array<std::int64_t, kMaxDims> p = boundProducts(n);
  for (std::size_t d = 0; d < shape.numDims(); ++d) {
    if (p[d] != shape.size(ProblemShape::dimAt(d))) return true;
  }
  return false;
}

std::string renderLoopNest(const ProblemShape& shape, const LoopNest& n,
                           const std::vector<std::string>& levelNames) {
  std::ostringstream os;
  std::size_t depth = 0;
  std::array<std::int64_t, kMaxDims> rest = boundProducts(n);
  const std::array<std::int64_t, kMaxDims> all = rest;
  const auto note = [&](Dim d, std::int64_t bound) {
    rest[idx(d)] /= bound;
    if (all[idx(d)] == shape.size(d)) return std::string();
    return " tiles of " + std::to_string(rest[idx(d)]) + ", the last one clipped to " +
           std::string(shape.name(d)) + "=" + std::to_string(shape.size(d));
  };
  const auto indent = [&] { return std::string(depth * 2, ' '); };
  for (std::size_t k = 0; k < n.levels.size(); ++k) {
    const LevelLoops& l = n.levels[k];
    std::string name = k < levelNames.size() ? levelNames[k] : "level" + std::to_string(k);
    for (char& c : name) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    std::string kept;
    for (Tensor t : kAllTensors) {
      if (k == 0 || l.keeps[t]) kept += (kept.empty() ? "" : ",") + std::string(tensorName(t));
    }
    std::string streamed;
    for (Tensor t : kAllTensors) {
      const std::size_t over = l.streamedOver[t];
      if (over == 0) continue;
      std::string outer = over <= levelNames.size() ? levelNames[over - 1] : "level";
      for (char& c : outer) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      streamed += "; " + std::string(tensorName(t)) + " streamed over " + outer;
    }
    os << indent() << name << " [" << (kept.empty() ? "nothing" : kept) << streamed << "]\n";
    for (const Loop& x : l.temporal) {
      if (x.bound == 1) continue;
      os << indent() << "| for " << shape.name(x.dim) << " in [0:" << x.bound << ")"
         << note(x.dim, x.bound) << "\n";
      ++depth;
    }
    for (const SpatialLoop& x : l.spatial) {
      if (x.bound == 1) continue;
      os << indent() << "| par " << shape.name(x.dim) << " in [0:" << x.bound << ") across "
         << axisName(x.axis) << note(x.dim, x.bound) << "\n";
      ++depth;
    }
  }
  os << indent() << "<< MAC >>\n";
  return os.str();
}

}  // namespace dfsim
