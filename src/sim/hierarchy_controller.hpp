#pragma once

#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

#include <systemc>

#include "arch/hierarchy.hpp"
#include "common/cycle_breakdown.hpp"
#include "common/trace_log.hpp"
#include "mapping/loop_nest.hpp"
#include "sim/fanout_network.hpp"
#include "sim/mark_log.hpp"
#include "sim/sim_clock.hpp"
#include "sim/storage_level.hpp"
#include "sim/tile_box.hpp"
#include "workload/problem_shape.hpp"

namespace dfsim {

/// The one SC_THREAD of the simulator of any hierarchy: walks the padded flat nest of a
/// LoopNest (the temporal loops of every level but the innermost as steps; spatial loops are
/// instances; the innermost level's temporal loops as the MACs of a step), skips the steps that
/// lie beyond the layer's edge, and at each step, per boundary (parent -> child of a tensor,
/// THE MODEL of the common rules), drains the psums of the child tiles that change (innermost
/// boundary first), fills the new tiles (outermost first), then runs the innermost iterations,
/// streaming the operands the innermost level bypasses through its latches.
///
/// Time: the 4-level simulator's (src/sim/README.md "Time"), one phase per level. A step 1. sends
/// the innermost level's changing psums up and waits; 2. writes the other changing output
/// tiles back, posted; 3. per child level, outermost first: fills its new tiles (or takes the
/// prefetched ones) and waits, then prefetches the next tiles of its double-buffered weights
/// and inputs; 4. computes, the latch traffic booked at its start. A wait goes to the part that
/// finished last (ties: DRAM, on-chip storage, network). The run ends with the last drains and
/// when DRAM has taken its last word. A systolic mesh above the innermost level adds its time
/// at every fold (FanOutSpec::network): after the drains, the PEs' new weight and input tiles
/// shift in (rows x the larger tile's words, beside the fills: the step waits for the later),
/// then the wavefront's skew and drain, (rows - 1) + (cols - 1); both count as network stalls.
///
/// Contract: `levels[k]` is the k-th storage level of `h` (with the instances the spatial loops
/// above it make), `networks[e]` the FanOutNetwork of fan-out entry e (nullptr elsewhere),
/// `direct` the link of boundaries that cross no fan-out; the nest passed validateLoopNest for
/// (shape, h). The blocks outlive the controller.
class HierarchyController : public sc_core::sc_module {
 public:
  SC_HAS_PROCESS(HierarchyController);
  HierarchyController(const sc_core::sc_module_name& name, const ProblemShape& shape,
                      const Hierarchy& h, const LoopNest& nest, const SimClock& clock,
                      std::vector<StorageLevel*> levels, std::vector<FanOutNetwork*> networks,
                      FanOutNetwork& direct, bool functional, bool skipRepeats = false);

  /// Whether the run reached its end.
  bool finished() const { return finished_; }
  /// Where the cycles went (valid once finished).
  const CycleBreakdown& cycles() const { return cycles_; }
  /// Steps that skipping ahead applied at once instead of running (0 unless skipRepeats).
  std::int64_t stepsSkipped() const { return stepsSkipped_; }
  /// Records the run's spans into `log` (TraceLog's contract; nullptr: none, the default).
  /// Call before the simulation starts; `log` outlives the run. Tracing changes no count or
  /// cycle: it only reads the counters and the time.
  void setTrace(TraceLog* log) { trace_ = log; }

  /// One loop of the flat nest.
  struct FlatLoop {
    std::size_t dim = 0;
    std::int64_t bound = 1;
    std::int64_t weight = 1;  ///< how far one iteration moves its dimension
    std::size_t level = 0;    ///< the storage level (index into the nest) it belongs to
    bool spatial = false;
  };

