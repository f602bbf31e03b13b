#pragma once

#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

#include <systemc>

#include "arch/hierarchy.hpp"
#include "common/access_counts.hpp"
#include "common/cycle.hpp"
#include "common/per_tensor.hpp"
#include "sim/bandwidth_port.hpp"
#include "sim/dram_model.hpp"
#include "sim/tile_box.hpp"
#include "sim/tile_buffer.hpp"

namespace dfsim {

/// One storage level of any hierarchy, all its instances (a thin module without a process): per
/// instance and per tensor it keeps, the tile held now with real values (DRAM: the whole
/// tensors), a stamp per word that the networks use to count distinct words, and its ports; its
/// counters, bumped by the networks as words move and by the MACs of the innermost level.
///
/// Contract: `instance` < instances(); a tensor's tile exists only where the level keeps it
/// (DRAM keeps all). A `double_buffered` on-chip level has a second tile (the spare) per instance
/// for the weights and inputs it keeps, which a prefetch fills while the first is in use.
/// Ports: on chip, one read port (the level's latency: from a read request to its data) and one
/// write port (no latency) per instance, in words per cycle; off chip, the DRAM model the spec
/// names (StorageLevelSpec::dramTiming; the default: one bus in bytes shared by reads and
/// writes, the latency on every transfer). A model that uses addresses (addressed()) needs the
/// words of each transfer: the caller notes each word it moves (noteWord(), `words` of them)
/// before the read() or write() that books them, which issues them in address order, runs of
/// consecutive words coalesced into one request. Address map: the tensors lie one after the
/// other (weights, inputs, outputs), each word in row-major order over the tensor's full
/// extents (the whole tile's index) at its tensor's bytes per word, and each tensor's base is
/// the end of the one before rounded up to a multiple of rowBytes * banks (bank 0, a new row).
class StorageLevel : public sc_core::sc_module {
 public:
  /// `instances` copies of `spec`; `tileShape[t]` the largest tile of t it keeps (unused where
  /// it does not; DRAM: the whole tensor), `bytesPerWord` each tensor's word on the DRAM bus.
  StorageLevel(const sc_core::sc_module_name& name, const StorageLevelSpec& spec,
               std::int64_t instances, const PerTensor<bool>& keeps,
               const PerTensor<const BoxShape*>& tileShape,
               const PerTensor<std::int64_t>& bytesPerWord, double clockMhz);

  /// Instances of this level.
  std::int64_t instances() const { return instances_; }
  /// Whether the level keeps tensor `t`.
  bool keeps(Tensor t) const { return keeps_[t]; }
  /// The tile of `t` instance `i` holds.
  TileBuffer& tile(std::int64_t i, Tensor t) { return tiles_[t][static_cast<std::size_t>(i)]; }
  /// The spare of tile(i, t) (hasSpare(t)).
  TileBuffer& spare(std::int64_t i, Tensor t) { return spares_[t][static_cast<std::size_t>(i)]; }
  /// Whether the level reuses halos (StorageLevelSpec::haloReuse): a new tile of weights or
  /// inputs keeps the words it shares with the tile the instance held.
  bool haloReuse() const { return spec_.haloReuse; }
  /// Whether instance tiles of `t` have a spare (double buffered weights or inputs).
  bool hasSpare(Tensor t) const { return !spares_[t].empty(); }
  /// Swaps tile(i, t) with its spare (hasSpare(t)): a prefetch fills the spare by swapping it in
  /// for the fill and back; the step that uses it swaps it in for good.
  void swapSpare(std::int64_t i, Tensor t) {
    std::swap(tiles_[t][static_cast<std::size_t>(i)], spares_[t][static_cast<std::size_t>(i)]);
  }
  /// One stamp per word of tile(i, t)'s storage (for distinct-word counting).
  std::vector<std::uint64_t>& stamps(std::int64_t i, Tensor t) {
    return stamps_[t][static_cast<std::size_t>(i)];
  }

