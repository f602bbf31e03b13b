#pragma once

#include <algorithm>

#include "arch/arch_spec.hpp"
#include "common/per_tensor.hpp"
#include "mapping/tile_math.hpp"
#include "workload/problem_shape.hpp"

namespace dfsim {

/// Whether tiles of given loop extents fit a level's partitions: the RF once, the GLB twice over
/// when it is double buffered; a nominal extent beyond the layer (a ragged last tile) counts as
/// clipped to it, since the largest tile is the first. The mappers' capacity test
/// (validateMapping applies the same rule to a finished mapping). No overflow: the extents are
/// clipped to the layer's dimensions, so each tile is at most its tensor (<= 2^40 words) and
/// the bits needed at most 6 * 2^40 * 64.
struct CapacityFit {
  const ProblemShape& shape;
  const ArchSpec& arch;
  PerTensor<bool> rfKeeps;
  PerTensor<bool> glbKeeps;

  /// Whether the tiles spanned by `ext` fit `level` (Rf or Glb).
  bool fits(Level level, DimExtents ext) const {
    ext = clippedToLayer(shape, ext);
    const auto& parts = level == Level::Rf ? arch.rf.partitions : arch.glb.partitions;
    const PerTensor<bool>& keeps = level == Level::Rf ? rfKeeps : glbKeeps;
    const std::int64_t copies = (level == Level::Glb && arch.glb.doubleBuffered) ? 2 : 1;
    for (const StoragePartition& p : parts) {
      PerTensor<std::int64_t> need{};
      for (Tensor t : kAllTensors) {
        if (p.tensors[t] && keeps[t]) need[t] = copies * tileWords(shape, t, ext);
      }
      if (!arch.fits(p, need)) return false;  // in bits: each tensor at its width
    }
    return true;
  }
};

}  // namespace dfsim
