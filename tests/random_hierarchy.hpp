// Random hierarchies (2 to 4 storage levels, 0 to 2 fan-outs, random partitions, keeps and
// multicast) and random ragged nests over them, and small prime-ish conv layers: the generators
// the generic model's and the generic simulator's tests share (tests only).
#pragma once

#include <algorithm>
#include <array>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "arch/hierarchy.hpp"
#include "mapping/loop_nest.hpp"
#include "test_support.hpp"
#include "workload/layer.hpp"
#include "workload/problem_shape.hpp"

namespace dfsim::test {

inline std::int64_t pick(std::mt19937_64& rng, std::int64_t lo, std::int64_t hi) {
  return std::uniform_int_distribution<std::int64_t>(lo, std::max(lo, hi))(rng);
}

/// Random ports on every entry of `h` (times change, counts never): networks 0-3 words per
/// cycle (0: unlimited) and 0-2 cycles a hop; DRAM 0-8 bytes per cycle and 0-20 cycles; on-chip
/// levels 0-4 words per cycle each way and 0-3 cycles of read latency.
inline void randomPorts(Hierarchy& h, std::mt19937_64& rng) {
  for (HierarchyEntry& e : h.entries) {
    if (e.kind == HierarchyEntry::Kind::FanOut) {
      e.fanOut.wordsPerCycle = pick(rng, 0, 3);
      e.fanOut.hopLatencyCycles = pick(rng, 0, 2);
    } else if (e.storage.offChip) {
      e.storage.bytesPerCycle = pick(rng, 0, 8);
      e.storage.latencyCycles = pick(rng, 0, 20);
    } else {
      e.storage.readWordsPerCycle = pick(rng, 0, 4);
      e.storage.writeWordsPerCycle = pick(rng, 0, 4);
      e.storage.latencyCycles = pick(rng, 0, 3);
    }
  }
}

/// 2 to 4 storage levels, 0 to 2 fan-outs (rows, cols 1-3, multicast on or off) between them,
/// on-chip levels with 1 or 2 partitions holding random tensors, room for anything.
inline Hierarchy randomHierarchy(std::mt19937_64& rng) {
  const std::int64_t levels = pick(rng, 2, 4);
  // Two fan-outs half the time they fit (the cases with parents below a fan-out).
  const std::int64_t fanOuts =
      levels == 2 ? pick(rng, 0, 1) : (pick(rng, 0, 1) == 0 ? 2 : pick(rng, 0, 1));
  std::vector<bool> gap(static_cast<std::size_t>(levels - 1), false);
  for (std::int64_t f = 0; f < fanOuts; ++f) gap[static_cast<std::size_t>(f)] = true;
  std::shuffle(gap.begin(), gap.end(), rng);
  Hierarchy h;
  for (std::int64_t k = 0; k < levels; ++k) {
    HierarchyEntry s;
    s.storage.name = "l" + std::to_string(k);
    s.storage.offChip = k == 0;
    if (k > 0) {
      // Each tensor in one of two partitions, or (one in five) in none.
      std::array<StoragePartition, 2> parts;
      for (StoragePartition& p : parts) p.capacityWords = std::int64_t{1} << 30;
      for (Tensor t : kAllTensors) {
        const std::int64_t where = pick(rng, 0, 4);
        if (where < 4) parts[static_cast<std::size_t>(where % 2)].tensors[t] = true;
      }
      for (const StoragePartition& p : parts) {
        if (p.tensors[Tensor::Weights] || p.tensors[Tensor::Inputs] || p.tensors[Tensor::Outputs]) {
          s.storage.partitions.push_back(p);
        }
      }
      s.storage.doubleBuffered = pick(rng, 0, 1) == 0;
    }
    h.entries.push_back(s);
    if (k + 1 < levels && gap[static_cast<std::size_t>(k)]) {
      HierarchyEntry f;
      f.kind = HierarchyEntry::Kind::FanOut;
      f.fanOut.name = "f" + std::to_string(k);
      f.fanOut.rows = pick(rng, 1, 3);
      f.fanOut.cols = pick(rng, 1, 3);
      f.fanOut.multicast = pick(rng, 0, 1) == 0;
      h.entries.push_back(f);
    }
  }
  return h;
}

/// A random ragged nest of `s` on `h`: per dimension an innermost factor dividing it, then,
/// outwards, per level a spatial factor (where a fan-out is below, within its rows or cols) and
/// one or two temporal factors, each any value whose last iteration starts inside the layer; the
/// outermost level covers what is left. Loops shuffled within each level; random keeps. With
/// `perfect`, every factor divides what is left (a perfectly factorised nest).
inline LoopNest randomNest(const ProblemShape& s, const Hierarchy& h, std::mt19937_64& rng,
                           bool perfect = false) {
  // A factor in [1, cap] (perfect: dividing `left`).
  auto factor = [&](std::int64_t left, std::int64_t cap) {
    if (!perfect) return pick(rng, 1, std::min(cap, left));
    std::vector<std::int64_t> fs;
    for (std::int64_t f = 1; f <= std::min(cap, left); ++f) {
      if (left % f == 0) fs.push_back(f);
    }
    return fs[static_cast<std::size_t>(pick(rng, 0, static_cast<std::int64_t>(fs.size()) - 1))];
  };
  std::vector<std::size_t> storage;
  for (std::size_t e = 0; e < h.entries.size(); ++e) {
    if (h.entries[e].kind == HierarchyEntry::Kind::Storage) storage.push_back(e);
  }
  const std::size_t levels = storage.size();
  LoopNest n;
  n.levels.resize(levels);
  std::vector<std::int64_t> rowsLeft(levels, 1);
  std::vector<std::int64_t> colsLeft(levels, 1);
  for (std::size_t k = 0; k < levels; ++k) {
    const std::size_t below = storage[k] + 1;
    if (below < h.entries.size() && h.entries[below].kind == HierarchyEntry::Kind::FanOut) {
      rowsLeft[k] = h.entries[below].fanOut.rows;
      colsLeft[k] = h.entries[below].fanOut.cols;
    }
  }
  for (std::size_t i = 0; i < s.numDims(); ++i) {
    const Dim d = ProblemShape::dimAt(i);
    const std::int64_t size = s.size(d);
    std::vector<std::int64_t> divs;
    for (std::int64_t f = 1; f <= size; ++f) {
      if (size % f == 0) divs.push_back(f);
    }
    const std::int64_t r = pick(rng, 0, 2) == 0
                               ? divs[static_cast<std::size_t>(
                                     pick(rng, 0, static_cast<std::int64_t>(divs.size()) - 1))]
                               : 1;
    if (r > 1) n.levels[levels - 1].temporal.push_back({d, r});
    std::int64_t left = size / r;  // tiles still to cover
    for (std::size_t k = levels - 1; k-- > 0;) {
      if (rowsLeft[k] * colsLeft[k] > 1) {
        const bool onRows = pick(rng, 0, 1) == 0;
        std::int64_t& budget = onRows ? rowsLeft[k] : colsLeft[k];
        const std::int64_t f = factor(left, budget);
        if (f > 1) {
          n.levels[k].spatial.push_back({d, f, onRows ? Axis::Rows : Axis::Cols});
          budget /= f;
          left = (left + f - 1) / f;
        }
      }
      // Sometimes two temporal loops over d at one level (their order shuffled below).
      const int loopsHere = k > 0 && pick(rng, 0, 3) == 0 ? 2 : 1;
      for (int j = 0; j < loopsHere; ++j) {
        const std::int64_t g = k == 0 ? left : factor(left, left);
        if (g > 1) n.levels[k].temporal.push_back({d, g});
        left = (left + g - 1) / g;
      }
    }
  }
  for (std::size_t k = 0; k < levels; ++k) {
    std::shuffle(n.levels[k].temporal.begin(), n.levels[k].temporal.end(), rng);
    std::shuffle(n.levels[k].spatial.begin(), n.levels[k].spatial.end(), rng);
    if (k == 0) continue;
    for (Tensor t : kAllTensors) {
      bool listed = false;
      for (const StoragePartition& p : h.entries[storage[k]].storage.partitions) {
        listed = listed || p.tensors[t];
      }
      n.levels[k].keeps[t] = listed && pick(rng, 0, 4) != 0;
    }
  }
  return n;
}

/// Marks, on each fan-out of `h` with probability 3/4 (drawn from `rng`), every dimension of
/// `s` the outputs do not depend on whose loops in `n` multiply to its size as unreduced
/// (FanOutSpec::unreducedDims; the rule validateLoopNest checks). Returns whether some fan-out
/// then splits psums: the level directly above it has a spatial loop of a bound above 1 over a
/// marked dimension.
inline bool markUnreducedDims(const ProblemShape& s, Hierarchy& h, const LoopNest& n,
                              std::mt19937_64& rng) {
  std::vector<std::string> exactReduced;
  for (std::size_t i = 0; i < s.numDims(); ++i) {
    const Dim d = ProblemShape::dimAt(i);
    if ((s.projectedDims(Tensor::Outputs) >> i & 1U) != 0) continue;
    std::int64_t prod = 1;
    for (const LevelLoops& l : n.levels) {
      for (const Loop& x : l.temporal) prod *= x.dim == d ? x.bound : 1;
      for (const SpatialLoop& x : l.spatial) prod *= x.dim == d ? x.bound : 1;
    }
    if (prod == s.size(d)) exactReduced.emplace_back(s.name(d));
  }
  bool splits = false;
  std::size_t k = 0;  // storage levels before entry e
  for (std::size_t e = 0; e < h.entries.size(); ++e) {
    if (h.entries[e].kind == HierarchyEntry::Kind::Storage) {
      ++k;
      continue;
    }
    if (pick(rng, 0, 3) == 0) continue;
    h.entries[e].fanOut.unreducedDims = exactReduced;
    for (const SpatialLoop& x : n.levels[k - 1].spatial) {
      const std::string name(s.name(x.dim));
      if (x.bound > 1 && !h.entries[e].fanOut.reduces(name)) splits = true;
    }
  }
  return splits;
}

/// Streams (LevelLoops::streamedOver), with probability 1/3 each, the weights and inputs every
/// level below the outermost keeps, over 1 to all of the levels above it
/// (drawn from `rng`). Returns whether some streamed tile is then refetched where it would
/// not be: a temporal loop of the streaming levels of a bound above 1 over a dimension the
/// tensor does not depend on.
inline bool markStreamed(const ProblemShape& s, const Hierarchy& h, LoopNest& n,
                         std::mt19937_64& rng) {
  bool refetches = false;
  std::size_t k = 0;
  for (const HierarchyEntry& e : h.entries) {
    if (e.kind != HierarchyEntry::Kind::Storage) continue;
    LevelLoops& l = n.levels[k];
    for (Tensor t : {Tensor::Weights, Tensor::Inputs}) {
      if (k == 0 || !l.keeps[t] || pick(rng, 0, 2) != 0) continue;
      l.streamedOver[t] = static_cast<std::uint8_t>(pick(rng, 1, static_cast<std::int64_t>(k)));
      for (std::size_t j = 0; j < l.streamedOver[t]; ++j) {
        for (const Loop& x : n.levels[j].temporal) {
          const bool relevant = (s.projectedDims(t) >> idx(x.dim) & 1U) != 0;
          refetches = refetches || (x.bound > 1 && !relevant);
        }
      }
    }
    ++k;
  }
  return refetches;
}

inline std::string describe(const Hierarchy& h, const LoopNest& n, const ProblemShape& s) {
  std::ostringstream os;
  std::size_t k = 0;
  for (const HierarchyEntry& e : h.entries) {
    if (e.kind == HierarchyEntry::Kind::FanOut) {
      os << "  fan-out " << e.fanOut.name << " " << e.fanOut.rows << "x" << e.fanOut.cols
         << (e.fanOut.multicast ? " multicast" : " unicast");
      for (const std::string& d : e.fanOut.unreducedDims) os << " unreduced " << d;
      os << "\n";
      continue;
    }
    const LevelLoops& l = n.levels[k++];
    os << "  " << e.storage.name << " keeps";
    for (Tensor t : kAllTensors) os << " " << tensorName(t) << "=" << l.keeps[t];
    for (Tensor t : kAllTensors) {
      if (l.streamedOver[t] != 0)
        os << " streamed " << tensorName(t) << "/" << int{l.streamedOver[t]};
    }
    os << " temporal";
    for (const Loop& x : l.temporal) os << " " << s.name(x.dim) << x.bound;
    os << " spatial";
    for (const SpatialLoop& x : l.spatial) {
      os << " " << s.name(x.dim) << x.bound << (x.axis == Axis::Rows ? "r" : "c");
    }
    os << "\n";
  }
  return os.str();
}

inline Layer smallPrimeLayer(int trial, std::mt19937_64& rng) {
  const std::vector<std::int64_t> primes = {1, 2, 3, 5, 7};
  auto p = [&](std::int64_t cap) {
    return std::min(cap, primes[static_cast<std::size_t>(pick(rng, 0, 4))]);
  };
  const std::int64_t rs = p(3);
  const std::int64_t stride = trial % 3 == 0 ? 2 : 1;
  const std::int64_t out = p(5);
  return conv("h" + std::to_string(trial), trial % 5 == 0 ? 2 : 1, p(5), p(5),
              (out - 1) * stride + rs, rs, stride);
}

}  // namespace dfsim::test
