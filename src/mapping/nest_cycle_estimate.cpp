#include "mapping/nest_cycle_estimate.hpp"

#include <algorithm>
#include <vector>

#include "mapping/ragged_nest.hpp"

namespace dfsim {

namespace {

double timeAt(std::int64_t units, std::int64_t perCycle) {
  return perCycle == kUnlimited ? 0.0 : static_cast<double>(units) / static_cast<double>(perCycle);
}

/// Non-empty array steps: per dimension, the tiles of its temporal loops above the innermost
/// level that hold a point, with every spatial loop at its first (largest) iteration (a step
/// holds a point iff its first instance does: the others' origins are further out).
std::int64_t nonEmptyNestSteps(const ProblemShape& shape, const LoopNest& nest) {
  struct Flat {
    Dim dim;
    std::int64_t bound;
    bool temporal;
  };
  std::vector<Flat> flat;
  for (std::size_t k = 0; k + 1 < nest.levels.size(); ++k) {
    for (const Loop& l : nest.levels[k].temporal) flat.push_back({l.dim, l.bound, true});
    for (const SpatialLoop& l : nest.levels[k].spatial) flat.push_back({l.dim, l.bound, false});
  }
  std::int64_t steps = 1;
  for (std::size_t d = 0; d < shape.numDims(); ++d) {
    const Dim dim = ProblemShape::dimAt(d);
    // The innermost level's extent over d, then each loop's tile from the inside out.
    std::int64_t inner = 1;
    for (const Loop& l : nest.levels.back().temporal) inner *= l.dim == dim ? l.bound : 1;
    std::vector<std::int64_t> tile(flat.size(), 1);
    for (std::size_t i = flat.size(); i-- > 0;) {
      tile[i] = inner;
      if (flat[i].dim == dim) inner *= flat[i].bound;
    }
    ExtentHistogram hist;
    hist.reset(shape.size(dim));
    for (std::size_t i = 0; i < flat.size(); ++i) {
      if (flat[i].dim != dim || flat[i].bound == 1) continue;
      if (flat[i].temporal) {
        hist.split(tile[i]);
      } else {
        hist.firstOnly(tile[i]);
      }
    }
    steps *= hist.total();
  }
  return steps;
}

}  // namespace

NestCycleEstimate estimateNestCycles(const ProblemShape& shape, const Hierarchy& h,
                                     const LoopNest& nest, const AccessCounts& c,
                                     const PerTensor<std::int64_t>& bytesPerWord) {
  NestCycleEstimate e;
  e.steps = nonEmptyNestSteps(shape, nest);
  std::int64_t innermost = 1;
  for (const Loop& l : nest.levels.back().temporal) innermost *= l.bound;
  e.computeCycles = static_cast<double>(e.steps) * static_cast<double>(innermost);
  double latest = e.computeCycles;
  std::int64_t offChipLatency = 0;
  for (std::size_t i = 0; i < h.size(); ++i) {
    const HierarchyEntry& entry = h.entries[i];
    double t = 0.0;
    if (entry.kind == HierarchyEntry::Kind::Storage && entry.storage.offChip) {
      std::int64_t bytes = 0;
      for (Tensor x : kAllTensors) bytes += (c(i, x).reads + c(i, x).writes) * bytesPerWord[x];
      t = timeAt(bytes, entry.storage.bytesPerCycle);
      offChipLatency = entry.storage.latencyCycles;
    } else if (entry.kind == HierarchyEntry::Kind::Storage) {
      std::int64_t reads = 0;
      std::int64_t writes = 0;
      for (Tensor x : kAllTensors) {
        reads += c(i, x).reads;
        writes += c(i, x).writes;
      }
      const std::int64_t n = h.instances(i);
      const StorageLevelSpec& s = entry.storage;
      t = std::max(
          timeAt(reads, s.readWordsPerCycle == kUnlimited ? kUnlimited : s.readWordsPerCycle * n),
          timeAt(writes,
                 s.writeWordsPerCycle == kUnlimited ? kUnlimited : s.writeWordsPerCycle * n));
    } else {
      // The words the storage level above moves, over the networks of all its instances.
      std::int64_t words = 0;
      for (Tensor x : kAllTensors) words += c(i - 1, x).reads + c(i - 1, x).writes;
      const std::int64_t w = entry.fanOut.wordsPerCycle;
      t = timeAt(words, w == kUnlimited ? kUnlimited : w * h.instances(i - 1));
    }
    e.entryCycles[i] = t;
    if (t > latest) {
      latest = t;
      e.limitedBy = i;
    }
  }
  e.cycles = latest + static_cast<double>(offChipLatency);
  return e;
}

}  // namespace dfsim
