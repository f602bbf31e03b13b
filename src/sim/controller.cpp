#include "sim/controller.hpp"

#include <algorithm>
#include <utility>

#include "common/errors.hpp"

namespace dfsim {

namespace {
const ArrayNoc::Plan kLatchDrainPlan = {{0, 0}};
}  // namespace

Controller::Controller(const sc_core::sc_module_name& name, const ProblemShape& shape,
                       const ArchSpec& arch, const Mapping& mapping, const SimClock& clock,
                       Dram& dram, GlobalBuffer& glb, ArrayNoc& noc, PeArray& pes, bool skipRepeats)
    : sc_core::sc_module(name),
      arch_(arch),
      mapping_(mapping),
      clock_(clock),
      dram_(dram),
      glb_(glb),
      noc_(noc),
      pes_(pes),
      plan_(NestPlan::make(mapping)),
      ragged_(RaggedPlan::make(plan_, shape)) {
  skipRepeats_ = skipRepeats;
  const std::size_t iters = plan_.rfPoint.size();
  const auto peCount = static_cast<std::size_t>(pes.pes());
  for (const NestPlan::OuterLoop& l : plan_.outer) dramLoopCount_ += l.atDram ? 1 : 0;
  index_.assign(plan_.outer.size(), 0);
  // The two boundaries' buffer policies: DRAM -> GLB (tiles chosen by the DRAM loops; weights
  // and inputs double buffered when the arch says so) and GLB -> RF (the PE's step tile, chosen
  // by every outer loop, whether it sits in the RF or streams through the latches).
  BoundarySpec glbSpec;
  glbSpec.loops = plan_.outer;
  glbSpec.tileLoops = dramLoopCount_;
  BoundarySpec rfSpec;
  rfSpec.loops = plan_.outer;
  rfSpec.tileLoops = plan_.outer.size();
  for (std::size_t d = 0; d < shape.numDims(); ++d) {
    glbSpec.sizes[d] = rfSpec.sizes[d] = shape.size(ProblemShape::dimAt(d));
  }
  for (Tensor t : kAllTensors) {
    layout_[t] = TensorLayout::make(shape, t);
    glbSpec.layout[t] = layout_[t];
    glbSpec.keeps[t] = mapping.glbKeeps[t];
    // Weights and inputs get a second slot for the prefetch; the outputs are updated in place.
    glbSpec.slots[t] = (t != Tensor::Outputs && arch.glb.doubleBuffered) ? 2 : 1;
    rfSpec.layout[t] = layout_[t];
    rfSpec.keeps[t] = true;
    rfSpec.slots[t] = 1;
    // Streamed tiles: refetched at every move of the DRAM loops (1) or of every outer loop (2).
    const auto loopsOf = [&](std::uint8_t over) {
      return over == 0 ? 0 : over == 1 ? dramLoopCount_ : plan_.outer.size();
    };
    glbSpec.streamedLoops[t] = loopsOf(mapping.glbStreamedOver[t]);
    rfSpec.streamedLoops[t] = loopsOf(mapping.rfStreamedOver[t]);
  }
  const PerTensor<int> glbSlots = glbSpec.slots;
  glbPolicy_ = makeBufferPolicy(std::move(glbSpec));
  rfPolicy_ = makeBufferPolicy(std::move(rfSpec));
  for (Tensor t : kAllTensors) {
    const TensorLayout& layout = layout_[t];
    const BoxShape& dramShape = *dram.store(t).shape;
    if (mapping.glbKeeps[t]) {
      // The slot holds the largest GLB tile, the nominal one clipped to the layer (a tile's
      // origin is a multiple of the nominal extent, so the first is the largest): what
      // validateMapping checks against the partition's capacity.
      DimVector largest = plan_.glbExtent;
      for (std::size_t d = 0; d < largest.size(); ++d) {
        largest[d] = std::min(largest[d], ragged_.size(d));
      }
      glbShape_[t] = BoxShape::make(layout, largest);
      glb.configure(t, &glbShape_[t], &dramShape, glbSlots[t]);
      // A clipped GLB tile keeps the slot's layout and moves only its own touched words.
      glbView_[t].resize(ragged_.glbKinds());
      for (std::size_t g = 0; g < ragged_.glbKinds(); ++g) {
        BoxShape v = BoxShape::make(layout, ragged_.glbExtent(g));
        v.extent = glbShape_[t].extent;
        v.pitch = glbShape_[t].pitch;
        v.size = glbShape_[t].size;
        glbView_[t][g] = std::move(v);
      }
    }
    const BoxShape& parentShape = mapping.glbKeeps[t] ? glbShape_[t] : dramShape;
    noc.reserveParent(parentShape.size);
    macOffset_[t].assign(iters, 0);
    if (mapping.rfKeeps[t]) {
      rfShape_[t] = BoxShape::make(layout, plan_.rfExtent);
      pes.configure(t, &rfShape_[t]);
      rfPlan_[t] = ArrayNoc::makePlan(rfShape_[t], parentShape);
      for (std::size_t k = 0; k < iters; ++k) {
        macOffset_[t][k] =
            static_cast<std::int32_t>(rfShape_[t].index(layout.axes(plan_.rfPoint[k])));
      }
    } else {
      anyLatch_ = true;
      pes.configure(t, nullptr);
      latchPlan_[t].resize(iters);
      for (std::size_t k = 0; k < iters; ++k) {
        latchPlan_[t][k] = {{0, parentShape.index(layout.axes(plan_.rfPoint[k]))}};
      }
    }
    peAxes_[t].resize(peCount);
    for (std::size_t pe = 0; pe < peCount; ++pe) peAxes_[t][pe] = layout.axes(plan_.peOffset[pe]);
    peBase_[t].assign(peCount, 0);
    latchIndex_[t].assign(peCount, 0);
  }
  pes.checkCapacity();
  noc.reserveStepKinds(ragged_.stepKinds());
  kind_ = outKind_ = latchKind_ = &ragged_.stepKind(0);
  precomputeStepTables();
  precomputeOriginTables();
  trackers_.assign(plan_.outer.size(), LoopTracker{});
  firstTracked_ = plan_.outer.size();
  for (std::size_t i = plan_.outer.size(); skipRepeats_ && i-- > dramLoopCount_;) {
    if (plan_.outer[i].bound < 4) continue;  // skipping starts at the fourth iteration
    trackers_[i].tracked = true;
    firstTracked_ = i;
  }
  // Marks of one iteration of the outermost tracked loop, up to 8 MiB of indices.
  if (firstTracked_ < plan_.outer.size()) noc.startMarkLog(std::size_t{1} << 20);
  SC_THREAD(run);
}

void Controller::precomputeStepTables() {
  const std::size_t loops = plan_.outer.size();
  for (Tensor t : kAllTensors) {
    const BoxShape& parentShape = *parentOf(t).shape;
    const auto axisStep = [&](const DimVector& dims) {
      const AxisVector a = layout_[t].axes(dims);
      std::int64_t step = 0;
      for (std::size_t k = 0; k < kAxes; ++k) step += a[k] * parentShape.pitch[k];
      return step;
    };
    // How stepBase_ moves when loop i alone moves by one.
    loopStride_[t].assign(loops, 0);
    for (std::size_t i = 0; i < loops; ++i) {
      DimVector unit{};
      unit[idx(plan_.outer[i].dim)] = plan_.outer[i].weight;
      loopStride_[t][i] = axisStep(unit);
    }
    // Moving loop c by one and wrapping the loops inside it (c == loops: wrapping them all).
    carryDelta_[t].assign(loops + 1, 0);
    std::int64_t wrap = 0;  // sum over the loops inside c of (bound - 1) * stride
    for (std::size_t c = loops + 1; c-- > 0;) {
      carryDelta_[t][c] = (c < loops ? loopStride_[t][c] : 0) - wrap;
      if (c < loops) wrap += (plan_.outer[c].bound - 1) * loopStride_[t][c];
    }
    peIndexOffset_[t].assign(peAxes_[t].size(), 0);
    for (std::size_t pe = 0; pe < peAxes_[t].size(); ++pe) {
      for (std::size_t k = 0; k < kAxes; ++k) {
        peIndexOffset_[t][pe] += peAxes_[t][pe][k] * parentShape.pitch[k];
      }
    }
  }
}

void Controller::precomputeOriginTables() {
  const std::size_t loops = plan_.outer.size();
  const std::vector<std::size_t>& over = ragged_.overhangDims();
  originCarry_.assign((loops + 1) * over.size(), 0);
  for (std::size_t c = 0; c <= loops; ++c) {
    for (std::size_t i = 0; i < over.size(); ++i) {
      std::int64_t delta = 0;
      for (std::size_t j = c; j < loops; ++j) {
        const NestPlan::OuterLoop& l = plan_.outer[j];
        if (idx(l.dim) != over[i]) continue;
        delta += j == c ? l.weight : -(l.bound - 1) * l.weight;
      }
      originCarry_[c * over.size() + i] = delta;
    }
  }
}

void Controller::moveOrigin(std::size_t carry) {
  const std::vector<std::size_t>& over = ragged_.overhangDims();
  const std::int64_t* delta = originCarry_.data() + carry * over.size();
  for (std::size_t i = 0; i < over.size(); ++i) origin_[over[i]] += delta[i];
}

void Controller::locate() {
  for (Tensor t : kAllTensors) {
    stepBase_[t] = 0;
    for (std::size_t i = 0; i < index_.size(); ++i) stepBase_[t] += index_[i] * loopStride_[t][i];
  }
  origin_ = originAt(false, index_);
}

void Controller::run() {
  // 1. Step through the temporal loops above the array, odometer style.
  now_ = clock_.now();
  syncedAt_ = now_;
  kind_ = &ragged_.stepKindAt(origin_);  // the first step (origin 0) is never empty
  for (bool first = true;; first = false) {
    // 2. One array step: drain, GLB tiles, RF tiles, compute (unless skipped over).
    if (first || !skipRepeats_ || !skipAhead()) runStep(first);
    // Loosely timed with temporal decoupling: the blocks this thread drives are passive and
    // DRAM is reached through b_transport with an annotated delay, so SystemC time need only
    // catch up with the controller's local time once per quantum.
    if (now_ - syncedAt_ >= kQuantum) {
      wait(clock_.toTime(now_) - sc_core::sc_time_stamp());
      syncedAt_ = clock_.now();
    }
    // The next non-empty step of the padded nest (a ragged mapping's empty steps are skipped:
    // no policy call, no transfer, no time), with the outermost carry on the way.
    const std::size_t loops = plan_.outer.size();
    std::size_t moved = loops;
    carry_ = loops;
    do {
      moved = loops;  // every loop wrapped, unless one below moves
      for (std::size_t i = loops; i-- > 0;) {
        if (++index_[i] < plan_.outer[i].bound) {
          moved = i;
          break;
        }
        index_[i] = 0;
      }
      for (Tensor t : kAllTensors) stepBase_[t] += carryDelta_[t][moved];
      moveOrigin(moved);
      carry_ = std::min(carry_, moved);
    } while (moved < loops && ragged_.empty(origin_));
    if (moved == loops) break;  // every loop wrapped: the nest is done
    kind_ = &ragged_.stepKindAt(origin_);
  }
  // 3. Drain the last psums and write every output back (carry_ says every loop wrapped).
  drainOutputs();
  if (mapping_.glbKeeps[Tensor::Outputs]) glb_.writeBack(glbSlot_[Tensor::Outputs], now_);
  // 4. The run ends when DRAM has taken the last write.
  advanceTo(dram_.idleAt(), Cause::Dram);
  wait(clock_.toTime(now_) - sc_core::sc_time_stamp());
  cycles_.total = now_;
  finished_ = true;
}

void Controller::runStep(bool first) {
  changedRf_ = first ? rfPolicy_->firstChanges() : rfPolicy_->changes(carry_);
  if (!first && changedRf_[Tensor::Outputs]) drainOutputs();
  updateGlbTiles(first);

  // RF tiles of the tensors whose loop indices moved.
  std::int64_t dramWords = 0;
  std::int64_t dramBytes = 0;  // on the DRAM bus, each tensor's words at its width
  std::int64_t glbWords = 0;
  for (Tensor t : kAllTensors) {
    if (!mapping_.rfKeeps[t] || !changedRf_[t]) continue;
    // The RF has one slot per tensor: its policy answers a whole fill (a partial one would
    // need a partial transfer plan, which no policy asks for yet).
    if (rfPolicy_->onChange(t, first).action != TileMove::Action::Fill) {
      throw InternalError("controller: the RF buffer policy asked for a move other than a fill");
    }
    // The tile goes to the PEs working now: every PE that works until it changes again.
    computePeBases(t, stepBase_[t], *kind_);
    if (t == Tensor::Outputs) outKind_ = kind_;
    const std::int64_t n = t == Tensor::Outputs
                               ? noc_.fillPartials(ArrayNoc::Route::RfTile, rfPlan_[t], parentOf(t),
                                                   parentCounts(t), pes_, peBase_[t], *kind_)
                               : noc_.fill(t, ArrayNoc::Route::RfTile, rfPlan_[t], parentOf(t),
                                           parentCounts(t), pes_, peBase_[t], *kind_);
    (mapping_.glbKeeps[t] ? glbWords : dramWords) += n;
    if (!mapping_.glbKeeps[t]) dramBytes += n * arch_.dramBytesPerWord(t);
  }
  const Cycle start = now_;
  advanceToLatest(dram_.reserveBytes(start, dramBytes), glb_.reserveReads(start, glbWords),
                  noc_.reserve(start, dramWords + glbWords));
  computeStep();
  runBase_ = stepBase_;
  ++stepsRun_;
}

void Controller::computeStep() {
  const std::size_t iters = plan_.rfPoint.size();
  const Cycle start = now_;
  const StepKind& kind = *kind_;
  if (!anyLatch_) {
    pes_.compute(macOffset_[Tensor::Weights], macOffset_[Tensor::Inputs],
                 macOffset_[Tensor::Outputs], 0, iters, kind);
  } else {
    // Operands that bypass the RF stream into the PEs' latches as the RF loops move them.
    std::int64_t dramReads = 0;
    std::int64_t glbReads = 0;
    std::int64_t dramWrites = 0;
    std::int64_t glbWrites = 0;
    std::int64_t dramBytes = 0;  // on the DRAM bus, each tensor's words at its width
    const auto viaDram = [&](Tensor t, std::int64_t& words, std::int64_t n) {
      words += n;
      dramBytes += n * arch_.dramBytesPerWord(t);
    };
    // Fast mode with only weights or inputs latched, each kind already seen: the step's
    // deliveries are `iters` repeats of the first, counted at once.
    bool bulk = mapping_.rfKeeps[Tensor::Outputs];
    for (Tensor t : {Tensor::Weights, Tensor::Inputs}) {
      bulk = bulk && (mapping_.rfKeeps[t] || noc_.replaysAll(t, ArrayNoc::Route::Latch, kind));
    }
    if (bulk) {
      for (Tensor t : {Tensor::Weights, Tensor::Inputs}) {
        if (mapping_.rfKeeps[t]) continue;
        const std::int64_t r =
            noc_.replayFills(t, ArrayNoc::Route::Latch, static_cast<std::int64_t>(iters), 1,
                             parentCounts(t), pes_, kind);
        if (mapping_.glbKeeps[t]) {
          glbReads += r;
        } else {
          viaDram(t, dramReads, r);
        }
      }
      pes_.compute(macOffset_[Tensor::Weights], macOffset_[Tensor::Inputs],
                   macOffset_[Tensor::Outputs], 0, iters, kind);
    }
    for (Tensor t : kAllTensors) {
      if (!bulk && !mapping_.rfKeeps[t]) computePeBases(t, stepBase_[t], kind);
    }
    // A latch holds an operand for one MAC only: every iteration brings new ones.
    for (std::size_t k = 0; !bulk && k < iters; ++k) {
      for (Tensor t : kAllTensors) {
        if (mapping_.rfKeeps[t]) continue;
        const bool viaGlb = mapping_.glbKeeps[t];
        if (t == Tensor::Outputs) {
          // The previous MAC's psum leaves its latch (unless the step boundary drained it).
          if (!(k == 0 && changedRf_[t])) {
            // (by the PEs of the step that filled the latches: the previous one at k == 0)
            const std::int64_t w =
                noc_.drain(ArrayNoc::Route::Latch, kLatchDrainPlan, parentOfMutable(t),
                           parentCounts(t), pes_, latchIndex_[t], *latchKind_);
            if (viaGlb) {
              glbWrites += w;
            } else {
              viaDram(t, dramWrites, w);
            }
          }
          const std::int64_t r =
              noc_.fillPartials(ArrayNoc::Route::Latch, latchPlan_[t][k], parentOf(t),
                                parentCounts(t), pes_, peBase_[t], kind);
          latchKind_ = &kind;
          if (viaGlb) {
            glbReads += r;
          } else {
            viaDram(t, dramReads, r);
          }
          // Where each latch's psum goes back to (fast mode needs only PE 0's).
          const std::int64_t delta = latchPlan_[t][k][0].second;
          const std::size_t track =
              noc_.replaysDrains(ArrayNoc::Route::Latch, kind) ? 1 : latchIndex_[t].size();
          for (std::size_t pe = 0; pe < track; ++pe) latchIndex_[t][pe] = peBase_[t][pe] + delta;
        } else {
          const std::int64_t r = noc_.fill(t, ArrayNoc::Route::Latch, latchPlan_[t][k], parentOf(t),
                                           parentCounts(t), pes_, peBase_[t], kind);
          if (viaGlb) {
            glbReads += r;
          } else {
            viaDram(t, dramReads, r);
          }
        }
      }
      pes_.compute(macOffset_[Tensor::Weights], macOffset_[Tensor::Inputs],
                   macOffset_[Tensor::Outputs], k, k + 1, kind);
    }
    const Cycle dramDone = dram_.reserveBytes(start, dramBytes);
    const Cycle glbDone =
        max(glb_.reserveReads(start, glbReads), glb_.reserveWrites(start, glbWrites));
    const Cycle nocDone = noc_.reserve(start, dramReads + glbReads + dramWrites + glbWrites);
    now_ = start + Cycle(iters);
    cycles_.compute += Cycle(iters);
    advanceToLatest(dramDone, glbDone, nocDone);
    return;
  }
  now_ = start + Cycle(iters);
  cycles_.compute += Cycle(iters);
}

void Controller::drainOutputs() {
  const Tensor t = Tensor::Outputs;
  std::int64_t n = 0;
  if (mapping_.rfKeeps[t]) {
    // The psums of the last step run, held by the PEs their fill went to.
    computePeBases(t, runBase_[t], *outKind_);
    n = noc_.drain(ArrayNoc::Route::RfTile, rfPlan_[t], parentOfMutable(t), parentCounts(t), pes_,
                   peBase_[t], *outKind_);
  } else {
    n = noc_.drain(ArrayNoc::Route::Latch, kLatchDrainPlan, parentOfMutable(t), parentCounts(t),
                   pes_, latchIndex_[t], *latchKind_);
  }
  const bool viaGlb = mapping_.glbKeeps[t];
  const Cycle start = now_;
  advanceToLatest(viaGlb ? start : dram_.reserveBytes(start, n * arch_.dramBytesPerWord(t)),
                  viaGlb ? glb_.reserveWrites(start, n) : start, noc_.reserve(start, n));
}

void Controller::updateGlbTiles(bool first) {
  if (!first && carry_ >= dramLoopCount_) return;  // only GLB loops moved: same GLB tiles
  const PerTensor<bool>& change = first ? glbPolicy_->firstChanges() : glbPolicy_->changes(carry_);
  // 1. The policy's decisions (per tensor, independent of each other).
  PerTensor<TileMove> move{};
  PerTensor<int> held = glbSlot_;
  for (Tensor t : kAllTensors) {
    if (!change[t]) continue;
    move[t] = glbPolicy_->onChange(t, first);
    glbSlot_[t] = move[t].slot;
  }
  // 2. The block calls, in this order: write-backs (posted), then the tiles' loads.
  const Cycle start = now_;
  Cycle ready = start;
  const Tensor out = Tensor::Outputs;  // the one tensor the array updates
  if (change[out] && move[out].writeBack) glb_.writeBack(held[out], start);
  for (Tensor t : kAllTensors) {
    if (!change[t]) continue;
    switch (move[t].action) {
      case TileMove::Action::Keep:
        break;
      case TileMove::Action::UsePrefetched:
        ready = max(ready, glbPolicy_->prefetchReady(t));
        break;
      case TileMove::Action::Fill: {
        const DimVector o = originAt(true, index_);
        const BoxShape* view = &glbView_[t][ragged_.glbKindAt(o)];
        ready = max(ready, glb_.fill(t, move[t].slot, layout_[t].axes(o), view, start));
        break;
      }
    }
  }
  advanceTo(ready, Cause::Dram);
  // 3. Prefetches of the next tiles, issued once this step's tiles are in.
  const std::vector<std::int64_t>* next = nullptr;
  if (!glbPolicy_->planPrefetch(carry_, first, index_, next, prefetchSlot_)) return;
  for (Tensor t : kAllTensors) {
    if (prefetchSlot_[t] < 0) continue;
    const DimVector o = originAt(true, *next);
    const BoxShape* view = &glbView_[t][ragged_.glbKindAt(o)];
    glbPolicy_->prefetchIssued(t, glb_.fill(t, prefetchSlot_[t], layout_[t].axes(o), view, now_));
  }
}

void Controller::advanceTo(Cycle done, Cause cause) {
  if (done <= now_) return;
  const Cycle wait = done - now_;
  switch (cause) {
    case Cause::Dram:
      cycles_.stallDram += wait;
      break;
    case Cause::Glb:
      cycles_.stallGlb += wait;
      break;
    case Cause::Noc:
      cycles_.stallNoc += wait;
      break;
  }
  now_ = done;
}

void Controller::advanceToLatest(Cycle dramDone, Cycle glbDone, Cycle nocDone) {
  const Cycle latest = max(dramDone, max(glbDone, nocDone));
  const Cause cause =
      latest == dramDone ? Cause::Dram : (latest == glbDone ? Cause::Glb : Cause::Noc);
  advanceTo(latest, cause);
}

DimVector Controller::originAt(bool dramOnly, const std::vector<std::int64_t>& index) const {
  DimVector o{};
  for (std::size_t i = 0; i < plan_.outer.size(); ++i) {
    const NestPlan::OuterLoop& l = plan_.outer[i];
    if (dramOnly && !l.atDram) continue;
    o[idx(l.dim)] += index[i] * l.weight;
  }
  return o;
}

void Controller::computePeBases(Tensor t, std::int64_t stepBase, const StepKind& kind) {
  // parent.indexOf(axes(stepOrigin) + peAxes[pe]), expanded: every term is linear.
  const TileBuffer& parent = parentOf(t);
  std::int64_t base = stepBase;
  for (std::size_t k = 0; k < kAxes; ++k) base -= parent.origin[k] * parent.shape->pitch[k];
  const ArrayNoc::Route route =
      mapping_.rfKeeps[t] ? ArrayNoc::Route::RfTile : ArrayNoc::Route::Latch;
  const std::size_t pes = noc_.replaysAll(t, route, kind) ? 1 : peBase_[t].size();
  for (std::size_t pe = 0; pe < pes; ++pe) peBase_[t][pe] = base + peIndexOffset_[t][pe];
}

const TileBuffer& Controller::parentOf(Tensor t) {
  return mapping_.glbKeeps[t] ? glb_.slot(t, glbSlot_[t]) : dram_.store(t);
}

TileBuffer& Controller::parentOfMutable(Tensor t) {
  return mapping_.glbKeeps[t] ? glb_.slot(t, glbSlot_[t]) : dram_.store(t);
}

ReadWrite& Controller::parentCounts(Tensor t) {
  return mapping_.glbKeeps[t] ? glb_.countsOf(t) : dram_.countsOf(t);
}

}  // namespace dfsim
