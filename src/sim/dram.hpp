#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include <tlm_utils/simple_target_socket.h>
#include <systemc>
#include <tlm>

#include "arch/arch_spec.hpp"
#include "common/access_counts.hpp"
#include "common/per_tensor.hpp"
#include "sim/bandwidth_port.hpp"
#include "sim/sim_clock.hpp"
#include "sim/tile_buffer.hpp"
#include "workload/problem_shape.hpp"

namespace dfsim {

/// Off-chip memory: a loosely timed TLM-2.0 target holding the layer's three tensors.
///
/// Contract: an address is (tensor << kTensorShift) | (word index * 4); a read or write of
/// `length` bytes moves length/4 words (held as int32, timed as words of the arch's word size).
/// b_transport adds to `delay` the bandwidth queueing and latency of the shared data bus
/// (BandwidthPort in bytes), so a detailed DRAM model can replace this one behind the socket.
/// Every word moved bumps the read or write count of its tensor.
class Dram : public sc_core::sc_module {
 public:
  /// Bit position of the tensor id in a DRAM address.
  static constexpr unsigned kTensorShift = 40;

  tlm_utils::simple_target_socket<Dram> socket;

  /// A DRAM for `arch` holding `weights`, `inputs` (padded) and zeroed outputs, laid out with
  /// the full extents of `shape`'s tensors.
  Dram(const sc_core::sc_module_name& name, const ArchSpec& arch, const ProblemShape& shape,
       const SimClock& clock, std::vector<std::int32_t> weights, std::vector<std::int32_t> inputs);

  /// The whole tensor `t` as a buffer (origin 0).
  TileBuffer& store(Tensor t) { return store_[t]; }
  /// Words read and written per tensor so far.
  const PerTensor<ReadWrite>& counts() const { return counts_; }
  /// Counts of `t`, for the array network when the GLB bypasses `t`.
  ReadWrite& countsOf(Tensor t) { return counts_[t]; }
  /// Books `bytes` on the data bus at `now`, for transfers that bypass the GLB (the caller
  /// converts each tensor's words at ArchSpec::dramBytesPerWord); returns the completion cycle.
  Cycle reserveBytes(Cycle now, std::int64_t bytes);
  /// The cycle at which every booked transfer has completed.
  Cycle idleAt() const { return lastCompletion_; }
  /// The data bus's backlog at `now` (BandwidthPort::backlogUnits) and the cycles from `now`
  /// to idleAt() (0 when past): equal values mean equal futures for equal traffic.
  std::array<std::uint64_t, 2> backlog(Cycle now) const {
    return {bus_.backlogUnits(now), (lastCompletion_ - now).count()};
  }
  /// Moves the backlog at `from` to `to` (skipping ahead; see BandwidthPort::carryBacklog).
  void carryBacklog(Cycle from, Cycle to) {
    bus_.carryBacklog(from, to);
    if (lastCompletion_ > from) lastCompletion_ += to - from;
  }

 private:
  void b_transport(tlm::tlm_generic_payload& trans, sc_core::sc_time& delay);

  const SimClock& clock_;
  PerTensor<std::int64_t> bytesPerWord_{};  ///< per tensor, ArchSpec::dramBytesPerWord
  BandwidthPort bus_;
  PerTensor<BoxShape> shapes_;
  PerTensor<TileBuffer> store_;
  PerTensor<ReadWrite> counts_{};
  Cycle lastCompletion_;
};

}  // namespace dfsim