  /// Whether this off-chip level's DRAM model needs the words of each transfer (noteWord()).
  bool addressed() const { return addressed_; }
  /// Notes word `word` (an index into tile(0, t), the whole tensor) of the next transfer of an
  /// addressed() level.
  void noteWord(Tensor t, std::int64_t word) {
    noted_.push_back(base_[t] + static_cast<std::uint64_t>(word * bytesPerWord_[t]));
  }
  /// Forgets the words noted since the last transfer (a transfer that did not happen).
  void dropNotes() { noted_.clear(); }
  /// Whether skipping ahead is exact for this level (its DRAM model's canSkipAhead()).
  bool canSkipAhead() const { return dram_ == nullptr || dram_->canSkipAhead(); }
  /// Off chip: the DRAM model's row statistics.
  DramRowStats dramRowStats() const {
    return dram_ != nullptr ? dram_->rowStats() : DramRowStats{};
  }

  /// Instance `i` reads `words` words of `t` from cycle `now`: counts them, returns when the
  /// data is out.
  Cycle read(std::int64_t i, Tensor t, std::int64_t words, Cycle now);
  /// Instance `i` writes `words` words of `t` from cycle `now`: counts them, returns when done.
  Cycle write(std::int64_t i, Tensor t, std::int64_t words, Cycle now);
  /// `n` MACs' accesses to the operand of `t` this (innermost) level keeps: a read each (and
  /// for outputs the write of the updated psum); no port time (the PE's own storage).
  void macAccesses(Tensor t, std::int64_t n) {
    counts_[t].reads += n;
    if (t == Tensor::Outputs) counts_[t].writes += n;
  }
  /// `n` MACs done by the instances of this (innermost) level.
  void countMacs(std::int64_t n) { macs_ += n; }
  /// MACs done by the instances of this level.
  std::int64_t macs() const { return macs_; }
  /// The cycle by which every transfer booked on the level's ports has completed.
  Cycle idleAt() const { return idleAt_; }
  /// Whether this is the off-chip level.
  bool offChip() const { return spec_.offChip; }
  /// Words read and written per tensor, summed over the instances.
  const PerTensor<ReadWrite>& counts() const { return counts_; }
  /// For skipping ahead: adds `reads` and `writes` to t's counts.
  void addCounts(Tensor t, std::int64_t reads, std::int64_t writes) {
    counts_[t].reads += reads;
    counts_[t].writes += writes;
  }
  /// For skipping ahead: appends each port's backlog at `now` (BandwidthPort::backlogUnits),
  /// then how long after `now` idleAt() is (0 if not after).
  void appendBacklog(Cycle now, std::vector<std::uint64_t>& out) const;
  /// For skipping ahead: every port keeps its backlog from `from` at `to`, and idleAt() moves
  /// on by to - from when it is after `from`.
  void carryBacklog(Cycle from, Cycle to);

 private:
  Cycle reserve(std::vector<BandwidthPort>& ports, std::int64_t i, Tensor t, std::int64_t words,
                Cycle now, bool write);
  /// Issues the noted words of a transfer of `words` words of `t` to the addressed DRAM model.
  Cycle issueNoted(Tensor t, std::int64_t words, Cycle now, bool write);

  StorageLevelSpec spec_;
  std::int64_t instances_;
  PerTensor<bool> keeps_;
  PerTensor<std::int64_t> bytesPerWord_;
  PerTensor<std::vector<TileBuffer>> tiles_;
  PerTensor<std::vector<TileBuffer>> spares_;  ///< double buffered weights and inputs only
  PerTensor<std::vector<std::vector<std::uint64_t>>> stamps_;
  std::vector<BandwidthPort> readPorts_;   ///< on chip only: one per instance
  std::vector<BandwidthPort> writePorts_;  ///< on chip only
  std::unique_ptr<DramModel> dram_;        ///< off chip only
  bool addressed_ = false;                 ///< dram_ uses addresses
  PerTensor<std::uint64_t> base_{};        ///< off chip: each tensor's first byte
  std::vector<std::uint64_t> noted_;       ///< addressed: the next transfer's byte addresses
  PerTensor<ReadWrite> counts_{};
  std::int64_t macs_ = 0;
  Cycle idleAt_{};
};

}  // namespace dfsim
