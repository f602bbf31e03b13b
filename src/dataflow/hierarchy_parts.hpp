#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "arch/arch_spec.hpp"
#include "arch/hierarchy.hpp"
#include "dataflow/tiling.hpp"
#include "mapping/loop_nest.hpp"
#include "mapping/mapping.hpp"
#include "workload/layer.hpp"
#include "workload/problem_shape.hpp"

namespace dfsim {

/// Where the parts of a hierarchy sit, as the mappers of any hierarchy see it (src/dataflow/
/// README "Any hierarchy"): the storage entries, the innermost part (the storage level above
/// the innermost level, the fan-out between them if any, the innermost level) and the fan-outs
/// above it. Shared by defaultLoopNest and searchLoopNest, which build their nests alike.
struct HierarchyParts {
  std::vector<std::size_t> storage;  ///< entry index of each storage level, outermost first
  std::size_t inner = 0;             ///< index (in `storage`) of the innermost level
  std::size_t parent = 0;            ///< index (in `storage`) of the level above it
  std::size_t innerFanOut = 0;       ///< entry index of the fan-out between them, or h.size()
  /// Per outer fan-out (above the parent): the storage level (index in `storage`) it sits
  /// below, and its entry index; outermost first.
  std::vector<std::pair<std::size_t, std::size_t>> outerFanOuts;
  /// The level (index in `storage`) that takes a sub-mapping's DRAM loops: the outermost
  /// on-chip level above the parent, or DRAM (0) when there is none.
  std::size_t dramLevel() const { return parent > 1 ? 1 : 0; }
};

/// The parts of `h` (a valid hierarchy with at least two storage levels).
HierarchyParts partsOf(const Hierarchy& h);

/// The 4-level ArchSpec the innermost part is: the parent as the GLB (its partitions, ports,
/// latency, buffering; unbounded when the parent is DRAM), the fan-out between as the array
/// (1 x 1 when there is none), the innermost level as the RF, an unlimited DRAM. Partitions of
/// a level whose words are wider than the arch's hold proportionally fewer words.
ArchSpec innerArch(const ArchSpec& arch, const Hierarchy& h, const HierarchyParts& p);

/// The sub-layer one instance of the innermost part computes when the fan-outs above it split
/// dimension d into `split[d]` parts (N, G, M, P, Q only): those sizes divided (ceil), the
/// input rows and columns it needs taken from the shape's projection (a P split needs
/// (P' - 1) * stride + dilation * (R - 1) + 1 rows), no padding (the sub-layer's input is the
/// padded window).
Layer subLayer(const Layer& layer, const ProblemShape& shape, const DimExtents& split);

/// One choice of spatial loops over the outer fan-outs: per outer fan-out (HierarchyParts
/// order), its loops.
using OuterChoice = std::vector<std::vector<SpatialLoop>>;

/// How `choice` splits each dimension: the product of its bounds per dimension (1 elsewhere).
DimExtents splitOf(const OuterChoice& choice);

/// Every choice of spatial loops over the outer fan-outs: per fan-out and axis, factors of
/// `dims` (priority order, largest factor first, product within the axis; `splitFactors`, so
/// divisors only under Perfect), the counts left for later slots reduced by ceil. Enumeration
/// order is the preference on a tie. Includes the choice with the outer fan-outs unused.
std::vector<OuterChoice> outerChoices(const Hierarchy& h, const HierarchyParts& p,
                                      const std::vector<Dim>& dims, const DimExtents& full,
                                      Tiling tiling);

/// The nest of sub-mapping `m` composed with the outer spatial loops `outer`: the sub-mapping's
/// RF loops at the innermost level, its GLB and spatial loops at the parent, its DRAM loops at
/// level `dramLevel` (DRAM, or the outermost on-chip level above the parent) except the
/// `atDram` outermost of them, which stay at DRAM; bounds above the innermost part fitted to
/// the full layer (README "Any hierarchy"; loops left at 1 dropped). Keeps: DRAM all, the
/// innermost part the sub-mapping's, the others what their partitions list. Not validated.
LoopNest composeNest(const Mapping& m, const OuterChoice& outer, const Hierarchy& h,
                     const HierarchyParts& p, const ProblemShape& shape, std::size_t dramLevel,
                     std::size_t atDram);

/// Instances that compute: the product of every spatial bound of `n`.
std::int64_t activeInstances(const LoopNest& n);

/// Whether the innermost level's extent divides every dimension (the ragged rule a
/// sub-mapping, built over the sub-layer, may break for the full layer).
bool innerExtentDivides(const LoopNest& n, const ProblemShape& shape);

}  // namespace dfsim
