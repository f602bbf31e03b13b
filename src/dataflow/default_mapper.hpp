#pragma once

#include "arch/arch_spec.hpp"
#include "dataflow/dataflow.hpp"
#include "mapping/mapping.hpp"
#include "workload/layer.hpp"

namespace dfsim {

/// A deterministic mapping of `layer` (conv or fc) on `arch` that follows `dataflow`'s rules
/// and fits every capacity. Throws InputError naming the layer when no legal mapping exists
/// (for example a dataflow that needs an RF on an arch without one).
Mapping defaultMapping(const Layer& layer, const ArchSpec& arch, Dataflow dataflow);

}  // namespace dfsim
