#pragma once

#include <array>
#include <cstdint>
#include <string>

#include "common/ids.hpp"
#include "common/per_tensor.hpp"

namespace dfsim {

/// Cost of reading and of writing one word of one tensor at one level, in the table's unit.
/// At the Noc level both are the cost of one word carried over the array network (per
/// destination PE for deliveries, per sending PE for psums): the file gives one `per_word`.
struct AccessCost {
  double read = 0.0;
  double write = 0.0;
  bool operator==(const AccessCost& o) const { return read == o.read && write == o.write; }
  bool operator!=(const AccessCost& o) const { return !(*this == o); }
};

/// The same cost `c` for every tensor.
constexpr PerTensor<AccessCost> sameForAllTensors(AccessCost c) {
  return {{{c, c, c}}};
}

/// Cost of each action, in `unit` (for example "pJ" or "MAC-energy"): one MAC, and one word's
/// read and write per (level, tensor). One word is the architecture's word (16 bit in the
/// shipped configs). Pure data, read from configs/energy/. The defaults are the ISCA16 ratios.
struct EnergyTable {
  std::string name;
  std::string unit = "MAC-energy";
  double macPerOp = 1.0;  ///< one multiply-accumulate
  /// Per level (indexed by `idx(Level)`: dram, glb, noc, rf) and tensor.
  std::array<PerTensor<AccessCost>, kNumLevels> perWord = {
      sameForAllTensors({200.0, 200.0}), sameForAllTensors({6.0, 6.0}),
      sameForAllTensors({2.0, 2.0}), sameForAllTensors({1.0, 1.0})};
  double leakagePerCycle = 0.0;  ///< static energy per core cycle, whole chip
  std::int64_t wordBits = 16;    ///< word size in bits that the per-word costs are for

  /// The cost of one word of tensor `t` at level `l`.
  const AccessCost& cost(Level l, Tensor t) const { return perWord[idx(l)][t]; }
  /// The cost of one word of tensor `t` at level `l`, to set it.
  AccessCost& cost(Level l, Tensor t) { return perWord[idx(l)][t]; }
};

}  // namespace dfsim
