#pragma once

#include <cstdint>
#include <string>

namespace dfsim {

/// Cost of each action, in `unit` (for example "pJ" or "MAC-energy"). One word is the
/// architecture's word (16 bit in the shipped configs). Pure data, read from configs/energy/.
struct EnergyTable {
  std::string name;
  std::string unit = "MAC-energy";
  double macPerOp = 1.0;  ///< one multiply-accumulate
  double rfReadPerWord = 1.0;
  double rfWritePerWord = 1.0;
  double nocPerWord = 2.0;  ///< one word delivered over the array network (per destination PE)
  double glbReadPerWord = 6.0;
  double glbWritePerWord = 6.0;
  double dramReadPerWord = 200.0;
  double dramWritePerWord = 200.0;
  double leakagePerCycle = 0.0;  ///< static energy per core cycle, whole chip
  std::int64_t wordBits = 16;    ///< word size in bits that the per-word costs are for
};

}  // namespace dfsim
