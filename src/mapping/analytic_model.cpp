#include "mapping/analytic_model.hpp"

#include "mapping/hierarchy_model.hpp"
#include "mapping/ragged_nest.hpp"

namespace dfsim {

AccessCounts analyticCounts(const ProblemShape& shape, const ArchSpec& arch, const Mapping& m) {
  // The generic model on the 4-level instance [dram, glb, noc, rf], its plan built from the
  // mapping's four lists directly (what planOf(toLoopNest(m)) gives, without allocating: the
  // mapper scores a million candidates a second through here).
  LevelPlan plan;
  plan.levels = 3;
  const std::size_t glb = m.dramLoops.size();
  const std::size_t spatial = glb + m.glbLoops.size();
  const std::size_t rf = spatial + m.spatialLoops.size();
  plan.level[0] = {idx(Level::Dram), 0, glb, LevelPlan::kNone, true, {{true, true, true}}};
  plan.level[1] = {idx(Level::Glb), glb, spatial, idx(Level::Noc), arch.noc.multicast, m.glbKeeps};
  plan.level[2] = {idx(Level::Rf), rf, rf + m.rfLoops.size(), LevelPlan::kNone, true, m.rfKeeps};
  plan.innerExtent = extentsOf(m.rfLoops);
  plan.innerIterations = m.rfIterations();
  return boundaryCounts(shape, DimLoopTable::of(m, shape), plan);
}

}  // namespace dfsim
