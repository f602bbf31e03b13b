#pragma once

#include "common/cycle.hpp"

namespace dfsim {

/// Where the cycles of a run went. `total` = `compute` + the three stall causes.
/// compute: cycles in which the array performed MACs; stallDram: the array waited for DRAM
/// (fills, write-backs); stallGlb: it waited on GLB read/write bandwidth; stallNoc: it waited on
/// the array network bandwidth or hop latency.
struct CycleBreakdown {
  Cycle total;
  Cycle compute;
  Cycle stallDram;
  Cycle stallGlb;
  Cycle stallNoc;

  CycleBreakdown& operator+=(const CycleBreakdown& o) {
    total += o.total;
    compute += o.compute;
    stallDram += o.stallDram;
    stallGlb += o.stallGlb;
    stallNoc += o.stallNoc;
    return *this;
  }
};

}  // namespace dfsim
