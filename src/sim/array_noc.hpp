#pragma once

#include <array>
#include <cstdint>
#include <utility>
#include <vector>

#include <systemc>

#include "arch/arch_spec.hpp"
#include "common/access_counts.hpp"
#include "common/per_tensor.hpp"
#include "sim/bandwidth_port.hpp"
#include "sim/pe_array.hpp"
#include "sim/step_kind.hpp"
#include "sim/tile_buffer.hpp"

namespace dfsim {

/// The array network between a parent store (the GLB, or DRAM for a tensor the GLB bypasses) and
/// the PEs. It moves real words: multicast fills (one parent read feeds every PE that needs the
/// word when multicast is on), partial-sum returns to one PE of each reduction group, and psum
/// drains that the array reduces to one parent write per distinct output. It counts words per
/// tensor: NoC reads are deliveries to PEs, NoC writes are words sent by PEs. Timing: a port of
/// `noc.wordsPerCycle` distinct words per cycle with the hop latency.
///
/// Every transfer runs over the PEs that work in its step (a StepKind: under a ragged mapping a
/// PE beyond the problem's edge idles and gets, sends and counts nothing).
///
/// Fast mode (`functional` false): the first transfer of each kind (tensor x RF tile or latch x
/// fill, partial return or drain x step kind) runs as above and records what it counted; later
/// transfers of that kind count the same without moving values, and a drain only marks which
/// parent words now hold partial sums. Transfers of one kind move the same pattern of words (the
/// step kind fixes the working PEs, the parent's pitch is that of its largest tile), so the
/// counts are the same as in functional mode (a test checks it on every dataflow and on ragged
/// mappings).
class ArrayNoc : public sc_core::sc_module {
 public:
  /// Where a transfer goes in the PE: the RF tile, or the one-word operand latch.
  enum class Route : std::uint8_t { RfTile, Latch };

  ArrayNoc(const sc_core::sc_module_name& name, const ArchSpec& arch, bool functional);

  /// (index in a PE's RF block, offset in the parent from the PE's tile origin) of every word
  /// a transfer moves per PE.
  using Plan = std::vector<std::pair<std::int32_t, std::int64_t>>;
  /// The plan moving every touched word of an RF tile of `rfShape` to/from a parent of
  /// `parentShape`.
  static Plan makePlan(const BoxShape& rfShape, const BoxShape& parentShape);
  /// Sizes the marks for parents of up to `parentWords` words (allocation happens here, once).
  void reserveParent(std::int64_t parentWords);
  /// Sizes the fast-mode memo for `kinds` step kinds (StepKind::id < kinds; default 1).
  void reserveStepKinds(std::size_t kinds);

  /// Fills the RF tile or latch of `t` (weights or inputs) of every PE working in `kind` from
  /// `parent`; `peBase[pe]` is the parent index of PE pe's tile origin. Bumps parent reads, NoC
  /// reads and RF writes (a latch is not the RF: no RF count). Returns the words the parent read
  /// (the distinct words when multicasting).
  std::int64_t fill(Tensor t, Route route, const Plan& plan, const TileBuffer& parent,
                    ReadWrite& parentCounts, PeArray& pes, const std::vector<std::int64_t>& peBase,
                    const StepKind& kind);
  /// Fast mode, once `replaysAll(t, route, kind)`: counts `times` fills of `t` like the first
  /// one of `kind`. Returns the parent reads.
  std::int64_t replayFills(Tensor t, Route route, std::int64_t times, std::int64_t wordsPerPe,
                           ReadWrite& parentCounts, PeArray& pes, const StepKind& kind);
  /// Starts a visit of the output tiles: the psums of each PE working in `kind` start at zero,
  /// except that every word the parent holds a partial sum for is returned to the first PE that
  /// needs it. Returns the parent reads.
  std::int64_t fillPartials(Route route, const Plan& plan, const TileBuffer& parent,
                            ReadWrite& parentCounts, PeArray& pes,
                            const std::vector<std::int64_t>& peBase, const StepKind& kind);
  /// Ends a visit of the output tiles: every PE of `kind` (those the visit's fillPartials
  /// started) sends its psums, the array adds those of the same output, and the parent gets one
  /// write per distinct output. Returns the parent writes.
  std::int64_t drain(Route route, const Plan& plan, TileBuffer& parent, ReadWrite& parentCounts,
                     PeArray& pes, const std::vector<std::int64_t>& peBase, const StepKind& kind);

