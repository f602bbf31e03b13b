#pragma once

#include <cstdint>

#include "common/cycle.hpp"

namespace dfsim {

/// A cycle-stamped channel with a bandwidth and a latency, shared by the transfers issued on it
/// in program order (a plain class: the SystemC modules own one per port).
///
/// Contract: a transfer of `units` issued at cycle `now` starts when the channel is free
/// (not before `now`), occupies it for units/unitsPerCycle cycles (transfers pack back to back
/// without rounding each one up), and its data has all arrived `latency` cycles after the last
/// unit left: `reserve(now, B)` on an idle channel returns now + ceil(B / W) + L, not one cycle
/// earlier. A zero-unit transfer completes at `now`. unitsPerCycle == 0 means unlimited
/// bandwidth (the latency still applies).
class BandwidthPort {
 public:
  BandwidthPort() = default;
  /// A channel moving `unitsPerCycle` units per cycle (0 = unlimited) with `latencyCycles`.
  BandwidthPort(std::uint64_t unitsPerCycle, std::uint64_t latencyCycles)
      : perCycle_(unitsPerCycle), latency_(latencyCycles) {}

  /// Books a transfer of `units` issued at `now`; returns the cycle at which it completes.
  Cycle reserve(Cycle now, std::uint64_t units);
  /// The first cycle at which the channel has no transfer in flight on its wires.
  Cycle freeAt() const;
  /// Work still queued at cycle `now`, in units of 1/unitsPerCycle cycle (0 when the channel is
  /// idle by then, or has unlimited bandwidth). Two channels with the same backlog at their
  /// `now` serve the same later traffic identically, shifted in time.
  std::uint64_t backlogUnits(Cycle now) const;
  /// For skipping ahead in time: a channel busy at `from` keeps the same backlog at `to`
  /// (`to` >= `from`); an idle one is left as it is (it is idle at `to` as well).
  void carryBacklog(Cycle from, Cycle to);

 private:
  std::uint64_t perCycle_ = 0;
  std::uint64_t latency_ = 0;
  // The end of the last booked transfer is busyCycle_ + busyRem_ / W cycles (busyRem_ < W): kept
  // as a pair so that no cycle is ever multiplied by W (up to 2^40 units per cycle), which would
  // overflow 64 bits for runs of more than 2^24 cycles.
  std::uint64_t busyCycle_ = 0;
  std::uint64_t busyRem_ = 0;
  std::uint64_t lastEndCycle_ = 0;  ///< for unlimited bandwidth
};

}  // namespace dfsim
