#include "mapping/analytic_model.hpp"

#include <algorithm>

#include "mapping/halo_savings.hpp"
#include "mapping/ragged_nest.hpp"
#include "mapping/tile_math.hpp"

namespace dfsim {

namespace {

/// What the counts of one problem need, built once per call: the shape, the mapping's loops per
/// dimension and, per tensor, the dimensions it depends on.
struct Nest {
  const ProblemShape& shape;
  const Mapping& m;
  const DimLoopTable& loops;            ///< of `m`
  PerTensor<std::uint32_t> relevant{};  ///< bit d: the tensor depends on dimension d
  std::int64_t macs = 0;

  Nest(const ProblemShape& s, const Mapping& mapping, const DimLoopTable& table)
      : shape(s), m(mapping), loops(table), macs(s.macs()) {
    for (Tensor t : kAllTensors) relevant[t] = s.projectedDims(t);
  }
  bool dependsOn(Tensor t, std::size_t d) const { return (relevant[t] >> d & 1U) != 0; }
  std::int64_t size(std::size_t d) const { return shape.size(ProblemShape::dimAt(d)); }

  /// Per dimension, the tiles after the loops at positions [0, `split`) (split) and
  /// [`split`, `stop`) (their first iteration only): the tiles a boundary sees each time the
  /// loops [0, split) move.
  /// Only the dimensions of the bits of `dims` are set (the others are left as they were).
  void tilesAt(std::size_t split, std::size_t stop, DimHistograms& h,
               std::uint32_t dims = ~0U) const {
    for (std::size_t d = 0; d < shape.numDims(); ++d) {
      if ((dims >> d & 1U) == 0) continue;
      h[d].reset(size(d));
      loops.tiles(d, h[d], 0, split, stop);
    }
  }
  /// The tiles of `h` after the loops at positions [from, stop), all split.
  void splitFurther(std::size_t from, std::size_t stop, DimHistograms& h,
                    std::uint32_t dims = ~0U) const {
    for (std::size_t d = 0; d < shape.numDims(); ++d) {
      if ((dims >> d & 1U) != 0) loops.tiles(d, h[d], from, stop, stop);
    }
  }
  /// One past the innermost loop at a position below `stop` (of a bound above 1: the table
  /// lists no other) over a dimension `t` depends on (0 when none): loops inside it reuse `t`'s
  /// tile.
  std::size_t reuseEnd(Tensor t, std::size_t stop) const {
    std::size_t end = 0;
    for (std::size_t d = 0; d < shape.numDims(); ++d) {
      if (!dependsOn(t, d)) continue;
      for (std::size_t k = 0; k < loops.count[d]; ++k) {
        const std::size_t pos = loops.loops[d][k].pos;
        if (pos < stop && pos + 1 > end) end = pos + 1;
      }
    }
    return end;
  }

  /// reuseEnd at the array boundary (stop: loops.spatial), moved past the loops that stream
  /// `t`'s RF tile (README "Streamed tiles": every loop above them refetches it).
  std::size_t reuseEndArray(Tensor t) const {
    return streamedEnd(m.rfStreamedOver[t], reuseEnd(t, loops.spatial));
  }
  /// reuseEnd at the GLB boundary (stop: loops.glb), past the loops that stream the GLB tile.
  std::size_t reuseEndGlb(Tensor t) const {
    return streamedEnd(m.glbStreamedOver[t], reuseEnd(t, loops.glb));
  }
  /// `end`, or one past the loops of the `over` outermost levels when that is further.
  std::size_t streamedEnd(std::uint8_t over, std::size_t end) const {
    if (over == 0) return end;
    return std::max(end, over == 1 ? loops.glb : loops.spatial);
  }

  /// wordsOverKinds of the shape (src/mapping/ragged_nest.hpp).
  std::int64_t wordsOverKinds(Tensor t, const DimHistograms& h, const DimExtents& divisor) const {
    return dfsim::wordsOverKinds(shape, t, h, divisor);
  }

