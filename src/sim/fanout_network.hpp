#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include <systemc>

#include "arch/hierarchy.hpp"
#include "common/access_counts.hpp"
#include "common/cycle.hpp"
#include "common/per_tensor.hpp"
#include "sim/bandwidth_port.hpp"
#include "sim/mark_log.hpp"
#include "sim/storage_level.hpp"
#include "sim/tile_box.hpp"

namespace dfsim {

/// A child's part of one transfer over a boundary: which instance of the child level, where its
/// tile sits in tensor coordinates, and its words (the clipped tile's view).
struct ChildTile {
  std::int64_t instance = 0;
  AxisVector origin{};
  const BoxShape* view = nullptr;
  /// With halo reuse, the tile the instance holds now, which the new one replaces (it may be
  /// the destination itself): the words both touch stay in the child, the others come from the
  /// parent. nullptr: the whole tile comes from the parent.
  const TileBuffer* held = nullptr;
  /// Output drains across a fan-out with unreduced dimensions (FanOutSpec::unreducedDims): the
  /// child's index along this fan-out's spatial loops over them, in [0, groups). Else 0.
  std::uint32_t group = 0;
};

/// When the parts of a transfer were done, per kind of port (for the stall causes).
struct TransferDone {
  Cycle dram;     ///< the off-chip level's bus
  Cycle onChip;   ///< on-chip storage ports
  Cycle network;  ///< the fan-out's wires
  /// The latest of the three.
  Cycle latest() const { return max(dram, max(onChip, network)); }
  /// Takes the later of each part.
  void merge(const TransferDone& o) {
    dram = max(dram, o.dram);
    onChip = max(onChip, o.onChip);
    network = max(network, o.network);
  }
};

/// A fan-out of any hierarchy (a thin module without a process): moves words between one parent
/// instance and the child instances below it, and counts them; or, built without a spec, the
/// direct link of a boundary that crosses no fan-out (one child per parent, no counters of its
/// own, no time).
///
/// Contract: each call is one parent instance's group at one step. Fills read every distinct
/// word the group's children need (with a held tile, the words it does not touch; else the
/// whole tile) once from the parent when multicasting (once per receiving child
/// otherwise) and deliver it to every child that needs it (one network read per delivery); psum
/// drains send every child's words (one network write each) and the parent writes each distinct
/// output once, the reduced sum (with `groups` > 1, the network reduces only children of one
/// group, FanOutSpec::unreducedDims: the parent writes each output once per group sending it,
/// and reads it before each such write but the one that starts the visit). A revisit (the group's
/// first output word was sent to this parent instance before) first brings the psums back: one
/// parent read, network read and child write per distinct word. Every child tile lies inside the
/// parent instance's current tile. Values move only when `functional`; the counts and times are the
/// same either way. Time (each call books at `now` and returns when its parts are done): the
/// network carries distinct words (a fill's parent reads, the psums returned, the reduced psums of
/// a drain); a fill's child writes count as the parent side's time (the fill's source), a drain's
/// child reads as on-chip time.
class FanOutNetwork : public sc_core::sc_module {
 public:
  /// The network of `spec` (nullptr: a direct link), one copy per instance of the level above
  /// it (`copies`), each with its own wires.
  FanOutNetwork(const sc_core::sc_module_name& name, const FanOutSpec* spec, std::int64_t copies,
                bool functional);

  /// Fills the weights or inputs tiles `kids[0..n)` from parent instance `q` (copy `copy`).
  TransferDone fill(Tensor t, StorageLevel& parent, std::int64_t q, StorageLevel& child,
                    const ChildTile* kids, std::size_t n, std::int64_t copy, Cycle now);
  /// Gives the children new output tiles (zero psums); a revisit per `seen` (one byte per
  /// output word of the whole tensor, for parent instance `q`, indexed by `fullPitch`) brings
  /// the psums back. Marks the group's words seen.
  TransferDone takeOutputs(StorageLevel& parent, std::int64_t q, StorageLevel& child,
                           const ChildTile* kids, std::size_t n, std::int64_t copy,
                           std::uint8_t* seen, const AxisVector& fullPitch, Cycle now);
  /// Sends the psums of the children's held output tiles up, reduced within each of `groups`
  /// groups (ChildTile::group), into parent instance `q` (added to its words), and releases
  /// the tiles.
  TransferDone drainOutputs(StorageLevel& parent, std::int64_t q, StorageLevel& child,
                            const ChildTile* kids, std::size_t n, std::int64_t copy, Cycle now,
                            std::int64_t groups);
  /// One innermost iteration's operands of `t` (weights or inputs) for the latches of the
  /// innermost instances at tensor coordinates `at[0..n)`: read from parent instance `q`; writes
  /// each word's index in the parent's tile to `index[0..n)`. With `times` > 1, counts and
  /// books that many such fills of the same words' count at `now` (fast mode: the innermost
  /// iterations move the points by one vector, which keeps their number of distinct words).
  TransferDone latchFill(Tensor t, StorageLevel& parent, std::int64_t q, const AxisVector* at,
                         std::size_t n, std::int64_t* index, std::int64_t copy, Cycle now,
                         std::int64_t times = 1);
  /// One innermost iteration's psums at `at[0..n)` for parent instance `q`: a revisit (per
  /// `seen`, as takeOutputs) brings them back first (booked at `now`); then each latch's
  /// `psum[k]` goes up (counted, its value added to the parent's word) and `sendWords` says how
  /// many distinct outputs the parent will write: the caller books that trip with sendPsums()
  /// when it happens (the 4-level simulator's latch sends a psum at the next iteration).
  /// With `groups` > 1 the latches reduce within their group only (`group[0..n)`, as
  /// drainOutputs): `sendWords` counts an output once per group, and the parent's reads of the
  /// words it accumulates those into are booked here.
  TransferDone latchOutputs(StorageLevel& parent, std::int64_t q, const AxisVector* at,
                            const std::int32_t* psum, std::size_t n, std::int64_t copy,
                            std::uint8_t* seen, const AxisVector& fullPitch,
                            std::int64_t& sendWords, Cycle now, const std::uint32_t* group,
                            std::int64_t groups);
  /// Fast mode: `iterations` innermost iterations at once, each a latchOutputs() followed by
  /// the sendPsums() of the iteration before's psums (the first sends `unsentBefore`), where
  /// iteration i's points are at[0..n) moved by shift[i] words of the whole tensor (indexed by
  /// `fullPitch`). The same counts, marks and bookings (all at `now`: bookings at one cycle add
  /// up) as those calls one by one; `unsentAfter` is the last iteration's distinct outputs,
  /// which the caller sends later. The innermost iterations move every point alike, so the
  /// number of distinct outputs is the same in each. `group` and `groups` as latchOutputs.
  TransferDone latchOutputsRepeated(StorageLevel& parent, std::int64_t q, const AxisVector* at,
                                    std::size_t n, std::int64_t copy, std::uint8_t* seen,
                                    const AxisVector& fullPitch, const std::int64_t* shift,
                                    std::int64_t iterations, std::int64_t unsentBefore,
                                    std::int64_t& unsentAfter, Cycle now,
                                    const std::uint32_t* group, std::int64_t groups);
  /// Books the trip up of `words` reduced psums latchOutputs() counted: the network (copy
  /// `copy`) and the parent instance `q`'s writes (counted here).
  TransferDone sendPsums(StorageLevel& parent, std::int64_t q, std::int64_t words,
                         std::int64_t copy, Cycle now);