 private:
  /// One parent -> child boundary of one tensor (or parent -> the innermost level's latch).
  struct Boundary {
    Tensor t = Tensor::Weights;
    std::size_t parent = 0;
    std::size_t child = 0;
    bool latch = false;
    FanOutNetwork* net = nullptr;
    std::int64_t perParent = 1;  ///< child instances per parent instance
    std::size_t timeEnd = 0;     ///< outer temporal loops before the child's
    /// relevantFrom[j]: some loop in [j, timeEnd) with a bound > 1 moves t (a move from the
    /// carry j on gives the children new tiles).
    std::vector<std::uint8_t> relevantFrom;
    /// movesFrom[j]: relevantFrom without the streamed tiles' refetches: some loop in
    /// [j, timeEnd) with a bound > 1 moves t, so the tile changes place (halo reuse keeps what
    /// the new tile shares with the old only then: a streamed tile refetched in place comes
    /// whole).
    std::vector<std::uint8_t> movesFrom;
    /// Whether the tile's last change moved it (movesFrom at that step's carry).
    bool tileMoved = true;
    std::int64_t moved = 0;          ///< how often such a move happened
    std::vector<std::int64_t> took;  ///< per child instance: `moved` when it took its tile
    std::vector<std::uint8_t> seen;  ///< outputs: per parent instance, per output word
    std::vector<std::pair<DimVector, std::unique_ptr<BoxShape>>> views;  ///< per clipped extent
    std::vector<ChildTile> kids;                                         ///< scratch
    std::vector<AxisVector> at;       ///< latch scratch: coordinates
    std::vector<std::int64_t> index;  ///< latch: per innermost instance, the word's index in the
                                      ///< parent's tile (outputs: the psum leaving the latch)
    std::vector<std::int32_t> psum;   ///< latch scratch: psums
    /// Outputs across a fan-out with unreduced dimensions: the groups the network reduces
    /// within (the product of its spatial loops' bounds over them; 1: it reduces all) and,
    /// when more than 1, each child instance's group (FanOutSpec::unreducedDims).
    std::int64_t groups = 1;
    std::vector<std::uint32_t> group;
    std::vector<std::uint32_t> groupAt;  ///< latch scratch: the groups of `at`'s points
    /// Double buffering: the child level is `double_buffered` and t is weights or inputs; the
    /// next tile is prefetched into the children's spares while the current one is in use.
    bool prefetch = false;
    /// The boundary of t into this one's parent (an index into bounds_; none: DRAM parent).
    std::size_t up = kNone;
    std::vector<std::uint8_t> pending;  ///< per child instance: its spare holds the next tile
    TransferDone prefetchDone{};        ///< when the pending prefetch is done
    /// Latched outputs: per parent instance, the reduced psums of the last iteration not sent up
    /// yet (a latch's psum leaves at the next iteration, or at the next step's drains).
    std::vector<std::int64_t> unsent;
  };
  static constexpr std::size_t kNone = static_cast<std::size_t>(-1);
  /// Most innermost iterations whose output shifts are kept for fast mode (more: one by one).
  static constexpr std::int64_t kMaxInnerShifts = std::int64_t{1} << 22;
  /// Entries of the psum-mark log (8 MiB of pointers).
  static constexpr std::size_t kMarkLogEntries = std::size_t{1} << 20;
  enum class Cause : std::uint8_t { Dram, OnChip, Network };

