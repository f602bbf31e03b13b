#include "mapping/validate_mapping.hpp"

#include <optional>
#include <string>

#include "common/checked_math.hpp"
#include "common/cycle.hpp"
#include "common/errors.hpp"
#include "mapping/analytic_model.hpp"
#include "mapping/tile_math.hpp"

namespace dfsim {

namespace {

[[noreturn]] void fail(const std::string& context, const std::string& what) {
  throw InputError(context + ": " + what);
}

std::vector<Loop> concat(const std::vector<Loop>& a, const std::vector<Loop>& b) {
  std::vector<Loop> all = a;
  all.insert(all.end(), b.begin(), b.end());
  return all;
}

void checkCapacity(const ProblemShape& shape, const ArchSpec& arch, const Mapping& m, Level level,
                   const std::string& context) {
  const std::vector<StoragePartition>& parts =
      level == Level::Rf ? arch.rf.partitions : arch.glb.partitions;
  const PerTensor<bool>& keeps = level == Level::Rf ? m.rfKeeps : m.glbKeeps;
  const DimExtents inner =
      level == Level::Rf ? extentsOf(m.rfLoops)
                         : withSpatial(m.spatialLoops, extentsOf(concat(m.glbLoops, m.rfLoops)));
  const std::int64_t copies = (level == Level::Glb && arch.glb.doubleBuffered) ? 2 : 1;
  for (const StoragePartition& p : parts) {
    std::int64_t need = 0;
    std::string who;
    for (Tensor t : kAllTensors) {
      if (!p.tensors[t] || !keeps[t]) continue;
      need += copies * tileWords(shape, t, inner);
      who += std::string(who.empty() ? "" : "+") + std::string(tensorName(t));
    }
    if (need > p.capacityWords) {
      fail(context, std::string(levelName(level)) + " tile of " + who + " needs " +
                        std::to_string(need) + " words" +
                        (copies == 2 ? " (double buffered)" : "") + " but its partition holds " +
                        std::to_string(p.capacityWords));
    }
  }
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

/// Appends to `product` the bounds of `loops` (found at mapping.<key>[i].bound), refusing a
/// bound below 1 and a running product per dimension that passes 2^63.
template <typename L>
void multiplyBounds(const ProblemShape& shape, const std::vector<L>& loops, const char* key,
                    DimExtents& product, const std::string& context) {
  for (std::size_t i = 0; i < loops.size(); ++i) {
    const L& l = loops[i];
    const std::string dim(shape.name(l.dim));
    if (l.bound < 1) {
      fail(context, std::string(key) + " loop over " + dim + " has bound " +
                        std::to_string(l.bound) + ", expected >= 1");
    }
    const std::optional<std::int64_t> p = checkedMul(product[idx(l.dim)], l.bound);
    if (!p) {
      fail(context, std::string("mapping.") + key + "[" + std::to_string(i) +
                        "].bound: loop bounds over " + dim +
                        " multiply to more than 2^63 here, expected a product of " +
                        std::to_string(shape.size(l.dim)) + " (the layer's " + dim + ")");
    }
    product[idx(l.dim)] = *p;
  }
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
  const std::int64_t bytesPerWord = (arch.wordBits + 7) / 8;
  // Latencies and word sizes are at most 2^40 and 64 bits (the arch reader's limits).
  const std::int64_t perWord = bytesPerWord + 2 + arch.dram.latencyCycles + arch.glb.latencyCycles +
                               arch.noc.hopLatencyCycles;
  return addOpt(layer.macs(), mulOpt(mulOpt(2, words), perWord));
}

void validateMapping(const Layer& layer, const ArchSpec& arch, const Mapping& m,
                     const std::string& context) {
  if (!layer.onArray()) fail(context, "layer " + layer.name + " does not run on the PE array");
  const ProblemShape shape = layer.shape();
  DimExtents product;
  product.fill(1);
  multiplyBounds(shape, m.dramLoops, "dram", product, context);
  multiplyBounds(shape, m.glbLoops, "glb", product, context);
  multiplyBounds(shape, m.spatialLoops, "spatial", product, context);
  multiplyBounds(shape, m.rfLoops, "rf", product, context);
  for (std::size_t i = 0; i < kMaxDims; ++i) {
    const Dim d = ProblemShape::dimAt(i);
    const std::int64_t want = i < shape.numDims() ? shape.size(d) : 1;
    if (product[i] == want) continue;
    if (i >= shape.numDims()) fail(context, "loops over a dimension the layer does not have");
    fail(context, "loop bounds over " + std::string(shape.name(d)) + " multiply to " +
                      std::to_string(product[i]) + ", expected " + std::to_string(want) +
                      " (the layer's " + std::string(shape.name(d)) + ")");
  }
  // From here on every bound is >= 1 and the bounds over each dimension d multiply to
  // shape.size(d), so any product of bounds (a tile extent, a spatial extent, a count of visits
  // or of array steps) is at most the product of all of them, the layer's MACs, which the
  // network reader keeps at most 2^40: the plain products below and in tile_math, the analytic
  // model and the simulator cannot overflow.
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
  checkCapacity(shape, arch, m, Level::Rf, context);
  checkCapacity(shape, arch, m, Level::Glb, context);
  checkCycleBound(layer, arch, m, context);
}

}  // namespace dfsim
