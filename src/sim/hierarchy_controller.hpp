#pragma once

#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

#include <systemc>

#include "arch/hierarchy.hpp"
#include "common/cycle_breakdown.hpp"
#include "mapping/loop_nest.hpp"
#include "sim/fanout_network.hpp"
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
                      FanOutNetwork& direct, bool functional);

  /// Whether the run reached its end.
  bool finished() const { return finished_; }
  /// Where the cycles went (valid once finished).
  const CycleBreakdown& cycles() const { return cycles_; }

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
    std::int64_t moved = 0;          ///< how often such a move happened
    std::vector<std::int64_t> took;  ///< per child instance: `moved` when it took its tile
    std::vector<std::uint8_t> seen;  ///< outputs: per parent instance, per output word
    std::vector<std::pair<DimVector, std::unique_ptr<BoxShape>>> views;  ///< per clipped extent
    std::vector<ChildTile> kids;                                         ///< scratch
    std::vector<AxisVector> at;       ///< latch scratch: coordinates
    std::vector<std::int64_t> index;  ///< latch: per innermost instance, the word's index in the
                                      ///< parent's tile (outputs: the psum leaving the latch)
    std::vector<std::int32_t> psum;   ///< latch scratch: psums
  };
  enum class Cause : std::uint8_t { Dram, OnChip, Network };

  void run();
  void runStep(bool first, std::size_t carry);
  void compute();
  TransferDone takeAll(Boundary& b, Cycle now);
  TransferDone drainAll(Boundary& b, Cycle now);
  void advance(const TransferDone& done);
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
  std::vector<std::int64_t> innerIndex_;
  std::vector<DimVector> ext_;                      ///< per level: its tile's loop extents
  std::vector<DimVector> originBefore_;             ///< per level: temporal origin of its tile
  std::vector<std::vector<DimVector>> spatialOff_;  ///< per level, per instance
  std::vector<Boundary> bounds_;                    ///< non-latch, by child level ascending
  std::vector<Boundary> latches_;
  std::int64_t innerIters_ = 1;
  std::vector<std::uint8_t> active_;          ///< per innermost instance, this iteration
  PerTensor<std::vector<AxisVector>> macAt_;  ///< per innermost instance, this iteration
  Cycle now_{};
  Cycle syncedAt_{};
  CycleBreakdown cycles_{};
  bool finished_ = false;
};

}  // namespace dfsim