  // Skipping ahead (hierarchy_skip.cpp): the state a step can change, flattened. Counters:
  // every level's and network's reads and writes per tensor, the MACs, the psum marks set, the
  // four cycle counts and the local time (compared between iterations, then multiplied).
  // Backlogs: every port's queue relative to the local time, the pending prefetches', and a
  // summary of the tiles held (compared, then carried along).
  struct Snapshot {
    std::vector<std::int64_t> counters;
    std::vector<std::uint64_t> backlog;
    std::vector<std::int64_t> moved;  ///< per boundary, Boundary::moved
  };
  /// Per outer loop: the start of its current iteration and what the previous one changed.
  struct LoopTracker {
    bool tracked = false;    ///< a temporal loop with a bound of at least 4
    bool haveStart = false;  ///< `start` is the start of the current iteration
    bool haveDelta = false;  ///< `delta` is the previous iteration's change (not the first)
    Snapshot start;
    std::vector<std::int64_t> delta;
    std::size_t logStart = 0;         ///< mark-log entries at `start`
    std::int64_t droppedAtStart = 0;  ///< marks dropped at `start`
    std::int64_t stepsAtStart = 0;    ///< non-empty steps run (or skipped) before `start`
  };
  /// Called before every step but the first, `carry` the step's outermost carry: at the start
  /// of an iteration of loop `carry`, when the last two iterations changed every counter alike
  /// and left the same backlogs, the remaining iterations whose range lies inside the layer
  /// would too; they are applied at once and the odometer moved to the last of them. Returns
  /// whether it skipped (the step then is not run).
  bool skipAhead(std::size_t carry);
  void takeSnapshot(Snapshot& s);
  void applySkip(std::size_t loop, std::int64_t times, const std::vector<std::int64_t>& delta);
  /// Iterations of outer loop `loop`, in the sweep the odometer is in, whose range in the loop's
  /// dimension lies inside the layer.
  std::int64_t fullIterations(std::size_t loop) const;

  void run();
  void runStep(bool first, std::size_t carry);
  void compute();
  /// Moves the innermost loops' odometer `index` (and the dimension offset it gives) one
  /// iteration on, wrapping at the end.
  void nextInner(std::vector<std::int64_t>& index, DimVector& offset) const;
  /// Functional, a step's innermost iterations at once: every working instance's MACs over
  /// the operands where valueShift_ moves them (the counts are compute()'s).
  void computeValues(const PerTensor<Boundary*>& latch);
  /// Whether the step with carry `carry` gives b's children new tiles.
  static bool changes(const Boundary& b, std::size_t carry) {
    return carry < b.timeEnd && b.relevantFrom[carry] != 0;
  }
  TransferDone takeAll(Boundary& b, Cycle now);
  TransferDone drainAll(Boundary& b, Cycle now);
  /// The drains of the output tiles that change at `carry` (every held one when `all`): the
  /// innermost level's psums (its tiles, or the latches' unsent psums) go up and are waited
  /// for; then the other levels write their tiles back, posted (booked, not waited for).
  void drainOutputs(std::size_t carry, bool all);
  /// Books the latched outputs' unsent psums at `now`.
  TransferDone sendUnsent(Boundary& b, Cycle now);
  /// Double buffering: at a step that gave b's children new tiles, fills their spares with the
  /// tiles of the next step that changes them (booked now), unless that step changes the
  /// parent's tile too (the next tile is not in it yet) or there is none.
  void prefetchNext(Boundary& b);
  /// Waits until `done`: the wait is a stall of the part that finished last, traced as a
  /// stall in `phase` (of storage level `level`).
  void advance(const TransferDone& done, TraceKind phase, std::size_t level);
  /// A span of the current step (TraceSpan's fields; no tensor).
  TraceSpan span(TraceKind kind, Cycle begin, Cycle end, TraceKind phase, std::size_t level,
                 std::int64_t words) const;
  /// Tracing: an array span [begin, end) (nothing when empty or not tracing).
  void traceArray(TraceKind kind, Cycle begin, Cycle end, TraceKind phase, std::size_t level,
                  std::int64_t words = 0);
  /// Tracing: a transfer of boundary b booked at `begin`, done at done.latest(), `words` the
  /// receiving side's writes (nothing when not tracing).
  void traceTransfer(TraceKind kind, const Boundary& b, std::size_t level, Cycle begin,
                     const TransferDone& done, std::int64_t words);
  /// Runs `move`, a transfer of boundary b booked at now_, and traces it as `kind` of b.child
  /// with the writes of b.t it added at storage level `counted` (its receiving side).
  template <typename Move>
  TransferDone traced(TraceKind kind, const Boundary& b, std::size_t counted, Move&& move) {
    const std::int64_t written = writesAt(counted, b.t);
    const TransferDone d = move();
    traceTransfer(kind, b, b.child, now_, d, writesAt(counted, b.t) - written);
    return d;
  }
  /// Tracing: the writes of tensor t at storage level `level` so far (0 when not tracing).
  std::int64_t writesAt(std::size_t level, Tensor t) const {
    return trace_ == nullptr ? 0 : levels_[level]->counts()[t].writes;
  }
  void computeOrigins();
  bool inside(const DimVector& p) const;
  const BoxShape* viewFor(Boundary& b, const DimVector& ext);

