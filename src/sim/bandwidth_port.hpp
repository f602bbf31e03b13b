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

 private:
  std::uint64_t perCycle_ = 0;
  std::uint64_t latency_ = 0;
  std::uint64_t busyUntilUnits_ = 0;  ///< end of the last booked transfer, in units of 1/W cycle
  std::uint64_t lastEndCycle_ = 0;    ///< for unlimited bandwidth
};

}  // namespace dfsim
