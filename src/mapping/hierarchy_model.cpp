#include "mapping/hierarchy_model.hpp"

#include <algorithm>

#include "mapping/halo_savings.hpp"
#include "mapping/ragged_nest.hpp"
#include "mapping/tile_math.hpp"

namespace dfsim {

namespace {

/// What the analytic model reads of a hierarchy and a loop nest, per storage level, outermost
/// first: where its loops start in the flat nest, the fan-out directly below it, what it keeps.
/// Fixed-size.
struct LevelPlan {
  /// Marks "no fan-out below".
  static constexpr std::size_t kNone = kMaxLevelEntries;
  /// One storage level (plain: every field is set when listed).
  struct Level {
    std::size_t entry;         ///< its entry index in the hierarchy (AccessCounts index)
    std::size_t start;         ///< flat position of its first temporal loop
    std::size_t spatialStart;  ///< flat position of its first spatial loop
    std::size_t fanOut;        ///< entry index of the fan-out directly below it, or kNone
    bool multicast;            ///< that fan-out's multicast
    std::uint32_t unreduced;   ///< bit d: that fan-out does not reduce along dimension d
    bool halo;                 ///< its halo_reuse (new tiles keep what they share with the old)
    PerTensor<bool> keeps;     ///< what it keeps (the outermost: everything)
    /// Per tensor, one past the loops that stream its tile here (README "Streamed tiles":
    /// every iteration of them refetches it), 0 when none.
    PerTensor<std::size_t> streamedEnd;
  };
  std::array<Level, kMaxLevelEntries> level;  ///< entries [0, levels) are set
  std::size_t levels = 0;                     ///< storage levels
  /// Flat position of the first spatial loop (none: past every position).
  std::size_t firstSpatial = ~std::size_t{0};
};

/// What the counts of one problem need: the shape, the nest's loops per dimension, the levels
/// and, per tensor, the dimensions it depends on.
struct Nest {
  const ProblemShape& shape;
  const DimLoopTable& loops;
  const LevelPlan& plan;
  PerTensor<std::uint32_t> relevant{};  ///< bit d: the tensor depends on dimension d
  std::int64_t macs;

  Nest(const ProblemShape& s, const DimLoopTable& table, const LevelPlan& p)
      : shape(s), loops(table), plan(p), macs(s.macs()) {
    for (Tensor t : kAllTensors) relevant[t] = s.projectedDims(t);
  }
  bool dependsOn(Tensor t, std::size_t d) const { return (relevant[t] >> d & 1U) != 0; }
  std::int64_t size(std::size_t d) const { return shape.size(ProblemShape::dimAt(d)); }

  /// Per dimension, the tiles one instance of a parent sees each time its child's tile of `t`
  /// changes: the loops at positions below `stop` over whole dimensions, split where spatial or
  /// below `reuseEnd`, their first iteration only elsewhere.
  void visitsAt(std::size_t reuseEnd, std::size_t stop, DimHistograms& h) const {
    for (std::size_t d = 0; d < shape.numDims(); ++d) {
      h[d].reset(size(d));
      loops.tilesPerInstance(d, h[d], 0, reuseEnd, stop);
    }
  }
  /// The tiles of `h` after the loops at positions [from, stop), all split.
  void splitFurther(std::size_t from, std::size_t stop, DimHistograms& h) const {
    for (std::size_t d = 0; d < shape.numDims(); ++d) {
      loops.tilesPerInstance(d, h[d], from, stop, stop);
    }
  }
  /// One past the innermost temporal loop at a position below `stop` (of a bound above 1: the
  /// table lists no other) over a dimension `t` depends on (0 when none): temporal loops inside
  /// it reuse `t`'s tile. Spatial loops do not count: they make instances, not visits.
  std::size_t reuseEnd(Tensor t, std::size_t stop) const {
    std::size_t end = 0;
    for (std::size_t d = 0; d < shape.numDims(); ++d) {
      if (!dependsOn(t, d)) continue;
      for (std::size_t k = 0; k < loops.count[d]; ++k) {
        const DimLoopTable::Entry& e = loops.loops[d][k];
        if (!e.spatial && e.pos < stop && e.pos + 1 > end) end = e.pos + 1;
      }
    }
    return end;
  }

