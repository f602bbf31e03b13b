#include "sim/nest_plan.hpp"

namespace dfsim {

NestPlan NestPlan::make(const Mapping& m) {
  NestPlan plan;
  // Digit weights: walk the whole nest from the innermost loop outwards, multiplying per dimension.
  DimVector running;
  running.fill(1);
  plan.rfExtent.fill(1);
  for (auto it = m.rfLoops.rbegin(); it != m.rfLoops.rend(); ++it) {
    running[idx(it->dim)] *= it->bound;
    plan.rfExtent[idx(it->dim)] *= it->bound;
  }
  // Spatial loops: PE offsets, enumerated with the first spatial loop as the high-order digit.
  std::vector<std::int64_t> spatialWeight(m.spatialLoops.size());
  for (std::size_t i = m.spatialLoops.size(); i-- > 0;) {
    spatialWeight[i] = running[idx(m.spatialLoops[i].dim)];
    running[idx(m.spatialLoops[i].dim)] *= m.spatialLoops[i].bound;
  }
  const std::int64_t pes = m.activePes();
  plan.peOffset.assign(static_cast<std::size_t>(pes), DimVector{});
  for (std::int64_t pe = 0; pe < pes; ++pe) {
    std::int64_t rest = pe;
    DimVector off{};
    for (std::size_t i = m.spatialLoops.size(); i-- > 0;) {
      const SpatialLoop& l = m.spatialLoops[i];
      const std::int64_t digit = rest % l.bound;
      rest /= l.bound;
      off[idx(l.dim)] += digit * spatialWeight[i];
    }
    plan.peOffset[static_cast<std::size_t>(pe)] = off;
  }
  // GLB then DRAM loops, innermost first.
  std::vector<OuterLoop> rev;
  for (auto it = m.glbLoops.rbegin(); it != m.glbLoops.rend(); ++it) {
    rev.push_back({it->dim, it->bound, running[idx(it->dim)], false});
    running[idx(it->dim)] *= it->bound;
  }
  plan.glbExtent = running;
  for (auto it = m.dramLoops.rbegin(); it != m.dramLoops.rend(); ++it) {
    rev.push_back({it->dim, it->bound, running[idx(it->dim)], true});
    running[idx(it->dim)] *= it->bound;
  }
  plan.outer.assign(rev.rbegin(), rev.rend());

  // RF iterations in loop order (last RF loop fastest).
  const std::int64_t iters = m.rfIterations();
  plan.rfPoint.reserve(static_cast<std::size_t>(iters));
  std::vector<std::int64_t> index(m.rfLoops.size(), 0);
  std::vector<std::int64_t> rfWeight(m.rfLoops.size());
  DimVector w;
  w.fill(1);
  for (std::size_t i = m.rfLoops.size(); i-- > 0;) {
    rfWeight[i] = w[idx(m.rfLoops[i].dim)];
    w[idx(m.rfLoops[i].dim)] *= m.rfLoops[i].bound;
  }
  for (std::int64_t k = 0; k < iters; ++k) {
    DimVector p{};
    for (std::size_t i = 0; i < m.rfLoops.size(); ++i) {
      p[idx(m.rfLoops[i].dim)] += index[i] * rfWeight[i];
    }
    plan.rfPoint.push_back(p);
    for (std::size_t i = m.rfLoops.size(); i-- > 0;) {
      if (++index[i] < m.rfLoops[i].bound) break;
      index[i] = 0;
    }
  }
  return plan;
}

}  // namespace dfsim