  /// Whether the network multicasts (a direct link does).
  bool multicast() const { return multicast_; }
  /// Deliveries (reads) and psums sent (writes) per tensor, over every copy.
  const PerTensor<ReadWrite>& counts() const { return counts_; }
  /// For skipping ahead: adds `reads` and `writes` to t's counts.
  void addCounts(Tensor t, std::int64_t reads, std::int64_t writes) {
    counts_[t].reads += reads;
    counts_[t].writes += writes;
  }
  /// For skipping ahead: appends each wire's backlog at `now` (BandwidthPort::backlogUnits).
  void appendBacklog(Cycle now, std::vector<std::uint64_t>& out) const;
  /// For skipping ahead: every wire keeps its backlog from `from` at `to`.
  void carryBacklog(Cycle from, Cycle to);
  /// Psum marks go through `log` from now on (nullptr: set without logging); the log outlives
  /// the network.
  void setMarkLog(MarkLog* log) { log_ = log; }

 private:
  /// Books `words` of tensor t on copy `copy`'s wires (a per-tensor network: t's own).
  Cycle carry(std::int64_t copy, Tensor t, std::int64_t words, Cycle now);
  /// Parent-side time: a read or a write of `words` by instance `q`.
  /// Throws InternalError when `parent` is an addressed DRAM (the latch paths note no words).
  void refuseAddressed(const StorageLevel& parent) const;
  static TransferDone parentSide(StorageLevel& parent, std::int64_t q, Tensor t, std::int64_t words,
                                 bool read, Cycle now);

  /// The distinct (word, group) pairs of `word[0..n)` (indices in `stamp`'s tile) with groups
  /// `group[0..n)` in [0, groups): one pass per group.
  std::int64_t groupedDistinct(std::vector<std::uint64_t>& stamp, const std::int64_t* word,
                               const std::uint32_t* group, std::size_t n, std::int64_t groups);

  /// With `held` set, marks per axis which offsets of the new tile the held one touches too
  /// (keep_[axis][offset]); functional, points heldData_ at the held values (a copy when they
  /// are the destination's own, which the new tile overwrites).
  void markKept(const ChildTile& kid, const TileBuffer& to);

  void mark(std::uint8_t* byte) {
    if (log_ != nullptr) {
      log_->mark(byte);
    } else {
      *byte = 1;
    }
  }

  MarkLog* log_ = nullptr;
  bool direct_;
  bool multicast_ = true;
  bool functional_;
  std::uint64_t event_ = 0;  ///< stamps distinct words per group (parents' stamp arrays)
  /// Per copy one port, or (NetworkKind::PerTensor) one per tensor, at copy * 3 + tensor.
  std::vector<BandwidthPort> wires_;
  bool perTensor_ = false;
  std::array<std::vector<char>, kAxes> keep_;  ///< markKept's marks (grown once, reused)
  std::vector<std::int64_t> distinctAt_;    ///< latchOutputsRepeated's words (grown once, reused)
  std::vector<std::int64_t> wordAt_;        ///< latch psums' words in the tile (grown once)
  std::vector<std::int32_t> heldCopy_;      ///< the held values when overwritten in place
  const std::int32_t* heldData_ = nullptr;  ///< the held values (functional mode)
  AxisVector heldOrigin_{};
  const BoxShape* heldShape_ = nullptr;
  PerTensor<ReadWrite> counts_{};
};

}  // namespace dfsim
