#include "mapping/validation_rules.hpp"

#include <array>
#include <limits>
#include <optional>

#include "common/checked_math.hpp"
#include "common/errors.hpp"
#include "mapping/ragged_nest.hpp"

namespace dfsim {

void failValidation(const std::string& context, const std::string& what) {
  throw InputError(context + ": " + what);
}

void multiplyBounds(const ProblemShape& shape, const std::vector<RuleLoop>& loops,
                    DimExtents& product, const std::string& context) {
  for (const RuleLoop& l : loops) {
    const std::string dim(shape.name(l.dim));
    if (l.bound < 1) {
      failValidation(context, l.key + " loop over " + dim + " has bound " +
                                  std::to_string(l.bound) + ", expected >= 1");
    }
    const std::optional<std::int64_t> p = checkedMul(product[idx(l.dim)], l.bound);
    if (!p) {
      failValidation(context, l.path + ".bound: loop bounds over " + dim +
                                  " multiply to more than 2^63 here, expected a product of " +
                                  std::to_string(shape.size(l.dim)) + " (the layer's " + dim + ")");
    }
    product[idx(l.dim)] = *p;
  }
}

void checkLoopRules(const ProblemShape& shape, const std::vector<RuleLoop>& loops,
                    const DimExtents& product, const DimExtents& innerExtent,
                    const std::string& innerName, const std::string& innerWhy,
                    const std::string& context) {
  for (std::size_t i = shape.numDims(); i < kMaxDims; ++i) {
    if (product[i] != 1) failValidation(context, "loops over a dimension the layer does not have");
  }
  // Tiles: the product of the bounds after each loop over its dimension (a part of `product`:
  // no overflow).
  std::vector<std::int64_t> tile(loops.size(), 1);
  std::array<std::int64_t, kMaxDims> inner{};
  inner.fill(1);
  for (std::size_t j = loops.size(); j-- > 0;) {
    tile[j] = inner[idx(loops[j].dim)];
    inner[idx(loops[j].dim)] *= loops[j].bound;
  }
  std::array<std::size_t, kMaxDims> loopsOver{};
  for (std::size_t j = 0; j < loops.size(); ++j) {
    const RuleLoop& l = loops[j];
    const std::string dim(shape.name(l.dim));
    const std::int64_t n = shape.size(l.dim);
    if (l.bound > 1 && ++loopsOver[idx(l.dim)] > kMaxLoopsPerDim) {
      failValidation(context, "more than " + std::to_string(kMaxLoopsPerDim) + " loops over " +
                                  dim + " with a bound above 1");
    }
    if ((l.bound - 1) * tile[j] >= n) {
      failValidation(context, l.path + ": a loop over " + dim + " of bound " +
                                  std::to_string(l.bound) + " with tiles of " +
                                  std::to_string(tile[j]) + " starts its last iteration at " +
                                  std::to_string((l.bound - 1) * tile[j]) +
                                  ", beyond the layer's " + dim + " of " + std::to_string(n) +
                                  "; expected a bound of at most " +
                                  std::to_string((n + tile[j] - 1) / tile[j]));
    }
  }
  for (std::size_t i = 0; i < shape.numDims(); ++i) {
    const Dim d = ProblemShape::dimAt(i);
    const std::string dim(shape.name(d));
    if (product[i] < shape.size(d)) {
      failValidation(context, "loop bounds over " + dim + " multiply to " +
                                  std::to_string(product[i]) + ", expected " +
                                  std::to_string(shape.size(d)) + " (the layer's " + dim +
                                  ", or a little more with a ragged last tile)");
    }
    if (shape.size(d) % innerExtent[i] != 0) {
      failValidation(context, "the " + innerName + " loops over " + dim + " cover " +
                                  std::to_string(innerExtent[i]) +
                                  ", which does not divide the layer's " + dim + " of " +
                                  std::to_string(shape.size(d)) + "; expected a divisor (" +
                                  innerWhy + ")");
    }
  }
  // From here on every bound is >= 1 and the bounds over each dimension d multiply to at least
  // shape.size(d). The padded nest (every loop at its full bound) is checked to hold at most
  // 2^60 points: any product of bounds (a tile extent, a spatial extent, a count of visits or
  // of steps, a tile's words times its visits) is at most that, so the plain products and the
  // sums of up to three of them in tile_math, the analytic model and the simulator cannot
  // overflow.
  std::optional<std::int64_t> points = 1;
  for (std::size_t i = 0; i < shape.numDims(); ++i) points = mulOpt(points, product[i]);
  if (!points || *points > (std::int64_t{1} << 60)) {
    failValidation(context,
                   "the loop bounds multiply to more than 2^60 (ragged tiles padding the layer's " +
                       std::to_string(shape.macs()) +
                       " MACs too much); expected bounds whose "
                       "products over each dimension stay close to its size");
  }
}

void checkCapacity(const ProblemShape& shape, const std::vector<StoragePartition>& partitions,
                   const PerTensor<bool>& keeps, const DimExtents& extent, std::int64_t copies,
                   const PerTensor<std::int64_t>& bits, std::int64_t wordBits,
                   const std::string& label, const std::string& context) {
  const DimExtents inner = clippedToLayer(shape, extent);  // the largest tile of a ragged nest
  for (const StoragePartition& p : partitions) {
    PerTensor<std::int64_t> words{};
    std::int64_t need = 0;
    std::int64_t needBits = 0;
    bool uniform = true;  // every tensor here is wordBits wide: say it in words, as always
    std::string who;
    for (Tensor t : kAllTensors) {
      if (!p.tensors[t] || !keeps[t]) continue;
      words[t] = copies * tileWords(shape, t, inner);
      need += words[t];
      needBits += words[t] * bits[t];
      uniform = uniform && bits[t] == wordBits;
      who += std::string(who.empty() ? "" : "+") + std::string(tensorName(t));
    }
    if (needBits <= p.capacityWords * wordBits) continue;
    const std::string buffered = copies == 2 ? " (double buffered)" : "";
    if (uniform) {
      failValidation(context, label + " tile of " + who + " needs " + std::to_string(need) +
                                  " words" + buffered + " but its partition holds " +
                                  std::to_string(p.capacityWords));
    }
    std::string widths;
    for (Tensor t : kAllTensors) {
      if (!p.tensors[t] || !keeps[t]) continue;
      widths += std::string(widths.empty() ? "" : " + ") + std::to_string(words[t]) + " " +
                std::to_string(bits[t]) + "-bit " + std::string(tensorName(t));
    }
    failValidation(context, label + " tile of " + who + " needs " + std::to_string(needBits) +
                                " bits (" + widths + ")" + buffered + " but its partition holds " +
                                std::to_string(p.capacityWords * wordBits) + " (" +
                                std::to_string(p.capacityWords) + " " + std::to_string(wordBits) +
                                "-bit words)");
  }
}

}  // namespace dfsim
