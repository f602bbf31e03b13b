#pragma once

#include <vector>

#include "arch/arch_spec.hpp"
#include "common/ids.hpp"
#include "dataflow/dataflow.hpp"
#include "dataflow/tiling.hpp"
#include "mapping/loop_nest.hpp"
#include "workload/layer.hpp"
#include "workload/problem_shape.hpp"

namespace dfsim {

/// The dimensions `d` leaves free for the fan-outs above the innermost part of a hierarchy, in
/// priority order (src/dataflow/README "Any hierarchy" has the table and the reasons): only
/// dimensions that index the outputs (N, G, M, P, Q), so no psum is reduced across the
/// instances of an outer level. Names the dimensions through `shape` (a conv's).
std::vector<Dim> outerSpatialDims(Dataflow d, const ProblemShape& shape);

/// A deterministic loop nest of `layer` (conv or fc) on `arch`'s hierarchy that follows
/// `dataflow`'s rules (src/dataflow/README "Any hierarchy"). On a 4-level arch
/// (`arch.isFourLevel()`) it is exactly toLoopNest(defaultMapping(layer, arch, dataflow,
/// tiling)). Otherwise: the innermost part (the storage level above the innermost level, the
/// fan-out between them if any, the innermost level) gets today's 4-level default mapping of
/// the per-instance sub-layer; the fan-outs above it get spatial loops over
/// outerSpatialDims(dataflow) chosen so that the most PEs compute; the sub-mapping's DRAM loops
/// go to the outermost on-chip level above the innermost part that can hold their tiles, else
/// to DRAM. Every returned nest passes validateLoopNest (a choice that does not falls back to
/// the next: fewer PEs, perfect factors, and in the end the outer fan-outs unused). `tiling`
/// Perfect builds only bounds that divide what is left of their dimension. Throws InputError
/// naming the layer when no legal nest exists (as defaultMapping does).
LoopNest defaultLoopNest(const Layer& layer, const ArchSpec& arch, Dataflow dataflow,
                         Tiling tiling = Tiling::Ragged);

}  // namespace dfsim
