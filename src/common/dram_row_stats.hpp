#pragma once

#include <cstdint>

namespace dfsim {

/// What a DRAM model saw of its rows, in bursts (all zero for a model without rows).
struct DramRowStats {
  std::int64_t hits = 0;       ///< bursts to the row their bank had open
  std::int64_t misses = 0;     ///< bursts to a bank with no open row (an activate)
  std::int64_t conflicts = 0;  ///< bursts to a bank with another row open (precharge, activate)
};

}  // namespace dfsim
