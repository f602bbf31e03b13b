// Skipping ahead in the simulator of any hierarchy (fast mode): once the iterations of an outer
// temporal loop repeat exactly, the rest of them are applied at once instead of stepped through.
// The 4-level simulator's argument (controller_skip.cpp), level by level.
//
// Why this is exact. Inside one sweep of outer loop c (the loops outside it stand still) an
// iteration of c whose range in c's dimension lies inside the layer, for every instance of c's
// level that works at all (fullIterations()), is the sequence of steps of the one before it
// moved by one loop step: the same tiles change at the same steps and move the same numbers of
// words (with halo reuse too: the held tiles move along), the same instances idle, and a psum
// tile finds partial sums in its parent exactly when it did one iteration earlier. What can
// differ is timing, and a step's timing depends only on the ports' backlogs relative to the
// controller's time. So when two consecutive iterations (not the sweep's first) changed every
// counter alike and the second started from the same backlogs and the same summary of held
// tiles as the first, every later full iteration of the sweep does the same, and they are
// applied at once: counters times their number; time moved on with every port's backlog and
// every pending prefetch carried along; the tiles taken in the compared iteration (and the
// spares prefetched in it) moved on by the skipped iterations' steps of c; the psum marks the
// compared iteration set replayed at each skipped iteration's offset; the odometer on the last
// step of the last skipped iteration. The last full iteration is never skipped: the prefetch of
// its last step fetches the first tile of the next sweep, or of a clipped iteration (or none at
// the run's end), unlike every other iteration's. The snapshots are taken at non-empty steps only;
// a non-empty step whose outermost carry is c is the first of its iteration of c (the loops inside
// c stand at 0: the iteration's smallest origin, non-empty whenever any of its steps is). Tests
// compare every count and cycle with skipping ahead on and off.
#include <algorithm>
#include <string>

#include "common/errors.hpp"
#include "sim/hierarchy_controller.hpp"

