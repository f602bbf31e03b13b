#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <vector>

#include <systemc>

#include "arch/arch_spec.hpp"
#include "common/cycle_breakdown.hpp"
#include "mapping/mapping.hpp"
#include "sim/array_noc.hpp"
#include "sim/buffer_policy.hpp"
#include "sim/dram.hpp"
#include "sim/global_buffer.hpp"
#include "sim/nest_plan.hpp"
#include "sim/pe_array.hpp"
#include "sim/ragged_plan.hpp"
#include "sim/sim_clock.hpp"
#include "sim/step_kind.hpp"
#include "sim/tile_box.hpp"
#include "workload/problem_shape.hpp"

namespace dfsim {

/// Walks any legal mapping: one SC_THREAD that steps through the temporal loops above the array
/// and, at each step, has the blocks move the tiles that the boundaries' buffer policies say
/// change (BufferPolicy: DRAM -> GLB and GLB -> RF), then lets the PEs compute. It keeps the
/// odometer and time and makes the block calls; the policies decide which tiles change, what
/// moves, what is prefetched and which slot is current; the blocks move the words and count
/// them. Time advances only by what the blocks' ports report, with one wait() per array step.
///
/// Ragged mappings (a loop's last iteration may be smaller): it walks the padded nest (every
/// loop at its full bound) and skips every step whose origin is beyond the problem's edge in
/// some dimension (no policy call, no transfer, no time); the buffer policies see the
/// outermost carry since the previous non-empty step. A step runs over the PEs its kind says
/// work (RaggedPlan); a GLB tile moves only the words of its clipped tile.
class Controller : public sc_core::sc_module {
 public:
  SC_HAS_PROCESS(Controller);

  /// Prepares every block for the problem `shape` under `mapping` (all allocation happens
  /// here); what a loop means for a tensor comes from the shape's TensorLayout. Whether
  /// values move (functional or fast mode) is the blocks' business. `skipRepeats` (fast mode
  /// only: no values may need moving) lets the controller skip ahead over iterations of a GLB
  /// loop once they repeat exactly (see skipAhead()).
  Controller(const sc_core::sc_module_name& name, const ProblemShape& shape, const ArchSpec& arch,
             const Mapping& mapping, const SimClock& clock, Dram& dram, GlobalBuffer& glb,
             ArrayNoc& noc, PeArray& pes, bool skipRepeats = false);

  /// Cycles of the finished run, split by cause.
  const CycleBreakdown& cycles() const { return cycles_; }
  /// Whether the run reached its end.
  bool finished() const { return finished_; }
  /// Array steps that skipping ahead applied at once instead of running (0 unless skipRepeats).
  std::int64_t stepsSkipped() const { return stepsSkipped_; }

 private:
  enum class Cause { Dram, Glb, Noc };
  /// Cycles the controller may run ahead of SystemC time before it synchronises.
  static constexpr Cycle kQuantum = Cycle(100000);

  /// The process: 1. step through the loops; 2. per step drain, refill GLB and RF tiles,
  /// compute; 3. drain and write everything back; 4. wait for DRAM to finish.
  void run();
  void runStep(bool first);
  void computeStep();
  void drainOutputs();
  void updateGlbTiles(bool first);
  /// Moves time to `done`, charging the wait (if any) to `cause`.
  void advanceTo(Cycle done, Cause cause);
  /// Of three completions, advances to the latest and charges it to its port.
  void advanceToLatest(Cycle dramDone, Cycle glbDone, Cycle nocDone);
  /// Loop-dimension origin of the tile that the loops outside `level` select.
  DimVector originAt(bool dramOnly, const std::vector<std::int64_t>& index) const;
  /// Parent index of the tile origin of `t` of every PE (only PE 0 when every transfer of
  /// `kind` is replayed) for a step whose loop indices contribute `stepBase` (see stepBase_).
  void computePeBases(Tensor t, std::int64_t stepBase, const StepKind& kind);
  /// Moves origin_ as the odometer's carry `carry` does.
  void moveOrigin(std::size_t carry);
  /// Recomputes stepBase_ and origin_ from index_ (after skipping ahead).
  void locate();
  /// Iterations of loop `loop`, in the sweep the odometer is in, whose range in the loop's
  /// dimension lies inside the problem (all of them unless the dimension is ragged).
  std::int64_t fullIterations(std::size_t loop) const;
  /// Fills origin_'s carry table (constructor only).
  void precomputeOriginTables();
  /// Fills the linear parent-index tables (constructor only).
  void precomputeStepTables();

