#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "arch/hierarchy.hpp"
#include "common/access_counts.hpp"
#include "common/per_tensor.hpp"
#include "mapping/loop_nest.hpp"
#include "mapping/ragged_nest.hpp"
#include "mapping/tile_math.hpp"
#include "workload/problem_shape.hpp"

namespace dfsim {

/// What the analytic model reads of a hierarchy and a loop nest, per storage level, outermost
/// first: where its loops start in the flat nest, the fan-out directly below it, what it keeps.
/// Fixed-size (no allocation: the 4-level model builds one per scored candidate).
struct LevelPlan {
  /// Marks "no fan-out below".
  static constexpr std::size_t kNone = kMaxLevelEntries;
  /// One storage level.
  struct Level {
    std::size_t entry = 0;         ///< its entry index in the hierarchy (AccessCounts index)
    std::size_t start = 0;         ///< flat position of its first temporal loop
    std::size_t spatialStart = 0;  ///< flat position of its first spatial loop
    std::size_t fanOut = kNone;    ///< entry index of the fan-out directly below it, or kNone
    bool multicast = true;         ///< that fan-out's multicast
    PerTensor<bool> keeps{{true, true, true}};
  };
  std::array<Level, kMaxLevelEntries> level{};
  std::size_t levels = 0;  ///< storage levels
  /// Extents of the innermost level's temporal loops (its tile) and their iterations.
  DimExtents innerExtent{};
  std::int64_t innerIterations = 1;
};

/// The plan of `n` over `h`. Contract: `n` passed validateLoopNest() for `h`.
LevelPlan planOf(const Hierarchy& h, const LoopNest& n);

/// Closed-form word accesses per entry of `h` and tensor for the problem `shape` under `n`
/// (src/mapping/README "Boundaries"): per tensor, one boundary between each two consecutive
/// storage levels keeping it (and from the innermost one keeping it to the innermost level's
/// operand latch when that level bypasses it), each counted by the one boundary rule. Derived
/// from the nest and the shape's projections alone. Contract: `n` passed validateLoopNest().
AccessCounts analyticCounts(const ProblemShape& shape, const Hierarchy& h, const LoopNest& n);

/// The same counts from a loop table and a plan (how the 4-level analyticCounts calls the
/// model without building a LoopNest). Contract: `loops` and `plan` describe one validated nest.
AccessCounts boundaryCounts(const ProblemShape& shape, const DimLoopTable& loops,
                            const LevelPlan& plan);

}  // namespace dfsim
