#pragma once

#include <systemc>

#include "common/cycle.hpp"

namespace dfsim {

/// Converts between the accelerator's core cycles and SystemC time. The only place where Cycle
/// meets sc_time.
class SimClock {
 public:
  /// A clock of `mhz` MHz; the period is rounded to a whole picosecond.
  explicit SimClock(double mhz)
      : period_(static_cast<double>(static_cast<long long>(1e6 / mhz + 0.5)), sc_core::SC_PS) {}
  /// The current simulation time in whole cycles.
  Cycle now() const { return toCycle(sc_core::sc_time_stamp()); }
  /// Whole cycles in `t` (rounded down).
  Cycle toCycle(const sc_core::sc_time& t) const {
    return Cycle(static_cast<std::uint64_t>(t.value() / period_.value()));
  }
  /// The SystemC time of cycle `c`.
  sc_core::sc_time toTime(Cycle c) const { return period_ * static_cast<double>(c.count()); }
  /// One clock period.
  const sc_core::sc_time& period() const { return period_; }

 private:
  sc_core::sc_time period_;
};

}  // namespace dfsim
