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

std::uint64_t BandwidthPort::backlogUnits(Cycle now) const {
  const std::uint64_t nowUnits = now.count() * perCycle_;
  return busyUntilUnits_ > nowUnits ? busyUntilUnits_ - nowUnits : 0;
}

void BandwidthPort::carryBacklog(Cycle from, Cycle to) {
  if (busyUntilUnits_ > from.count() * perCycle_) {
    busyUntilUnits_ += (to.count() - from.count()) * perCycle_;
  }
}

Cycle BandwidthPort::freeAt() const {
  if (perCycle_ == 0) return Cycle(lastEndCycle_);
  return Cycle((busyUntilUnits_ + perCycle_ - 1) / perCycle_);
}

}  // namespace dfsim
