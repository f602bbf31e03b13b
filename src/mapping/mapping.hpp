#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/ids.hpp"
#include "common/per_tensor.hpp"
#include "workload/problem_shape.hpp"

namespace dfsim {

/// One temporal loop of a tiled loop nest: `for dim in [0, bound)`.
struct Loop {
  Dim dim{};
  std::int64_t bound = 1;
};

/// Which physical axis of the PE array a spatial loop is spread over.
enum class Axis : std::uint8_t { Rows, Cols };

/// One spatial loop: `bound` PEs along `axis` each take one value of `dim`.
struct SpatialLoop {
  Dim dim{};
  std::int64_t bound = 1;
  Axis axis = Axis::Cols;
};

/// A mapping of one layer onto the DRAM -> GLB -> array -> RF -> MAC hierarchy, in Timeloop's
/// vocabulary: a perfectly factorised loop nest, outermost first.
///
///   for dramLoops   (temporal; each iteration is one GLB tile)
///     for glbLoops  (temporal; each iteration is one array step)
///       par spatialLoops (across PEs; outer loops are the high-order digits)
///         for rfLoops (temporal, inside each PE; one MAC per PE per iteration)
///
/// For every dimension d of the problem shape the product of the bounds of all loops over d
/// equals shape.size(d).
/// The tile of tensor t held at a level is the data indexed by the loops inside that level,
/// projected on t's relevant dimensions; a tensor a level does not keep bypasses it (its words
/// go straight between the neighbouring levels that keep it; at the RF a bypassed operand sits
/// in the PE's one-word operand latch).
struct Mapping {
  std::vector<Loop> dramLoops;
  std::vector<Loop> glbLoops;
  std::vector<SpatialLoop> spatialLoops;
  std::vector<Loop> rfLoops;
  PerTensor<bool> glbKeeps{{true, true, true}};  ///< tensors held in the global buffer
  PerTensor<bool> rfKeeps{{true, true, true}};   ///< tensors held in each PE's register file
  /// Streamed tiles (README "Streamed tiles"): per tensor, how many of the outermost levels
  /// refetch the GLB's tile at every iteration of their temporal loops, whether it changed or
  /// not: 0 (the default) refetches only when a loop over a dimension the tensor depends on
  /// moves; 1 at every DRAM iteration (a streaming buffer, as the ISCA 2016 framework counts).
  /// Weights and inputs the GLB keeps only.
  PerTensor<std::uint8_t> glbStreamedOver{};
  /// The same for the RF's tile: 1 at every DRAM iteration, 2 at every DRAM and GLB one.
  /// Weights and inputs the RF keeps only.
  PerTensor<std::uint8_t> rfStreamedOver{};

  /// Product of spatial bounds along `axis`: PEs used along that axis.
  std::int64_t spatialExtent(Axis axis) const;
  /// PEs that compute: product of all spatial bounds.
  std::int64_t activePes() const;
  /// Iterations of the RF loops: cycles per array step when operands are ready.
  std::int64_t rfIterations() const;
  /// Iterations of the GLB and DRAM loops: the number of array steps.
  std::int64_t arraySteps() const;
};

/// "rows" or "cols".
const char* axisName(Axis a);

/// A human-readable rendering of the loop nest (Timeloop map.txt style), one loop per line,
/// dimensions named as in `shape`.
std::string renderLoopNest(const ProblemShape& shape, const Mapping& m);

}  // namespace dfsim
