#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "common/cycle.hpp"
#include "common/per_tensor.hpp"
#include "sim/nest_plan.hpp"
#include "sim/tile_box.hpp"

namespace dfsim {

/// What one parent->child boundary of the storage hierarchy looks like to its buffer policy:
/// the temporal loops above the array (outermost first), how many of them select the child's
/// tile, and per tensor whether the child tracks a tile of it and how many slots it has.
struct BoundarySpec {
  std::vector<NestPlan::OuterLoop> loops;  ///< every outer loop, outermost first
  /// Loops [0, tileLoops) select the child's tile; the loops inside them move inside the tile.
  /// DRAM -> GLB: the DRAM loops; GLB -> RF (the PE's step tile): all outer loops.
  std::size_t tileLoops = 0;
  PerTensor<TensorLayout> layout;  ///< what a loop means for a tensor (TensorLayout::moves)
  PerTensor<bool> keeps{};         ///< the child holds a tile of t (untracked tensors never change)
  PerTensor<int> slots{};          ///< 1, or 2 to double buffer t (prefetch the next tile)
  /// Streamed tiles (README "Streamed tiles"): a move of any of loops [0, streamedLoops[t])
  /// changes t's tile (it is refetched whether or not a loop over its dimensions moved).
  PerTensor<std::size_t> streamedLoops{};
  /// Size of each dimension: a tile whose origin (over the tile loops) reaches it in some
  /// dimension is empty (a ragged mapping's padded nest), never prefetched. 0: unbounded.
  DimVector sizes{};
};

/// What a step does to one tensor's child tile.
struct TileMove {
  enum class Action : std::uint8_t {
    Keep,           ///< the tile held stays
    Fill,           ///< load the whole new tile from the parent into `slot`
    UsePrefetched,  ///< the tile prefetched into `slot` becomes current (wait until it is ready)
  };
  Action action = Action::Keep;
  int slot = 0;  ///< the slot the step then works on
  /// First send the updated tile held until now back to the parent (outputs only: the one
  /// tensor the array updates; the controller ignores it for the others).
  bool writeBack = false;
};

/// The buffer policy of one parent->child boundary: when the child's tiles change, what moves,
/// what is prefetched into a second slot and which slot is current. It decides; the Controller
/// keeps the odometer and time and makes the block calls the decisions ask for.
///
/// Contract:
/// - Decides, per step of the odometer over `BoundarySpec::loops`: which tensors' child tiles
///   change (changes()), what to do with each changed tile (onChange()), and, after the step's
///   tiles are ready, which next tiles to prefetch into which slot (planPrefetch()). It owns the
///   slot and prefetch state (current slot, prefetch pending, its ready cycle) and nothing else.
/// - Calls, per array step, in this order: firstChanges() or changes(carry) (once, hot path: no
///   allocation, no side effect; the controller may skip it when carry >= tileLoops, which
///   changes nothing); then, only for a step that changes a tile (`first`, or carry < tileLoops):
///   onChange(t, first) for each tensor whose changes() entry is true (weights, inputs,
///   outputs in this order), prefetchReady(t) after an UsePrefetched, and planPrefetch() once;
///   for each tensor it returns, the controller issues the fill and reports its completion with
///   prefetchIssued(). At the end of the run, the controller writes back the outputs' slot().
/// - `carry` is the odometer's carry position: the loop that moved by one while every loop
///   inside it wrapped to 0; loops.size() means every loop wrapped (nothing changes); on the
///   first step the controller passes `first` (every kept tensor's tile is loaded). Under a
///   ragged mapping the controller walks the padded nest and calls only at non-empty steps,
///   with the outermost carry since the previous non-empty step (the ragged semantics: a tile
///   changes iff a loop it depends on moved since then).
/// - May not touch the blocks, time or counters (tests drive it without the SystemC kernel);
///   may not allocate after construction.
/// - Invariants the counts rely on: a tensor's tile changes at a step exactly when one of the
///   tile loops it depends on (TensorLayout::moves) changed its index, so the words the blocks
///   count are those of the tiles the analytic model counts; a prefetch is planned only for a
///   tile the next change of that tensor will take (onChange() then answers UsePrefetched) and
///   never past the last non-empty tile, and the next tile is the next non-empty one (its
///   tile changes as changes() says for the outermost carry on the way); the state relative to the
///   controller's time (pendingBacklog()) is all that a skip-ahead snapshot needs: two steps with
///   equal backlogs behave alike.
/// - Choosing another policy: makeBufferPolicy() is the one place; a `buffer_policy` key of a
///   storage level in the arch file would select it there. A sliding-window policy is a new
///   class whose onChange() answers a partial fill (today `halo_reuse` runs on the hierarchy
///   simulator instead: src/sim/README).
class BufferPolicy {
 public:
  virtual ~BufferPolicy() = default;
  /// Which tensors' child tiles change at a step with carry position `carry` (not the first).
  virtual const PerTensor<bool>& changes(std::size_t carry) const = 0;
  /// Which tensors' child tiles the first step loads (every kept one).
  virtual const PerTensor<bool>& firstChanges() const = 0;
  /// t's tile changes this step: what to do with it. Updates the current slot.
  virtual TileMove onChange(Tensor t, bool first) = 0;
  /// The cycle the tile an UsePrefetched move switched to has arrived.
  virtual Cycle prefetchReady(Tensor t) const = 0;
  /// After a step with carry `carry` (or the first) changed the tiles: whether to prefetch the
  /// next tile. When it returns true, `nextIndex` holds the loop indices of that next tile
  /// (valid until the next call) and `slotOut[t]` the slot to load t's into, -1 for none.
  virtual bool planPrefetch(std::size_t carry, bool first, const std::vector<std::int64_t>& index,
                            const std::vector<std::int64_t>*& nextIndex,
                            PerTensor<int>& slotOut) = 0;
  /// The prefetch planned for t was issued and completes at `ready`.
  virtual void prefetchIssued(Tensor t, Cycle ready) = 0;
  /// The slot of t the array works on.
  virtual int slot(Tensor t) const = 0;
  /// Cycles from `now` until t's pending prefetch arrives (0 without one): the policy's state
  /// relative to time, for skip-ahead snapshots.
  virtual std::uint64_t pendingBacklog(Tensor t, Cycle now) const = 0;
};

/// Today's policy: a changed tile is loaded whole; with two slots of a tensor (double
/// buffering), at the start of every new tile the next one is loaded into the other slot and
/// the next change swaps to it.
class WholeTilePolicy final : public BufferPolicy {
 public:
  /// A policy for `spec` (all allocation happens here).
  explicit WholeTilePolicy(BoundarySpec spec);

