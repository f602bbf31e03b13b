#pragma once

#include <cstdint>
#include <vector>

#include "workload/layer.hpp"

namespace dfsim {

/// The functional oracle: a plain seven-deep loop nest computing the (grouped, strided, padded)
/// convolution of `inputs` (padded layout of tensor_data.hpp) with `weights`. Shares no code
/// with the simulated PE array. Outputs are laid out [n][g][m][p][q].
std::vector<std::int32_t> referenceConv(const Layer& layer,
                                        const std::vector<std::int32_t>& weights,
                                        const std::vector<std::int32_t>& inputs);

}  // namespace dfsim
