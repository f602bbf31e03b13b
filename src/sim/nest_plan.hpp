#pragma once

#include <cstdint>
#include <vector>

#include "mapping/mapping.hpp"
#include "sim/tile_box.hpp"

namespace dfsim {

/// The mapping unrolled into what the controller walks: the temporal loops above the array with
/// the weight of each loop's digit in its dimension, the dimension offset of every PE the mapping
/// occupies (under a ragged mapping some idle in some steps: RaggedPlan), and
/// the dimension offsets of every RF iteration. Plain data, built once per layer.
struct NestPlan {
  /// One temporal loop above the array (a DRAM or GLB loop).
  struct OuterLoop {
    Dim dim{};
    std::int64_t bound = 1;
    std::int64_t weight = 1;  ///< how far one step of this loop moves its dimension
    bool atDram = false;      ///< a DRAM loop (changes the GLB tile) or a GLB loop
  };
  std::vector<OuterLoop> outer;     ///< DRAM loops then GLB loops, outermost first
  std::vector<DimVector> peOffset;  ///< per PE: dimension offset from spatial loops
  std::vector<DimVector> rfPoint;   ///< per RF iteration, in order: local dimension offsets
  DimVector rfExtent{};             ///< extents of the RF loops
  DimVector glbExtent{};            ///< extents of the GLB, spatial and RF loops

  /// Unrolls `m` (a validated mapping).
  static NestPlan make(const Mapping& m);
};

}  // namespace dfsim
