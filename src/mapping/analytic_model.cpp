#include "mapping/analytic_model.hpp"

#include "mapping/ragged_nest.hpp"
#include "mapping/tile_math.hpp"

namespace dfsim {

namespace {

using DimHistograms = std::array<ExtentHistogram, kMaxDims>;

/// Per dimension of `shape`, the tiles after the nest's loops [0, `end`) (split) and then
/// [`end`, `stop`) (their first iteration only): the tiles a boundary sees each time loops
/// [0, end) move. Dimensions beyond the shape's stay one tile of extent 1.
DimHistograms tilesAt(const ProblemShape& shape, const NestLoops& nest, std::size_t end,
                      std::size_t stop) {
  DimHistograms h;
  for (std::size_t i = 0; i < kMaxDims; ++i) {
    h[i] = ExtentHistogram::whole(i < shape.numDims() ? shape.size(ProblemShape::dimAt(i)) : 1);
  }
  for (std::size_t j = 0; j < stop; ++j) {
    const NestLoop& l = nest.loops[j];
    if (j < end) {
      h[idx(l.dim)].split(l.tile);
    } else {
      h[idx(l.dim)].firstOnly(l.tile);
    }
  }
  return h;
}

/// The tiles of `h` after the nest's loops [from, stop), all split.
DimHistograms splitFurther(DimHistograms h, const NestLoops& nest, std::size_t from,
                           std::size_t stop) {
  for (std::size_t j = from; j < stop; ++j) h[idx(nest.loops[j].dim)].split(nest.loops[j].tile);
  return h;
}

/// Sum, over every combination of one tile kind per dimension `t` depends on, of the number of
/// such tiles times the words of `t` in a tile of those extents (each divided by `divisor`).
/// Dimensions `t` does not depend on are not enumerated (their tiles do not change its words).
std::int64_t wordsOverKinds(const ProblemShape& shape, Tensor t, const DimHistograms& h,
                            const DimExtents& divisor) {
  std::array<std::size_t, kMaxDims> relevant{};
  std::size_t n = 0;
  for (std::size_t i = 0; i < shape.numDims(); ++i) {
    if (isRelevant(shape, t, ProblemShape::dimAt(i))) relevant[n++] = i;
  }
  DimExtents e;
  e.fill(1);
  std::int64_t sum = 0;
  auto walk = [&](auto&& self, std::size_t k, std::int64_t count) -> void {
    if (k == n) {
      sum += count * tileWords(shape, t, e);
      return;
    }
    const ExtentHistogram& hd = h[relevant[k]];
    for (std::size_t j = 0; j < hd.kinds; ++j) {
      e[relevant[k]] = hd.extent[j] / divisor[relevant[k]];
      self(self, k + 1, count * hd.count[j]);
    }
  };
  walk(walk, 0, 1);
  return sum;
}

/// Product of the tile counts of the dimensions `t` does not depend on.
std::int64_t otherTiles(const ProblemShape& shape, Tensor t, const DimHistograms& h) {
  std::int64_t n = 1;
  for (std::size_t i = 0; i < shape.numDims(); ++i) {
    if (!isRelevant(shape, t, ProblemShape::dimAt(i))) n *= h[i].total();
  }
  return n;
}

/// One past the innermost loop of nest[begin, stop) with a bound above 1 that `t` depends on
/// (`begin` when none): loops inside it reuse `t`'s tile.
std::size_t reuseEnd(const ProblemShape& shape, Tensor t, const NestLoops& nest, std::size_t begin,
                     std::size_t stop) {
  std::size_t end = begin;
  for (std::size_t j = begin; j < stop; ++j) {
    if (nest.loops[j].bound > 1 && isRelevant(shape, t, nest.loops[j].dim)) end = j + 1;
  }
  return end;
}

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
BoundaryWords arrayBoundary(const ProblemShape& shape, const Mapping& m, const NestLoops& nest,
                            Tensor t) {
  BoundaryWords w;
  DimExtents none;
  none.fill(1);
  if (m.rfKeeps[t]) {
    const std::size_t end = reuseEnd(shape, t, nest, 0, nest.spatial);
    const DimHistograms visits = tilesAt(shape, nest, end, nest.spatial);
    const DimHistograms perPe = splitFurther(visits, nest, nest.spatial, nest.rf);
    w.distinctWords = wordsOverKinds(shape, t, visits, none);
    w.unionWords = w.distinctWords * otherTiles(shape, t, visits);
    w.instanceWords = wordsOverKinds(shape, t, perPe, none) * otherTiles(shape, t, perPe);
    return w;
  }
  // Bypassing the RF: every RF iteration of every array step is a visit of a one-word tile per
  // PE. The RF loops divide their dimensions (validation), so they run whole in every PE; the
  // union over the PEs at one RF iteration has, per dimension, the PEs active along it.
  const DimHistograms steps = tilesAt(shape, nest, nest.spatial, nest.spatial);
  const DimHistograms perPe = splitFurther(steps, nest, nest.spatial, nest.rf);
  const DimExtents rfExt = extentsOf(m.rfLoops);
  std::int64_t relevantRf = 1;
  std::int64_t otherRf = 1;
  for (std::size_t i = 0; i < shape.numDims(); ++i) {
    (isRelevant(shape, t, ProblemShape::dimAt(i)) ? relevantRf : otherRf) *= rfExt[i];
  }
  w.distinctWords = relevantRf * wordsOverKinds(shape, t, steps, rfExt);
  w.unionWords = w.distinctWords * otherRf * otherTiles(shape, t, steps);
  std::int64_t instances = m.rfIterations();
  for (std::size_t i = 0; i < shape.numDims(); ++i) instances *= perPe[i].total();
  w.instanceWords = instances;
  return w;
}

/// Counts at the boundary between the array (RF, or the one-word operand latch when the RF
/// bypasses `t`) and its parent (GLB, or DRAM when the GLB bypasses `t`).
void countArrayBoundary(const ProblemShape& shape, const ArchSpec& arch, const Mapping& m,
                        const NestLoops& nest, Tensor t, AccessCounts& c) {
  const bool inRf = m.rfKeeps[t];
  const BoundaryWords w = arrayBoundary(shape, m, nest, t);
  const std::int64_t macs = shape.macs();
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

/// Counts at the DRAM -> GLB boundary for a tensor the GLB keeps.
void countGlbBoundary(const ProblemShape& shape, const NestLoops& nest, Tensor t, AccessCounts& c) {
  DimExtents none;
  none.fill(1);
  const std::size_t end = reuseEnd(shape, t, nest, 0, nest.glb);
  const DimHistograms visits = tilesAt(shape, nest, end, nest.glb);
  const std::int64_t distinctWords = wordsOverKinds(shape, t, visits, none);
  const std::int64_t fillWords = distinctWords * otherTiles(shape, t, visits);
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
  const NestLoops nest = NestLoops::of(m);
  for (Tensor t : kAllTensors) {
    countArrayBoundary(shape, arch, m, nest, t, c);
    if (m.glbKeeps[t]) countGlbBoundary(shape, nest, t, c);
  }
  return c;
}

}  // namespace dfsim
