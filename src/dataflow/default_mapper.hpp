#pragma once

#include "arch/arch_spec.hpp"
#include "dataflow/dataflow.hpp"
#include "dataflow/tiling.hpp"
#include "mapping/mapping.hpp"
#include "workload/layer.hpp"

namespace dfsim {

/// A deterministic mapping of `layer` (conv or fc) on `arch` that follows `dataflow`'s rules
/// and fits every capacity (README "Dataflows"). `tiling` Perfect gives the mapping of the
/// mapper before ragged tiles; Ragged also lets a spatial, GLB or DRAM loop leave a smaller last
/// tile (spreading a dim over the most PEs), and never occupies fewer PEs than Perfect. Throws
/// InputError naming the layer when no legal mapping exists (for example a dataflow that needs
/// an RF on an arch without one).
Mapping defaultMapping(const Layer& layer, const ArchSpec& arch, Dataflow dataflow,
                       Tiling tiling = Tiling::Ragged);

}  // namespace dfsim
