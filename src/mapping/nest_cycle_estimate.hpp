#pragma once

#include <cstdint>

#include "arch/hierarchy.hpp"
#include "common/access_counts.hpp"
#include "common/per_tensor.hpp"
#include "mapping/loop_nest.hpp"
#include "workload/problem_shape.hpp"

namespace dfsim {

/// The analytic cycle estimate of a mapping on any hierarchy (no simulation; README "dfsim
/// evaluate"): the largest of the compute time and each entry's bandwidth time, plus the
/// off-chip latency once. Compute: the array steps (iterations of every temporal loop above the
/// innermost level) that hold a point of the layer, times the innermost level's iterations.
/// Bandwidth: off chip, its bytes (each tensor's words at `bytesPerWord`) over bytes_per_cycle;
/// an on-chip level, the larger of its reads and its writes over the words per cycle of all its
/// instances; a fan-out, the words read and written at the storage level above it over the
/// network's words per cycle times that level's instances (a per-tensor network: the largest
/// tensor's words alone). An unlimited port takes no time.
/// A systolic mesh's time (systolicMeshCycles) is added to the compute time.
/// On the 4-level instance this is the mapper's estimate (src/dataflow/mapper_search.cpp), but
/// for the mesh's time, which that search leaves to its simulated finalists.
struct NestCycleEstimate {
  double cycles = 0.0;         ///< the estimate
  double computeCycles = 0.0;  ///< steps x innermost iterations
  double meshCycles = 0.0;     ///< systolicMeshCycles (0 unless the PEs sit on a systolic mesh)
  std::int64_t steps = 0;      ///< non-empty array steps
  /// Per entry, its bandwidth time (0 when unlimited).
  std::array<double, kMaxLevelEntries> entryCycles{};
  /// The entry whose time is the largest (kMaxLevelEntries when compute is).
  std::size_t limitedBy = kMaxLevelEntries;
};

/// The time of a systolic mesh directly above the innermost level of `h` (FanOutSpec::network;
/// 0 for any other network), in closed form from the mapping: the sum over the folds of rows x
/// W + (rows - 1) + (cols - 1). A fold is an array step that gives a tile the innermost level
/// keeps a new place or refetches it (streamed tiles), and the first step; the steps changing
/// tensor t are the non-empty iterations of the flat loops above the innermost level down to
/// the innermost temporal one (bound > 1) that moves or refetches t. W is the largest of the
/// weight and input tiles (their words) the fold changes, 0 when it changes neither. Saturates
/// at the largest int64.
std::int64_t systolicMeshCycles(const ProblemShape& shape, const Hierarchy& h,
                                const LoopNest& nest);

/// The estimate of `nest` (valid for `shape` and `h`) from its counts `c` (indexed by entry).
NestCycleEstimate estimateNestCycles(const ProblemShape& shape, const Hierarchy& h,
                                     const LoopNest& nest, const AccessCounts& c,
                                     const PerTensor<std::int64_t>& bytesPerWord);

}  // namespace dfsim
