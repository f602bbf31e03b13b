#pragma once

#include <cstdint>
#include <vector>

#include <systemc>

#include "arch/arch_spec.hpp"
#include "common/cycle_breakdown.hpp"
#include "mapping/mapping.hpp"
#include "sim/array_noc.hpp"
#include "sim/dram.hpp"
#include "sim/global_buffer.hpp"
#include "sim/nest_plan.hpp"
#include "sim/pe_array.hpp"
#include "sim/sim_clock.hpp"
#include "sim/tile_box.hpp"
#include "workload/layer.hpp"

namespace dfsim {

/// Walks any legal mapping: one SC_THREAD that steps through the temporal loops above the array
/// and, at each step, has the blocks move the tiles whose loop indices changed, then lets the
/// PEs compute. It decides *when* words move (by comparing the loop indices a tile depends on
/// with those of the tile held); the blocks move the words and count them. Time advances only
/// by what the blocks' ports report, with one wait() per array step.
class Controller : public sc_core::sc_module {
 public:
  SC_HAS_PROCESS(Controller);

  /// Prepares every block for `layer` under `mapping` (all allocation happens here). Whether
  /// values move (functional or fast mode) is the blocks' business.
  Controller(const sc_core::sc_module_name& name, const Layer& layer, const ArchSpec& arch,
             const Mapping& mapping, const SimClock& clock, Dram& dram, GlobalBuffer& glb,
             ArrayNoc& noc, PeArray& pes);

  /// Cycles of the finished run, split by cause.
  const CycleBreakdown& cycles() const { return cycles_; }
  /// Whether the run reached its end.
  bool finished() const { return finished_; }

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
  void fillRf(Tensor t);
  void updateGlbTiles(bool first);
  void prefetchNextGlbTiles();
  /// Moves time to `done`, charging the wait (if any) to `cause`.
  void advanceTo(Cycle done, Cause cause);
  /// Of three completions, advances to the latest and charges it to its port.
  void advanceToLatest(Cycle dramDone, Cycle glbDone, Cycle nocDone);
  /// Loop-dimension origin of the tile that the loops outside `level` select.
  DimVector originAt(bool dramOnly, const std::vector<std::int64_t>& index) const;
  bool keyChanged(Tensor t, bool dramOnly, const std::vector<std::int64_t>& now,
                  const std::vector<std::int64_t>& before) const;
  /// Parent index of every PE's tile origin of `t` for a step whose loop indices contribute
  /// `stepBase` (see stepBase_).
  void computePeBases(Tensor t, std::int64_t stepBase);
  /// Fills rfChangeAt_, glbChangeAt_ and the linear parent-index tables (constructor only).
  void precomputeStepTables();
  const TileBuffer& parentOf(Tensor t);
  TileBuffer& parentOfMutable(Tensor t);
  ReadWrite& parentCounts(Tensor t);

  const Layer& layer_;
  const ArchSpec& arch_;
  const Mapping& mapping_;
  const SimClock& clock_;
  Dram& dram_;
  GlobalBuffer& glb_;
  ArrayNoc& noc_;
  PeArray& pes_;
  NestPlan plan_;
  PerTensor<TensorLayout> layout_;
  PerTensor<BoxShape> glbShape_;
  PerTensor<BoxShape> rfShape_;
  PerTensor<ArrayNoc::Plan> rfPlan_;                  ///< RF tile transfers
  PerTensor<std::vector<ArrayNoc::Plan>> latchPlan_;  ///< per RF iteration, latched operands
  PerTensor<std::vector<std::int32_t>> macOffset_;    ///< per RF iteration, RF block offset
  PerTensor<std::vector<std::int64_t>> peBase_;       ///< per PE, parent index of its tile
  PerTensor<std::vector<AxisVector>> peAxes_;         ///< per PE, axis offset of its tile
  PerTensor<std::vector<std::int64_t>> latchIndex_;   ///< per PE, parent index of its psum latch
  /// Per carry position c (the loop the odometer incremented, the loops inside it wrapped to
  /// 0): whether tensor t's RF tile (rfChangeAt_) or GLB tile (glbChangeAt_) moved. The same
  /// answer as comparing the loop indices the tile depends on, computed once.
  std::vector<PerTensor<bool>> rfChangeAt_;
  std::vector<PerTensor<bool>> glbChangeAt_;
  /// The parent index of a PE's tile origin of t is linear in the outer loop indices:
  /// stepBase_[t] (their part, kept up to date as the odometer moves), minus the parent tile's
  /// origin, plus the PE's own offset (peIndexOffset_). carryDelta_[t][c] is how stepBase_[t]
  /// moves when loop c moves by one and the loops inside it wrap (c == loop count: all wrap).
  PerTensor<std::int64_t> stepBase_{};
  PerTensor<std::vector<std::int64_t>> carryDelta_;
  PerTensor<std::vector<std::int64_t>> peIndexOffset_;
  std::size_t carry_ = 0;         ///< carry position of the last increment
  PerTensor<bool> changedRf_{};   ///< this step moved the RF tile
  PerTensor<bool> changedGlb_{};  ///< this step moved the GLB tile
  std::vector<std::int64_t> scratchIndex_;
  PerTensor<int> glbSlot_{};      ///< slot in use per tensor
  PerTensor<bool> prefetched_{};  ///< other slot holds the next tile
  PerTensor<Cycle> prefetchReady_{};
  std::vector<std::int64_t> index_;  ///< current outer loop indices
  std::size_t dramLoopCount_ = 0;
  bool doubleBuffered_ = false;
  bool anyLatch_ = false;
  Cycle now_;
  Cycle syncedAt_;  ///< SystemC time (in cycles) at the last synchronisation
  CycleBreakdown cycles_;
  bool finished_ = false;
};

}  // namespace dfsim
