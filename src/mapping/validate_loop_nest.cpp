#include "mapping/validate_loop_nest.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "common/checked_math.hpp"
#include "common/cycle.hpp"
#include "mapping/hierarchy_model.hpp"
#include "mapping/nest_cycle_estimate.hpp"
#include "mapping/tile_math.hpp"
#include "mapping/validation_rules.hpp"

namespace dfsim {

namespace {

std::string levelPath(std::size_t k) {
  return "levels[" + std::to_string(k) + "]";
}

/// Bits of a word of `t` at storage level `s`.
std::int64_t bitsAt(const ArchSpec& arch, const StorageLevelSpec& s, Tensor t) {
  return s.tensorBits[t] > 0 ? s.tensorBits[t] : arch.bitsOf(t);
}

/// The nest's loops in flat order, named by their paths.
std::vector<RuleLoop> ruleLoops(const Hierarchy& h, const std::vector<std::size_t>& storage,
                                const LoopNest& n) {
  std::vector<RuleLoop> loops;
  for (std::size_t k = 0; k < n.levels.size(); ++k) {
    const std::string& name = h.entries[storage[k]].storage.name;
    for (std::size_t i = 0; i < n.levels[k].temporal.size(); ++i) {
      loops.push_back({n.levels[k].temporal[i].dim, n.levels[k].temporal[i].bound,
                       name + " temporal", levelPath(k) + ".temporal[" + std::to_string(i) + "]"});
    }
    for (std::size_t i = 0; i < n.levels[k].spatial.size(); ++i) {
      loops.push_back({n.levels[k].spatial[i].dim, n.levels[k].spatial[i].bound, name + " spatial",
                       levelPath(k) + ".spatial[" + std::to_string(i) + "]"});
    }
  }
  return loops;
}

/// THE ONE-FAN-OUT RULE for `t`: between the storage entries `upper` and `lower` (two
/// consecutive levels keeping `t`, or the innermost keeping it and the innermost level's latch)
/// `t` crosses at most one fan-out, and only the one directly above `lower`.
void checkOneFanOut(const Hierarchy& h, Tensor t, std::size_t upper, std::size_t lower, bool latch,
                    const std::string& context) {
  std::vector<std::size_t> crossed;
  for (std::size_t e = upper + 1; e < lower; ++e) {
    if (h.entries[e].kind == HierarchyEntry::Kind::FanOut) crossed.push_back(e);
  }
  if (crossed.empty() || (crossed.size() == 1 && crossed[0] + 1 == lower)) return;
  std::string names;
  for (std::size_t e : crossed) names += (names.empty() ? "" : ", ") + h.entries[e].name();
  const std::string& up = h.entries[upper].name();
  const std::string& low = h.entries[lower].name();
  const std::string to = latch ? low + "'s operand latch" : low;
  failValidation(context, std::string(tensorName(t)) + " cross the fan-out" +
                              (crossed.size() > 1 ? "s " : " ") + names + " between " + up +
                              " and " + to +
                              "; expected at most one fan-out between two levels keeping a "
                              "tensor, directly above the lower one (keep " +
                              std::string(tensorName(t)) + " in a level between them)");
}

}  // namespace

/// An upper bound on the cycles of a run, or nullopt past 2^63: today's bound
/// (cycleUpperBound in validate_mapping.cpp) over every entry, macs + (1 + fan-outs) * W *
/// (bytes per DRAM word + 2 + every latency), W the words read and written at every storage
/// level but the innermost. On the 4-level instance it is exactly today's.
/// Cycles a DRAM model with rows can add to one word beyond the level's latency and bus: a
/// precharge, an activate, a column access and a refresh window, and a whole burst of bus time
/// at one byte per cycle (0 for the bandwidth model). The reader keeps each timing within 1 ms
/// and bursts within 4 KiB, so this is below 2^44 at any clock it accepts.
std::int64_t dramModelWordBound(const DramTimingSpec& d, double clockMhz) {
  if (d.kind == DramTimingSpec::Kind::Bandwidth) return 0;
  const double ns = d.tRpNs + d.tRcdNs + d.tCasNs + d.tRfcNs;
  return static_cast<std::int64_t>(std::ceil(ns * clockMhz / 1000.0)) + d.burstBytes;
}

std::optional<std::int64_t> cycleBound(const ProblemShape& shape, const ArchSpec& arch,
                                       const Hierarchy& h, const LoopNest& n,
                                       std::size_t innermost) {
  const AccessCounts c = analyticCounts(shape, h, n);
  std::optional<std::int64_t> words = 0;
  std::int64_t fanOuts = 0;
  std::int64_t perWord = 2;
  std::int64_t bytesPerWord = 1;
  for (std::size_t e = 0; e < h.entries.size(); ++e) {
    const HierarchyEntry& entry = h.entries[e];
    if (entry.kind == HierarchyEntry::Kind::FanOut) {
      ++fanOuts;
      perWord += entry.fanOut.hopLatencyCycles;
      continue;
    }
    perWord += entry.storage.latencyCycles;
    if (e == 0) perWord += dramModelWordBound(entry.storage.dramTiming, arch.clockMhz);
    if (e == 0) {
      for (Tensor t : kAllTensors) {
        bytesPerWord = std::max(bytesPerWord, (bitsAt(arch, entry.storage, t) + 7) / 8);
      }
    }
    if (e == innermost) continue;
    for (Tensor t : kAllTensors) words = addOpt(addOpt(words, c(e, t).reads), c(e, t).writes);
  }
  // Latencies and word sizes are at most 2^40 and 64 bits (the arch reader's limits), at most
  // kMaxLevelEntries of them.
  // A systolic mesh's time is in closed form (saturated: past the limit either way).
  const std::int64_t mesh = systolicMeshCycles(shape, h, n);
  const std::optional<std::int64_t> meshTime = mesh == std::numeric_limits<std::int64_t>::max()
                                                   ? std::nullopt
                                                   : std::optional<std::int64_t>(mesh);
  return addOpt(addOpt(shape.macs(), mulOpt(mulOpt(1 + fanOuts, words), perWord + bytesPerWord)),
                meshTime);
}

void validateLoopNest(const ProblemShape& shape, const ArchSpec& arch, const Hierarchy& h,
                      const LoopNest& n, const std::string& context) {
  std::vector<std::size_t> storage;  // entry index of each storage level
  std::string names;
  for (std::size_t e = 0; e < h.entries.size(); ++e) {
    if (h.entries[e].kind != HierarchyEntry::Kind::Storage) continue;
    storage.push_back(e);
    names += (names.empty() ? "" : ", ") + h.entries[e].name();
  }
  // 1. The structure: one LevelLoops per storage level, DRAM keeps all, spatial loops over a
  //    fan-out directly below.
  if (n.levels.size() != storage.size()) {
    failValidation(context, "levels: " + std::to_string(n.levels.size()) +
                                " levels of loops, expected " + std::to_string(storage.size()) +
                                " (one per storage level: " + names + ")");
  }
  for (Tensor t : kAllTensors) {
    if (!n.levels[0].keeps[t]) {
      failValidation(context, levelPath(0) + ".keeps: " + h.entries[0].name() + " does not keep " +
                                  std::string(tensorName(t)) +
                                  "; expected the outermost level to keep every tensor");
    }
  }
  for (std::size_t k = 0; k < n.levels.size(); ++k) {
    const std::size_t e = storage[k];
    const bool fanOutBelow =
        e + 1 < h.entries.size() && h.entries[e + 1].kind == HierarchyEntry::Kind::FanOut;
    if (!fanOutBelow && !n.levels[k].spatial.empty()) {
      failValidation(context, levelPath(k) + ".spatial: " + h.entries[e].name() +
                                  " has no fan-out directly below it; expected no spatial loops");
    }
  }
  // 2. Bounds and the ragged-tile rules over the flat nest.
  const std::vector<RuleLoop> loops = ruleLoops(h, storage, n);
  DimExtents product;
  product.fill(1);
  multiplyBounds(shape, loops, product, context);
  const std::size_t innermost = storage.back();
  checkLoopRules(shape, loops, product, extentsOf(n.levels.back().temporal),
                 h.entries[innermost].name(),
                 "a ragged last tile may fall at a fan-out or above, not inside a tile of the "
                 "innermost level, " +
                     h.entries[innermost].name(),
                 context);
  // 3. Spatial extents within their fan-out.
  for (std::size_t k = 0; k < n.levels.size(); ++k) {
    if (n.levels[k].spatial.empty()) continue;
    const FanOutSpec& f = h.entries[storage[k] + 1].fanOut;
    for (Axis axis : {Axis::Rows, Axis::Cols}) {
      std::int64_t used = 1;
      for (const SpatialLoop& l : n.levels[k].spatial) used *= l.axis == axis ? l.bound : 1;
      const std::int64_t has = axis == Axis::Rows ? f.rows : f.cols;
      if (used > has) {
        failValidation(context, levelPath(k) + ".spatial: spatial loops use " +
                                    std::to_string(used) + " " + axisName(axis) + ", the fan-out " +
                                    f.name + " has " + std::to_string(has));
      }
    }
  }
  // 3b. A fan-out's unreduced dimensions: not a dimension of the outputs (their psums differ
  //     by it), and never a ragged tile along it (every visit of an output then receives the
  //     same number of psums, one per index of the fan-out's loops over it).
  for (std::size_t e = 0; e < h.entries.size(); ++e) {
    if (h.entries[e].kind != HierarchyEntry::Kind::FanOut) continue;
    const FanOutSpec& f = h.entries[e].fanOut;
    for (const std::string& name : f.unreducedDims) {
      Dim d{};
      if (!shape.findDim(name, d)) continue;
      if ((shape.projectedDims(Tensor::Outputs) >> idx(d) & 1U) != 0) {
        failValidation(context, "the fan-out " + f.name + " does not reduce along " + name +
                                    ", a dimension of the outputs; expected unreduced_dims to "
                                    "name dimensions the outputs do not depend on");
      }
      if (product[idx(d)] != shape.size(d)) {
        failValidation(context, "the loops over " + name + " multiply to " +
                                    std::to_string(product[idx(d)]) + ", not its size " +
                                    std::to_string(shape.size(d)) + "; the fan-out " + f.name +
                                    " does not reduce along " + name +
                                    ", which needs whole tiles along it");
      }
    }
  }
  // 4. Keeps: a partition for each kept tensor; the one-fan-out rule per tensor.
  for (std::size_t k = 1; k < n.levels.size(); ++k) {
    const StorageLevelSpec& s = h.entries[storage[k]].storage;
    for (Tensor t : kAllTensors) {
      if (!n.levels[k].keeps[t]) continue;
      // The first partition listing t holds it (ArchSpec::holds): one of capacity 0 is none.
      const auto p = std::find_if(s.partitions.begin(), s.partitions.end(),
                                  [&](const StoragePartition& q) { return q.tensors[t]; });
      if (p == s.partitions.end() || p->capacityWords <= 0) {
        failValidation(context, levelPath(k) + ".keeps: keeps " + std::string(tensorName(t)) +
                                    " in " + s.name + ", but " + s.name +
                                    " has no partition for them");
      }
    }
  }
  // Streamed tiles (README "Streamed tiles"): of weights or inputs the level keeps, over
  // levels above it.
  for (std::size_t k = 0; k < n.levels.size(); ++k) {
    const StorageLevelSpec& s = h.entries[storage[k]].storage;
    for (Tensor t : kAllTensors) {
      const std::size_t over = n.levels[k].streamedOver[t];
      if (over == 0) continue;
      const std::string at = levelPath(k) + ".streamed_over." + std::string(tensorName(t)) + ": ";
      if (over > k) {
        failValidation(context, at + "streamed over " + std::to_string(over) + " levels, " +
                                    s.name + " has " + std::to_string(k) + " above it");
      }
      if (t == Tensor::Outputs) failValidation(context, at + "psums are not streamed");
      if (!n.levels[k].keeps[t]) {
        failValidation(context, at + s.name + " does not keep " + std::string(tensorName(t)));
      }
    }
  }
  for (Tensor t : kAllTensors) {
    std::size_t upper = storage[0];
    for (std::size_t k = 1; k < n.levels.size(); ++k) {
      if (!n.levels[k].keeps[t]) continue;
      checkOneFanOut(h, t, upper, storage[k], false, context);
      upper = storage[k];
    }
    if (upper != innermost) checkOneFanOut(h, t, upper, innermost, true, context);
  }
  // 5. Capacities: per on-chip level, the largest tile kept (the loops from its own on, clipped
  //    to the layer) in bits, twice over where it is double buffered.
  std::size_t start = 0;
  for (std::size_t k = 0; k < n.levels.size(); ++k) {
    const StorageLevelSpec& s = h.entries[storage[k]].storage;
    DimExtents extent;
    extent.fill(1);
    std::size_t pos = 0;
    for (const RuleLoop& l : loops) {
      if (pos++ >= start) extent[idx(l.dim)] *= l.bound;
    }
    start += n.levels[k].temporal.size() + n.levels[k].spatial.size();
    if (k == 0) continue;
    PerTensor<std::int64_t> bits{};
    for (Tensor t : kAllTensors) bits[t] = bitsAt(arch, s, t);
    checkCapacity(shape, s.partitions, n.levels[k].keeps, extent, s.doubleBuffered ? 2 : 1, bits,
                  arch.wordBits, s.name, context);
  }
  // 6. The cycle bound.
  const std::optional<std::int64_t> bound = cycleBound(shape, arch, h, n, innermost);
  if (!bound || *bound > static_cast<std::int64_t>(kMaxCycles)) {
    std::string latencies;
    for (const HierarchyEntry& entry : h.entries) {
      const bool fanOut = entry.kind == HierarchyEntry::Kind::FanOut;
      latencies +=
          std::string(latencies.empty() ? "" : ", ") + entry.name() +
          (fanOut ? ".hop_latency_cycles=" : ".latency_cycles=") +
          std::to_string(fanOut ? entry.fanOut.hopLatencyCycles : entry.storage.latencyCycles);
    }
    failValidation(context, "with " + latencies +
                                " the simulation could pass the limit of 2^62 cycles; expected "
                                "smaller latencies");
  }
  validateDramModel(h, n, context);
}

void validateDramModel(const Hierarchy& h, const LoopNest& n, const std::string& context) {
  const StorageLevelSpec& dram = h.entries[0].storage;
  if (dram.dramTiming.kind == DramTimingSpec::Kind::Bandwidth) return;
  for (Tensor t : kAllTensors) {
    bool kept = false;
    for (std::size_t k = 1; k < n.levels.size(); ++k) kept = kept || n.levels[k].keeps[t];
    if (!kept) {
      failValidation(context, dram.name +
                                  ".model: the row_buffer DRAM model needs every tensor "
                                  "kept by an on-chip level, but " +
                                  std::string(tensorName(t)) +
                                  " stream from DRAM to the PEs (expected the bandwidth model for "
                                  "this mapping)");
    }
  }
  if (h.entries.size() > 1 && h.entries[1].kind == HierarchyEntry::Kind::FanOut &&
      !h.entries[1].fanOut.unreducedDims.empty()) {
    failValidation(context, dram.name +
                                ".model: the row_buffer DRAM model does not take the "
                                "unreduced psums of fan-out " +
                                h.entries[1].fanOut.name +
                                " (expected the bandwidth model, or a storage level between them)");
  }
}

}  // namespace dfsim
