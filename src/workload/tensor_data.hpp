#pragma once

#include <cstdint>
#include <vector>

#include "workload/layer.hpp"

namespace dfsim {

/// Deterministic pseudo-random weights of `layer` in [-8, 7], laid out [g][m][c][r][s]
/// (m, c per group). Same seed, same values, on every machine.
std::vector<std::int32_t> makeWeights(const Layer& layer, std::uint64_t seed);

/// Deterministic pseudo-random padded inputs of `layer` in [-8, 7], laid out
/// [n][g][c][h][w] over the padded size; the padding ring is zero.
std::vector<std::int32_t> makeInputs(const Layer& layer, std::uint64_t seed);

/// Flat index of a weight, input (padded coordinates) or output word in the layouts above;
/// outputs are [n][g][m][p][q].
std::int64_t weightIndex(const Layer& l, std::int64_t g, std::int64_t m, std::int64_t c,
                         std::int64_t r, std::int64_t s);
std::int64_t inputIndex(const Layer& l, std::int64_t n, std::int64_t g, std::int64_t c,
                        std::int64_t h, std::int64_t w);
std::int64_t outputIndex(const Layer& l, std::int64_t n, std::int64_t g, std::int64_t m,
                         std::int64_t p, std::int64_t q);

}  // namespace dfsim
