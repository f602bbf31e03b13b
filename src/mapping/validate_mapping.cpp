#include "mapping/validate_mapping.hpp"

#include <algorithm>
#include <array>
#include <optional>
#include <string>

#include "common/checked_math.hpp"
#include "common/cycle.hpp"
#include "common/errors.hpp"
#include "mapping/analytic_model.hpp"
#include "mapping/ragged_nest.hpp"
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
  DimExtents inner = level == Level::Rf
                         ? extentsOf(m.rfLoops)
                         : withSpatial(m.spatialLoops, extentsOf(concat(m.glbLoops, m.rfLoops)));
  inner = clippedToLayer(shape, inner);  // the largest tile of a ragged nest
  const std::int64_t copies = (level == Level::Glb && arch.glb.doubleBuffered) ? 2 : 1;
  for (const StoragePartition& p : parts) {
    PerTensor<std::int64_t> words{};
    std::int64_t need = 0;
    bool uniform = true;  // every tensor here is wordBits wide: say it in words, as always
    std::string who;
    for (Tensor t : kAllTensors) {
      if (!p.tensors[t] || !keeps[t]) continue;
      words[t] = copies * tileWords(shape, t, inner);
      need += words[t];
      uniform = uniform && arch.bitsOf(t) == arch.wordBits;
      who += std::string(who.empty() ? "" : "+") + std::string(tensorName(t));
    }
    if (arch.fits(p, words)) continue;
    const std::string buffered = copies == 2 ? " (double buffered)" : "";
    if (uniform) {
      fail(context, std::string(levelName(level)) + " tile of " + who + " needs " +
                        std::to_string(need) + " words" + buffered + " but its partition holds " +
                        std::to_string(p.capacityWords));
    }
    std::string widths;
    for (Tensor t : kAllTensors) {
      if (!p.tensors[t] || !keeps[t]) continue;
      widths += std::string(widths.empty() ? "" : " + ") + std::to_string(words[t]) + " " +
                std::to_string(arch.bitsOf(t)) + "-bit " + std::string(tensorName(t));
    }
    fail(context,
         std::string(levelName(level)) + " tile of " + who + " needs " +
             std::to_string(arch.bitsIn(p, words)) + " bits (" + widths + ")" + buffered +
             " but its partition holds " + std::to_string(p.capacityWords * arch.wordBits) + " (" +
             std::to_string(p.capacityWords) + " " + std::to_string(arch.wordBits) + "-bit words)");
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

/// Multiplies into `product` the bounds of `loops` (found at mapping.<key>[i].bound), refusing a
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

/// The ragged-tile rules (README "Ragged tiles"), per dimension d of size N: the loops over d
/// cover it (the outermost one's bound times its tile, the product of the bounds inside it over
/// d, is at least N); no loop has an iteration that always lies beyond the edge ((bound - 1) *
/// tile < N); the RF loops' extent over d divides N (a ragged edge falls at the array or above,
/// never inside a PE's RF tile); and at most kMaxLoopsPerDim loops over d have a bound above 1.
/// `product[d]` is the product of every bound over d (multiplyBounds's).
void checkRaggedTiles(const ProblemShape& shape, const Mapping& m, const DimExtents& product,
                      const DimExtents& rfExtent, const std::string& context) {
  const NestLoops nest = NestLoops::of(m);
  std::array<std::size_t, kMaxDims> loopsOver{};
  for (std::size_t j = 0; j < nest.loops.size(); ++j) {
    const NestLoop& l = nest.loops[j];
    const std::string dim(shape.name(l.dim));
    const std::int64_t n = shape.size(l.dim);
    if (l.bound > 1 && ++loopsOver[idx(l.dim)] > kMaxLoopsPerDim) {
      fail(context, "more than " + std::to_string(kMaxLoopsPerDim) + " loops over " + dim +
                        " with a bound above 1");
    }
    // No overflow: tile * bound is a running product multiplyBounds checked.
    if ((l.bound - 1) * l.tile >= n) {
      const std::string where = j < nest.glb       ? "dram[" + std::to_string(j)
                                : j < nest.spatial ? "glb[" + std::to_string(j - nest.glb)
                                : j < nest.rf      ? "spatial[" + std::to_string(j - nest.spatial)
                                                   : "rf[" + std::to_string(j - nest.rf);
      fail(context, "mapping." + where + "]: a loop over " + dim + " of bound " +
                        std::to_string(l.bound) + " with tiles of " + std::to_string(l.tile) +
                        " starts its last iteration at " + std::to_string((l.bound - 1) * l.tile) +
                        ", beyond the layer's " + dim + " of " + std::to_string(n) +
                        "; expected a bound of at most " +
                        std::to_string((n + l.tile - 1) / l.tile));
    }
  }
  for (std::size_t i = 0; i < shape.numDims(); ++i) {
    const Dim d = ProblemShape::dimAt(i);
    const std::string dim(shape.name(d));
    const std::int64_t covered = product[i];
    if (covered < shape.size(d)) {
      fail(context, "loop bounds over " + dim + " multiply to " + std::to_string(covered) +
                        ", expected " + std::to_string(shape.size(d)) + " (the layer's " + dim +
                        ", or a little more with a ragged last tile)");
    }
    if (shape.size(d) % rfExtent[i] != 0) {
      fail(context, "the rf loops over " + dim + " cover " + std::to_string(rfExtent[i]) +
                        ", which does not divide the layer's " + dim + " of " +
                        std::to_string(shape.size(d)) +
                        "; expected a divisor (a ragged last tile may fall at the array or "
                        "above, not inside a PE's RF tile)");
    }
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
  std::int64_t bytesPerWord = 1;
  for (Tensor t : kAllTensors) bytesPerWord = std::max(bytesPerWord, arch.dramBytesPerWord(t));
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
  const DimExtents rfExtent = extentsOf(m.rfLoops);  // a part of `product`: no overflow
  for (std::size_t i = shape.numDims(); i < kMaxDims; ++i) {
    if (product[i] != 1) fail(context, "loops over a dimension the layer does not have");
  }
  checkRaggedTiles(shape, m, product, rfExtent, context);
  // From here on every bound is >= 1 and the bounds over each dimension d multiply to at least
  // shape.size(d). The padded nest (every loop at its full bound) is checked to hold at most
  // 2^60 points: any product of bounds (a tile extent, a spatial extent, a count of visits or
  // of array steps, a tile's words times its visits) is at most that, so the plain products
  // and the sums of up to three of them below and in tile_math, the analytic model and the
  // simulator cannot overflow.
  std::optional<std::int64_t> points = 1;
  for (std::size_t i = 0; i < shape.numDims(); ++i) points = mulOpt(points, product[i]);
  if (!points || *points > (std::int64_t{1} << 60)) {
    fail(context, "the loop bounds multiply to more than 2^60 (ragged tiles padding the layer's " +
                      std::to_string(layer.macs()) +
                      " MACs too much); expected bounds whose "
                      "products over each dimension stay close to its size");
  }
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