  // Skipping ahead (controller_skip.cpp). Counters a step changes, flattened: reads and writes
  // per tensor at DRAM, GLB, NoC and RF, MACs, the four cycle counts and the local time.
  static constexpr std::size_t kCounters = 4 * kNumTensors * 2 + 1 + 4 + 1;
  /// Relative timing state: DRAM bus and completion, GLB read and write, NoC, and the
  /// prefetches of weights and inputs, each as a backlog from now_.
  static constexpr std::size_t kBacklogs = 2 + 2 + 1 + 2;
  struct Snapshot {
    std::array<std::int64_t, kCounters> counters{};
    std::array<std::uint64_t, kBacklogs> backlog{};
  };
  /// Per GLB loop: the start of its current iteration and what the previous one changed.
  struct LoopTracker {
    bool tracked = false;    ///< a GLB loop with a bound of at least 4
    bool haveStart = false;  ///< `start` is the start of the current iteration
    bool haveDelta = false;  ///< `delta` is the change over the previous iteration (not the first)
    Snapshot start;
    std::array<std::int64_t, kCounters> delta{};
    std::size_t logStart = 0;  ///< mark-log size at `start`
    std::uint64_t droppedAtStart = 0;
    std::int64_t stepsAtStart = 0;  ///< non-empty steps run (or skipped) before `start`
  };
  /// Called before every step but the first: at the start of an iteration of loop carry_, when
  /// the last two iterations changed every counter alike and left the same relative timing
  /// state, the remaining iterations of that loop would too; they are then applied at once
  /// (counters times their number, time moved on, psum marks replayed) and the odometer moved
  /// to the loop's last step. Returns whether it skipped (the current step then is not run).
  bool skipAhead();
  void takeSnapshot(Snapshot& s) const;
  /// Applies `times` iterations of loop `loop` that each change the counters by `delta`.
  void applySkip(std::size_t loop, std::int64_t times,
                 const std::array<std::int64_t, kCounters>& delta);
  const TileBuffer& parentOf(Tensor t);
  TileBuffer& parentOfMutable(Tensor t);
  ReadWrite& parentCounts(Tensor t);

  const ArchSpec& arch_;
  const Mapping& mapping_;
  const SimClock& clock_;
  Dram& dram_;
  GlobalBuffer& glb_;
  ArrayNoc& noc_;
  PeArray& pes_;
  NestPlan plan_;
  RaggedPlan ragged_;  ///< the mapping's ragged edges (step kinds, GLB tile kinds)
  PerTensor<TensorLayout> layout_;
  PerTensor<BoxShape> glbShape_;
  /// Per GLB tile kind (RaggedPlan::glbKindAt): the clipped tile's touched words, with the
  /// pitch of glbShape_ (kind 0: glbShape_ itself).
  PerTensor<std::vector<BoxShape>> glbView_;
  PerTensor<BoxShape> rfShape_;
  PerTensor<ArrayNoc::Plan> rfPlan_;                  ///< RF tile transfers
  PerTensor<std::vector<ArrayNoc::Plan>> latchPlan_;  ///< per RF iteration, latched operands
  PerTensor<std::vector<std::int32_t>> macOffset_;    ///< per RF iteration, RF block offset
  PerTensor<std::vector<std::int64_t>> peBase_;       ///< per PE, parent index of its tile
  PerTensor<std::vector<AxisVector>> peAxes_;         ///< per PE, axis offset of its tile
  PerTensor<std::vector<std::int64_t>> latchIndex_;   ///< per PE, parent index of its psum latch
  /// What the boundaries decide (which tiles change, what moves, prefetches, current slot):
  /// DRAM -> GLB and GLB -> RF, chosen at construction (makeBufferPolicy).
  std::unique_ptr<BufferPolicy> glbPolicy_;
  std::unique_ptr<BufferPolicy> rfPolicy_;
  /// The parent index of a PE's tile origin of t is linear in the outer loop indices:
  /// stepBase_[t] (their part, kept up to date as the odometer moves), minus the parent tile's
  /// origin, plus the PE's own offset (peIndexOffset_). carryDelta_[t][c] is how stepBase_[t]
  /// moves when loop c moves by one and the loops inside it wrap (c == loop count: all wrap).
  PerTensor<std::int64_t> stepBase_{};
  PerTensor<std::vector<std::int64_t>> carryDelta_;
  PerTensor<std::vector<std::int64_t>> peIndexOffset_;
  /// loopStride_[t][i]: how stepBase_[t] moves when loop i alone moves by one.
  PerTensor<std::vector<std::int64_t>> loopStride_;
  bool skipRepeats_ = false;
  std::vector<LoopTracker> trackers_;  ///< per outer loop
  std::size_t firstTracked_ = 0;       ///< outermost tracked loop (loop count: none)
  Snapshot scratchSnapshot_;
  std::int64_t stepsSkipped_ = 0;
  /// Outermost carry position since the previous non-empty step (loops.size(): all wrapped).
  std::size_t carry_ = 0;
  /// The padded step's loop-dimension origin, kept for RaggedPlan::overhangDims() only;
  /// originCarry_[c * overhang + i] is how its i-th overhanging dimension moves at carry c.
  DimVector origin_{};
  std::vector<std::int64_t> originCarry_;
  const StepKind* kind_ = nullptr;       ///< the kind of the step being run
  const StepKind* outKind_ = nullptr;    ///< the kind of the step that filled the RF psums
  const StepKind* latchKind_ = nullptr;  ///< the kind of the step that last filled the latches
  PerTensor<std::int64_t> runBase_{};    ///< stepBase_ of the last step run
  std::int64_t stepsRun_ = 0;            ///< non-empty steps run or skipped over
  PerTensor<bool> changedRf_{};          ///< this step moved the RF tile
  /// The GLB slot in use per tensor: the slot of the GLB policy's last move (mirrored here,
  /// read by every transfer).
  PerTensor<int> glbSlot_{};
  PerTensor<int> prefetchSlot_{};    ///< scratch of the GLB policy's planPrefetch()
  std::vector<std::int64_t> index_;  ///< current outer loop indices
  std::size_t dramLoopCount_ = 0;
  bool anyLatch_ = false;
  Cycle now_;
  Cycle syncedAt_;  ///< SystemC time (in cycles) at the last synchronisation
  CycleBreakdown cycles_;
  bool finished_ = false;
};

}  // namespace dfsim
