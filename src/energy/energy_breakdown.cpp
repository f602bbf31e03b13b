#include "energy/energy_breakdown.hpp"

#include <cmath>

#include "common/errors.hpp"

namespace dfsim {

EnergyBreakdown& EnergyBreakdown::operator+=(const EnergyBreakdown& o) {
  mac += o.mac;
  for (std::size_t l = 0; l < kMaxLevelEntries; ++l) perLevel[l] += o.perLevel[l];
  for (Tensor t : kAllTensors) perTensor[t] += o.perTensor[t];
  for (std::size_t l = 0; l < kMaxLevelEntries; ++l) {
    for (Tensor t : kAllTensors) perLevelTensor[l][t] += o.perLevelTensor[l][t];
  }
  leakage += o.leakage;
  total += o.total;
  return *this;
}

namespace {

/// The energy of one (entry, tensor): its reads and writes at their costs.
double accessEnergy(const ReadWrite& rw, const AccessCost& c) {
  return static_cast<double>(rw.reads) * c.read + static_cast<double>(rw.writes) * c.write;
}

}  // namespace

EnergyBreakdown computeEnergy(const AccessCounts& counts, Cycle cycles, const EnergyTable& table) {
  EnergyBreakdown e;
  e.mac = static_cast<double>(counts.macs) * table.macPerOp;
  for (std::size_t l = 0; l < kMaxLevelEntries; ++l) {
    for (Tensor t : kAllTensors) {
      const ReadWrite& rw = counts(l, t);
      const double v = accessEnergy(rw, table.cost(l, t));
      e.perLevelTensor[l][t] = v;
      e.perLevel[l] += v;
      e.perTensor[t] += v;
    }
  }
  e.leakage = static_cast<double>(cycles.count()) * table.leakagePerCycle;
  e.total = e.mac + e.leakage;
  for (double v : e.perLevel) e.total += v;
  // The energy reader bounds every cost (kMaxCost) so that this cannot happen for counts and
  // cycles below 2^63; a non-finite figure must never reach a report.
  if (!std::isfinite(e.total)) throw InternalError("energy: a non-finite total from finite costs");
  return e;
}

double energyTotal(const AccessCounts& counts, Cycle cycles, const EnergyTable& table) {
  // computeEnergy's sums, in its order: each entry's tensors from 0.0, then the MACs, the
  // leakage and the entries.
  double total = static_cast<double>(counts.macs) * table.macPerOp +
                 static_cast<double>(cycles.count()) * table.leakagePerCycle;
  for (std::size_t l = 0; l < kMaxLevelEntries; ++l) {
    double level = 0.0;
    for (Tensor t : kAllTensors) level += accessEnergy(counts(l, t), table.cost(l, t));
    total += level;
  }
  if (!std::isfinite(total)) throw InternalError("energy: a non-finite total from finite costs");
  return total;
}

}  // namespace dfsim
