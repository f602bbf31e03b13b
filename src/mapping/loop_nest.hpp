#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/ids.hpp"
#include "common/per_tensor.hpp"
#include "mapping/mapping.hpp"
#include "workload/problem_shape.hpp"

namespace dfsim {

/// The loops one storage level of a hierarchy runs (Timeloop's per-level mapping): its
/// temporal loops (each iteration is one tile of the next storage level that keeps a tensor)
/// and, when a fan-out sits directly below it, the spatial loops spread over that fan-out's
/// rows and columns; and which tensors it keeps.
struct LevelLoops {
  std::vector<Loop> temporal;                 ///< outermost first
  std::vector<SpatialLoop> spatial;           ///< over the fan-out below (empty when there is none)
  PerTensor<bool> keeps{{true, true, true}};  ///< tensors this level holds (DRAM: all)
  /// Streamed tiles (README "Streamed tiles"): per tensor, how many of the outermost storage
  /// levels refetch this level's tile at every iteration of their temporal loops, whether it
  /// changed or not (0, the default: only when a loop over a dimension it depends on moves).
  /// At most this level's index; weights and inputs this level keeps only.
  PerTensor<std::uint8_t> streamedOver{};
};

/// A mapping of a problem onto a Hierarchy: one LevelLoops per storage level, outermost first
/// (levels[k] belongs to the k-th storage entry). The nest, outermost first, is
///   levels[0].temporal, levels[0].spatial, levels[1].temporal, levels[1].spatial, ...
/// with a MAC inside the innermost loop. Loop bounds count tiles and the last tile of a
/// dimension may be ragged (README "Ragged tiles"); the tile of tensor t at a level is the data
/// the loops inside that level index. The 4-level Mapping is the instance
///   {dram: dramLoops}, {glb: glbLoops + spatialLoops, glbKeeps}, {rf: rfLoops, rfKeeps}.
struct LoopNest {
  std::vector<LevelLoops> levels;
};

/// The 4-level mapping `m` as a LoopNest over the 4-level hierarchy.
LoopNest toLoopNest(const Mapping& m);

/// The inverse of toLoopNest: `n` as a 4-level Mapping in `m` when it has that shape (three
/// levels, spatial loops at the middle one only); false (and `m` untouched) otherwise.
bool fromLoopNest(const LoopNest& n, Mapping& m);

/// Whether some dimension of `shape` is tiled raggedly by `n` (its bounds multiply to anything
/// but its size; saturating, so an unvalidated nest gives an answer too).
bool hasRaggedTiles(const ProblemShape& shape, const LoopNest& n);

/// A human-readable rendering of `n` (renderLoopNest's style), each storage level headed by
/// its name in `levelNames` (one per level) upper-cased, with the tensors it keeps.
std::string renderLoopNest(const ProblemShape& shape, const LoopNest& n,
                           const std::vector<std::string>& levelNames);

}  // namespace dfsim
