#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include <tlm_utils/simple_initiator_socket.h>
#include <systemc>
#include <tlm>

#include "arch/arch_spec.hpp"
#include "common/access_counts.hpp"
#include "common/per_tensor.hpp"
#include "sim/bandwidth_port.hpp"
#include "sim/sim_clock.hpp"
#include "sim/tile_buffer.hpp"

namespace dfsim {

/// The global buffer: per tensor it keeps, one or two tile slots (two when double buffered, so
/// the next tile can arrive while the array works on the current one). It talks to DRAM through
/// a TLM-2.0 initiator socket, one burst per contiguous run of words, and counts every word it
/// reads or writes per tensor. It refuses (InternalError) to hold more words than its partitions.
class GlobalBuffer : public sc_core::sc_module {
 public:
  tlm_utils::simple_initiator_socket<GlobalBuffer> dramSocket;

  /// A GLB for `arch`. `dramOutputs` is the full output tensor's extents, for the record of
  /// which output words DRAM holds.
  GlobalBuffer(const sc_core::sc_module_name& name, const ArchSpec& arch, const SimClock& clock);

  /// Prepares `slots` (1 or 2) slots of shape `shape` for tensor `t`; `dramShape` is the shape
  /// of the whole tensor in DRAM.
  void configure(Tensor t, const BoxShape* shape, const BoxShape* dramShape, int slots);
  /// Slot `i` of tensor `t`.
  TileBuffer& slot(Tensor t, int i) { return slots_[t][static_cast<std::size_t>(i)]; }
  /// Counts of tensor `t` (the array network bumps reads/writes it makes on the GLB here).
  ReadWrite& countsOf(Tensor t) { return counts_[t]; }
  /// Words read and written per tensor so far.
  const PerTensor<ReadWrite>& counts() const { return counts_; }

  /// Loads the tile of `t` at `origin` into slot `i` from DRAM, issued at cycle `now`; returns
  /// the cycle its last word arrives. `view` gives the tile's touched words (the slot's shape, or
  /// a clipped tile of a ragged mapping: the same pitch, fewer touched offsets); the slot keeps
  /// it for the write-back. Outputs load only the words DRAM holds partial sums for; the rest
  /// start empty (no access).
  Cycle fill(Tensor t, int i, const AxisVector& origin, const BoxShape* view, Cycle now);
  /// Writes the tile held in slot `i` of the outputs back to DRAM (the touched words of its
  /// view that hold a psum; posted: the array need not wait); returns the cycle the write
  /// completes.
  Cycle writeBack(int i, Cycle now);
  /// Books `words` GLB reads at `now`; returns their completion (bandwidth and latency).
  Cycle reserveReads(Cycle now, std::int64_t words) {
    return readPort_.reserve(now, static_cast<std::uint64_t>(words));
  }
  /// Books `words` GLB writes at `now`; returns their completion.
  Cycle reserveWrites(Cycle now, std::int64_t words) {
    return writePort_.reserve(now, static_cast<std::uint64_t>(words));
  }

  /// The read and write ports' backlogs at `now` (BandwidthPort::backlogUnits).
  std::array<std::uint64_t, 2> backlog(Cycle now) const {
    return {readPort_.backlogUnits(now), writePort_.backlogUnits(now)};
  }
  /// Moves the ports' backlogs at `from` to `to` (BandwidthPort::carryBacklog).
  void carryBacklog(Cycle from, Cycle to) {
    readPort_.carryBacklog(from, to);
    writePort_.carryBacklog(from, to);
  }

 private:
  /// One DRAM burst of `words` words at DRAM word index `dramIndex` of `t`.
  Cycle burst(Tensor t, bool write, std::int64_t dramIndex, std::int32_t* data, std::int64_t words,
              Cycle now);
  void checkCapacity() const;

  const ArchSpec& arch_;
  const SimClock& clock_;
  BandwidthPort readPort_;
  BandwidthPort writePort_;
  PerTensor<std::array<TileBuffer, 2>> slots_;
  PerTensor<int> slotCount_{};
  PerTensor<const BoxShape*> dramShape_{};
  std::vector<std::uint8_t> dramHoldsOutput_;  ///< output words written back to DRAM
  std::vector<std::int32_t> staging_;          ///< burst staging (sized once)
  tlm::tlm_generic_payload trans_;             ///< reused by every burst (no allocation per burst)
  PerTensor<ReadWrite> counts_{};
};

}  // namespace dfsim
