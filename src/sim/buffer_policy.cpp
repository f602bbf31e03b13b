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
  // The next tile: the odometer over the tile loops moved by one (the loops inside at 0).
  const std::size_t tileLoops = spec_.tileLoops;
  std::fill(next_.begin(), next_.end(), 0);
  std::copy(index.begin(), index.begin() + static_cast<std::ptrdiff_t>(tileLoops), next_.begin());
  bool wrapped = true;
  for (std::size_t i = tileLoops; i-- > 0;) {
    if (++next_[i] < spec_.loops[i].bound) {
      wrapped = false;
      break;
    }
    next_[i] = 0;
  }
  if (wrapped) return false;  // the last tile: nothing to prefetch
  bool planned = false;
  for (Tensor t : kAllTensors) {
    if (!spec_.keeps[t] || spec_.slots[t] != 2) continue;
    bool changed = false;
    for (std::size_t i = 0; i < tileLoops && !changed; ++i) {
      changed = spec_.layout[t].moves(spec_.loops[i].dim) && next_[i] != index[i];
    }
    if (!changed) continue;
    slotOut[t] = slot_[t] ^ 1;
    planned = true;
  }
  nextIndex = &next_;
  return planned;
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
