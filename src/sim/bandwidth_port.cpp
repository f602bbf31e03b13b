#include "sim/bandwidth_port.hpp"

namespace dfsim {

// No overflow: cycles stay below kMaxCycles = 2^62 (validateMapping bounds every run), a
// transfer moves at most 2^40 words of 8 bytes and the latency is at most 2^40 (arch reader), so
// busyRem_ + units < 2^45 and every cycle sum below stays under 2^63. A backlog is at most the
// units booked since the port was last idle plus one cycle's worth, less than 2^63 for the same
// reason (the cycle bound counts every unit booked).

Cycle BandwidthPort::reserve(Cycle now, std::uint64_t units) {
  if (units == 0) return now;
  if (perCycle_ == 0) {
    lastEndCycle_ = now.count();
    return Cycle(now.count() + latency_);
  }
  // start = max(busy end, now), in (cycle, remainder) form; then add the units.
  if (busyCycle_ < now.count()) {
    busyCycle_ = now.count();
    busyRem_ = 0;
  }
  const std::uint64_t rem = busyRem_ + units;
  busyCycle_ += rem / perCycle_;
  busyRem_ = rem % perCycle_;
  const std::uint64_t endCycle = busyCycle_ + (busyRem_ > 0 ? 1 : 0);
  return Cycle(endCycle + latency_);
}

std::uint64_t BandwidthPort::backlogUnits(Cycle now) const {
  if (busyCycle_ < now.count() || (busyCycle_ == now.count() && busyRem_ == 0)) return 0;
  return (busyCycle_ - now.count()) * perCycle_ + busyRem_;
}

void BandwidthPort::carryBacklog(Cycle from, Cycle to) {
  if (backlogUnits(from) > 0) busyCycle_ += to.count() - from.count();
}

Cycle BandwidthPort::freeAt() const {
  if (perCycle_ == 0) return Cycle(lastEndCycle_);
  return Cycle(busyCycle_ + (busyRem_ > 0 ? 1 : 0));
}

}  // namespace dfsim
