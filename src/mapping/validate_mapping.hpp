#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "arch/arch_spec.hpp"
#include "mapping/mapping.hpp"
#include "workload/layer.hpp"

namespace dfsim {

/// Checks that `m` is a legal mapping of `layer` on `arch`: every loop bound >= 1; for each
/// dimension d the loops over d tile it as the ragged-tile rule says (README "Ragged tiles":
/// the outermost loop's bound times its tile covers size(d), no loop has an iteration wholly
/// beyond the edge, the RF loops' extent over d divides size(d); a perfectly factorised
/// mapping, whose bounds multiply to size(d), is the case without ragged tiles); spatial extents
/// fit the array's rows and cols; a tensor kept at a level has a partition there; the largest
/// tiles kept fit their partitions (twice over at the GLB when it is double buffered); and an
/// upper bound on the cycles of its simulation stays within kMaxCycles (2^62). Products of
/// bounds are checked: bounds whose product passes 2^63 are named by their path
/// (`mapping.dram[1].bound: ...`), and the padded nest holds at most 2^60 points. Throws
/// InputError with `context` (e.g. the mapping file or "default mapping of conv1") and what does
/// not hold. After it returns, every product of bounds is at most 2^60 and every cycle count of
/// the run below 2^62: later arithmetic needs no checks.
void validateMapping(const Layer& layer, const ArchSpec& arch, const Mapping& m,
                     const std::string& context);

/// An upper bound on the cycles the simulation of `layer` under `m` can take (the simulated
/// cycles never exceed it), or nullopt when the bound itself passes 2^63. Contract: `m` passed
/// the structural checks of validateMapping (validateMapping uses it for its last check).
std::optional<std::int64_t> cycleUpperBound(const Layer& layer, const ArchSpec& arch,
                                            const Mapping& m);

}  // namespace dfsim
