#pragma once

#include "arch/arch_spec.hpp"
#include "mapping/loop_nest.hpp"
#include "sim/simulate_layer.hpp"
#include "workload/layer.hpp"

namespace dfsim {

/// Elaborates the simulator of `arch.hierarchy()` (any hierarchy: one StorageLevel block per
/// storage level, one FanOutNetwork per fan-out, one HierarchyController), runs `layer` under
/// `nest` and returns cycles and counts, indexed by hierarchy entry (src/sim/README "Any
/// hierarchy"); time follows simulateLayer's model level by level (on the 4-level instance the
/// counts, cycles and stall split are simulateLayer's). The same contract as simulateLayer: `nest`
/// passed validateLoopNest() for (layer.shape(), arch, arch.hierarchy()); `options.check` needs
/// `options.functional`; a mismatch sets `checkMismatch` (no exception); each call uses a fresh
/// sc_simcontext. `options.skipRepeats` (fast mode only) skips ahead over the iterations of an
/// outer loop once they repeat exactly (src/sim/hierarchy_skip.cpp), counted in `stepsSkipped`.
SimResult simulateHierarchy(const Layer& layer, const ArchSpec& arch, const LoopNest& nest,
                            const SimOptions& options);

}  // namespace dfsim