  /// Whether psum drains on `route` of `kind` are replayed (fast mode, after the first): only
  /// PE 0's parent index is then read.
  bool replaysDrains(Route route, const StepKind& kind) const {
    return replays(Tensor::Outputs, route, kDrain, kind);
  }
  /// Whether every transfer of `t` on `route` in steps of `kind` is replayed (fast mode, each
  /// seen once): then only PE 0's parent index is read.
  bool replaysAll(Tensor t, Route route, const StepKind& kind) const {
    return t == Tensor::Outputs
               ? replays(t, route, kPartials, kind) && replays(t, route, kDrain, kind)
               : replays(t, route, kFill, kind);
  }

  /// The network port's backlog at `now` (BandwidthPort::backlogUnits).
  std::uint64_t backlog(Cycle now) const { return port_.backlogUnits(now); }
  /// Moves the port's backlog at `from` to `to` (BandwidthPort::carryBacklog).
  void carryBacklog(Cycle from, Cycle to) { port_.carryBacklog(from, to); }

  /// The mark log (fast mode, for skipping ahead): while on, every parent index a drain marks
  /// as holding a partial sum is appended, up to `capacity` entries (reserved here, once);
  /// entries beyond it are only counted in marksDropped().
  void startMarkLog(std::size_t capacity) {
    markLog_.reserve(capacity);
    markLogOn_ = true;
  }
  /// The parent indices marked since the last clearMarkLog(), in order.
  const std::vector<std::int64_t>& markLog() const { return markLog_; }
  /// Marks dropped because the log was full, ever (compare two readings).
  std::uint64_t marksDropped() const { return marksDropped_; }
  /// Empties the log (its capacity stays).
  void clearMarkLog() { markLog_.clear(); }
  /// Appends `parentIndex` to the log as a drain would (for marks made on the drains' behalf).
  void logMark(std::int64_t parentIndex) {
    if (!markLogOn_) return;
    if (markLog_.size() < markLog_.capacity()) {
      markLog_.push_back(parentIndex);
    } else {
      ++marksDropped_;
    }
  }

  /// Books `words` distinct words on the network at `now`; returns their arrival.
  Cycle reserve(Cycle now, std::int64_t words) {
    return port_.reserve(now, static_cast<std::uint64_t>(words));
  }
  /// Counts of tensor `t`.
  ReadWrite& countsOf(Tensor t) { return counts_[t]; }
  /// Words moved per tensor so far.
  const PerTensor<ReadWrite>& counts() const { return counts_; }

 private:
  /// What the first transfer of a kind counted, for fast mode.
  struct Memo {
    bool known = false;
    std::int64_t parentWords = 0;  ///< parent reads (fill) or distinct words (partials, drain)
    /// Distinct parent offsets a drain writes, relative to PE 0's first word.
    std::vector<std::int64_t> distinctOffsets;
  };
  enum Op : std::size_t { kFill, kPartials, kDrain, kOps };
  static constexpr std::size_t kMemosPerKind = kNumTensors * 2 * kOps;
  std::size_t memoIndex(Tensor t, Route r, Op op, const StepKind& kind) const {
    return kind.id * kMemosPerKind + (idx(t) * 2 + static_cast<std::size_t>(r)) * kOps + op;
  }
  Memo& memo(Tensor t, Route r, Op op, const StepKind& kind) {
    return memo_[memoIndex(t, r, op, kind)];
  }

  bool replays(Tensor t, Route r, Op op, const StepKind& kind) const {
    return !functional_ && memo_[memoIndex(t, r, op, kind)].known;
  }
  /// Starts a new round of "first time this word is seen" marks over a parent of `size` words.
  void newRound(std::size_t size);
  bool firstSeen(std::int64_t parentIndex) {
    auto& s = stamp_[static_cast<std::size_t>(parentIndex)];
    if (s == round_) return false;
    s = round_;
    return true;
  }

  bool multicast_;
  bool functional_;
  BandwidthPort port_;
  std::vector<std::uint32_t> stamp_;
  std::uint32_t round_ = 0;
  PerTensor<ReadWrite> counts_{};
  std::vector<Memo> memo_;  ///< per step kind, tensor, route and op (memoIndex)
  std::vector<std::int64_t> markLog_;
  bool markLogOn_ = false;
  std::uint64_t marksDropped_ = 0;
};

}  // namespace dfsim
