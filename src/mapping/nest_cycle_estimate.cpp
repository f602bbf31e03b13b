#include "mapping/nest_cycle_estimate.hpp"

#include <algorithm>
#include <limits>
#include <utility>
#include <vector>

#include "mapping/ragged_nest.hpp"
#include "mapping/tile_math.hpp"

namespace dfsim {

namespace {

double timeAt(std::int64_t units, std::int64_t perCycle) {
  return perCycle == kUnlimited ? 0.0 : static_cast<double>(units) / static_cast<double>(perCycle);
}

/// One loop of the flat nest above the innermost level.
struct Flat {
  Dim dim;
  std::int64_t bound;
  bool temporal;
  std::size_t level;
};

std::vector<Flat> flatLoops(const LoopNest& nest) {
  std::vector<Flat> flat;
  for (std::size_t k = 0; k + 1 < nest.levels.size(); ++k) {
    for (const Loop& l : nest.levels[k].temporal) flat.push_back({l.dim, l.bound, true, k});
    for (const SpatialLoop& l : nest.levels[k].spatial) {
      flat.push_back({l.dim, l.bound, false, k});
    }
  }
  return flat;
}

/// Non-empty iterations of the first `prefix` flat loops (all of them: the non-empty array
/// steps): per dimension, the tiles of its temporal loops there that hold a point, with every
/// spatial loop at its first (largest) iteration (a step holds a point iff its first instance
/// does: the others' origins are further out). The loops after the prefix only size the tiles.
std::int64_t nonEmptyIterations(const ProblemShape& shape, const LoopNest& nest,
                                const std::vector<Flat>& flat, std::size_t prefix) {
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
    for (std::size_t i = 0; i < prefix; ++i) {
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

std::int64_t systolicMeshCycles(const ProblemShape& shape, const Hierarchy& h,
                                const LoopNest& nest) {
  const std::vector<std::size_t> storage = h.storageEntries();
  const std::size_t mesh = storage.back() - 1;
  if (h.isStorage(mesh) || h.entries[mesh].fanOut.network != NetworkKind::Systolic) return 0;
  const FanOutSpec& f = h.entries[mesh].fanOut;
  const LevelLoops& pe = nest.levels.back();
  // The extents of the PEs' tiles: their own temporal loops.
  DimExtents inner;
  inner.fill(1);
  for (const Loop& l : pe.temporal) inner[idx(l.dim)] *= l.bound;
  // Per tensor the PEs keep, the prefix of the flat nest whose moves give its tile a new place
  // or refetch it (a streamed tile): up to its innermost such temporal loop with a bound > 1.
  const std::vector<Flat> flat = flatLoops(nest);
  PerTensor<std::size_t> prefix{};
  for (std::size_t i = 0; i < flat.size(); ++i) {
    if (!flat[i].temporal || flat[i].bound == 1) continue;
    for (Tensor t : kAllTensors) {
      if (!pe.keeps[t]) continue;
      if (isRelevant(shape, t, flat[i].dim) || flat[i].level < pe.streamedOver[t]) {
        prefix[t] = i + 1;
      }
    }
  }
  // A step whose outermost moved loop is j changes the tiles whose prefix passes j: the steps
  // changing t are the non-empty iterations of its prefix. Folds: those changing any tile
  // (the first step at least). Loads: a fold shifts in its largest changing weight or input
  // tile; with the operands in ascending prefix, the folds from the k-th one's prefix out to
  // the next one's change the k-th and the later ones.
  std::size_t all = 0;
  for (Tensor t : kAllTensors) all = std::max(all, pe.keeps[t] ? prefix[t] : 0);
  const std::int64_t folds = nonEmptyIterations(shape, nest, flat, all);
  std::vector<std::pair<std::size_t, std::int64_t>> operands;  // (prefix, words)
  for (Tensor t : {Tensor::Weights, Tensor::Inputs}) {
    if (pe.keeps[t]) operands.emplace_back(prefix[t], tileWords(shape, t, inner));
  }
  std::sort(operands.begin(), operands.end());
  std::int64_t loadWords = 0;  // sum over the folds of the words shifted into one column's PE
  std::int64_t before = 0;     // folds counted so far
  for (std::size_t k = 0; k < operands.size(); ++k) {
    std::int64_t largest = 0;
    for (std::size_t j = k; j < operands.size(); ++j)
      largest = std::max(largest, operands[j].second);
    const std::int64_t upTo = nonEmptyIterations(shape, nest, flat, operands[k].first);
    loadWords += (upTo - before) * largest;
    before = upTo;
  }
  // Saturating: a nest this slow is refused by validation's cycle limit.
  std::int64_t load = 0;
  std::int64_t skew = 0;
  std::int64_t total = 0;
  if (__builtin_mul_overflow(f.rows, loadWords, &load) ||
      __builtin_mul_overflow(folds, f.rows - 1 + f.cols - 1, &skew) ||
      __builtin_add_overflow(load, skew, &total)) {
    return std::numeric_limits<std::int64_t>::max();
  }
  return total;
}

NestCycleEstimate estimateNestCycles(const ProblemShape& shape, const Hierarchy& h,
                                     const LoopNest& nest, const AccessCounts& c,
                                     const PerTensor<std::int64_t>& bytesPerWord) {
  NestCycleEstimate e;
  const std::vector<Flat> flat = flatLoops(nest);
  e.steps = nonEmptyIterations(shape, nest, flat, flat.size());
  std::int64_t innermost = 1;
  for (const Loop& l : nest.levels.back().temporal) innermost *= l.bound;
  e.computeCycles = static_cast<double>(e.steps) * static_cast<double>(innermost);
  e.meshCycles = static_cast<double>(systolicMeshCycles(shape, h, nest));
  double latest = e.computeCycles + e.meshCycles;
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
      // The words the storage level above moves, over the networks of all its instances (a
      // network per tensor: the largest tensor's words over its own).
      const bool perTensor = entry.fanOut.network == NetworkKind::PerTensor;
      std::int64_t words = 0;
      for (Tensor x : kAllTensors) {
        const std::int64_t mine = c(i - 1, x).reads + c(i - 1, x).writes;
        words = perTensor ? std::max(words, mine) : words + mine;
      }
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
