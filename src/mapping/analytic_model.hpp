#pragma once

#include "arch/arch_spec.hpp"
#include "common/access_counts.hpp"
#include "mapping/mapping.hpp"
#include "workload/problem_shape.hpp"

namespace dfsim {

/// Closed-form word accesses per level and tensor for the problem `shape` under `m` (README
/// "Counting rules"). Derived from the mapping and the shape's projections alone; it never runs
/// or reads the simulator, so that "simulated == analytic" is a real check. Contract: `m`
/// passed validateMapping() for the layer of `shape`. The fast 4-level path of the generic model
/// (hierarchy_model.hpp: the mapper scores about a million candidates a second through here),
/// equal to analyticCounts(shape, <the 4-level hierarchy>, toLoopNest(m)), which a test checks
/// on random ragged mappings (tests/hierarchy_model_test.cpp).
AccessCounts analyticCounts(const ProblemShape& shape, const ArchSpec& arch, const Mapping& m);

}  // namespace dfsim
