#include "sim/bandwidth_port.hpp"

namespace dfsim {

Cycle BandwidthPort::reserve(Cycle now, std::uint64_t units) {
  if (units == 0) return now;
  if (perCycle_ == 0) {
    lastEndCycle_ = now.count();
    return Cycle(now.count() + latency_);
  }
  const std::uint64_t nowUnits = now.count() * perCycle_;
  const std::uint64_t start = busyUntilUnits_ > nowUnits ? busyUntilUnits_ : nowUnits;
  busyUntilUnits_ = start + units;
  const std::uint64_t endCycle = (busyUntilUnits_ + perCycle_ - 1) / perCycle_;
  return Cycle(endCycle + latency_);
}

Cycle BandwidthPort::freeAt() const {
  if (perCycle_ == 0) return Cycle(lastEndCycle_);
  return Cycle((busyUntilUnits_ + perCycle_ - 1) / perCycle_);
}

}  // namespace dfsim
