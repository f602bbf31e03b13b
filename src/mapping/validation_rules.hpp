#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "arch/arch_spec.hpp"
#include "common/per_tensor.hpp"
#include "mapping/tile_math.hpp"
#include "workload/problem_shape.hpp"

namespace dfsim {

// The rules validateMapping (the 4-level Mapping) and validateLoopNest (any hierarchy) share,
// over a flat list of loops in nest order; each names what it refuses by the caller's paths.

/// Throws InputError "<context>: <what>".
[[noreturn]] void failValidation(const std::string& context, const std::string& what);

/// One loop of a nest in flat order, as the rules name it: `key` for a bound below 1 ("dram":
/// "dram loop over M has bound 0"), `path` for the loop itself ("mapping.dram[1]").
struct RuleLoop {
  Dim dim{};
  std::int64_t bound = 1;
  std::string key;
  std::string path;
};

/// Multiplies into `product` the bounds of `loops`, refusing a bound below 1 and a running
/// product per dimension that passes 2^63 (named `<path>.bound`).
void multiplyBounds(const ProblemShape& shape, const std::vector<RuleLoop>& loops,
                    DimExtents& product, const std::string& context);

/// The ragged-tile rules (README "Ragged tiles"), per dimension d of size N: the loops over d
/// cover it (the product of every bound over d, `product[d]`, is at least N); no loop has an
/// iteration that always lies beyond the edge ((bound - 1) * tile < N); the innermost level's
/// extent over d (`innerExtent[d]`, named `innerName`, e.g. "rf") divides N (`innerWhy` says
/// where an edge may fall instead); at most kMaxLoopsPerDim loops over d have a bound above 1;
/// and the padded nest holds at most 2^60 points (`macs`: the layer's, for the message).
/// Contract: multiplyBounds accepted `loops` and computed `product`.
void checkLoopRules(const ProblemShape& shape, const std::vector<RuleLoop>& loops,
                    const DimExtents& product, const DimExtents& innerExtent,
                    const std::string& innerName, const std::string& innerWhy,
                    const std::string& context);

/// Refuses tiles of extents `extent` (clipped to the layer) of the tensors `keeps` lists that
/// do not fit `partitions` of a level named `label` ("rf"): per partition, `copies` tiles of
/// each tensor it holds, each word `bits[t]` bits, against capacityWords words of `wordBits`
/// bits (a message in words when every tensor there is `wordBits` wide, in bits otherwise).
void checkCapacity(const ProblemShape& shape, const std::vector<StoragePartition>& partitions,
                   const PerTensor<bool>& keeps, const DimExtents& extent, std::int64_t copies,
                   const PerTensor<std::int64_t>& bits, std::int64_t wordBits,
                   const std::string& label, const std::string& context);

}  // namespace dfsim
