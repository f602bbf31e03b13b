#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "sim/nest_plan.hpp"
#include "sim/step_kind.hpp"
#include "workload/problem_shape.hpp"

namespace dfsim {

/// Where a mapping's loops overhang the problem (the ragged tile semantics): the controller
/// walks the padded nest (every loop at its full bound) and this says, from a step's origin in
/// loop-dimension space, whether the step is empty (its origin is at or beyond N_d in some
/// dimension d: skipped), which kind of step it is (the dimensions its array tile is clipped in,
/// with the PEs that then work) and which kind of GLB tile a DRAM-loop origin selects (the
/// dimensions it is clipped in, with the clipped extents). Validation guarantees that the RF
/// tile divides every dimension, so a step's origin is a multiple of the array tile A_d (spatial
/// x RF extent), its extent A_d or N_d mod A_d; a GLB tile's origin is a multiple of G_d (GLB x
/// spatial x RF extent), its extent G_d or N_d mod G_d. A perfectly factorised mapping has no
/// overhang: one step kind (every PE), one GLB kind (the full tile), no empty step. Plain data,
/// built once per layer; the queries allocate nothing.
class RaggedPlan {
 public:
  /// The edges of `plan` (a validated mapping, unrolled) over `shape`'s dimension sizes.
  static RaggedPlan make(const NestPlan& plan, const ProblemShape& shape);

  /// Dimensions in which the padded nest reaches beyond the problem (a step may be empty).
  const std::vector<std::size_t>& overhangDims() const { return overhang_; }
  /// Size of dimension `d` (a very large number for a dimension the problem lacks).
  std::int64_t size(std::size_t d) const { return size_[d]; }
  /// Whether the step at loop-dimension `origin` is empty (beyond the edge in some dimension).
  bool empty(const DimVector& origin) const {
    for (std::size_t d : overhang_) {
      if (origin[d] >= size_[d]) return true;
    }
    return false;
  }

  /// Number of step kinds (2^k for k dimensions whose array tile does not divide them).
  std::size_t stepKinds() const { return kinds_.size(); }
  /// The kind of the non-empty step at `origin`.
  const StepKind& stepKindAt(const DimVector& origin) const {
    std::size_t id = 0;
    for (std::size_t i = 0; i < stepRagged_.size(); ++i) {
      const std::size_t d = stepRagged_[i];
      if (origin[d] + arrayExtent_[d] > size_[d]) id |= std::size_t{1} << i;
    }
    return kinds_[id];
  }
  /// Step kind `id`.
  const StepKind& stepKind(std::size_t id) const { return kinds_[id]; }

  /// Number of GLB tile kinds (2^k for k dimensions the GLB tile does not divide).
  std::size_t glbKinds() const { return std::size_t{1} << glbRagged_.size(); }
  /// The kind of the GLB tile whose DRAM-loop origin is `origin` (a non-empty one).
  std::size_t glbKindAt(const DimVector& origin) const {
    std::size_t id = 0;
    for (std::size_t i = 0; i < glbRagged_.size(); ++i) {
      const std::size_t d = glbRagged_[i];
      if (origin[d] + glbExtent_[d] > size_[d]) id |= std::size_t{1} << i;
    }
    return id;
  }
  /// Loop-dimension extents of a GLB tile of kind `id` (kind 0: the full GLB tile).
  DimVector glbExtent(std::size_t id) const;

 private:
  DimVector size_{};
  DimVector arrayExtent_{};  ///< A_d: spatial x RF extent
  DimVector glbExtent_{};    ///< G_d: GLB x spatial x RF extent
  std::vector<std::size_t> overhang_;
  std::vector<std::size_t> stepRagged_;  ///< dims with N_d % A_d != 0 (bit i of a step kind)
  std::vector<std::size_t> glbRagged_;   ///< dims with N_d % G_d != 0 (bit i of a GLB kind)
  std::vector<StepKind> kinds_;
};

}  // namespace dfsim
