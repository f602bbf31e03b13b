#pragma once

#include <cstdint>

namespace dfsim {

/// A count of clock cycles of the accelerator's core clock. A strong type: it never mixes
/// silently with raw integers or with sc_time (conversion lives in src/sim only).
class Cycle {
 public:
  constexpr Cycle() = default;
  /// Wraps a raw count of cycles.
  constexpr explicit Cycle(std::uint64_t n) : n_(n) {}
  /// The raw count.
  constexpr std::uint64_t count() const { return n_; }

  constexpr Cycle& operator+=(Cycle o) {
    n_ += o.n_;
    return *this;
  }
  friend constexpr Cycle operator+(Cycle a, Cycle b) { return Cycle(a.n_ + b.n_); }
  /// Saturating difference: never wraps below zero.
  friend constexpr Cycle operator-(Cycle a, Cycle b) {
    return Cycle(a.n_ > b.n_ ? a.n_ - b.n_ : 0);
  }
  friend constexpr bool operator==(Cycle a, Cycle b) { return a.n_ == b.n_; }
  friend constexpr bool operator!=(Cycle a, Cycle b) { return a.n_ != b.n_; }
  friend constexpr bool operator<(Cycle a, Cycle b) { return a.n_ < b.n_; }
  friend constexpr bool operator<=(Cycle a, Cycle b) { return a.n_ <= b.n_; }
  friend constexpr bool operator>(Cycle a, Cycle b) { return a.n_ > b.n_; }
  friend constexpr bool operator>=(Cycle a, Cycle b) { return a.n_ >= b.n_; }
  friend constexpr Cycle max(Cycle a, Cycle b) { return a < b ? b : a; }

 private:
  std::uint64_t n_ = 0;
};

/// Longest simulation accepted, in cycles (2^62). validateMapping refuses a mapping whose run
/// could take longer (an upper bound from its access counts and the arch's latencies), so that
/// no cycle count, time stamp or port backlog in the simulator can overflow 64 bits.
inline constexpr std::uint64_t kMaxCycles = std::uint64_t{1} << 62;

/// Cycles to move `words` at `perCycle` words per cycle, rounded up; `perCycle` == 0 means
/// unlimited bandwidth (zero cycles).
constexpr Cycle transferCycles(std::uint64_t words, std::uint64_t perCycle) {
  return perCycle == 0 ? Cycle(0) : Cycle((words + perCycle - 1) / perCycle);
}

}  // namespace dfsim
