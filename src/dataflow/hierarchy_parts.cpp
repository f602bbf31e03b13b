#include "dataflow/hierarchy_parts.hpp"

#include <algorithm>
#include <cstdint>
#include <utility>
#include <vector>

#include "mapping/tile_math.hpp"

namespace dfsim {

namespace {

/// Capacity of the 4-level stand-in for a level above the fan-outs that has no partitions of
/// its own (the parent of the innermost part is DRAM): large enough for any layer's tensors
/// (<= 2^40 words each), small enough that bits never overflow.
constexpr std::int64_t kUnboundedWords = std::int64_t{1} << 50;

/// `s`'s partitions with capacities in words of the arch's widths: a level whose words of a
/// tensor are wider than the arch's holds fewer of them (the 4-level stand-in prices every
/// level at the arch's widths).
std::vector<StoragePartition> partitionsAtArchWidths(const ArchSpec& arch,
                                                     const StorageLevelSpec& s) {
  std::vector<StoragePartition> out = s.partitions;
  for (StoragePartition& p : out) {
    // The widest ratio of level bits to arch bits over the partition's tensors, as a fraction.
    std::int64_t num = 1, den = 1;
    for (Tensor t : kAllTensors) {
      const std::int64_t levelBits = s.tensorBits[t] > 0 ? s.tensorBits[t] : arch.bitsOf(t);
      if (p.tensors[t] && levelBits * den > arch.bitsOf(t) * num) {
        num = levelBits;
        den = arch.bitsOf(t);
      }
    }
    p.capacityWords = p.capacityWords * den / num;
  }
  return out;
}

/// A loop of the nest and where it is: for walking one dimension's loops in flat order.
struct LoopRef {
  std::int64_t* bound;
  bool fixed;  ///< a loop of the innermost part (its bounds come from the sub-mapping)
};

/// Makes the loops above the innermost part cover each dimension exactly as the ragged rules
/// want, over the FULL sizes: walking a dimension's loops from the innermost outward with T
/// the extent inside, a loop above the innermost part gets min(bound, ceil(N / T)), the
/// outermost ceil(N / T) (so (bound - 1) * T < N everywhere and the outermost covers N); a
/// dimension nothing above covers gets a DRAM loop. Loops left at 1 are dropped.
void fitOuterBounds(LoopNest& n, std::size_t firstInnerLevel, const ProblemShape& shape) {
  for (std::size_t i = 0; i < shape.numDims(); ++i) {
    const Dim d = ProblemShape::dimAt(i);
    const std::int64_t full = shape.size(d);
    std::vector<LoopRef> loops;  // innermost first
    for (std::size_t k = n.levels.size(); k-- > 0;) {
      LevelLoops& l = n.levels[k];
      const bool fixed = k >= firstInnerLevel;
      for (auto it = l.spatial.rbegin(); it != l.spatial.rend(); ++it) {
        if (it->dim == d) loops.push_back({&it->bound, fixed});
      }
      for (auto it = l.temporal.rbegin(); it != l.temporal.rend(); ++it) {
        if (it->dim == d) loops.push_back({&it->bound, fixed});
      }
    }
    std::int64_t inside = 1;
    for (std::size_t j = 0; j < loops.size(); ++j) {
      LoopRef& r = loops[j];
      if (!r.fixed) {
        const std::int64_t need = ceilDiv(full, inside);
        *r.bound = j + 1 == loops.size() ? need : std::min(*r.bound, need);
      }
      inside *= *r.bound;
    }
    if (inside < full) n.levels[0].temporal.push_back({d, ceilDiv(full, inside)});
  }
  for (std::size_t k = 0; k < firstInnerLevel; ++k) {
    auto& t = n.levels[k].temporal;
    t.erase(std::remove_if(t.begin(), t.end(), [](const Loop& l) { return l.bound == 1; }),
            t.end());
    auto& s = n.levels[k].spatial;
    s.erase(std::remove_if(s.begin(), s.end(), [](const SpatialLoop& l) { return l.bound == 1; }),
            s.end());
  }
}

}  // namespace

DimExtents splitOf(const OuterChoice& choice) {
  DimExtents split;
  split.fill(1);
  for (const auto& loops : choice) {
    for (const SpatialLoop& l : loops) split[idx(l.dim)] *= l.bound;
  }
  return split;
}

HierarchyParts partsOf(const Hierarchy& h) {
  HierarchyParts p;
  p.storage = h.storageEntries();
  p.inner = p.storage.size() - 1;
  p.parent = p.inner - 1;
  p.innerFanOut = h.fanOutBelow(p.storage[p.parent]);
  for (std::size_t k = 0; k < p.parent; ++k) {
    const std::size_t f = h.fanOutBelow(p.storage[k]);
    if (f < h.size()) p.outerFanOuts.emplace_back(k, f);
  }
  return p;
}

ArchSpec innerArch(const ArchSpec& arch, const Hierarchy& h, const HierarchyParts& p) {
  ArchSpec a;
  a.name = arch.name + ".inner";
  a.wordBits = arch.wordBits;
  a.tensorBits = arch.tensorBits;
  a.clockMhz = arch.clockMhz;
  const StorageLevelSpec& parent = h.entries[p.storage[p.parent]].storage;
  if (parent.offChip) {
    StoragePartition all;
    all.tensors = {{true, true, true}};
    all.capacityWords = kUnboundedWords;
    a.glb.partitions = {all};
    a.glb.doubleBuffered = false;
  } else {
    a.glb.partitions = partitionsAtArchWidths(arch, parent);
    a.glb.readWordsPerCycle = parent.readWordsPerCycle;
    a.glb.writeWordsPerCycle = parent.writeWordsPerCycle;
    a.glb.latencyCycles = parent.latencyCycles;
    a.glb.doubleBuffered = parent.doubleBuffered;
    a.glb.haloReuse = parent.haloReuse;
  }
  if (p.innerFanOut < h.size()) {
    const FanOutSpec& f = h.entries[p.innerFanOut].fanOut;
    a.rows = f.rows;
    a.cols = f.cols;
    a.noc.wordsPerCycle = f.wordsPerCycle;
    a.noc.multicast = f.multicast;
    a.noc.hopLatencyCycles = f.hopLatencyCycles;
    a.noc.network = f.network;
  }
  a.rf.partitions = partitionsAtArchWidths(arch, h.entries[p.storage[p.inner]].storage);
  a.rf.haloReuse = h.entries[p.storage[p.inner]].storage.haloReuse;
  return a;
}

Layer subLayer(const Layer& layer, const ProblemShape& shape, const DimExtents& split) {
  const DimExtents full = dimSizes(shape);
  DimExtents sub = full;
  for (std::size_t i = 0; i < shape.numDims(); ++i) sub[i] = ceilDiv(full[i], split[i]);
  auto size = [&](const char* name) { return sub[idx(shape.dimByName(name))]; };
  Layer s = layer;
  s.N = size("N");
  s.groups = size("G");
  s.M = size("M") * s.groups;
  s.C = layer.cPerGroup() * s.groups;
  s.P = size("P");
  s.Q = size("Q");
  s.rows.padBefore = s.rows.padAfter = s.cols.padBefore = s.cols.padAfter = 0;
  // The input coordinates fed by P and by Q: their extent over the sub-layer's iteration
  // space, never beyond the padded input.
  std::int64_t rows = layer.paddedH(), cols = layer.paddedW();
  const Dim P = shape.dimByName("P"), Q = shape.dimByName("Q");
  for (std::size_t a = 0; a < shape.numAxes(Tensor::Inputs); ++a) {
    const std::int64_t words =
        std::min(axisWords(shape, Tensor::Inputs, a, sub), shape.extent(Tensor::Inputs, a));
    if (shape.coef(Tensor::Inputs, a, P) != 0 && sub[idx(P)] < full[idx(P)]) rows = words;
    if (shape.coef(Tensor::Inputs, a, Q) != 0 && sub[idx(Q)] < full[idx(Q)]) cols = words;
  }
  s.H = rows;
  s.W = cols;
  return s;
}

LoopNest composeNest(const Mapping& m, const OuterChoice& outer, const Hierarchy& h,
                     const HierarchyParts& p, const ProblemShape& shape, std::size_t dramLevel,
                     std::size_t atDram) {
  LoopNest n;
  n.levels.resize(p.storage.size());
  for (std::size_t k = 1; k < p.parent; ++k) {
    PerTensor<bool> keeps{};
    for (const StoragePartition& part : h.entries[p.storage[k]].storage.partitions) {
      for (Tensor t : kAllTensors) keeps[t] = keeps[t] || part.tensors[t];
    }
    n.levels[k].keeps = keeps;
  }
  for (std::size_t i = 0; i < p.outerFanOuts.size(); ++i) {
    n.levels[p.outerFanOuts[i].first].spatial = outer[i];
  }
  for (std::size_t i = 0; i < m.dramLoops.size(); ++i) {
    n.levels[i < atDram ? 0 : dramLevel].temporal.push_back(m.dramLoops[i]);
  }
  LevelLoops& parent = n.levels[p.parent];
  parent.temporal.insert(parent.temporal.end(), m.glbLoops.begin(), m.glbLoops.end());
  parent.spatial = m.spatialLoops;
  if (p.parent > 0) parent.keeps = m.glbKeeps;
  n.levels[p.inner].temporal = m.rfLoops;
  n.levels[p.inner].keeps = m.rfKeeps;
  fitOuterBounds(n, p.parent, shape);
  return n;
}

std::int64_t activeInstances(const LoopNest& n) {
  std::int64_t pes = 1;
  for (const LevelLoops& l : n.levels) {
    for (const SpatialLoop& s : l.spatial) pes *= s.bound;
  }
  return pes;
}

bool innerExtentDivides(const LoopNest& n, const ProblemShape& shape) {
  const DimExtents e = extentsOf(n.levels.back().temporal);
  for (std::size_t i = 0; i < shape.numDims(); ++i) {
    if (shape.size(ProblemShape::dimAt(i)) % e[i] != 0) return false;
  }
  return true;
}

std::vector<OuterChoice> outerChoices(const Hierarchy& h, const HierarchyParts& p,
                                      const std::vector<Dim>& dims, const DimExtents& full,
                                      Tiling tiling) {
  struct Slot {
    std::size_t fanOut;  ///< index in p.outerFanOuts
    Axis axis;
    std::int64_t size;
  };
  std::vector<Slot> slots;
  for (std::size_t i = 0; i < p.outerFanOuts.size(); ++i) {
    const FanOutSpec& f = h.entries[p.outerFanOuts[i].second].fanOut;
    slots.push_back({i, Axis::Rows, f.rows});
    slots.push_back({i, Axis::Cols, f.cols});
  }
  std::vector<OuterChoice> out;
  OuterChoice choice(p.outerFanOuts.size());
  DimExtents left = full;
  auto walk = [&](auto&& self, std::size_t slot, std::size_t di, std::int64_t used) -> void {
    if (slot == slots.size()) {
      out.push_back(choice);
      return;
    }
    if (di == dims.size()) {
      self(self, slot + 1, 0, 1);
      return;
    }
    const Slot& s = slots[slot];
    const std::size_t d = idx(dims[di]);
    const std::int64_t n = left[d];
    const std::vector<std::int64_t> fs = splitFactors(n, s.size / used, tiling);
    for (auto it = fs.rbegin(); it != fs.rend(); ++it) {
      if (*it > 1) {
        choice[s.fanOut].push_back({dims[di], *it, s.axis});
        left[d] = ceilDiv(n, *it);
      }
      self(self, slot, di + 1, used * *it);
      if (*it > 1) {
        choice[s.fanOut].pop_back();
        left[d] = n;
      }
    }
  };
  walk(walk, 0, 0, 1);
  return out;
}

}  // namespace dfsim
