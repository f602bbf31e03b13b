#include "mapping/analytic_model.hpp"

#include "mapping/tile_math.hpp"

namespace dfsim {

namespace {

std::vector<Loop> concat(std::initializer_list<const std::vector<Loop>*> parts) {
  std::vector<Loop> all;
  for (const auto* p : parts) all.insert(all.end(), p->begin(), p->end());
  return all;
}

/// Counts at the boundary between the array (RF, or the one-word operand latch when the RF
/// bypasses `t`) and its parent (GLB, or DRAM when the GLB bypasses `t`).
void countArrayBoundary(const ProblemShape& shape, const ArchSpec& arch, const Mapping& m, Tensor t,
                        AccessCounts& c) {
  const bool inRf = m.rfKeeps[t];
  static const std::vector<Loop> kNone;
  const std::vector<Loop> outer =
      inRf ? concat({&m.dramLoops, &m.glbLoops}) : concat({&m.dramLoops, &m.glbLoops, &m.rfLoops});
  const DimExtents inner = extentsOf(inRf ? m.rfLoops : kNone);
  const std::int64_t perPe = tileWords(shape, t, inner);
  const std::int64_t uni = tileWords(shape, t, withSpatial(m.spatialLoops, inner));
  const std::int64_t pes = m.activePes();
  // A tensor the RF keeps is refetched when a relevant outer loop moves; one it bypasses has no
  // storage in the PE and is delivered for every MAC (the operand latch is a pipeline register,
  // not a place to reuse from).
  std::int64_t fills = 1;
  if (inRf) {
    fills = tileVisits(shape, t, outer);
  } else {
    for (const Loop& l : outer) fills *= l.bound;
  }
  const std::int64_t distinct = distinctTiles(shape, t, outer);
  const std::int64_t macs = shape.macs();
  ReadWrite& parent = c(m.glbKeeps[t] ? Level::Glb : Level::Dram, t);
  ReadWrite& noc = c(Level::Noc, t);
  ReadWrite& rf = c(Level::Rf, t);

  if (t != Tensor::Outputs) {
    parent.reads += fills * (arch.noc.multicast ? uni : pes * perPe);
    noc.reads += fills * pes * perPe;
    if (inRf) {
      rf.writes += fills * pes * perPe;
      rf.reads += macs;
    }
    return;
  }
  // Outputs: a revisited tile first gets its partial sums back (one word per distinct output,
  // to one PE of each reduction group); every visit ends with each PE sending its psums, which
  // the array reduces to one write per distinct output.
  const std::int64_t revisits = fills - distinct;
  parent.reads += revisits * uni;
  parent.writes += fills * uni;
  noc.reads += revisits * uni;
  noc.writes += fills * pes * perPe;
  if (inRf) {
    rf.reads += macs + fills * pes * perPe;
    rf.writes += macs + revisits * uni;
  }
}

/// Counts at the DRAM -> GLB boundary for a tensor the GLB keeps.
void countGlbBoundary(const ProblemShape& shape, const Mapping& m, Tensor t, AccessCounts& c) {
  const DimExtents inner =
      withSpatial(m.spatialLoops, extentsOf(concat({&m.glbLoops, &m.rfLoops})));
  const std::int64_t tile = tileWords(shape, t, inner);
  const std::int64_t fills = tileVisits(shape, t, m.dramLoops);
  const std::int64_t distinct = distinctTiles(shape, t, m.dramLoops);
  ReadWrite& dram = c(Level::Dram, t);
  ReadWrite& glb = c(Level::Glb, t);
  if (t != Tensor::Outputs) {
    dram.reads += fills * tile;
    glb.writes += fills * tile;
    return;
  }
  const std::int64_t revisits = fills - distinct;
  dram.reads += revisits * tile;
  glb.writes += revisits * tile;
  glb.reads += fills * tile;
  dram.writes += fills * tile;
}

}  // namespace

AccessCounts analyticCounts(const ProblemShape& shape, const ArchSpec& arch, const Mapping& m) {
  AccessCounts c;
  c.macs = shape.macs();
  for (Tensor t : kAllTensors) {
    countArrayBoundary(shape, arch, m, t, c);
    if (m.glbKeeps[t]) countGlbBoundary(shape, m, t, c);
  }
  return c;
}

}  // namespace dfsim
