#pragma once

#include "arch/arch_spec.hpp"
#include "common/access_counts.hpp"
#include "mapping/mapping.hpp"
#include "workload/layer.hpp"

namespace dfsim {

/// Closed-form word accesses per level and tensor for `layer` under `m` (README "Counting
/// rules"). Derived from the mapping alone; it never runs or reads the simulator, so that
/// "simulated == analytic" is a real check. Contract: `m` passed validateMapping().
AccessCounts analyticCounts(const Layer& layer, const ArchSpec& arch, const Mapping& m);

}  // namespace dfsim