  const PerTensor<bool>& changes(std::size_t carry) const override { return changeAt_[carry]; }
  const PerTensor<bool>& firstChanges() const override { return first_; }
  TileMove onChange(Tensor t, bool first) override;
  Cycle prefetchReady(Tensor t) const override { return prefetchReady_[t]; }
  bool planPrefetch(std::size_t carry, bool first, const std::vector<std::int64_t>& index,
                    const std::vector<std::int64_t>*& nextIndex, PerTensor<int>& slotOut) override;
  void prefetchIssued(Tensor t, Cycle ready) override;
  int slot(Tensor t) const override { return slot_[t]; }
  std::uint64_t pendingBacklog(Tensor t, Cycle now) const override {
    return prefetched_[t] ? (prefetchReady_[t] - now).count() : 0;
  }

 private:
  /// Whether the tile at tile-loop indices `index` lies beyond the problem's edge.
  bool emptyTile(const std::vector<std::int64_t>& index) const;

  BoundarySpec spec_;
  /// changeAt_[c][t]: a step with carry c changes t's tile (c == loops.size(): none).
  std::vector<PerTensor<bool>> changeAt_;
  PerTensor<bool> first_{};
  PerTensor<int> slot_{};
  PerTensor<bool> prefetched_{};  ///< the other slot holds the next tile
  PerTensor<Cycle> prefetchReady_{};
  std::vector<std::int64_t> next_;  ///< scratch: the next tile's loop indices
};

/// The buffer policy of a boundary: today always WholeTilePolicy (double buffering where
/// `spec.slots` says 2). The place where an arch key (`buffer_policy`) would choose another
/// class.
std::unique_ptr<BufferPolicy> makeBufferPolicy(BoundarySpec spec);

}  // namespace dfsim
