// Skipping ahead in fast mode: once the iterations of a GLB loop repeat exactly, the rest of
// them are applied at once instead of stepped through.
//
// Why this is exact. Inside one GLB tile (only GLB loops move) an iteration of GLB loop c is
// the same sequence of steps as the one before: the same tiles change at the same steps, moving
// the same numbers of words (fast mode replays them), and a psum tile finds partial sums in
// its parent exactly when the tile was visited before, which depends on the loop indices that
// do not index outputs: the same for every iteration of c after the first. What can still
// differ is timing, and a step's timing depends only on the ports' backlogs relative to the
// controller's time. So when two consecutive iterations (not the first) changed every counter
// alike and the second started from the same relative timing state as the first, every later
// iteration of the sweep does the same, and they can be applied at once: counters times their
// number, time moved on with every port's backlog carried along, and the parent indices the
// drains marked as holding partial sums replayed at each iteration's offset.
//
// Ragged mappings. The controller walks the padded nest and skips the empty steps; a step's
// kind (which PEs work) and its emptiness depend only on its origin, per dimension a sum over
// the loops of that dimension. Inside one sweep of loop c the loops outside c stand still, so
// two iterations of c are alike in every dimension but c's own; in c's dimension an iteration
// is alike the others when its whole range [base + j*T, base + (j+1)*T) lies inside the
// problem (T the loop's nominal tile, base the origin the loops outside c give). Those full
// iterations come first (fullIterations()); only they are compared and skipped: the skip stops
// before the first clipped or empty iteration, which then runs step by step. The snapshots are
// taken at non-empty steps only; a non-empty step whose outermost carry since the previous one
// is c is the first step of its iteration of c (the loops inside c stand at 0: that step's
// origin is the smallest of its iteration's, so it is non-empty whenever any of them is). The
// state after the skip is that after the last full iteration's last non-empty step, which is
// the state after the iteration just compared, shifted by the skipped iterations: its psum
// bases and latch indices move by c's stride each (they are linear in the loop indices), the
// step kinds of the last psum fill and latch fill are those of the compared iteration.
#include <algorithm>
#include <string>

#include "common/errors.hpp"
#include "sim/controller.hpp"