  /// wordsOverKinds of the shape (src/mapping/ragged_nest.hpp).
  std::int64_t wordsOverKinds(Tensor t, const DimHistograms& h, const DimExtents& divisor) const {
    return dfsim::wordsOverKinds(shape, t, h, divisor);
  }

  /// Instances of a parent along the dimensions `t` does not depend on (the spatial loops above
  /// it at positions below `stop`, split; the temporal ones at their first iteration, the
  /// largest): each holds its own copy of every tile of `t` (1 without such loops).
  std::int64_t copiesAcross(Tensor t, std::size_t stop) const {
    std::int64_t n = 1;
    if (stop <= plan.firstSpatial) return n;  // no fan-out above the parent (4-level)
    for (std::size_t d = 0; d < shape.numDims(); ++d) {
      if (dependsOn(t, d)) continue;
      bool spatial = false;
      for (std::size_t k = 0; k < loops.count[d]; ++k) {
        spatial = spatial || (loops.loops[d][k].spatial && loops.loops[d][k].pos < stop);
      }
      if (!spatial) continue;
      ExtentHistogram x;
      x.reset(size(d));
      loops.tilesPerInstance(d, x, 0, 0, stop);
      n *= x.total();
    }
    return n;
  }

  /// otherTiles of the shape (src/mapping/ragged_nest.hpp).
  std::int64_t otherTiles(Tensor t, const DimHistograms& h) const {
    return dfsim::otherTiles(shape, t, h);
  }
};

/// What a boundary moves for one tensor, summed over every visit of its child tile: the words of
/// the union tiles (one per parent instance and visit; what a multicast parent reads), those of
/// the union tiles of distinct visits (the first visit of each tile, in every parent instance:
/// instances along a dimension the tensor does not depend on each see it first once), and the
/// words delivered to every child instance.
struct BoundaryWords {
  std::int64_t unionWords = 0;
  std::int64_t distinctWords = 0;
  std::int64_t instanceWords = 0;
};

/// The boundary of `t` from storage level `p` to level `c` (src/mapping/README "Any hierarchy"):
/// `c`'s tile, or with `latch` the innermost level's one-word operand latch (a new word every
/// innermost iteration). Ragged tiles: every tile is clipped, an instance beyond the edge idles,
/// and a tile is fetched to the instances active when it changes (a loop's first iteration, its
/// largest).
BoundaryWords boundaryWords(const Nest& nest, std::size_t c, bool latch, Tensor t) {
  BoundaryWords w;
  const LevelPlan::Level& child = nest.plan.level[c];
  const LevelPlan::Level& above = nest.plan.level[c - 1];
  // The one-fan-out rule: a crossed fan-out is the one directly above `c`; its spatial loops
  // (those of the level above `c`) spread one parent visit over the children.
  const std::size_t stop = above.fanOut != LevelPlan::kNone ? above.spatialStart : child.start;
  DimExtents none;
  none.fill(1);
  DimHistograms h;
  if (!latch) {
    // Halo reuse keeps what a tile shares with the one before only where it moved (`moves`'s
    // carries); a streamed tile refetched in place comes whole.
    const std::size_t moves = nest.reuseEnd(t, stop);
    const std::size_t reuseEnd = std::max(moves, std::min(child.streamedEnd[t], stop));
    nest.visitsAt(reuseEnd, stop, h);
    const std::int64_t words = nest.wordsOverKinds(t, h, none);
    w.distinctWords = words * nest.copiesAcross(t, stop);
    w.unionWords = words * nest.otherTiles(t, h);
    HaloSavings saved;
    if (child.halo && t != Tensor::Outputs) {
      saved = haloSavings(nest.shape, nest.loops, t, BoundaryPositions{stop, moves, child.start});
    }
    if (stop == child.start) {  // no fan-out crossed: one child per parent instance
      w.unionWords -= saved.unionWords;
      w.instanceWords = w.unionWords;
      return w;
    }
    nest.splitFurther(stop, child.start, h);  // per child instance
    w.instanceWords = nest.wordsOverKinds(t, h, none) * nest.otherTiles(t, h) - saved.instanceWords;
    w.unionWords -= saved.unionWords;
    return w;
  }
  // The latch: every innermost iteration of every step is a visit of a one-word tile per
  // instance. The innermost loops divide their dimensions (validation), so they run whole in
  // every instance; the union over the instances at one innermost iteration has, per dimension,
  // the instances active along it.
  nest.visitsAt(stop, stop, h);
  // The innermost level's extent over d: its outermost loop over d times that loop's tile.
  DimExtents inner;
  inner.fill(1);
  std::int64_t relevantInner = 1;
  std::int64_t otherInner = 1;
  for (std::size_t d = 0; d < nest.shape.numDims(); ++d) {
    for (std::size_t k = 0; k < nest.loops.count[d]; ++k) {
      const DimLoopTable::Entry& e = nest.loops.loops[d][k];
      if (e.pos < child.start) continue;
      inner[d] = e.bound * e.tile;
      break;
    }
    (nest.dependsOn(t, d) ? relevantInner : otherInner) *= inner[d];
  }
  const std::int64_t words = relevantInner * nest.wordsOverKinds(t, h, inner);
  w.distinctWords = words * nest.copiesAcross(t, stop);
  w.unionWords = words * otherInner * nest.otherTiles(t, h);
  nest.splitFurther(stop, child.start, h);              // per child instance
  std::int64_t instances = relevantInner * otherInner;  // innermost iterations
  for (std::size_t d = 0; d < nest.shape.numDims(); ++d) instances *= h[d].total();
  w.instanceWords = instances;
  return w;
}

/// Counts the boundary of `t` from level `p` to level `c` (or `c`'s latch) into `counts`: the
/// parent's reads and writes at p's entry, the network's at the crossed fan-out's, the child's
/// fills, drains and returned psums at c's entry (the innermost level also its MAC accesses).
void countBoundary(const Nest& nest, std::size_t p, std::size_t c, bool latch, Tensor t,
                   AccessCounts& counts) {
  const LevelPlan::Level& above = nest.plan.level[c - 1];
  const bool crossed = above.fanOut != LevelPlan::kNone;
  const BoundaryWords w = boundaryWords(nest, c, latch, t);
  const std::int64_t macAccesses = c + 1 == nest.plan.levels && !latch ? nest.macs : 0;
  ReadWrite& parent = counts(nest.plan.level[p].entry, t);
  ReadWrite& child = counts(nest.plan.level[c].entry, t);
  ReadWrite none;
  ReadWrite& net = crossed ? counts(above.fanOut, t) : none;

  // A kept tile is refetched when a relevant outer temporal loop moves; the latch is delivered
  // for every MAC (a pipeline register, not a place to reuse from).
  if (t != Tensor::Outputs) {
    parent.reads += crossed && !above.multicast ? w.instanceWords : w.unionWords;
    net.reads += w.instanceWords;
    if (!latch) {
      child.writes += w.instanceWords;
      child.reads += macAccesses;
    }
    return;
  }
  // Outputs: a revisited tile first gets its partial sums back (one word per distinct output,
  // to one child of each reduction group); every visit ends with each child sending its psums,
  // which the network reduces to one write per distinct output, or, along the fan-out's
  // unreduced dimensions, to one per output and index of its spatial loops over them (whole
  // tiles along them: validation), each of which but the first the parent adds to the word.
  std::int64_t groups = 1;
  if (crossed && above.unreduced != 0) {
    const std::size_t end = nest.plan.level[c].start;
    for (std::size_t d = 0; d < nest.shape.numDims(); ++d) {
      if ((above.unreduced >> d & 1U) == 0) continue;
      for (std::size_t k = 0; k < nest.loops.count[d]; ++k) {
        const DimLoopTable::Entry& e = nest.loops.loops[d][k];
        if (e.spatial && e.pos >= above.spatialStart && e.pos < end) groups *= e.bound;
      }
    }
  }
  const std::int64_t revisitWords = w.unionWords - w.distinctWords;
  parent.reads += revisitWords + w.unionWords * (groups - 1);
  parent.writes += w.unionWords * groups;
  net.reads += revisitWords;
  net.writes += w.instanceWords;
  if (!latch) {
    child.reads += macAccesses + w.instanceWords;
    child.writes += macAccesses + revisitWords;
  }
}

/// The plan of `n` over `h` for `shape`. Contract: `n` passed validateLoopNest() for `h`.
LevelPlan planOf(const ProblemShape& shape, const Hierarchy& h, const LoopNest& n) {
  LevelPlan plan;
  std::size_t pos = 0;
  std::size_t k = 0;
  for (std::size_t e = 0; e < h.entries.size(); ++e) {
    const HierarchyEntry& entry = h.entries[e];
    if (entry.kind == HierarchyEntry::Kind::FanOut) {
      plan.level[k - 1].fanOut = e;
      plan.level[k - 1].multicast = entry.fanOut.multicast;
      for (std::size_t d = 0; !entry.fanOut.unreducedDims.empty() && d < shape.numDims(); ++d) {
        if (!entry.fanOut.reduces(shape.name(ProblemShape::dimAt(d)))) {
          plan.level[k - 1].unreduced |= 1U << d;
        }
      }
      continue;
    }
    LevelPlan::Level& level = plan.level[k];
    const LevelLoops& loops = n.levels[k];
    level.fanOut = LevelPlan::kNone;
    level.multicast = true;
    level.unreduced = 0;
    level.halo = entry.storage.haloReuse;
    level.entry = e;
    level.start = pos;
    pos += loops.temporal.size();
    level.spatialStart = pos;
    pos += loops.spatial.size();
    level.keeps = k == 0 ? PerTensor<bool>{{true, true, true}} : loops.keeps;
    for (Tensor t : kAllTensors) {
      const std::size_t over = loops.streamedOver[t];
      // Level `over`'s first temporal loop is one past the streaming levels' loops.
      level.streamedEnd[t] = over == 0 ? 0 : plan.level[over].start;
    }
    if (!loops.spatial.empty() && level.spatialStart < plan.firstSpatial) {
      plan.firstSpatial = level.spatialStart;
    }
    ++k;
  }
  plan.levels = k;
  return plan;
}

/// The counts of the nest `loops` with levels `plan`.
AccessCounts boundaryCounts(const ProblemShape& shape, const DimLoopTable& loops,
                            const LevelPlan& plan) {
  AccessCounts counts;
  const Nest nest(shape, loops, plan);
  counts.macs = nest.macs;
  for (Tensor t : kAllTensors) {
    std::size_t parent = 0;  // DRAM keeps everything
    for (std::size_t c = 1; c < plan.levels; ++c) {
      if (!plan.level[c].keeps[t]) continue;
      countBoundary(nest, parent, c, false, t, counts);
      parent = c;
    }
    if (parent + 1 != plan.levels) countBoundary(nest, parent, plan.levels - 1, true, t, counts);
  }
  return counts;
}

}  // namespace

AccessCounts analyticCounts(const ProblemShape& shape, const Hierarchy& h, const LoopNest& n) {
  return boundaryCounts(shape, DimLoopTable::of(n, shape), planOf(shape, h, n));
}

}  // namespace dfsim
