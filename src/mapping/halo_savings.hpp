#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

#include "common/ids.hpp"
#include "mapping/ragged_nest.hpp"
#include "workload/problem_shape.hpp"

namespace dfsim {

/// Where one boundary's loops lie in a loop nest's flat order (src/mapping/README "Any
/// hierarchy"): the loops at positions below `stop` move the child's tiles (temporal ones below
/// `reuseEnd` change them; spatial ones make parent instances), those in [stop, childStart) are
/// the crossed fan-out's spatial loops (the child instances of one parent instance), those from
/// `childStart` on make the child's tile.
struct BoundaryPositions {
  std::size_t stop = 0;
  std::size_t reuseEnd = 0;
  std::size_t childStart = 0;
};

/// The words a halo-reusing child level does not receive at one boundary of a read-only tensor,
/// summed over the run: at every change of its tile, each child instance keeps the words its
/// new tile shares with the tile it held (`instanceWords`), and the parent's multicast reads
/// lose the words every child needing them already held (`unionWords`: per parent instance
/// and change, the union tile's words minus those of the union of the children's new words).
struct HaloSavings {
  std::int64_t unionWords = 0;
  std::int64_t instanceWords = 0;
};

/// What haloSavingsByPositions may keep between calls (a search scores many nests whose
/// boundaries share a coordinate's geometry): per coordinate and pair of dimension classes,
/// the words kept, keyed by everything they are counted from (exact: the whole key is
/// compared), in a table of fixed size (a new entry replaces the one in its slot); and its
/// scratch storage (grown once, reused). Results never depend on what it holds.
class HaloMemo {
 public:
  HaloMemo();
  ~HaloMemo();
  HaloMemo(const HaloMemo&) = delete;
  HaloMemo& operator=(const HaloMemo&) = delete;
  /// The state (opaque: src/mapping/halo_positions.cpp).
  struct State;
  /// The state, made on first use.
  State& state();

 private:
  std::unique_ptr<State> state_;
};

/// The halo savings of tensor `t` (weights or inputs) at the boundary `at` of the nest `loops`
/// over `shape`, in closed form (src/mapping/README "Halo reuse"): for each temporal loop k
/// below `reuseEnd`, its advances (the product of the spatial bounds below `stop` and of the
/// temporal bounds outside k, times its bound - 1) times the words kept at such a step, the
/// product over t's coordinates of what a coordinate keeps (its shift there is the loop's tile
/// minus the spans of the reset inner loops, times the projection's coefficients). A
/// coordinate along which the crossed fan-out spreads the children and which shifts with
/// words kept is counted on that coordinate alone (the union of the children's new words).
/// A ragged nest (some dimension not `loops.exact`) is counted by haloSavingsByPositions.
/// `memo` (optional) only saves time.
HaloSavings haloSavings(const ProblemShape& shape, const DimLoopTable& loops, Tensor t,
                        const BoundaryPositions& at, HaloMemo* memo = nullptr);

/// haloSavings for any nest, ragged tiles included (src/mapping/README "Halo reuse"): the
/// consecutive visits of the parent (the nest's non-empty configurations of the loops below
/// `reuseEnd`, every loop inside the carry at 0 in the new one and at its last non-empty
/// iteration in the old one) are classed per dimension by the shift of the union tile's origin
/// and its distances to the layer's edge (the configurations of one dimension are listed: at
/// most the product of its loops' bounds); per coordinate of `t` the classes of its dimensions
/// are combined and the words counted on that coordinate alone (a child idle at the old visit
/// keeps nothing; one idle at the new receives nothing). On a perfect nest it equals the closed
/// form (by test). `memo` (optional) only saves time.
HaloSavings haloSavingsByPositions(const ProblemShape& shape, const DimLoopTable& loops, Tensor t,
                                   const BoundaryPositions& at, HaloMemo* memo = nullptr);

/// Words of coordinate `axis` of `t` that a tile with extents `e` shares with the same tile
/// moved by `shift` along that coordinate (0: the coordinate's words). Closed form from the
/// projection: one term, the extent minus the shift in steps; two terms (a window of B at
/// stride u over A positions), the overlap of one interval when u <= B, else of A blocks of B
/// at pitch u.
std::int64_t axisOverlap(const ProblemShape& shape, Tensor t, std::size_t axis, const DimExtents& e,
                         std::int64_t shift);

}  // namespace dfsim
