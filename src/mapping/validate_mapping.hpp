#pragma once

#include "arch/arch_spec.hpp"
#include "mapping/mapping.hpp"
#include "workload/layer.hpp"

namespace dfsim {

/// Checks that `m` is a legal mapping of `layer` on `arch`: every loop bound >= 1; for each
/// dimension the product of its bounds equals layer.dim(d); spatial extents fit the array's rows
/// and cols; a tensor kept at a level has a partition there; the tiles kept fit their partitions
/// (twice over at the GLB when it is double buffered). Throws InputError with `context` (e.g. the
/// mapping file or "default mapping of conv1") and what does not hold.
void validateMapping(const Layer& layer, const ArchSpec& arch, const Mapping& m,
                     const std::string& context);

}  // namespace dfsim
