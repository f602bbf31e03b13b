#pragma once

#include <array>

#include "common/access_counts.hpp"
#include "common/cycle.hpp"
#include "common/ids.hpp"
#include "common/per_tensor.hpp"
#include "energy/energy_table.hpp"

namespace dfsim {

/// Energy of one run, in the unit of the table it was computed with.
/// total = mac + sum(perLevel) + leakage = mac + sum(perTensor) + leakage;
/// perLevel[l] = sum over t of perLevelTensor[l][t], perTensor[t] = sum over l of the same.
struct EnergyBreakdown {
  double mac = 0.0;  ///< the ALUs
  /// Per hierarchy entry (all tensors); the 4-level instance: dram, glb, noc, rf.
  std::array<double, kMaxLevelEntries> perLevel{};
  PerTensor<double> perTensor{};                                     ///< weights, inputs, outputs
  std::array<PerTensor<double>, kMaxLevelEntries> perLevelTensor{};  ///< one entry, one tensor
  double leakage = 0.0;                                              ///< leakagePerCycle * cycles
  double total = 0.0;

  EnergyBreakdown& operator+=(const EnergyBreakdown& o);
};

/// Energy = counts(entry, tensor) x that (entry, tensor)'s cost per read and per write, plus
/// MACs x macPerOp and leakage x cycles. `table` is in the counts' entry order (the 4-level
/// form for the 4-level instance, or resolvedFor the counts' hierarchy). Pure: recomputable from a
/// report's counts with another table.
EnergyBreakdown computeEnergy(const AccessCounts& counts, Cycle cycles, const EnergyTable& table);

/// computeEnergy(counts, cycles, table).total bit for bit (the same additions in the same
/// order), without building the breakdown: the mapper scores every candidate with it. Throws
/// InternalError where computeEnergy does.
double energyTotal(const AccessCounts& counts, Cycle cycles, const EnergyTable& table);

}  // namespace dfsim
