#include "mapping/validate_mapping.hpp"

#include <algorithm>
#include <array>
#include <limits>
#include <optional>
#include <string>

#include "common/checked_math.hpp"
#include "common/cycle.hpp"
#include "common/errors.hpp"
#include "mapping/analytic_model.hpp"
#include "mapping/loop_nest.hpp"
#include "mapping/nest_cycle_estimate.hpp"
#include "mapping/ragged_nest.hpp"
#include "mapping/tile_math.hpp"
#include "mapping/validate_loop_nest.hpp"
#include "mapping/validation_rules.hpp"

namespace dfsim {

namespace {

[[noreturn]] void fail(const std::string& context, const std::string& what) {
  failValidation(context, what);
}

std::vector<Loop> concat(const std::vector<Loop>& a, const std::vector<Loop>& b) {
  std::vector<Loop> all = a;
  all.insert(all.end(), b.begin(), b.end());
  return all;
}

void checkLevelCapacity(const ProblemShape& shape, const ArchSpec& arch, const Mapping& m,
                        Level level, const std::string& context) {
  const bool rf = level == Level::Rf;
  const DimExtents inner =
      rf ? extentsOf(m.rfLoops)
         : withSpatial(m.spatialLoops, extentsOf(concat(m.glbLoops, m.rfLoops)));
  PerTensor<std::int64_t> bits{};
  for (Tensor t : kAllTensors) bits[t] = arch.bitsOf(t);
  checkCapacity(shape, rf ? arch.rf.partitions : arch.glb.partitions, rf ? m.rfKeeps : m.glbKeeps,
                inner, (!rf && arch.glb.doubleBuffered) ? 2 : 1, bits, arch.wordBits,
                std::string(levelName(level)), context);
}

void checkCycleBound(const Layer& layer, const ArchSpec& arch, const Mapping& m,
                     const std::string& context) {
  const auto limit = static_cast<std::int64_t>(kMaxCycles);
  const std::optional<std::int64_t> bound = cycleUpperBound(layer, arch, m);
  if (bound && *bound <= limit) return;
  const std::string latencies =
      "arch.dram.latency_cycles=" + std::to_string(arch.dram.latencyCycles) +
      ", arch.glb.latency_cycles=" + std::to_string(arch.glb.latencyCycles) +
      ", arch.noc.hop_latency_cycles=" + std::to_string(arch.noc.hopLatencyCycles);
  fail(context, "with " + latencies + " the simulation of layer " + layer.name +
                    " could pass the limit of 2^62 cycles; expected smaller latencies");
}

/// The mapping's loops in nest order, named by their paths in a mapping file.
std::vector<RuleLoop> ruleLoops(const Mapping& m) {
  std::vector<RuleLoop> loops;
  const auto add = [&](const std::vector<Loop>& list, const char* key) {
    for (std::size_t i = 0; i < list.size(); ++i) {
      loops.push_back({list[i].dim, list[i].bound, key,
                       std::string("mapping.") + key + "[" + std::to_string(i) + "]"});
    }
  };
  add(m.dramLoops, "dram");
  add(m.glbLoops, "glb");
  for (std::size_t i = 0; i < m.spatialLoops.size(); ++i) {
    loops.push_back({m.spatialLoops[i].dim, m.spatialLoops[i].bound, "spatial",
                     "mapping.spatial[" + std::to_string(i) + "]"});
  }
  add(m.rfLoops, "rf");
  return loops;
}

}  // namespace

/// An upper bound on the cycles a simulation of `m` can take, or nullopt when the bound itself
/// passes 2^63. Why it bounds the simulator: time moves only by the MACs of the array steps (at
/// most `macs` cycles in all) and by waiting on a port (DRAM bus, GLB read and write, NoC). A
/// transfer of u > 0 units booked on a port of W >= 1 units per cycle and latency L completes at
/// most u/W + 1 + L cycles after the later of now and the port's previous end, so every booking
/// moves the latest time anything is due by at most u + 1 + L. The bookings of a port move its
/// words, at least one each: DRAM carries the DRAM counts (bytesPerWord units a word), the GLB
/// ports the GLB counts and the NoC port at most the DRAM and GLB counts again. Summed over
/// every booking: macs + 2 (D + G) (bytesPerWord + 2 + Ldram + Lglb + Lhop), where D and G
/// are the analytic DRAM and GLB counts (equal to the simulated ones), and skipping ahead only
/// applies iterations exactly as they would have run.
std::optional<std::int64_t> cycleUpperBound(const Layer& layer, const ArchSpec& arch,
                                            const Mapping& m) {
  const AccessCounts c = analyticCounts(layer.shape(), arch, m);
  std::optional<std::int64_t> words = 0;
  for (Tensor t : kAllTensors) {
    for (Level l : {Level::Dram, Level::Glb}) {
      words = addOpt(addOpt(words, c(l, t).reads), c(l, t).writes);
    }
  }
  std::int64_t bytesPerWord = 1;
  for (Tensor t : kAllTensors) bytesPerWord = std::max(bytesPerWord, arch.dramBytesPerWord(t));
  // Latencies and word sizes are at most 2^40 and 64 bits (the arch reader's limits).
  const std::int64_t perWord = bytesPerWord + 2 + arch.dram.latencyCycles + arch.glb.latencyCycles +
                               arch.noc.hopLatencyCycles;
  const std::optional<std::int64_t> bound = addOpt(layer.macs(), mulOpt(mulOpt(2, words), perWord));
  if (arch.noc.network != NetworkKind::Systolic) return bound;
  // A systolic mesh's time, in closed form (saturated: past the limit either way).
  const std::int64_t mesh = systolicMeshCycles(layer.shape(), arch.hierarchy(), toLoopNest(m));
  if (mesh == std::numeric_limits<std::int64_t>::max()) return std::nullopt;
  return addOpt(bound, mesh);
}

void validateMapping(const Layer& layer, const ArchSpec& arch, const Mapping& m,
                     const std::string& context) {
  if (!layer.onArray()) fail(context, "layer " + layer.name + " does not run on the PE array");
  const ProblemShape shape = layer.shape();
  const std::vector<RuleLoop> loops = ruleLoops(m);
  DimExtents product;
  product.fill(1);
  multiplyBounds(shape, loops, product, context);
  checkLoopRules(shape, loops, product, extentsOf(m.rfLoops), "rf",
                 "a ragged last tile may fall at the array or above, not inside a PE's RF tile",
                 context);
  if (m.spatialExtent(Axis::Rows) > arch.rows) {
    fail(context, "spatial loops use " + std::to_string(m.spatialExtent(Axis::Rows)) +
                      " rows, the array has " + std::to_string(arch.rows));
  }
  if (m.spatialExtent(Axis::Cols) > arch.cols) {
    fail(context, "spatial loops use " + std::to_string(m.spatialExtent(Axis::Cols)) +
                      " cols, the array has " + std::to_string(arch.cols));
  }
  for (Tensor t : kAllTensors) {
    if (m.rfKeeps[t] && !arch.holds(Level::Rf, t)) {
      fail(context, "keeps " + std::string(tensorName(t)) +
                        " in the RF, but the arch has no RF partition for them");
    }
    if (m.glbKeeps[t] && !arch.holds(Level::Glb, t)) {
      fail(context, "keeps " + std::string(tensorName(t)) +
                        " in the GLB, but the arch has no GLB partition for them");
    }
  }
  // Streamed tiles (README "Streamed tiles"): of weights or inputs the level keeps, over the
  // levels above it.
  const auto checkStreamed = [&](const char* key, const PerTensor<std::uint8_t>& over,
                                 const PerTensor<bool>& keeps, std::uint8_t most,
                                 const char* level) {
    for (Tensor t : kAllTensors) {
      if (over[t] == 0) continue;
      const std::string at = std::string(key) + "." + std::string(tensorName(t)) + ": ";
      if (over[t] > most) {
        fail(context, at + "streamed over " + std::to_string(over[t]) + " levels, " + level +
                          " has " + std::to_string(most) + " above it");
      }
      if (t == Tensor::Outputs) fail(context, at + "psums are not streamed");
      if (!keeps[t]) fail(context, at + level + " does not keep " + std::string(tensorName(t)));
    }
  };
  checkStreamed("glb_streamed_over", m.glbStreamedOver, m.glbKeeps, 1, "the GLB");
  checkStreamed("rf_streamed_over", m.rfStreamedOver, m.rfKeeps, 2, "the RF");
  checkLevelCapacity(shape, arch, m, Level::Rf, context);
  checkLevelCapacity(shape, arch, m, Level::Glb, context);
  checkCycleBound(layer, arch, m, context);
  // A DRAM model with rows and a systolic mesh run on the hierarchy simulator: its nest's rules
  // and cycle bound.
  if (arch.dram.timing.kind != DramTimingSpec::Kind::Bandwidth ||
      arch.noc.network != NetworkKind::Ideal) {
    validateLoopNest(shape, arch, arch.hierarchy(), toLoopNest(m), context);
  }
}

}  // namespace dfsim
