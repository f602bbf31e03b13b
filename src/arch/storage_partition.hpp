#pragma once

#include <cstdint>

#include "common/per_tensor.hpp"

namespace dfsim {

/// Bandwidth value meaning "unlimited" (transfers take zero cycles). Written "unlimited" in JSON.
inline constexpr std::int64_t kUnlimited = 0;

/// A slice of a storage level reserved for a set of tensors. Tensors in no partition of a level
/// bypass that level.
struct StoragePartition {
  PerTensor<bool> tensors{};       ///< which tensors share this slice
  std::int64_t capacityWords = 0;  ///< size of the slice, in words
};

}  // namespace dfsim
