#pragma once

#include <array>
#include <cstdint>

#include "common/ids.hpp"

namespace dfsim {

/// Reads and writes of one tensor at one level, in words.
/// At the Noc level, `reads` are words delivered from the GLB side to PEs (one per destination PE)
/// and `writes` are words carried from PEs towards the GLB (psums, one per sending PE).
struct ReadWrite {
  std::int64_t reads = 0;
  std::int64_t writes = 0;
  bool operator==(const ReadWrite& o) const { return reads == o.reads && writes == o.writes; }
  bool operator!=(const ReadWrite& o) const { return !(*this == o); }
};

/// Word accesses per hierarchy entry x tensor, plus MACs. The contract between the simulator
/// (which bumps these as words move) and the analytic model (which derives them from the
/// mapping). Indexed by the entry's index in its Hierarchy (storage levels and fan-outs,
/// outermost first; src/arch/hierarchy.hpp); on the 4-level instance by `Level`. Entries a
/// hierarchy does not have stay zero.
struct AccessCounts {
  std::array<std::array<ReadWrite, kNumTensors>, kMaxLevelEntries> at{};
  std::int64_t macs = 0;

  /// Counts of tensor `t` at entry `e` (e < kMaxLevelEntries).
  ReadWrite& operator()(std::size_t e, Tensor t) { return at[e][idx(t)]; }
  /// Counts of tensor `t` at entry `e` (e < kMaxLevelEntries).
  const ReadWrite& operator()(std::size_t e, Tensor t) const { return at[e][idx(t)]; }
  /// Counts of tensor `t` at level `l` of the 4-level instance.
  ReadWrite& operator()(Level l, Tensor t) { return at[idx(l)][idx(t)]; }
  /// Counts of tensor `t` at level `l` of the 4-level instance.
  const ReadWrite& operator()(Level l, Tensor t) const { return at[idx(l)][idx(t)]; }
  bool operator==(const AccessCounts& o) const { return at == o.at && macs == o.macs; }
  bool operator!=(const AccessCounts& o) const { return !(*this == o); }
  /// Element-wise sum, for network totals.
  AccessCounts& operator+=(const AccessCounts& o) {
    for (std::size_t l = 0; l < kMaxLevelEntries; ++l) {
      for (std::size_t t = 0; t < kNumTensors; ++t) {
        at[l][t].reads += o.at[l][t].reads;
        at[l][t].writes += o.at[l][t].writes;
      }
    }
    macs += o.macs;
    return *this;
  }
};

}  // namespace dfsim
