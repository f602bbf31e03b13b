#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "mapping/mapping.hpp"
#include "mapping/tile_math.hpp"

namespace dfsim {

/// Which tilings the mappers build (`dfsim run --tiling`).
/// - Perfect: every loop bound divides what is left of its dimension (the mappers before
///   issue 13: same mappings, same scores).
/// - Ragged: the last tile of a loop may be smaller (README "Ragged tiles"): the RF tile of each
///   dimension still divides the dimension, the spatial, GLB and DRAM loops need not.
enum class Tiling : std::uint8_t { Perfect, Ragged };

/// "perfect" or "ragged".
const char* tilingName(Tiling t);
/// Parses a tiling name; false when unknown.
bool parseTiling(std::string_view s, Tiling& out);

/// ceil(a / b) for a >= 0, b >= 1.
constexpr std::int64_t ceilDiv(std::int64_t a, std::int64_t b) {
  return (a + b - 1) / b;
}

/// The factors worth trying to split a count of `n` tiles (n >= 1), ascending, each at most
/// `limit` (>= 1): under Perfect the divisors of n; under Ragged also, for every count c of the
/// resulting tiles, the smallest factor giving it, ceil(n / c) (a larger factor with the same
/// count only idles more PEs or holds more words). About 2 sqrt(n) values, found in
/// O(sqrt(n)).
std::vector<std::int64_t> splitFactors(std::int64_t n, std::int64_t limit, Tiling tiling);

/// Whether `spatial` is legal under the ragged rules over the full sizes `full` when the RF
/// tile has extents `rfExt`: walking the spatial loops over each dimension from the innermost
/// outward with T the extent inside a loop, every loop has (bound - 1) * T < full (no iteration
/// is always beyond the edge). Loops above the array stay legal when built over the counts
/// ceil(full / (T of the array)), as the mappers build them.
bool spatialLegal(const std::vector<SpatialLoop>& spatial, const DimExtents& rfExt,
                  const DimExtents& full);

}  // namespace dfsim
