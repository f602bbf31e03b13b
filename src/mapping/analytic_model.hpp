#pragma once

#include <cstdint>

#include "arch/arch_spec.hpp"
#include "common/access_counts.hpp"
#include "mapping/mapping.hpp"
#include "mapping/ragged_nest.hpp"
#include "workload/problem_shape.hpp"

namespace dfsim {

/// Closed-form word accesses per level and tensor for the problem `shape` under `m` (README
/// "Counting rules"). Derived from the mapping and the shape's projections alone; it never runs
/// or reads the simulator, so that "simulated == analytic" is a real check. Contract: `m`
/// passed validateMapping() for the layer of `shape`. The fast 4-level path of the generic model
/// (hierarchy_model.hpp: the mapper scores about a million candidates a second through here),
/// equal to analyticCounts(shape, <the 4-level hierarchy>, toLoopNest(m)), which a test checks
/// on random ragged mappings (tests/hierarchy_model_test.cpp).
AccessCounts analyticCounts(const ProblemShape& shape, const ArchSpec& arch, const Mapping& m);

class DramOrderMemo;

/// analyticCounts(shape, arch, m), equal to it, reusing from `memo` the boundaries an earlier
/// mapping of the same group already counted. Contract: every mapping passed with `memo` since
/// its last clear() has the same keeps and the same GLB, spatial and RF loops, and DRAM loops of
/// bound above 1 over the same dimensions with the same bounds, in any order (the mapper scores
/// several DRAM orders of one factor choice); `shape` and `arch` are the same too.
AccessCounts analyticCounts(const ProblemShape& shape, const ArchSpec& arch, const Mapping& m,
                            DramOrderMemo& memo);

/// What analyticCounts keeps between the mappings of one group (above): the loop table, per
/// tensor the words of its tiles over the dimensions it depends on, which a DRAM order does not
/// change (every loop over them lies outside the tensor's innermost relevant loop), and the
/// tile counts of the other dimensions, which change only with whether their DRAM loop does.
/// No allocation.
class DramOrderMemo {
 public:
  /// Forgets everything: call before the first mapping of a new group.
  void clear() {
    tableValid_ = false;
    for (Words& w : words_) {
      w.valid = false;
      w.arrayKnown = 0;
      w.glbKnown = 0;
    }
  }

 private:
  friend AccessCounts analyticCounts(const ProblemShape& shape, const ArchSpec& arch,
                                     const Mapping& m, DramOrderMemo& memo);
  /// One tensor's words of the group (set by the group's first mapping).
  struct Words {
    bool valid = false;
    std::int64_t arrayDistinct = 0;  ///< words of its distinct tiles at the array boundary
    std::int64_t arrayInstance = 0;  ///< words of its per-PE tiles (before the tile counts)
    std::int64_t glbDistinct = 0;    ///< words of its distinct GLB tiles
    /// Per dimension d it does not depend on and whether d's DRAM loop splits (slot 2d + 1) or
    /// not (2d; also: d has none): d's tile count at the array boundary, per PE and at the GLB
    /// boundary, known where the bit of the slot is set.
    std::array<std::int64_t, 2 * kMaxDims> arrayTiles{};
    std::array<std::int64_t, 2 * kMaxDims> instanceTiles{};
    std::array<std::int64_t, 2 * kMaxDims> glbTiles{};
    std::uint32_t arrayKnown = 0;
    std::uint32_t glbKnown = 0;
    /// The array boundary's words when the RF bypasses the tensor (every loop above the array
    /// splits in any order: all of them are the group's).
    std::int64_t bypassUnion = 0;
    std::int64_t bypassDistinct = 0;
    std::int64_t bypassInstance = 0;
  };
  DimLoopTable table_;  ///< of the group's first mapping, DRAM positions of the last one
  bool tableValid_ = false;
  std::array<Words, kNumTensors> words_{};
};

}  // namespace dfsim
