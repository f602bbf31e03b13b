#include "mapping/mapping.hpp"

#include <sstream>

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
  auto keeps = [](const PerTensor<bool>& k) {
    std::string s;
    for (Tensor t : kAllTensors) {
      if (k[t]) s += std::string(s.empty() ? "" : ",") + std::string(tensorName(t));
    }
    return s.empty() ? std::string("nothing") : s;
  };
  auto temporal = [&](const char* level, const std::vector<Loop>& loops, const std::string& kept) {
    os << std::string(static_cast<std::size_t>(depth) * 2, ' ') << level << " [" << kept << "]\n";
    for (const Loop& l : loops) {
      if (l.bound == 1) continue;
      os << std::string(static_cast<std::size_t>(depth) * 2, ' ') << "| for " << shape.name(l.dim)
         << " in [0:" << l.bound << ")\n";
      ++depth;
    }
  };
  temporal("DRAM", m.dramLoops, "weights,inputs,outputs");
  temporal("GLB", m.glbLoops, keeps(m.glbKeeps));
  for (const SpatialLoop& l : m.spatialLoops) {
    if (l.bound == 1) continue;
    os << std::string(static_cast<std::size_t>(depth) * 2, ' ') << "| par " << shape.name(l.dim)
       << " in [0:" << l.bound << ") across " << axisName(l.axis) << "\n";
    ++depth;
  }
  temporal("RF", m.rfLoops, keeps(m.rfKeeps));
  os << std::string(static_cast<std::size_t>(depth) * 2, ' ') << "<< MAC >>\n";
  return os.str();
}

}  // namespace dfsim
