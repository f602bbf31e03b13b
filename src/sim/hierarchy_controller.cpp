#include "sim/hierarchy_controller.hpp"

#include <algorithm>

#include "common/errors.hpp"

namespace dfsim {

namespace {

/// SystemC time catches up with the controller's local time at least this often (cycles).
constexpr std::uint64_t kQuantum = 1 << 16;

DimVector sum(const DimVector& a, const DimVector& b) {
  DimVector c;
  for (std::size_t d = 0; d < kMaxDims; ++d) c[d] = a[d] + b[d];
  return c;
}

}  // namespace

HierarchyController::HierarchyController(const sc_core::sc_module_name& name,
                                         const ProblemShape& shape, const Hierarchy& h,
                                         const LoopNest& nest, const SimClock& clock,
                                         std::vector<StorageLevel*> levels,
                                         std::vector<FanOutNetwork*> networks,
                                         FanOutNetwork& direct, bool functional, bool skipRepeats)
    : sc_core::sc_module(name),
      clock_(clock),
      functional_(functional),
      dims_(shape.numDims()),
      levels_(std::move(levels)),
      skipRepeats_(skipRepeats && !functional),
      marks_(skipRepeats && !functional ? kMarkLogEntries : 0) {
  const std::size_t numLevels = nest.levels.size();
  if (numLevels != levels_.size() || numLevels == 0) {
    throw InternalError("HierarchyController: one storage level block per level of the nest");
  }
  // 1. The problem: sizes (1 for unused dimensions), each tensor's layout and DRAM pitch.
  size_.fill(1);
  for (std::size_t d = 0; d < dims_; ++d) size_[d] = shape.size(ProblemShape::dimAt(d));
  for (Tensor t : kAllTensors) {
    layout_[t] = TensorLayout::make(shape, t);
    std::int64_t pitch = 1;
    for (std::size_t k = kAxes; k-- > 0;) {
      fullPitch_[t][k] = pitch;
      pitch *= layout_[t].fullExtent[k];
    }
  }
  // 2. The flat nest, outermost first, and each loop's weight (the bounds inside it over its
  // dimension); each level's tile extent (the bounds of its loops and those below).
  std::vector<FlatLoop> flat;
  for (std::size_t k = 0; k < numLevels; ++k) {
    for (const Loop& l : nest.levels[k].temporal)
      flat.push_back({idx(l.dim), l.bound, 1, k, false});
    for (const SpatialLoop& l : nest.levels[k].spatial) {
      flat.push_back({idx(l.dim), l.bound, 1, k, true});
    }
  }
  DimVector inner;
  inner.fill(1);
  ext_.assign(numLevels, inner);
  for (std::size_t j = flat.size(); j-- > 0;) {
    flat[j].weight = inner[flat[j].dim];
    inner[flat[j].dim] *= flat[j].bound;
    ext_[flat[j].level] = inner;
  }
  for (std::size_t k = numLevels; k-- > 1;) {
    // A level without loops has the tile of the level below it.
    bool any = false;
    for (const FlatLoop& l : flat) any = any || l.level == k;
    if (!any) ext_[k] = k + 1 < numLevels ? ext_[k + 1] : DimVector{};
  }
  for (std::size_t k = 0; k < numLevels; ++k) {
    for (std::size_t d = 0; d < kMaxDims; ++d) ext_[k][d] = std::max<std::int64_t>(ext_[k][d], 1);
  }
  // 3. Instances: per level, the offset of each instance (the spatial loops above it, the
  // outermost the most significant digit).
  spatialOff_.resize(numLevels);
  std::vector<std::int64_t> instances(numLevels, 1);
  for (std::size_t k = 0; k < numLevels; ++k) {
    std::vector<DimVector> offs{DimVector{}};
    for (const FlatLoop& l : flat) {
      if (!l.spatial || l.level >= k) continue;
      std::vector<DimVector> next;
      next.reserve(offs.size() * static_cast<std::size_t>(l.bound));
      for (const DimVector& o : offs) {
        for (std::int64_t i = 0; i < l.bound; ++i) {
          DimVector n = o;
          n[l.dim] += i * l.weight;
          next.push_back(n);
        }
      }
      offs.swap(next);
    }
    instances[k] = static_cast<std::int64_t>(offs.size());
    spatialOff_[k] = std::move(offs);
    if (levels_[k]->instances() != instances[k]) {
      throw InternalError("HierarchyController: a level's instance count does not match the nest");
    }
  }
  // 4. Steps: the temporal loops above the innermost level; the innermost level's run inside.
  for (const FlatLoop& l : flat) {
    if (l.spatial) continue;
    (l.level + 1 < numLevels ? outer_ : inner_).push_back(l);
  }
  for (const FlatLoop& l : inner_) innerIters_ *= l.bound;
  index_.assign(outer_.size(), 0);
  innerIndex_.assign(inner_.size(), 0);
  originBefore_.assign(numLevels, DimVector{});
  // 5. The boundaries of each tensor (THE MODEL): consecutive levels keeping it, then the latch.
  std::vector<std::size_t> storage = h.storageEntries();
  const std::size_t last = numLevels - 1;
  auto add = [&](Tensor t, std::size_t p, std::size_t c, bool latch) {
    Boundary b;
    b.t = t;
    b.parent = p;
    b.child = c;
    b.latch = latch;
    const std::size_t above = storage[c] - 1;
    b.net = h.isStorage(above) ? &direct : networks[above];
    b.perParent = instances[c] / instances[p];
    for (const FlatLoop& l : outer_) b.timeEnd += l.level < c ? 1 : 0;
    b.relevantFrom.assign(b.timeEnd + 1, 0);
    b.movesFrom.assign(b.timeEnd + 1, 0);
    for (std::size_t j = b.timeEnd; j-- > 0;) {
      const bool moves =
          outer_[j].bound > 1 && layout_[t].moves(ProblemShape::dimAt(outer_[j].dim));
      // Streamed tiles (README "Streamed tiles"): every loop of the streaming levels changes it.
      const bool streamed = outer_[j].bound > 1 && outer_[j].level < nest.levels[c].streamedOver[t];
      b.movesFrom[j] = static_cast<std::uint8_t>(moves || b.movesFrom[j + 1] != 0);
      b.relevantFrom[j] =
          static_cast<std::uint8_t>(moves || streamed || b.relevantFrom[j + 1] != 0);
    }
    b.took.assign(static_cast<std::size_t>(instances[c]), -1);
    b.prefetch = !latch && t != Tensor::Outputs && h.entries[storage[c]].storage.doubleBuffered;
    if (b.prefetch) b.pending.assign(static_cast<std::size_t>(instances[c]), 0);
    if (latch && t == Tensor::Outputs) b.unsent.assign(static_cast<std::size_t>(instances[p]), 0);
    if (t == Tensor::Outputs) {
      b.seen.assign(static_cast<std::size_t>(instances[p] * shape.tensorWords(t)), 0);
    }
    b.kids.reserve(static_cast<std::size_t>(b.perParent));
    b.at.resize(static_cast<std::size_t>(b.perParent));
    b.psum.resize(static_cast<std::size_t>(b.perParent));
    if (latch) b.index.assign(static_cast<std::size_t>(instances[c]), 0);
    if (t == Tensor::Outputs && !h.isStorage(above)) {
      // The fan-out's unreduced dimensions: each child's index along the spatial loops of the
      // level above it over them (the instances' digits in step 3's order).
      const FanOutSpec& f = h.entries[above].fanOut;
      std::vector<std::uint32_t> g{0};
      for (const FlatLoop& l : flat) {
        if (!l.spatial || l.level >= c) continue;
        const bool split = l.level + 1 == c && !f.reduces(shape.name(ProblemShape::dimAt(l.dim)));
        if (split) b.groups *= l.bound;
        std::vector<std::uint32_t> next;
        next.reserve(g.size() * static_cast<std::size_t>(l.bound));
        for (std::uint32_t x : g) {
          for (std::int64_t i = 0; i < l.bound; ++i) {
            next.push_back(split ? x * static_cast<std::uint32_t>(l.bound) +
                                       static_cast<std::uint32_t>(i)
                                 : x);
          }
        }
        g.swap(next);
      }
      if (b.groups > 1) {
        b.group = std::move(g);
        b.groupAt.resize(static_cast<std::size_t>(b.perParent));
      }
    }
    (latch ? latches_ : bounds_).push_back(std::move(b));
  };
  for (Tensor t : kAllTensors) {
    std::size_t p = 0;
    for (std::size_t k = 1; k < numLevels; ++k) {
      if (!nest.levels[k].keeps[t]) continue;
      add(t, p, k, false);
      p = k;
    }
    if (p != last) add(t, p, last, true);
  }
  std::stable_sort(bounds_.begin(), bounds_.end(),
                   [](const Boundary& a, const Boundary& b) { return a.child < b.child; });
  for (Boundary& b : bounds_) {
    for (std::size_t u = 0; u < bounds_.size(); ++u) {
      if (bounds_[u].t == b.t && bounds_[u].child == b.parent) b.up = u;
    }
  }
  nextIndex_.assign(outer_.size(), 0);
  // 6. Skipping ahead: what each outer loop's iteration moves, the loops worth tracking, the
  // networks to snapshot, the psum marks logged.
  for (std::size_t j = 0; j < outer_.size(); ++j) {
    DimVector step{};
    step[outer_[j].dim] = outer_[j].weight;
    for (Tensor t : kAllTensors) loopShift_[t].push_back(layout_[t].axes(step));
    markShift_.push_back(linearIndex(loopShift_[Tensor::Outputs][j], fullPitch_[Tensor::Outputs]));
  }
  trackers_.resize(outer_.size());
  firstTracked_ = outer_.size();
  for (std::size_t j = outer_.size(); skipRepeats_ && j-- > 0;) {
    trackers_[j].tracked = outer_[j].bound >= 4;
    if (trackers_[j].tracked) firstTracked_ = j;
  }
  for (FanOutNetwork* n : networks) {
    if (n == nullptr) continue;
    networks_.push_back(n);
    if (skipRepeats_) n->setMarkLog(&marks_);
  }
  if (skipRepeats_) direct.setMarkLog(&marks_);
  for (std::vector<Boundary>* list : {&bounds_, &latches_}) {
    for (const Boundary& b : *list) {
      if (!b.seen.empty()) seenRanges_.emplace_back(b.seen.data(), b.seen.data() + b.seen.size());
    }
  }
  // 7. Unless skipRepeats is off (every iteration then runs on its own): per innermost iteration
  // (at most kMaxInnerShifts of them), how far it moves each operand in the tile it is read
  // from (functional: the innermost level's own tile, or a latch's parent tile) and an output
  // word in the whole tensor (a psum latch's marks).
  bool outLatch = false;
  for (const Boundary& b : latches_) outLatch = outLatch || b.t == Tensor::Outputs;
  for (Tensor t : kAllTensors)
    ownBase_[t].assign(static_cast<std::size_t>(instances[last]), nullptr);
  iterationShifts_ = skipRepeats && innerIters_ <= kMaxInnerShifts;
  if (iterationShifts_) {
    PerTensor<const BoxShape*> slot{};
    for (Tensor t : kAllTensors) {
      if (nest.levels[last].keeps[t]) slot[t] = levels_[last]->tile(0, t).shape;
    }
    for (const Boundary& b : latches_) slot[b.t] = levels_[b.parent]->tile(0, b.t).shape;
    std::vector<std::int64_t> at(inner_.size(), 0);
    DimVector off{};
    for (std::int64_t i = 0; i < innerIters_; ++i) {
      for (Tensor t : kAllTensors) {
        const AxisVector a = layout_[t].axes(off);
        if (functional_) valueShift_[t].push_back(slot[t]->index(a));
        if (outLatch && t == Tensor::Outputs) {
          innerShift_.push_back(linearIndex(a, fullPitch_[Tensor::Outputs]));
        }
      }
      nextInner(at, off);
    }
  }
  // 8. A systolic mesh above the innermost level (FanOutSpec::network): its size, and the words
  // of each weight or input tile the PEs keep (the largest tile, its touched words).
  const std::size_t meshEntry = storage[last] - 1;
  if (!h.isStorage(meshEntry) && h.entries[meshEntry].fanOut.network == NetworkKind::Systolic) {
    systolic_ = true;
    meshRows_ = h.entries[meshEntry].fanOut.rows;
    meshCols_ = h.entries[meshEntry].fanOut.cols;
    for (Tensor t : {Tensor::Weights, Tensor::Inputs}) {
      if (nest.levels[last].keeps[t])
        meshTileWords_[t] = levels_[last]->tile(0, t).shape->touchedWords;
    }
  }
  active_.assign(static_cast<std::size_t>(instances[last]), 0);
  for (Tensor t : kAllTensors) {
    macAt_[t].assign(static_cast<std::size_t>(instances[last]), {});
    for (const DimVector& o : spatialOff_[last]) instanceAt_[t].push_back(layout_[t].axes(o));
  }
  SC_THREAD(run);
}

bool HierarchyController::inside(const DimVector& p) const {
  for (std::size_t d = 0; d < dims_; ++d) {
    if (p[d] >= size_[d]) return false;
  }
  return true;
}

void HierarchyController::computeOrigins() {
  DimVector o{};
  std::size_t j = 0;
  for (std::size_t k = 0; k < originBefore_.size(); ++k) {
    while (j < outer_.size() && outer_[j].level < k) {
      o[outer_[j].dim] += index_[j] * outer_[j].weight;
      ++j;
    }
    originBefore_[k] = o;
  }
}

const BoxShape* HierarchyController::viewFor(Boundary& b, const DimVector& ext) {
  for (const auto& v : b.views) {
    if (v.first == ext) return v.second.get();
  }
  b.views.emplace_back(ext, std::make_unique<BoxShape>(BoxShape::make(layout_[b.t], ext)));
  return b.views.back().second.get();
}

void HierarchyController::advance(const TransferDone& done, TraceKind phase, std::size_t level) {
  const Cycle latest = done.latest();
  if (latest <= now_) return;
  const Cycle stall = latest - now_;
  TraceKind kind = TraceKind::StallNetwork;
  if (done.dram == latest) {
    cycles_.stallDram += stall;
    kind = TraceKind::StallDram;
  } else if (done.onChip == latest) {
    cycles_.stallGlb += stall;
    kind = TraceKind::StallOnChip;
  } else {
    cycles_.stallNoc += stall;
  }
  traceArray(kind, now_, latest, phase, level);
  now_ = latest;
}

TraceSpan HierarchyController::span(TraceKind kind, Cycle begin, Cycle end, TraceKind phase,
                                    std::size_t level, std::int64_t words) const {
  TraceSpan s;
  s.begin = begin;
  s.end = end;
  s.step = stepsRun_;
  s.words = words;
  s.kind = kind;
  s.phase = phase;
  s.level = static_cast<std::uint8_t>(level);
  return s;
}

void HierarchyController::traceArray(TraceKind kind, Cycle begin, Cycle end, TraceKind phase,
                                     std::size_t level, std::int64_t words) {
  if (trace_ == nullptr || end <= begin) return;
  trace_->record(span(kind, begin, end, phase, level, words));
}

void HierarchyController::traceTransfer(TraceKind kind, const Boundary& b, std::size_t level,
                                        Cycle begin, const TransferDone& done, std::int64_t words) {
  if (trace_ == nullptr) return;
  const Cycle end = max(begin, done.latest());
  if (words == 0 && end == begin) return;  // nothing moved
  TraceSpan s = span(kind, begin, end, kind, level, words);
  s.tensor = b.t;
  s.hasTensor = true;
  trace_->record(s);
}

TransferDone HierarchyController::takeAll(Boundary& b, Cycle now) {
  TransferDone done{now, now, now};
  StorageLevel& parent = *levels_[b.parent];
  StorageLevel& child = *levels_[b.child];
  const std::int64_t parents = parent.instances();
  const std::int64_t words = static_cast<std::int64_t>(b.seen.size()) / parents;
  bool prefetched = false;
  for (std::int64_t q = 0; q < parents; ++q) {
    b.kids.clear();
    for (std::int64_t i = q * b.perParent; i < (q + 1) * b.perParent; ++i) {
      const DimVector o =
          sum(originBefore_[b.child], spatialOff_[b.child][static_cast<std::size_t>(i)]);
      std::int64_t& took = b.took[static_cast<std::size_t>(i)];
      if (!inside(o)) {  // this instance idles: its tile lies beyond the edge
        // Halo reuse: an instance idle when its tile changes keeps nothing to reuse (its next
        // tile comes whole, as Timeloop's delta against an empty working set).
        if (took != b.moved && child.haloReuse() && b.t != Tensor::Outputs) {
          child.tile(i, b.t).holding = false;
        }
        continue;
      }
      if (took == b.moved) continue;  // no loop it depends on moved: it keeps its tile
      took = b.moved;
      if (b.prefetch && b.pending[static_cast<std::size_t>(i)] != 0) {
        // Its spare holds this tile (prefetched at the previous change): switch to it.
        child.swapSpare(i, b.t);
        b.pending[static_cast<std::size_t>(i)] = 0;
        prefetched = true;
        continue;
      }
      DimVector ext = ext_[b.child];
      for (std::size_t d = 0; d < dims_; ++d) ext[d] = std::min(ext[d], size_[d] - o[d]);
      // Halo reuse: the new tile replaces the one this instance holds, in place (a streamed
      // tile refetched where it was comes whole).
      const TileBuffer* held = child.haloReuse() && b.t != Tensor::Outputs && b.tileMoved
                                   ? &child.tile(i, b.t)
                                   : nullptr;
      b.kids.push_back({i, layout_[b.t].axes(o), viewFor(b, ext), held});
    }
    if (b.kids.empty()) continue;
    if (b.t == Tensor::Outputs) {
      done.merge(b.net->takeOutputs(parent, q, child, b.kids.data(), b.kids.size(), q,
                                    b.seen.data() + q * words, fullPitch_[b.t], now));
    } else {
      done.merge(b.net->fill(b.t, parent, q, child, b.kids.data(), b.kids.size(), q, now));
    }
  }
  if (prefetched) done.merge(b.prefetchDone);  // wait until the prefetched tiles are in
  return done;
}

void HierarchyController::prefetchNext(Boundary& b) {
  // 1. The next tile: the loops above the child move on (those inside at 0), past the tiles
  // beyond the layer's edge, with the outermost carry on the way.
  const std::size_t end = b.timeEnd;
  if (end == 0) return;  // one tile for the whole run
  std::copy(index_.begin(), index_.begin() + static_cast<std::ptrdiff_t>(end), nextIndex_.begin());
  std::size_t outermost = end;
  DimVector o{};
  do {
    std::size_t moved = end;
    for (std::size_t i = end; i-- > 0;) {
      if (++nextIndex_[i] < outer_[i].bound) {
        moved = i;
        break;
      }
      nextIndex_[i] = 0;
    }
    if (moved == end) return;  // past the last tile: nothing to prefetch
    outermost = std::min(outermost, moved);
    o = DimVector{};
    for (std::size_t j = 0; j < end; ++j) o[outer_[j].dim] += nextIndex_[j] * outer_[j].weight;
  } while (!inside(o));
  // 2. Only a tile the children take there, from the parent's current tile.
  if (!changes(b, outermost)) return;
  if (b.up != kNone && changes(bounds_[b.up], outermost)) return;
  // 3. Fill the spares of the children working there, as the change would fill their tiles.
  StorageLevel& parent = *levels_[b.parent];
  StorageLevel& child = *levels_[b.child];
  TransferDone done{now_, now_, now_};
  const std::int64_t written = writesAt(b.child, b.t);
  for (std::int64_t q = 0; q < parent.instances(); ++q) {
    b.kids.clear();
    for (std::int64_t i = q * b.perParent; i < (q + 1) * b.perParent; ++i) {
      const DimVector oi = sum(o, spatialOff_[b.child][static_cast<std::size_t>(i)]);
      if (!inside(oi)) continue;
      DimVector ext = ext_[b.child];
      for (std::size_t d = 0; d < dims_; ++d) ext[d] = std::min(ext[d], size_[d] - oi[d]);
      b.kids.push_back({i, layout_[b.t].axes(oi), viewFor(b, ext)});
      b.pending[static_cast<std::size_t>(i)] = 1;
    }
    if (b.kids.empty()) continue;
    for (ChildTile& k : b.kids) {
      child.swapSpare(k.instance, b.t);
      // Halo reuse: the next tile replaces the current one, now in the spare's place.
      // A streamed tile refetched where it was comes whole.
      if (child.haloReuse() && b.movesFrom[outermost] != 0) k.held = &child.spare(k.instance, b.t);
    }
    done.merge(b.net->fill(b.t, parent, q, child, b.kids.data(), b.kids.size(), q, now_));
    for (const ChildTile& k : b.kids) child.swapSpare(k.instance, b.t);
  }
  b.prefetchDone = done;
  traceTransfer(TraceKind::Prefetch, b, b.child, now_, done, writesAt(b.child, b.t) - written);
}

TransferDone HierarchyController::sendUnsent(Boundary& b, Cycle now) {
  TransferDone done{now, now, now};
  StorageLevel& parent = *levels_[b.parent];
  for (std::int64_t q = 0; q < parent.instances(); ++q) {
    std::int64_t& words = b.unsent[static_cast<std::size_t>(q)];
    done.merge(b.net->sendPsums(parent, q, words, q, now));
    words = 0;
  }
  return done;
}

void HierarchyController::drainOutputs(std::size_t carry, bool all) {
  const std::size_t last = levels_.size() - 1;
  // 1. The innermost level's psums (its tiles, or the latches' last ones), waited for.
  TransferDone done{now_, now_, now_};
  for (std::size_t k = bounds_.size(); k-- > 0;) {
    Boundary& b = bounds_[k];
    if (b.t == Tensor::Outputs && b.child == last && (all || changes(b, carry))) {
      done.merge(traced(TraceKind::Drain, b, b.parent, [&] { return drainAll(b, now_); }));
    }
  }
  for (Boundary& b : latches_) {
    if (b.t == Tensor::Outputs && (all || changes(b, carry))) {
      done.merge(traced(TraceKind::Drain, b, b.parent, [&] { return sendUnsent(b, now_); }));
    }
  }
  advance(done, TraceKind::Drain, last);
  // 2. The other levels' output tiles go back, innermost first, posted: their ports and the
  // parents' are booked (later traffic queues behind), nobody waits.
  for (std::size_t k = bounds_.size(); k-- > 0;) {
    Boundary& b = bounds_[k];
    if (b.t == Tensor::Outputs && b.child != last && (all || changes(b, carry))) {
      traced(TraceKind::WriteBack, b, b.parent, [&] { return drainAll(b, now_); });
    }
  }
}

TransferDone HierarchyController::drainAll(Boundary& b, Cycle now) {
  TransferDone done{now, now, now};
  StorageLevel& parent = *levels_[b.parent];
  StorageLevel& child = *levels_[b.child];
  for (std::int64_t q = 0; q < parent.instances(); ++q) {
    b.kids.clear();
    for (std::int64_t i = q * b.perParent; i < (q + 1) * b.perParent; ++i) {
      if (!child.tile(i, b.t).holding) continue;
      b.kids.push_back({i, {}, nullptr});
      if (b.groups > 1) b.kids.back().group = b.group[static_cast<std::size_t>(i)];
    }
    if (b.kids.empty()) continue;
    done.merge(
        b.net->drainOutputs(parent, q, child, b.kids.data(), b.kids.size(), q, now, b.groups));
  }
  return done;
}

void HierarchyController::run() {
  now_ = clock_.now();
  syncedAt_ = now_;
  const std::size_t loops = outer_.size();
  for (bool first = true, more = true; more; first = false) {
    std::size_t carry = loops;
    if (!first) {
      // 2. The next non-empty step of the padded nest (steps beyond the edge are skipped: no
      // transfer, no time), with the outermost carry on the way.
      std::size_t moved = loops;
      do {
        moved = loops;
        for (std::size_t i = loops; i-- > 0;) {
          if (++index_[i] < outer_[i].bound) {
            moved = i;
            break;
          }
          index_[i] = 0;
        }
        carry = std::min(carry, moved);
        computeOrigins();
      } while (moved < loops && !inside(originBefore_.back()));
      if (moved == loops) break;  // every loop wrapped: the nest is done
    } else {
      computeOrigins();
    }
    // 1. One step: drains, fills, the innermost iterations; or, once the iterations of the
    // carry's loop repeat, the rest of them at once.
    const Cycle before = now_;
    const std::int64_t stepsBefore = stepsRun_;
    if (!first && skipRepeats_ && skipAhead(carry)) {
      if (trace_ != nullptr) {
        TraceSpan s =
            span(TraceKind::Skipped, before, now_, TraceKind::Skipped, 0, stepsRun_ - stepsBefore);
        s.step = stepsBefore;
        trace_->record(s);
      }
    } else {
      runStep(first, carry);
      ++stepsRun_;
    }
    if ((now_ - syncedAt_).count() >= kQuantum) {
      wait(clock_.toTime(now_) - sc_core::sc_time_stamp());
      syncedAt_ = clock_.now();
    }
    more = loops > 0;
  }
  // 3. Drain every output tile still held (the innermost level's waited for, the others
  // posted), and wait until DRAM has taken the last word.
  drainOutputs(loops, true);
  const Cycle idle = levels_.front()->idleAt();
  if (idle > now_) {
    cycles_.stallDram += idle - now_;
    traceArray(TraceKind::StallDram, now_, idle, TraceKind::WriteBack, 0);
    now_ = idle;
  }
  wait(clock_.toTime(now_) - sc_core::sc_time_stamp());
  cycles_.total = now_;
  finished_ = true;
}

void HierarchyController::runStep(bool first, std::size_t carry) {
  // 1. Drains: the output tiles that change give their psums up, innermost boundary first.
  if (!first) drainOutputs(carry, false);
  // A systolic mesh at a fold: the PEs' new tiles shift in from the edge, a row per cycle,
  // beside the fills; the skew and drain of the fold's wavefront follow them.
  Cycle meshLoaded = now_;
  bool fold = false;
  if (systolic_) {
    const std::size_t pe = levels_.size() - 1;
    std::int64_t load = 0;
    fold = first;
    for (const Boundary& b : bounds_) {
      if (b.child != pe || !(first || changes(b, carry))) continue;
      fold = true;
      load = std::max(load, meshTileWords_[b.t]);
    }
    meshLoaded += Cycle(static_cast<std::uint64_t>(meshRows_ * load));
  }
  // 2. Fills, one child level at a time, outermost first: a child whose tile changed since it
  // took one; the level's tiles are in before the level below takes its own from them, and
  // its double-buffered tensors' next tiles are prefetched from then on.
  for (std::size_t k = 0; k < bounds_.size();) {
    const std::size_t child = bounds_[k].child;
    std::size_t end = k;
    TransferDone done{now_, now_, now_};
    for (; end < bounds_.size() && bounds_[end].child == child; ++end) {
      Boundary& b = bounds_[end];
      if (!first && carry >= b.timeEnd) continue;  // no loop above the child moved
      if (first || b.relevantFrom[carry] != 0) {
        ++b.moved;
        b.tileMoved = first || b.movesFrom[carry] != 0;
      }
      done.merge(traced(TraceKind::Fill, b, b.child, [&] { return takeAll(b, now_); }));
    }
    advance(done, TraceKind::Fill, child);
    for (; k < end; ++k) {
      Boundary& b = bounds_[k];
      if (b.prefetch && (first || carry < b.timeEnd)) prefetchNext(b);
    }
  }
  if (fold) {
    const std::size_t pe = levels_.size() - 1;
    if (meshLoaded > now_) {
      cycles_.stallNoc += meshLoaded - now_;
      traceArray(TraceKind::MeshLoad, now_, meshLoaded, TraceKind::MeshLoad, pe);
      now_ = meshLoaded;
    }
    const Cycle skew(static_cast<std::uint64_t>(meshRows_ - 1 + meshCols_ - 1));
    cycles_.stallNoc += skew;
    traceArray(TraceKind::MeshSkew, now_, now_ + skew, TraceKind::MeshSkew, pe);
    now_ += skew;
  }
  compute();
}

void HierarchyController::compute() {
  const Cycle start = now_;
  TransferDone done{start, start, start};
  StorageLevel& pe = *levels_.back();
  const std::size_t n = active_.size();
  const std::vector<DimVector>& offs = spatialOff_.back();
  PerTensor<Boundary*> latch{};
  for (Boundary& b : latches_) latch[b.t] = &b;
  // Tracing: each latch's own traffic, and its parent's words before the step (weights and
  // inputs: reads; outputs: writes).
  PerTensor<TransferDone> streamed{};
  PerTensor<std::int64_t> streamedBefore{};
  for (const Boundary& b : latches_) {
    if (trace_ == nullptr) break;
    streamed[b.t] = done;
    const ReadWrite& c = levels_[b.parent]->counts()[b.t];
    streamedBefore[b.t] = b.t == Tensor::Outputs ? c.writes : c.reads;
  }
  std::vector<std::int64_t>& it = innerIndex_;
  std::fill(it.begin(), it.end(), 0);
  DimVector innerOff{};
  // Fast mode: every innermost iteration does what the first one does, moved by one vector.
  // The innermost loops divide their dimensions (validation) and every instance's origin is a
  // multiple of their extents, so the instances working at the first iteration work at every
  // one; the operands a latch takes move by one vector per iteration, which keeps the number
  // of distinct words each parent reads; and bookings at one cycle add up (BandwidthPort). A
  // psum latch's revisits and marks go iteration by iteration over its distinct words only
  // (FanOutNetwork::latchOutputsRepeated, by the iterations' shifts innerShift_).
  const bool bulk = iterationShifts_ && innerIters_ > 1;
  // Functional: the operands the innermost level keeps are found by valueShift_ (else from
  // their coordinates, iteration by iteration).
  const bool ownShifted = functional_ && iterationShifts_;
  const std::int64_t iterations = bulk ? 1 : innerIters_;
  const std::int64_t times = bulk ? innerIters_ : 1;
  // The instances working at this step: the innermost loops divide their dimensions
  // (validation) and every instance's origin is a multiple of their extents, so an instance
  // working at the first iteration works at every one. Each tensor's coordinates are linear in
  // the point: the step's origin, the instance's offset and the iteration's offset, summed.
  PerTensor<AxisVector> stepAt{};
  for (Tensor t : kAllTensors) stepAt[t] = layout_[t].axes(originBefore_.back());
  std::int64_t working = 0;
  for (std::size_t i = 0; i < n; ++i) {
    active_[i] = inside(sum(originBefore_.back(), offs[i])) ? 1 : 0;
    working += active_[i];
  }
  // Functional: where each working instance's own operands sit at the first iteration (the
  // later ones move them by valueShift_).
  for (Tensor t : kAllTensors) {
    if (!ownShifted || latch[t] != nullptr) continue;
    for (std::size_t i = 0; i < n; ++i) {
      if (active_[i] == 0) continue;
      TileBuffer& own = pe.tile(static_cast<std::int64_t>(i), t);
      AxisVector a = stepAt[t];
      for (std::size_t k = 0; k < kAxes; ++k) a[k] += instanceAt_[t][i][k];
      ownBase_[t][i] = own.data.data() + own.indexOf(a);
    }
  }
  for (std::int64_t iter = 0; iter < iterations; ++iter) {
    // 1. The point each working innermost instance works on (functional: only for the
    // operands the latches move).
    for (Tensor t : kAllTensors) {
      if (latch[t] == nullptr && (!functional_ || ownShifted)) continue;
      AxisVector base = layout_[t].axes(innerOff);
      for (std::size_t k = 0; k < kAxes; ++k) base[k] += stepAt[t][k];
      const std::vector<AxisVector>& own = instanceAt_[t];
      std::vector<AxisVector>& at = macAt_[t];
      for (std::size_t i = 0; i < n; ++i) {
        if (active_[i] == 0) continue;
        for (std::size_t k = 0; k < kAxes; ++k) at[i][k] = base[k] + own[i][k];
      }
    }
    // 2. The latched operands, per parent instance.
    for (Tensor t : {Tensor::Weights, Tensor::Inputs}) {
      Boundary* b = latch[t];
      if (b == nullptr) continue;
      StorageLevel& parent = *levels_[b->parent];
      for (std::int64_t q = 0; q < parent.instances(); ++q) {
        std::size_t m = 0;
        const auto lo = static_cast<std::size_t>(q * b->perParent);
        const auto hi = static_cast<std::size_t>((q + 1) * b->perParent);
        for (std::size_t i = lo; i < hi; ++i) {
          if (active_[i] != 0) b->at[m++] = macAt_[t][i];
        }
        if (m == 0) continue;
        std::int64_t* index = b->index.data() + lo;
        const TransferDone d =
            b->net->latchFill(t, parent, q, b->at.data(), m, index, q, start, times);
        done.merge(d);
        streamed[t].merge(d);
        // Spread the compacted indices back over the group's instances.
        for (std::size_t i = hi; i-- > lo;) {
          if (active_[i] != 0) index[i - lo] = index[--m];
        }
      }
    }
    // 3. The MACs.
    Boundary* out = latch[Tensor::Outputs];
    pe.countMacs(working * times);
    for (Tensor t : kAllTensors) {
      if (latch[t] == nullptr) pe.macAccesses(t, working * times);
    }
    if (functional_ && bulk) computeValues(latch);
    for (std::size_t i = 0; functional_ && !bulk && i < n; ++i) {
      if (active_[i] == 0) continue;
      const auto inst = static_cast<std::int64_t>(i);
      auto operand = [&](Tensor t) -> std::int32_t& {
        if (latch[t] == nullptr && ownShifted) {
          return ownBase_[t][i][valueShift_[t][static_cast<std::size_t>(iter)]];
        }
        if (latch[t] == nullptr) {
          TileBuffer& own = pe.tile(inst, t);
          return own.data[static_cast<std::size_t>(own.indexOf(macAt_[t][i]))];
        }
        const Boundary& b = *latch[t];
        TileBuffer& src = levels_[b.parent]->tile(inst / b.perParent, t);
        return src.data[static_cast<std::size_t>(b.index[i])];
      };
      const std::int32_t prod = operand(Tensor::Weights) * operand(Tensor::Inputs);
      if (out == nullptr) {
        operand(Tensor::Outputs) += prod;
      } else {
        out->index[i] = prod;  // the psum leaving the latch this iteration
      }
    }
    // 4. Psums the innermost level does not keep go up, reduced per parent instance.
    if (out != nullptr) {
      StorageLevel& parent = *levels_[out->parent];
      const std::size_t words = out->seen.size() / static_cast<std::size_t>(parent.instances());
      for (std::int64_t q = 0; q < parent.instances(); ++q) {
        std::size_t m = 0;
        const auto lo = static_cast<std::size_t>(q * out->perParent);
        const auto hi = static_cast<std::size_t>((q + 1) * out->perParent);
        for (std::size_t i = lo; i < hi; ++i) {
          if (active_[i] == 0) continue;
          out->at[m] = macAt_[Tensor::Outputs][i];
          out->psum[m] = functional_ ? static_cast<std::int32_t>(out->index[i]) : 0;
          if (out->groups > 1) out->groupAt[m] = out->group[i];
          ++m;
        }
        if (m == 0) continue;
        std::int64_t& unsent = out->unsent[static_cast<std::size_t>(q)];
        if (bulk) {
          std::int64_t after = 0;
          const TransferDone d = out->net->latchOutputsRepeated(
              parent, q, out->at.data(), m, q,
              out->seen.data() + static_cast<std::size_t>(q) * words, fullPitch_[Tensor::Outputs],
              innerShift_.data(), innerIters_, unsent, after, start, out->groupAt.data(),
              out->groups);
          done.merge(d);
          streamed[Tensor::Outputs].merge(d);
          unsent = after;
          continue;
        }
        std::int64_t send = 0;
        TransferDone d = out->net->latchOutputs(
            parent, q, out->at.data(), out->psum.data(), m, q,
            out->seen.data() + static_cast<std::size_t>(q) * words, fullPitch_[Tensor::Outputs],
            send, start, out->groupAt.data(), out->groups);
        // The previous iteration's psums leave now; this one's at the next iteration.
        d.merge(out->net->sendPsums(parent, q, unsent, q, start));
        done.merge(d);
        streamed[Tensor::Outputs].merge(d);
        unsent = send;
      }
    }
    // 5. The next innermost iteration.
    nextInner(it, innerOff);
  }
  now_ = start + Cycle(static_cast<std::uint64_t>(innerIters_));
  cycles_.compute += Cycle(static_cast<std::uint64_t>(innerIters_));
  const std::size_t last = levels_.size() - 1;
  traceArray(TraceKind::Compute, start, now_, TraceKind::Compute, last);
  for (const Boundary& b : latches_) {
    if (trace_ == nullptr) break;
    const ReadWrite& c = levels_[b.parent]->counts()[b.t];
    const std::int64_t words = (b.t == Tensor::Outputs ? c.writes : c.reads) - streamedBefore[b.t];
    traceTransfer(TraceKind::Stream, b, b.parent, start, streamed[b.t], words);
  }
  advance(done, TraceKind::Stream, last);
}

void HierarchyController::nextInner(std::vector<std::int64_t>& index, DimVector& offset) const {
  for (std::size_t j = inner_.size(); j-- > 0;) {
    offset[inner_[j].dim] += inner_[j].weight;
    if (++index[j] < inner_[j].bound) return;
    offset[inner_[j].dim] -= inner_[j].bound * inner_[j].weight;
    index[j] = 0;
  }
}

void HierarchyController::computeValues(const PerTensor<Boundary*>& latch) {
  // Where each working instance's operands sit at the first iteration: its own tile's words
  // (set at the step's start), or the latch parent's (weights and inputs: the words latchFill
  // found; outputs: the psum's word, to which the MACs' products are added, as latchOutputs adds
  // them).
  const std::size_t n = active_.size();
  for (Tensor t : kAllTensors) {
    const Boundary* b = latch[t];
    if (b == nullptr) continue;
    for (std::size_t i = 0; i < n; ++i) {
      if (active_[i] == 0) continue;
      TileBuffer& src = levels_[b->parent]->tile(static_cast<std::int64_t>(i) / b->perParent, t);
      const std::int64_t word = t == Tensor::Outputs ? src.indexOf(macAt_[t][i]) : b->index[i];
      ownBase_[t][i] = src.data.data() + word;
    }
  }
  const std::int64_t* sw = valueShift_[Tensor::Weights].data();
  const std::int64_t* si = valueShift_[Tensor::Inputs].data();
  const std::int64_t* so = valueShift_[Tensor::Outputs].data();
  for (std::size_t i = 0; i < n; ++i) {
    if (active_[i] == 0) continue;
    const std::int32_t* w = ownBase_[Tensor::Weights][i];
    const std::int32_t* x = ownBase_[Tensor::Inputs][i];
    std::int32_t* o = ownBase_[Tensor::Outputs][i];
    for (std::int64_t k = 0; k < innerIters_; ++k) o[so[k]] += w[sw[k]] * x[si[k]];
  }
}

}  // namespace dfsim