  const SimClock& clock_;
  bool functional_;
  std::size_t dims_;
  DimVector size_{};
  PerTensor<TensorLayout> layout_;
  PerTensor<AxisVector> fullPitch_{};
  std::vector<StorageLevel*> levels_;
  std::vector<FlatLoop> outer_;  ///< temporal loops of every level but the innermost
  std::vector<FlatLoop> inner_;  ///< the innermost level's temporal loops
  std::vector<std::int64_t> index_;
  std::vector<std::int64_t> nextIndex_;  ///< prefetch scratch: the next tile's loop indices
  std::vector<std::int64_t> innerIndex_;
  std::vector<DimVector> ext_;                      ///< per level: its tile's loop extents
  std::vector<DimVector> originBefore_;             ///< per level: temporal origin of its tile
  std::vector<std::vector<DimVector>> spatialOff_;  ///< per level, per instance
  std::vector<Boundary> bounds_;                    ///< non-latch, by child level ascending
  std::vector<Boundary> latches_;
  std::int64_t innerIters_ = 1;
  std::vector<std::uint8_t> active_;          ///< per innermost instance, this iteration
  PerTensor<std::vector<AxisVector>> macAt_;  ///< per innermost instance, this iteration
  /// Whether the per-iteration shifts below are computed (SimOptions::skipRepeats, and at most
  /// kMaxInnerShifts innermost iterations): a step's innermost iterations then run at once.
  bool iterationShifts_ = false;
  /// With a psum latch: per innermost iteration, how far it moves an output word in the whole
  /// tensor.
  std::vector<std::int64_t> innerShift_;
  /// Functional: per tensor, per innermost iteration, how far it moves the operand in the tile
  /// it is read from (the innermost level's, or the latch parent's), and per instance, the
  /// operand's word at the step's first iteration.
  PerTensor<std::vector<std::int64_t>> valueShift_;
  PerTensor<std::vector<std::int32_t*>> ownBase_;
  /// Per innermost instance, the tensor coordinates of its spatial offset.
  PerTensor<std::vector<AxisVector>> instanceAt_;
  // A systolic mesh directly above the innermost level (FanOutSpec::network).
  bool systolic_ = false;
  std::int64_t meshRows_ = 1;
  std::int64_t meshCols_ = 1;
  PerTensor<std::int64_t> meshTileWords_{};  ///< weights and inputs the PEs keep (else 0)
  // Skipping ahead.
  bool skipRepeats_ = false;
  std::vector<FanOutNetwork*> networks_;  ///< the fan-outs with counters and wires
  std::vector<LoopTracker> trackers_;     ///< per outer loop
  std::size_t firstTracked_ = 0;          ///< outermost tracked loop (outer_.size(): none)
  MarkLog marks_;                         ///< the psum marks, for replaying them
  std::vector<std::int64_t> markShift_;   ///< per outer loop: how it moves a psum mark, bytes
  PerTensor<std::vector<AxisVector>> loopShift_;  ///< per outer loop: how it moves t's origin
  std::vector<std::pair<const std::uint8_t*, const std::uint8_t*>> seenRanges_;
  Snapshot scratch_;
  std::int64_t stepsRun_ = 0;  ///< non-empty steps run or skipped over
  std::int64_t stepsSkipped_ = 0;
  TraceLog* trace_ = nullptr;  ///< setTrace
  Cycle now_{};
  Cycle syncedAt_{};
  CycleBreakdown cycles_{};
  bool finished_ = false;
};

}  // namespace dfsim