  /// otherTiles of the shape (src/mapping/ragged_nest.hpp).
  std::int64_t otherTiles(Tensor t, const DimHistograms& h) const {
    return dfsim::otherTiles(shape, t, h);
  }
};

/// What a boundary moves for one tensor, summed over every visit of its child tile: the words of
/// the union tiles (one per visit; what a multicast parent reads), those of the union tiles of
/// distinct visits (the first visit of each tile), and the words delivered to every child
/// instance (per PE).
struct BoundaryWords {
  std::int64_t unionWords = 0;
  std::int64_t distinctWords = 0;
  std::int64_t instanceWords = 0;
};

/// The array boundary of `t`: its RF tile (or, bypassing the RF, the operand latch: a new word
/// every RF iteration) against its parent. Ragged tiles (README "Ragged tiles"): every array
/// step's tile is the clipped one, a PE beyond the edge idles, and a tile is fetched to the PEs
/// active when it changes (the loop's first iteration, its largest).
BoundaryWords arrayBoundary(const Nest& nest, Tensor t) {
  BoundaryWords w;
  DimExtents none;
  none.fill(1);
  const DimLoopTable& loops = nest.loops;
  DimHistograms h;
  if (nest.m.rfKeeps[t]) {
    nest.tilesAt(nest.reuseEndArray(t), loops.spatial, h);
    w.distinctWords = nest.wordsOverKinds(t, h, none);
    w.unionWords = w.distinctWords * nest.otherTiles(t, h);
    nest.splitFurther(loops.spatial, loops.rf, h);  // per PE
    w.instanceWords = nest.wordsOverKinds(t, h, none) * nest.otherTiles(t, h);
    return w;
  }
  // Bypassing the RF: every RF iteration of every array step is a visit of a one-word tile per
  // PE. The RF loops divide their dimensions (validation), so they run whole in every PE; the
  // union over the PEs at one RF iteration has, per dimension, the PEs active along it.
  nest.tilesAt(loops.spatial, loops.spatial, h);
  const DimExtents rfExt = extentsOf(nest.m.rfLoops);
  std::int64_t relevantRf = 1;
  std::int64_t otherRf = 1;
  for (std::size_t d = 0; d < nest.shape.numDims(); ++d) {
    (nest.dependsOn(t, d) ? relevantRf : otherRf) *= rfExt[d];
  }
  w.distinctWords = relevantRf * nest.wordsOverKinds(t, h, rfExt);
  w.unionWords = w.distinctWords * otherRf * nest.otherTiles(t, h);
  nest.splitFurther(loops.spatial, loops.rf, h);  // per PE
  std::int64_t instances = nest.m.rfIterations();
  for (std::size_t d = 0; d < nest.shape.numDims(); ++d) instances *= h[d].total();
  w.instanceWords = instances;
  return w;
}

/// Counts at the boundary between the array (RF, or the one-word operand latch when the RF
/// bypasses `t`) and its parent (GLB, or DRAM when the GLB bypasses `t`).
void countArrayBoundary(const Nest& nest, const ArchSpec& arch, Tensor t, const BoundaryWords& w,
                        AccessCounts& c) {
  const Mapping& m = nest.m;
  const bool inRf = m.rfKeeps[t];
  const std::int64_t macs = nest.macs;
  ReadWrite& parent = c(m.glbKeeps[t] ? Level::Glb : Level::Dram, t);
  ReadWrite& noc = c(Level::Noc, t);
  ReadWrite& rf = c(Level::Rf, t);

  // A tensor the RF keeps is refetched when a relevant outer loop moves; one it bypasses has no
  // storage in the PE and is delivered for every MAC (the operand latch is a pipeline register,
  // not a place to reuse from).
  if (t != Tensor::Outputs) {
    parent.reads += arch.noc.multicast ? w.unionWords : w.instanceWords;
    noc.reads += w.instanceWords;
    if (inRf) {
      rf.writes += w.instanceWords;
      rf.reads += macs;
    }
    return;
  }
  // Outputs: a revisited tile first gets its partial sums back (one word per distinct output,
  // to one PE of each reduction group); every visit ends with each PE sending its psums, which
  // the array reduces to one write per distinct output.
  const std::int64_t revisitWords = w.unionWords - w.distinctWords;
  parent.reads += revisitWords;
  parent.writes += w.unionWords;
  noc.reads += revisitWords;
  noc.writes += w.instanceWords;
  if (inRf) {
    rf.reads += macs + w.instanceWords;
    rf.writes += macs + revisitWords;
  }
}

/// With the RF's halo reuse, what the RF tiles of weights or inputs keep from the tiles before
/// them comes off `w` (haloSavings at the array boundary: the spatial loops are the fan-out).
void haloAtArray(const Nest& nest, const ArchSpec& arch, Tensor t, std::size_t reuseEnd,
                 BoundaryWords& w, HaloMemo* memo = nullptr) {
  if (!arch.rf.haloReuse || t == Tensor::Outputs || !nest.m.rfKeeps[t]) return;
  const DimLoopTable& loops = nest.loops;
  const HaloSavings s =
      haloSavings(nest.shape, loops, t, BoundaryPositions{loops.spatial, reuseEnd, loops.rf}, memo);
  w.unionWords -= s.unionWords;
  w.instanceWords -= s.instanceWords;
}

/// With the GLB's halo reuse, the words its tiles of weights or inputs keep from the tiles
/// before them (haloSavings at the DRAM -> GLB boundary); 0 otherwise.
std::int64_t haloAtGlb(const Nest& nest, const ArchSpec& arch, Tensor t, std::size_t reuseEnd,
                       HaloMemo* memo = nullptr) {
  if (!arch.glb.haloReuse || t == Tensor::Outputs || !nest.m.glbKeeps[t]) return 0;
  const DimLoopTable& loops = nest.loops;
  return haloSavings(nest.shape, loops, t, BoundaryPositions{loops.glb, reuseEnd, loops.glb}, memo)
      .unionWords;
}

/// Counts at the DRAM -> GLB boundary for a tensor the GLB keeps, from the words of its
/// distinct GLB tiles and of every fill.
void countGlbBoundary(Tensor t, std::int64_t distinctWords, std::int64_t fillWords,
                      AccessCounts& c) {
  ReadWrite& dram = c(Level::Dram, t);
  ReadWrite& glb = c(Level::Glb, t);
  if (t != Tensor::Outputs) {
    dram.reads += fillWords;
    glb.writes += fillWords;
    return;
  }
  const std::int64_t revisitWords = fillWords - distinctWords;
  dram.reads += revisitWords;
  glb.writes += revisitWords;
  glb.reads += fillWords;
  dram.writes += fillWords;
}

}  // namespace

AccessCounts analyticCounts(const ProblemShape& shape, const ArchSpec& arch, const Mapping& m) {
  AccessCounts c;
  c.macs = shape.macs();
  const DimLoopTable table = DimLoopTable::of(m, shape);
  const Nest nest(shape, m, table);
  DimExtents none;
  none.fill(1);
  for (Tensor t : kAllTensors) {
    BoundaryWords w = arrayBoundary(nest, t);
    // Halo reuse keeps what a tile shares with the one before only where it moved: the
    // unstreamed reuseEnd's carries (a streamed refetch in place comes whole).
    haloAtArray(nest, arch, t, nest.reuseEnd(t, nest.loops.spatial), w);
    countArrayBoundary(nest, arch, t, w, c);
    if (!m.glbKeeps[t]) continue;
    DimHistograms visits;
    const std::size_t reuseGlb = nest.reuseEndGlb(t);
    const std::size_t movesGlb = nest.reuseEnd(t, nest.loops.glb);  // halo: where it moved
    nest.tilesAt(reuseGlb, nest.loops.glb, visits);
    const std::int64_t distinctWords = nest.wordsOverKinds(t, visits, none);
    countGlbBoundary(
        t, distinctWords,
        distinctWords * nest.otherTiles(t, visits) - haloAtGlb(nest, arch, t, movesGlb), c);
  }
  return c;
}

AccessCounts analyticCounts(const ProblemShape& shape, const ArchSpec& arch, const Mapping& m,
                            CountsMemo& memo) {
  AccessCounts c;
  // The group's loop table: the first mapping's, with the DRAM loops moved to their positions
  // in this one (the other loops keep theirs: there are as many DRAM loops in every order).
  if (!memo.tableValid_) {
    memo.table_.assign(m, shape);
    memo.tableValid_ = true;
  } else {
    for (std::size_t i = 0; i < m.dramLoops.size(); ++i) {
      const Loop& l = m.dramLoops[i];
      if (l.bound > 1) memo.table_.loops[idx(l.dim)][0].pos = i;
    }
  }
  const Nest nest(shape, m, memo.table_);
  c.macs = nest.macs;
  DimExtents none;
  none.fill(1);
  // Every loop over a dimension a tensor depends on lies outside its innermost relevant loop
  // (reuseEnd), and so splits, whatever the order: the words of its relevant tiles
  // (wordsOverKinds reads only relevant dimensions) are the group's (CountsMemo says which).
  // Each other dimension's tile counts (otherTiles multiplies them) depend on the DRAM order
  // only through whether its DRAM loop splits: the outer group's other loops over it keep their
  // positions, and whether the innermost relevant loop is a GLB one is the outer group's too.
  // The same products as analyticCounts above, of the same factors.
  const DimLoopTable& loops = nest.loops;
  const std::size_t numDims = shape.numDims();
  // Per dimension, one past its innermost loop above the array and above the GLB (0: none).
  std::array<std::size_t, kMaxDims> endSpatial{};
  std::array<std::size_t, kMaxDims> endGlb{};
  for (std::size_t d = 0; d < numDims; ++d) {
    for (std::size_t k = 0; k < loops.count[d]; ++k) {
      const std::size_t pos = loops.loops[d][k].pos;
      if (pos < loops.spatial) endSpatial[d] = pos + 1;
      if (pos < loops.glb) endGlb[d] = pos + 1;
    }
  }
  // Whether dimension d has a DRAM loop at a position below `split`.
  auto dramSplits = [&](std::size_t d, std::size_t split) {
    return loops.count[d] > 0 && loops.loops[d][0].pos < loops.glb && loops.loops[d][0].pos < split;
  };
  for (Tensor t : kAllTensors) {
    CountsMemo::Words& mw = memo.words_[idx(t)];
    const std::uint32_t relevant = nest.relevant[t];
    std::size_t reuseSpatial = 0;  // nest.reuseEnd(t, loops.spatial)
    std::size_t reuseGlb = 0;      // nest.reuseEnd(t, loops.glb)
    for (std::size_t d = 0; d < numDims; ++d) {
      if ((relevant >> d & 1U) == 0) continue;
      reuseSpatial = std::max(reuseSpatial, endSpatial[d]);
      reuseGlb = std::max(reuseGlb, endGlb[d]);
    }
    // Streamed tiles (the mapping's own, the group's too: only the DRAM order differs): every
    // loop above them refetches, so the DRAM loops split whatever the order.
    const std::size_t movesSpatial = reuseSpatial;  // halo reuse: where the tile moved
    const std::size_t movesGlb = reuseGlb;
    reuseSpatial = nest.streamedEnd(m.rfStreamedOver[t], reuseSpatial);
    reuseGlb = nest.streamedEnd(m.glbStreamedOver[t], reuseGlb);
    BoundaryWords w;
    if (!m.rfKeeps[t]) {
      // Every loop above the array splits, in any order: the whole boundary is the group's.
      if (!mw.arrayValid) {
        const BoundaryWords b = arrayBoundary(nest, t);
        mw.bypassUnion = b.unionWords;
        mw.bypassDistinct = b.distinctWords;
        mw.bypassInstance = b.instanceWords;
      }
      w.unionWords = mw.bypassUnion;
      w.distinctWords = mw.bypassDistinct;
      w.instanceWords = mw.bypassInstance;
    } else {
      if (!mw.arrayValid) {
        DimHistograms h;
        nest.tilesAt(reuseSpatial, loops.spatial, h, relevant);
        mw.arrayDistinct = nest.wordsOverKinds(t, h, none);
        nest.splitFurther(loops.spatial, loops.rf, h, relevant);  // per PE
        mw.arrayInstance = nest.wordsOverKinds(t, h, none);
      }
      std::int64_t unionTiles = 1;     // otherTiles at the array boundary
      std::int64_t instanceTiles = 1;  // otherTiles per PE
      for (std::size_t d = 0; d < numDims; ++d) {
        if ((relevant >> d & 1U) != 0) continue;
        const std::size_t slot = 2 * d + (dramSplits(d, reuseSpatial) ? 1 : 0);
        if ((mw.arrayKnown >> slot & 1U) == 0) {
          ExtentHistogram x;
          x.reset(nest.size(d));
          loops.tiles(d, x, 0, reuseSpatial, loops.spatial);
          mw.arrayTiles[slot] = x.total();
          loops.tiles(d, x, loops.spatial, loops.rf, loops.rf);
          mw.instanceTiles[slot] = x.total();
          mw.arrayKnown |= 1U << slot;
        }
        unionTiles *= mw.arrayTiles[slot];
        instanceTiles *= mw.instanceTiles[slot];
      }
      w.distinctWords = mw.arrayDistinct;
      w.unionWords = w.distinctWords * unionTiles;
      w.instanceWords = mw.arrayInstance * instanceTiles;
    }
    haloAtArray(nest, arch, t, movesSpatial, w, &memo.halo_);
    countArrayBoundary(nest, arch, t, w, c);
    if (m.glbKeeps[t]) {
      if (!mw.glbValid) {
        DimHistograms visits;
        nest.tilesAt(reuseGlb, loops.glb, visits, relevant);
        mw.glbDistinct = nest.wordsOverKinds(t, visits, none);
      }
      std::int64_t fillTiles = 1;  // otherTiles at the GLB boundary
      for (std::size_t d = 0; d < numDims; ++d) {
        if ((relevant >> d & 1U) != 0) continue;
        const std::size_t slot = 2 * d + (dramSplits(d, reuseGlb) ? 1 : 0);
        if ((mw.glbKnown >> slot & 1U) == 0) {
          ExtentHistogram x;
          x.reset(nest.size(d));
          loops.tiles(d, x, 0, reuseGlb, loops.glb);
          mw.glbTiles[slot] = x.total();
          mw.glbKnown |= 1U << slot;
        }
        fillTiles *= mw.glbTiles[slot];
      }
      countGlbBoundary(t, mw.glbDistinct,
                       mw.glbDistinct * fillTiles - haloAtGlb(nest, arch, t, movesGlb, &memo.halo_),
                       c);
      mw.glbValid = true;
    }
    mw.arrayValid = true;
  }
  return c;
}

}  // namespace dfsim
