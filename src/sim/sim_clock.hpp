#pragma once

#include <systemc>

#include "common/cycle.hpp"

namespace dfsim {

/// Converts between the accelerator's core cycles and SystemC time. The only place where Cycle
/// meets sc_time.
///
/// SystemC time counts cycles: one cycle is one unit of the kernel's time resolution (1 ps by
/// default), whatever the arch's clock. So no cycle count can depend on the clock (a period
/// rounded to whole picoseconds would be 0 ps above 1 THz and overflow sc_time below 1 MHz x
/// 2^64 ps), every conversion is exact integer arithmetic, and times up to kMaxCycles fit
/// sc_time's 64 bits. The clock (ArchSpec::clockMhz) only turns cycles into seconds in reports.
class SimClock {
 public:
  /// The current simulation time in whole cycles.
  Cycle now() const { return toCycle(sc_core::sc_time_stamp()); }
  /// Whole cycles in `t`.
  Cycle toCycle(const sc_core::sc_time& t) const { return Cycle(t.value()); }
  /// The SystemC time of cycle `c`.
  sc_core::sc_time toTime(Cycle c) const { return sc_core::sc_time::from_value(c.count()); }
};

}  // namespace dfsim
