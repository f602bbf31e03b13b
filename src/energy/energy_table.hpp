#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

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
/// read and write per (hierarchy entry, tensor). One word is the architecture's word (16 bit in
/// the shipped configs). Pure data, read from configs/energy/. The defaults are the ISCA16
/// ratios.
///
/// Two forms (README "Energy table"): the 4-level form prices dram, glb, noc and rf and applies
/// to any 4-level arch by position (whatever its levels are called); the general form prices
/// entries by name (`names`) and applies to an arch whose every entry it names
/// (`resolvedFor`). `perWord[e]` is entry e's costs: in the 4-level form indexed by `Level`, in
/// the general form by position in `names` until resolved, then by the arch's entry index.
struct EnergyTable {
  std::string name;
  std::string unit = "MAC-energy";
  double macPerOp = 1.0;  ///< one multiply-accumulate
  /// Per entry and tensor (see above). Entries beyond the table's stay zero.
  std::array<PerTensor<AccessCost>, kMaxLevelEntries> perWord = {
      sameForAllTensors({200.0, 200.0}), sameForAllTensors({6.0, 6.0}),
      sameForAllTensors({2.0, 2.0}), sameForAllTensors({1.0, 1.0})};
  /// The general form's entry names, in file order (empty: the 4-level form).
  std::vector<std::string> names;
  double leakagePerCycle = 0.0;  ///< static energy per core cycle, whole chip
  std::int64_t wordBits = 16;    ///< word size in bits that the per-word costs are for

  /// Whether the table is in the 4-level form (dram, glb, noc, rf).
  bool fourLevelForm() const { return names.empty(); }
  /// The cost of one word of tensor `t` at level `l` (the 4-level form, or a table resolved
  /// for a 4-level arch).
  const AccessCost& cost(Level l, Tensor t) const { return perWord[idx(l)][t]; }
  /// The cost of one word of tensor `t` at level `l`, to set it.
  AccessCost& cost(Level l, Tensor t) { return perWord[idx(l)][t]; }
  /// The cost of one word of tensor `t` at entry `e` (a resolved table).
  const AccessCost& cost(std::size_t e, Tensor t) const { return perWord[e][t]; }
};

/// This table's costs in the order of an arch's entries `entryNames` (outermost first):
/// the 4-level form applies to a 4-level arch (`fourLevelArch`) as it is; the general form
/// takes each entry's costs by name (names the arch lacks are ignored: one table may price
/// several arches). Throws InputError naming `energyFile`, the arch's entry it lacks, and
/// what the table names, when it does not price every entry.
EnergyTable resolvedFor(const EnergyTable& table, const std::vector<std::string>& entryNames,
                        bool fourLevelArch, const std::string& energyFile);

}  // namespace dfsim
