#include "sim/buffer_policy.hpp"

#include <algorithm>
#include <utility>

namespace dfsim {

WholeTilePolicy::WholeTilePolicy(BoundarySpec spec) : spec_(std::move(spec)) {
  const std::size_t loops = spec_.loops.size();
  changeAt_.assign(loops + 1, PerTensor<bool>{});
  for (std::size_t c = 0; c < loops; ++c) {
    for (std::size_t i = c; i < spec_.tileLoops; ++i) {
      const NestPlan::OuterLoop& l = spec_.loops[i];
      // Loop c moved by one; every loop inside it wrapped from bound - 1 to 0.
      if (i != c && l.bound <= 1) continue;
      for (Tensor t : kAllTensors) {
        if (spec_.keeps[t] && spec_.layout[t].moves(l.dim)) changeAt_[c][t] = true;
      }
    }
    for (Tensor t : kAllTensors) {
      if (spec_.keeps[t] && c < spec_.streamedLoops[t]) changeAt_[c][t] = true;
    }
  }
  for (Tensor t : kAllTensors) {
    first_[t] = spec_.keeps[t];
    if (spec_.slots[t] < 1) spec_.slots[t] = 1;
  }
  next_.assign(loops, 0);
}

TileMove WholeTilePolicy::onChange(Tensor t, bool first) {
  TileMove m;
  // A tensor the child updates (the psums) goes back to its parent before the next tile comes.
  m.writeBack = t == Tensor::Outputs && !first;
  if (prefetched_[t]) {
    slot_[t] ^= 1;
    prefetched_[t] = false;
    m.action = TileMove::Action::UsePrefetched;
  } else {
    slot_[t] = (first || spec_.slots[t] < 2) ? 0 : slot_[t] ^ 1;
    m.action = TileMove::Action::Fill;
  }
  m.slot = slot_[t];
  return m;
}

bool WholeTilePolicy::planPrefetch(std::size_t carry, bool first,
                                   const std::vector<std::int64_t>& index,
                                   const std::vector<std::int64_t>*& nextIndex,
                                   PerTensor<int>& slotOut) {
  for (Tensor t : kAllTensors) slotOut[t] = -1;
  bool any = false;
  for (Tensor t : kAllTensors) any = any || (spec_.keeps[t] && spec_.slots[t] == 2);
  // Only a step that brought new tiles starts the next prefetch.
  if (!any || !(first || carry < spec_.tileLoops)) return false;
  // The next non-empty tile: the odometer over the tile loops moved on (the loops inside at 0)
  // past the tiles beyond the problem's edge; its tiles change as for the outermost carry.
  const std::size_t tileLoops = spec_.tileLoops;
  std::fill(next_.begin(), next_.end(), 0);
  std::copy(index.begin(), index.begin() + static_cast<std::ptrdiff_t>(tileLoops), next_.begin());
  std::size_t outermost = tileLoops;
  do {
    std::size_t moved = tileLoops;
    for (std::size_t i = tileLoops; i-- > 0;) {
      if (++next_[i] < spec_.loops[i].bound) {
        moved = i;
        break;
      }
      next_[i] = 0;
    }
    if (moved == tileLoops) return false;  // past the last tile: nothing to prefetch
    outermost = std::min(outermost, moved);
  } while (emptyTile(next_));
  bool planned = false;
  for (Tensor t : kAllTensors) {
    if (!spec_.keeps[t] || spec_.slots[t] != 2 || !changeAt_[outermost][t]) continue;
    slotOut[t] = slot_[t] ^ 1;
    planned = true;
  }
  nextIndex = &next_;
  return planned;
}

bool WholeTilePolicy::emptyTile(const std::vector<std::int64_t>& index) const {
  DimVector origin{};
  for (std::size_t i = 0; i < spec_.tileLoops; ++i) {
    origin[idx(spec_.loops[i].dim)] += index[i] * spec_.loops[i].weight;
  }
  for (std::size_t d = 0; d < kMaxDims; ++d) {
    if (spec_.sizes[d] > 0 && origin[d] >= spec_.sizes[d]) return true;
  }
  return false;
}

void WholeTilePolicy::prefetchIssued(Tensor t, Cycle ready) {
  prefetchReady_[t] = ready;
  prefetched_[t] = true;
}

std::unique_ptr<BufferPolicy> makeBufferPolicy(BoundarySpec spec) {
  // An arch key (a storage level's `buffer_policy`, or `halo_reuse`) would choose here.
  return std::make_unique<WholeTilePolicy>(std::move(spec));
}

}  // namespace dfsim
