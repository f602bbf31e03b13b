#pragma once

#include <cstdint>

#include "arch/arch_spec.hpp"
#include "common/access_counts.hpp"
#include "mapping/halo_savings.hpp"
#include "mapping/mapping.hpp"
#include "mapping/ragged_nest.hpp"
#include "workload/problem_shape.hpp"

namespace dfsim {

/// Closed-form word accesses per level and tensor for the problem `shape` under `m` (README
/// "Counting rules"). Derived from the mapping and the shape's projections alone; it never runs
/// or reads the simulator, so that "simulated == analytic" is a real check. Contract: `m`
/// passed validateMapping() for the layer of `shape`. The fast 4-level path of the generic model
/// (hierarchy_model.hpp; the mapper scores through the CountsMemo overload below),
/// equal to analyticCounts(shape, <the 4-level hierarchy>, toLoopNest(m)), which a test checks
/// on random ragged mappings (tests/hierarchy_model_test.cpp).
AccessCounts analyticCounts(const ProblemShape& shape, const ArchSpec& arch, const Mapping& m);

class CountsMemo;

/// analyticCounts(shape, arch, m), equal to it, reusing from `memo` what an earlier mapping of
/// the same group counted (the mapper scores many GLB choices of one spatial and RF choice and
/// several DRAM orders of each). Contract: every mapping passed with `memo` since its last
/// clear() has the same keeps, streamed tiles and spatial and RF loops (and `shape` and `arch` are
/// the same, but for their halo_reuse flags: only the halo savings read those, and the memo keys
/// them by all they depend on); since its last newOuterLoops() also the same GLB loops and DRAM
/// loops of bound above 1 over the same dimensions (at most one each) with the same bounds, in
/// any order.
AccessCounts analyticCounts(const ProblemShape& shape, const ArchSpec& arch, const Mapping& m,
                            CountsMemo& memo);

/// What analyticCounts keeps between the mappings of one group (above). Per tensor: the words of
/// its array-boundary tiles over the dimensions it depends on (every loop over them above the
/// array splits, and a dimension split by every loop down to a tile T has floor(size / T) tiles
/// of T and one of size % T: only the spatial and RF loops matter); the words of its GLB tiles
/// (every DRAM loop over them splits, in any order); and the tile counts of the other
/// dimensions, which a DRAM order changes only through whether their DRAM loop splits. Also the
/// loop table of the outer loops' group. No allocation.
class CountsMemo {
 public:
  /// Forgets everything: call before the first mapping of new spatial and RF loops.
  void clear() {
    newOuterLoops();
    for (Words& w : words_) w.arrayValid = false;
  }
  /// The loop table (DimLoopTable::of) of the last mapping counted.
  const DimLoopTable& table() const { return table_; }
  /// Forgets what depends on the GLB and DRAM loops: call before the first mapping of new ones.
  void newOuterLoops() {
    tableValid_ = false;
    for (Words& w : words_) {
      w.glbValid = false;
      w.arrayKnown = 0;
      w.glbKnown = 0;
    }
  }

 private:
  friend AccessCounts analyticCounts(const ProblemShape& shape, const ArchSpec& arch,
                                     const Mapping& m, CountsMemo& memo);
  /// Halo savings' per-coordinate counts (kept across every group: they are keyed by all
  /// they depend on).
  HaloMemo halo_;
  /// One tensor's words and tile counts.
  struct Words {
    bool arrayValid = false;         ///< the next three are set (spatial and RF loops' group)
    std::int64_t arrayDistinct = 0;  ///< words of its distinct tiles at the array boundary
    std::int64_t arrayInstance = 0;  ///< words of its per-PE tiles (before the tile counts)
    /// The array boundary's words when the RF bypasses the tensor (every loop above the array
    /// splits, whatever the outer loops' order: all of them are the spatial and RF loops').
    std::int64_t bypassUnion = 0;
    std::int64_t bypassDistinct = 0;
    std::int64_t bypassInstance = 0;
    bool glbValid = false;         ///< glbDistinct is set (outer loops' group)
    std::int64_t glbDistinct = 0;  ///< words of its distinct GLB tiles
    /// Per dimension d it does not depend on and whether d's DRAM loop splits (slot 2d + 1) or
    /// not (2d; also: d has none): d's tile count at the array boundary, per PE and at the GLB
    /// boundary, known where the bit of the slot is set (outer loops' group).
    std::array<std::int64_t, 2 * kMaxDims> arrayTiles{};
    std::array<std::int64_t, 2 * kMaxDims> instanceTiles{};
    std::array<std::int64_t, 2 * kMaxDims> glbTiles{};
    std::uint32_t arrayKnown = 0;
    std::uint32_t glbKnown = 0;
  };
  DimLoopTable table_;  ///< of the outer group's first mapping, DRAM positions of the last one
  bool tableValid_ = false;
  std::array<Words, kNumTensors> words_{};
};

}  // namespace dfsim