namespace dfsim {

void HierarchyController::takeSnapshot(Snapshot& s) {
  s.counters.clear();
  s.backlog.clear();
  s.moved.clear();
  for (const StorageLevel* l : levels_) {
    for (Tensor t : kAllTensors) {
      s.counters.push_back(l->counts()[t].reads);
      s.counters.push_back(l->counts()[t].writes);
    }
    s.counters.push_back(l->macs());
    l->appendBacklog(now_, s.backlog);
  }
  for (const FanOutNetwork* n : networks_) {
    for (Tensor t : kAllTensors) {
      s.counters.push_back(n->counts()[t].reads);
      s.counters.push_back(n->counts()[t].writes);
    }
    n->appendBacklog(now_, s.backlog);
  }
  s.counters.push_back(marks_.made());
  for (Cycle c : {cycles_.compute, cycles_.stallDram, cycles_.stallGlb, cycles_.stallNoc, now_}) {
    s.counters.push_back(static_cast<std::int64_t>(c.count()));
  }
  auto after = [&](Cycle c) { return c > now_ ? (c - now_).count() : std::uint64_t{0}; };
  for (const Boundary& b : bounds_) {
    s.moved.push_back(b.moved);
    std::uint64_t current = 0;
    std::uint64_t pending = 0;
    std::uint64_t holding = 0;
    for (std::size_t i = 0; i < b.took.size(); ++i) {
      current += b.took[i] == b.moved ? 1 : 0;
      holding += levels_[b.child]->tile(static_cast<std::int64_t>(i), b.t).holding ? 1 : 0;
      if (b.prefetch) pending += b.pending[i];
    }
    s.backlog.push_back(current);
    s.backlog.push_back(holding);
    s.backlog.push_back(pending);
    if (b.prefetch) {
      s.backlog.push_back(after(b.prefetchDone.dram));
      s.backlog.push_back(after(b.prefetchDone.onChip));
      s.backlog.push_back(after(b.prefetchDone.network));
    }
  }
  for (const Boundary& b : latches_) {
    for (std::int64_t u : b.unsent) s.backlog.push_back(static_cast<std::uint64_t>(u));
  }
}

std::int64_t HierarchyController::fullIterations(std::size_t loop) const {
  const FlatLoop& l = outer_[loop];
  std::int64_t base = 0;  // the origin in l.dim that the temporal loops outside `loop` give
  for (std::size_t i = 0; i < loop; ++i) {
    if (outer_[i].dim == l.dim) base += index_[i] * outer_[i].weight;
  }
  // The spatial loops outside it (above its level) place the instances of its level: every one
  // that works must see the iteration whole.
  std::int64_t full = l.bound;
  for (const DimVector& off : spatialOff_[l.level]) {
    const std::int64_t origin = base + off[l.dim];
    if (origin >= size_[l.dim]) continue;  // this instance idles the whole sweep
    full = std::min(full, (size_[l.dim] - origin) / l.weight);
  }
  return full;
}

bool HierarchyController::skipAhead(std::size_t c) {
  const std::size_t loops = outer_.size();
  // A step that moves a loop outside every tracked one starts every window afresh; a log half
  // full forgets what no open window needs (the windows of c and the loops outside it).
  if (c < firstTracked_) {
    marks_.forget(marks_.marks().size());
  } else if (marks_.halfFull()) {
    std::size_t keep = marks_.marks().size();
    for (std::size_t j = firstTracked_; j <= c; ++j) {
      const LoopTracker& t = trackers_[j];
      if (t.tracked && t.haveStart) keep = std::min(keep, t.logStart);
    }
    marks_.forget(keep);
    for (std::size_t j = firstTracked_; j < loops; ++j) {
      LoopTracker& t = trackers_[j];
      t.logStart = t.logStart >= keep ? t.logStart - keep : 0;
    }
  }
  const std::size_t from = std::max(c, firstTracked_);
  if (from >= loops) return false;
  Snapshot& now = scratch_;
  takeSnapshot(now);
  LoopTracker& tc = trackers_[c];
  if (c >= firstTracked_ && tc.tracked && tc.haveStart) {
    std::vector<std::int64_t>& delta = tc.start.counters;  // becomes the delta in place
    for (std::size_t k = 0; k < delta.size(); ++k) delta[k] = now.counters[k] - delta[k];
    const bool marksKept = markShift_[c] == 0 || marks_.dropped() == tc.droppedAtStart;
    if (tc.haveDelta && delta == tc.delta && now.backlog == tc.start.backlog && marksKept) {
      // The last full iteration runs step by step: its last step's prefetch looks at the next
      // sweep or a clipped iteration, unlike the others'.
      const std::int64_t times = fullIterations(c) - 1 - index_[c];
      if (times > 0) {
        applySkip(c, times, delta);
        return true;
      }
    }
    tc.delta.swap(delta);
    tc.haveDelta = index_[c] >= 2;  // the iteration just ended was not the sweep's first
  }
  for (std::size_t j = from; j < loops; ++j) {
    LoopTracker& t = trackers_[j];
    if (!t.tracked) continue;
    t.start.counters = now.counters;
    t.start.backlog = now.backlog;
    t.start.moved = now.moved;
    t.haveStart = true;
    if (j != c) t.haveDelta = false;  // a new sweep of loop j begins
    t.logStart = marks_.marks().size();
    t.droppedAtStart = marks_.dropped();
    t.stepsAtStart = stepsRun_;
  }
  return false;
}

void HierarchyController::applySkip(std::size_t c, std::int64_t times,
                                    const std::vector<std::int64_t>& delta) {
  LoopTracker& tc = trackers_[c];
  // 1. Counters: `times` iterations like the last one (each product is at most what running
  // them would have added: below the run's final counts and cycles).
  std::size_t k = 0;
  for (StorageLevel* l : levels_) {
    for (Tensor t : kAllTensors) {
      l->addCounts(t, times * delta[k], times * delta[k + 1]);
      k += 2;
    }
    l->countMacs(times * delta[k++]);
  }
  for (FanOutNetwork* n : networks_) {
    for (Tensor t : kAllTensors) {
      n->addCounts(t, times * delta[k], times * delta[k + 1]);
      k += 2;
    }
  }
  ++k;  // the marks made: the replay below makes them
  for (Cycle* cy : {&cycles_.compute, &cycles_.stallDram, &cycles_.stallGlb, &cycles_.stallNoc}) {
    *cy += Cycle(static_cast<std::uint64_t>(times * delta[k++]));
  }
  // 2. Time: every port and pending prefetch keeps its backlog relative to the controller.
  const Cycle before = now_;
  now_ += Cycle(static_cast<std::uint64_t>(times * delta[k]));
  for (StorageLevel* l : levels_) l->carryBacklog(before, now_);
  for (FanOutNetwork* n : networks_) n->carryBacklog(before, now_);
  for (Boundary& b : bounds_) {
    if (!b.prefetch) continue;
    for (Cycle* cy : {&b.prefetchDone.dram, &b.prefetchDone.onChip, &b.prefetchDone.network}) {
      if (*cy > before) *cy += now_ - before;
    }
  }
  // 3. Psum marks: each skipped iteration sets what the compared one did, one step of c on.
  const std::int64_t shift = markShift_[c];
  if (shift != 0) {
    const std::size_t end = marks_.marks().size();
    for (std::size_t e = tc.logStart; e < end; ++e) {
      std::uint8_t* at = marks_.marks()[e];
      const auto range = std::find_if(seenRanges_.begin(), seenRanges_.end(), [&](const auto& r) {
        return at >= r.first && at < r.second;
      });
      if (range == seenRanges_.end())
        throw InternalError("skipping ahead: a psum mark in no array");
      const std::int64_t room = range->second - at;
      const std::int64_t low = range->first - at;
      for (std::int64_t i = 1; i <= times; ++i) {
        if (i * shift >= room || i * shift < low) {
          throw InternalError("skipping ahead: psum mark shifted by " + std::to_string(i * shift) +
                              " out of its array");
        }
        marks_.mark(at + i * shift);
      }
    }
  }
  // 4. Tiles: those taken in the compared iteration (and the spares prefetched in it) stand
  // where the last skipped iteration leaves them.
  for (std::size_t u = 0; u < bounds_.size(); ++u) {
    Boundary& b = bounds_[u];
    const std::int64_t m0 = tc.start.moved[u];
    const std::int64_t dm = b.moved - m0;
    if (dm == 0) continue;
    AxisVector move = loopShift_[b.t][c];
    for (std::int64_t& a : move) a *= times;
    StorageLevel& child = *levels_[b.child];
    for (std::size_t i = 0; i < b.took.size(); ++i) {
      const auto inst = static_cast<std::int64_t>(i);
      if (b.took[i] > m0) {
        b.took[i] += times * dm;
        for (std::size_t a = 0; a < kAxes; ++a) child.tile(inst, b.t).origin[a] += move[a];
      }
      if (b.prefetch && b.pending[i] != 0) {
        for (std::size_t a = 0; a < kAxes; ++a) child.spare(inst, b.t).origin[a] += move[a];
      }
    }
    b.moved += times * dm;
  }
  // 5. The odometer: on the last (padded) step of the last skipped iteration.
  const std::int64_t steps = times * (stepsRun_ - tc.stepsAtStart);
  stepsSkipped_ += steps;
  stepsRun_ += steps;
  index_[c] += times - 1;
  tc.haveStart = false;
  tc.haveDelta = false;
  for (std::size_t j = c + 1; j < outer_.size(); ++j) {
    index_[j] = outer_[j].bound - 1;
    trackers_[j].haveStart = false;
    trackers_[j].haveDelta = false;
  }
}

}  // namespace dfsim
