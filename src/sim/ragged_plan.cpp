#include "sim/ragged_plan.hpp"

#include <limits>

#include "common/errors.hpp"

namespace dfsim {

RaggedPlan RaggedPlan::make(const NestPlan& plan, const ProblemShape& shape) {
  RaggedPlan r;
  r.size_.fill(std::numeric_limits<std::int64_t>::max() / 4);
  for (std::size_t d = 0; d < shape.numDims(); ++d) r.size_[d] = shape.size(ProblemShape::dimAt(d));
  // Extents of the padded nest: the array tile, the GLB tile and the whole nest per dimension.
  r.glbExtent_ = plan.glbExtent;
  r.arrayExtent_ = plan.glbExtent;
  DimVector padded = plan.glbExtent;
  for (const NestPlan::OuterLoop& l : plan.outer) {
    const std::size_t d = idx(l.dim);
    if (!l.atDram) r.arrayExtent_[d] /= l.bound;
    if (l.weight * l.bound > padded[d]) padded[d] = l.weight * l.bound;
  }
  for (std::size_t d = 0; d < shape.numDims(); ++d) {
    if (padded[d] > r.size_[d]) r.overhang_.push_back(d);
    if (r.size_[d] % r.arrayExtent_[d] != 0) r.stepRagged_.push_back(d);
    if (r.size_[d] % r.glbExtent_[d] != 0) r.glbRagged_.push_back(d);
  }
  if (r.stepRagged_.size() > kMaxDims || r.glbRagged_.size() > kMaxDims) {
    throw InternalError("RaggedPlan: more ragged dimensions than dimensions");
  }
  // Per step kind, the PEs whose tile origin lies inside the clipped array tile.
  const std::size_t kinds = std::size_t{1} << r.stepRagged_.size();
  r.kinds_.resize(kinds);
  for (std::size_t id = 0; id < kinds; ++id) {
    StepKind& k = r.kinds_[id];
    k.id = id;
    for (std::size_t pe = 0; pe < plan.peOffset.size(); ++pe) {
      bool works = true;
      for (std::size_t i = 0; i < r.stepRagged_.size() && works; ++i) {
        const std::size_t d = r.stepRagged_[i];
        if ((id >> i & 1U) != 0) works = plan.peOffset[pe][d] < r.size_[d] % r.arrayExtent_[d];
      }
      if (works) k.pes.push_back(static_cast<std::int64_t>(pe));
    }
  }
  return r;
}

DimVector RaggedPlan::glbExtent(std::size_t id) const {
  DimVector ext = glbExtent_;
  for (std::size_t i = 0; i < glbRagged_.size(); ++i) {
    const std::size_t d = glbRagged_[i];
    if ((id >> i & 1U) != 0) ext[d] = size_[d] % glbExtent_[d];
  }
  return ext;
}

}  // namespace dfsim
