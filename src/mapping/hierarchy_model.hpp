#pragma once

#include "arch/hierarchy.hpp"
#include "common/access_counts.hpp"
#include "mapping/loop_nest.hpp"
#include "workload/problem_shape.hpp"

namespace dfsim {

/// Closed-form word accesses per entry of `h` and tensor for the problem `shape` under `n`
/// (src/mapping/README "Any hierarchy"): per tensor, one boundary between each two consecutive
/// storage levels keeping it (and from the innermost one keeping it to the innermost level's
/// operand latch when that level bypasses it), each counted by the one boundary rule. Derived
/// from the nest and the shape's projections alone. Contract: `n` passed validateLoopNest().
AccessCounts analyticCounts(const ProblemShape& shape, const Hierarchy& h, const LoopNest& n);

}  // namespace dfsim