namespace dfsim {

void Controller::takeSnapshot(Snapshot& s) const {
  std::size_t k = 0;
  for (Tensor t : kAllTensors) {
    for (const ReadWrite* rw :
         {&dram_.counts()[t], &glb_.counts()[t], &noc_.counts()[t], &pes_.counts()[t]}) {
      s.counters[k++] = rw->reads;
      s.counters[k++] = rw->writes;
    }
  }
  s.counters[k++] = pes_.macs();
  for (Cycle c : {cycles_.compute, cycles_.stallDram, cycles_.stallGlb, cycles_.stallNoc, now_}) {
    s.counters[k++] = static_cast<std::int64_t>(c.count());
  }
  const std::array<std::uint64_t, 2> dram = dram_.backlog(now_);
  const std::array<std::uint64_t, 2> glb = glb_.backlog(now_);
  s.backlog = {dram[0],
               dram[1],
               glb[0],
               glb[1],
               noc_.backlog(now_),
               glbPolicy_->pendingBacklog(Tensor::Weights, now_),
               glbPolicy_->pendingBacklog(Tensor::Inputs, now_)};
}

bool Controller::skipAhead() {
  const std::size_t c = carry_;
  const std::size_t loops = plan_.outer.size();
  // A step that moves a loop outside every tracked one starts every window afresh.
  if (c < firstTracked_) noc_.clearMarkLog();
  const std::size_t from = std::max(c, firstTracked_);
  if (from >= loops) return false;
  Snapshot& now = scratchSnapshot_;
  takeSnapshot(now);
  LoopTracker& tc = trackers_[c];
  if (c >= firstTracked_ && tc.tracked && tc.haveStart) {
    std::array<std::int64_t, kCounters> delta{};
    for (std::size_t k = 0; k < kCounters; ++k) delta[k] = now.counters[k] - tc.start.counters[k];
    const bool marksKept =
        loopStride_[Tensor::Outputs][c] == 0 || noc_.marksDropped() == tc.droppedAtStart;
    const std::int64_t times = fullIterations(c) - index_[c];
    if (tc.haveDelta && delta == tc.delta && now.backlog == tc.start.backlog && marksKept &&
        times > 0) {
      applySkip(c, times, delta);
      return true;
    }
    tc.delta = delta;
    tc.haveDelta = index_[c] >= 2;  // the iteration just ended was not the sweep's first
  }
  for (std::size_t j = from; j < loops; ++j) {
    LoopTracker& t = trackers_[j];
    if (!t.tracked) continue;
    t.start = now;
    t.haveStart = true;
    if (j != c) t.haveDelta = false;  // a new sweep of loop j begins
    t.logStart = noc_.markLog().size();
    t.droppedAtStart = noc_.marksDropped();
    t.stepsAtStart = stepsRun_;
  }
  return false;
}

std::int64_t Controller::fullIterations(std::size_t loop) const {
  const NestPlan::OuterLoop& l = plan_.outer[loop];
  const std::size_t d = idx(l.dim);
  std::int64_t base = 0;  // the origin in d that the loops outside `loop` give
  for (std::size_t i = 0; i < loop; ++i) {
    if (idx(plan_.outer[i].dim) == d) base += index_[i] * plan_.outer[i].weight;
  }
  return std::min(l.bound, (ragged_.size(d) - base) / l.weight);
}

void Controller::applySkip(std::size_t loop, std::int64_t times,
                           const std::array<std::int64_t, kCounters>& delta) {
  // 1. Counters: `times` iterations like the last one. No product below can overflow: each is
  // what those iterations would have added by running, so at most the run's final counts and
  // cycles (below 2^62: validateMapping's cycle bound).
  std::size_t k = 0;
  for (Tensor t : kAllTensors) {
    for (ReadWrite* rw :
         {&dram_.countsOf(t), &glb_.countsOf(t), &noc_.countsOf(t), &pes_.countsOf(t)}) {
      rw->reads += times * delta[k++];
      rw->writes += times * delta[k++];
    }
  }
  pes_.countMacs(times * delta[k++]);
  for (Cycle* c : {&cycles_.compute, &cycles_.stallDram, &cycles_.stallGlb, &cycles_.stallNoc}) {
    *c += Cycle(static_cast<std::uint64_t>(times * delta[k++]));
  }
  // 2. Time: every port keeps its backlog relative to the controller.
  const Cycle before = now_;
  now_ += Cycle(static_cast<std::uint64_t>(times * delta[k]));
  dram_.carryBacklog(before, now_);
  glb_.carryBacklog(before, now_);
  noc_.carryBacklog(before, now_);
  // 3. Psum marks: each skipped iteration marks what the last one did, one loop step further.
  const std::int64_t shift = loopStride_[Tensor::Outputs][loop];
  if (shift != 0) {
    TileBuffer& parent = parentOfMutable(Tensor::Outputs);
    const std::vector<std::int64_t>& log = noc_.markLog();
    const std::size_t begin = trackers_[loop].logStart;
    const std::size_t end = log.size();
    const auto size = static_cast<std::int64_t>(parent.valid.size());
    for (std::int64_t i = 1; i <= times; ++i) {
      for (std::size_t e = begin; e < end; ++e) {
        const std::int64_t at = log[e] + i * shift;
        if (at < 0 || at >= size) {
          throw InternalError("skipping ahead: psum mark " + std::to_string(at) +
                              " outside its parent of " + std::to_string(size) + " words");
        }
        parent.valid[static_cast<std::size_t>(at)] = 1;
        noc_.logMark(at);
      }
    }
  }
  // The non-empty steps of the iteration just compared, once per skipped iteration.
  const std::int64_t steps = times * (stepsRun_ - trackers_[loop].stepsAtStart);
  stepsSkipped_ += steps;
  stepsRun_ += steps;
  // 4. The odometer stands on the last (padded) step of the last skipped iteration, the steps
  // run stand where that iteration's last non-empty step left them: one loop step further per
  // skipped iteration than the iteration compared (the step kinds of the last fills stay).
  index_[loop] += times - 1;
  trackers_[loop].haveStart = false;
  trackers_[loop].haveDelta = false;
  for (std::size_t j = loop + 1; j < plan_.outer.size(); ++j) {
    index_[j] = plan_.outer[j].bound - 1;
    trackers_[j].haveStart = false;
    trackers_[j].haveDelta = false;
  }
  locate();
  for (Tensor t : kAllTensors) runBase_[t] += times * loopStride_[t][loop];
  // A psum that bypasses the RF is still in its latch after that step: the next drain sends it
  // from where the step's last RF iteration left it.
  const Tensor out = Tensor::Outputs;
  if (!mapping_.rfKeeps[out]) {
    for (std::int64_t& i : latchIndex_[out]) i += times * shift;
  }
}

}  // namespace dfsim
