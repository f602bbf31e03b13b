// The buffer policies of src/sim/buffer_policy.hpp, driven without the SystemC kernel on a small
// hand-written nest (a GEMM-like problem: weights (M, C), inputs (C, P), outputs (M, P)), with
// the answers written down from the loops, not computed the policy's way.
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "sim/buffer_policy.hpp"

using namespace dfsim;

namespace {

const Dim kM = static_cast<Dim>(0);
const Dim kC = static_cast<Dim>(1);
const Dim kP = static_cast<Dim>(2);

/// Outer loops, outermost first: DRAM M(2), DRAM P(3), GLB C(2), GLB P(1).
std::vector<NestPlan::OuterLoop> loops() {
  return {{kM, 2, 1, true}, {kP, 3, 1, true}, {kC, 2, 1, false}, {kP, 1, 3, false}};
}

BoundarySpec spec(std::size_t tileLoops, int weightInputSlots) {
  BoundarySpec s;
  s.loops = loops();
  s.tileLoops = tileLoops;
  s.layout[Tensor::Weights].moved[idx(kM)] = true;
  s.layout[Tensor::Weights].moved[idx(kC)] = true;
  s.layout[Tensor::Inputs].moved[idx(kC)] = true;
  s.layout[Tensor::Inputs].moved[idx(kP)] = true;
  s.layout[Tensor::Outputs].moved[idx(kM)] = true;
  s.layout[Tensor::Outputs].moved[idx(kP)] = true;
  for (Tensor t : kAllTensors) {
    s.keeps[t] = true;
    s.slots[t] = t == Tensor::Outputs ? 1 : weightInputSlots;
  }
  return s;
}

/// "WIO" letters of the tensors `row` marks.
std::string letters(const PerTensor<bool>& row) {
  std::string s;
  if (row[Tensor::Weights]) s += 'W';
  if (row[Tensor::Inputs]) s += 'I';
  if (row[Tensor::Outputs]) s += 'O';
  return s;
}

/// One line per move: tensor letter, F(ill) or P(refetched) and slot, "+wb" for a write-back.
std::string describe(Tensor t, const TileMove& m) {
  std::string s(1, "WIO"[idx(t)]);
  s += m.action == TileMove::Action::Fill ? 'F' : (m.action == TileMove::Action::Keep ? 'K' : 'P');
  s += std::to_string(m.slot);
  if (m.writeBack) s += "+wb";
  return s;
}

/// Walks the whole odometer as the Controller does at the DRAM -> GLB boundary and logs, per
/// step that changes tiles, the moves and the planned prefetches ("pre I1 @0,1": inputs into
/// slot 1 for the tile at DRAM indices (0, 1)).
std::vector<std::string> walk(BufferPolicy& p, std::size_t tileLoops) {
  std::vector<std::string> log;
  const std::vector<NestPlan::OuterLoop> nest = loops();
  std::vector<std::int64_t> index(nest.size(), 0);
  std::size_t carry = 0;
  std::uint64_t clock = 0;
  for (bool first = true;; first = false) {
    if (first || carry < tileLoops) {
      const PerTensor<bool>& change = first ? p.firstChanges() : p.changes(carry);
      std::string line;
      for (Tensor t : kAllTensors) {
        if (change[t]) line += describe(t, p.onChange(t, first)) + " ";
      }
      const std::vector<std::int64_t>* next = nullptr;
      PerTensor<int> slot{};
      if (p.planPrefetch(carry, first, index, next, slot)) {
        for (Tensor t : kAllTensors) {
          if (slot[t] < 0) continue;
          line += std::string("pre ") + "WIO"[idx(t)] + std::to_string(slot[t]) + " @" +
                  std::to_string((*next)[0]) + "," + std::to_string((*next)[1]) + " ";
          p.prefetchIssued(t, Cycle(clock + 10));
        }
      }
      log.push_back(line);
    }
    ++clock;
    carry = nest.size();
    for (std::size_t i = nest.size(); i-- > 0;) {
      if (++index[i] < nest[i].bound) {
        carry = i;
        break;
      }
      index[i] = 0;
    }
    if (carry == nest.size()) break;
  }
  return log;
}

}  // namespace

TEST_CASE("whole-tile policy: which tiles change at each carry position", "[sim][policy]") {
  SECTION("DRAM -> GLB: only the DRAM loops (0, 1) change GLB tiles") {
    WholeTilePolicy p(spec(2, 1));
    CHECK(letters(p.firstChanges()) == "WIO");
    CHECK(letters(p.changes(0)) == "WIO");  // M moves W, O; P wraps 2 -> 0: I, O
    CHECK(letters(p.changes(1)) == "IO");   // P moves
    CHECK(letters(p.changes(2)).empty());   // a GLB loop
    CHECK(letters(p.changes(3)).empty());
    CHECK(letters(p.changes(4)).empty());  // every loop wrapped
  }
  SECTION("GLB -> RF: every outer loop; a wrapping loop of bound 1 changes nothing") {
    WholeTilePolicy p(spec(4, 1));
    CHECK(letters(p.changes(0)) == "WIO");
    CHECK(letters(p.changes(1)) == "WIO");  // P moves I, O; C wraps 1 -> 0: W, I
    CHECK(letters(p.changes(2)) == "WI");   // C moves; P (bound 1) inside does not wrap
    CHECK(letters(p.changes(3)) == "IO");
    CHECK(letters(p.changes(4)).empty());
  }
  SECTION("a tensor the child does not keep never changes") {
    BoundarySpec s = spec(2, 1);
    s.keeps[Tensor::Outputs] = false;
    WholeTilePolicy p(s);
    CHECK(letters(p.firstChanges()) == "WI");
    CHECK(letters(p.changes(0)) == "WI");
    CHECK(letters(p.changes(1)) == "I");
  }
}

TEST_CASE("whole-tile policy, single buffered: every change fills slot 0, nothing is prefetched",
          "[sim][policy]") {
  WholeTilePolicy p(spec(2, 1));
  const std::vector<std::string> expect = {
      "WF0 IF0 OF0 ",     // (0,0): the first step loads every tile, writes nothing back
      "IF0 OF0+wb ",      // (0,1)
      "IF0 OF0+wb ",      // (0,2)
      "WF0 IF0 OF0+wb ",  // (1,0)
      "IF0 OF0+wb ",      // (1,1)
      "IF0 OF0+wb ",      // (1,2)
  };
  CHECK(walk(p, 2) == expect);
}

TEST_CASE(
    "whole-tile policy, double buffered: slots alternate, the next tile is prefetched, the "
    "last one prefetches nothing",
    "[sim][policy]") {
  WholeTilePolicy p(spec(2, 2));
  const std::vector<std::string> expect = {
      "WF0 IF0 OF0 pre I1 @0,1 ",             // W's next tile is the same: not prefetched
      "IP1 OF0+wb pre I0 @0,2 ",              // inputs switch to the prefetched slot
      "IP0 OF0+wb pre W1 @1,0 pre I1 @1,0 ",  // the next M brings new weights too
      "WP1 IP1 OF0+wb pre I0 @1,1 ",
      "IP0 OF0+wb pre I1 @1,2 ",
      "IP1 OF0+wb ",  // the last DRAM tile: nothing left to prefetch
  };
  CHECK(walk(p, 2) == expect);
}

TEST_CASE("whole-tile policy: a pending prefetch is its state relative to time", "[sim][policy]") {
  WholeTilePolicy p(spec(2, 2));
  CHECK(p.onChange(Tensor::Inputs, true).slot == 0);
  CHECK(p.pendingBacklog(Tensor::Inputs, Cycle(40)) == 0);
  p.prefetchIssued(Tensor::Inputs, Cycle(100));
  CHECK(p.pendingBacklog(Tensor::Inputs, Cycle(40)) == 60);
  CHECK(p.pendingBacklog(Tensor::Weights, Cycle(40)) == 0);
  const TileMove m = p.onChange(Tensor::Inputs, false);
  CHECK(m.action == TileMove::Action::UsePrefetched);
  CHECK(m.slot == 1);
  CHECK(p.prefetchReady(Tensor::Inputs) == Cycle(100));
  CHECK(p.pendingBacklog(Tensor::Inputs, Cycle(40)) == 0);  // taken: nothing pending
  CHECK(p.slot(Tensor::Inputs) == 1);
}

TEST_CASE("whole-tile policy, double buffered: a change without a prefetch fills the other slot",
          "[sim][policy]") {
  WholeTilePolicy p(spec(2, 2));
  CHECK(describe(Tensor::Weights, p.onChange(Tensor::Weights, true)) == "WF0");
  CHECK(describe(Tensor::Weights, p.onChange(Tensor::Weights, false)) == "WF1");
  CHECK(describe(Tensor::Weights, p.onChange(Tensor::Weights, false)) == "WF0");
  CHECK(describe(Tensor::Outputs, p.onChange(Tensor::Outputs, false)) == "OF0+wb");  // one slot
}

TEST_CASE("makeBufferPolicy gives today's whole-tile policy", "[sim][policy]") {
  const std::unique_ptr<BufferPolicy> p = makeBufferPolicy(spec(2, 2));
  REQUIRE(dynamic_cast<WholeTilePolicy*>(p.get()) != nullptr);
}

TEST_CASE("whole-tile policy, ragged: the prefetch skips tiles beyond the edge", "[sim][policy]") {
  // DRAM P(2) of 2 wide, DRAM M(2), DRAM P(2) of 1 wide over P = 3: the tiles with both P loops
  // at 1 start at P = 3, beyond the edge (empty); then GLB C(2).
  BoundarySpec s = spec(3, 2);
  s.loops = {{kP, 2, 2, true}, {kM, 2, 1, true}, {kP, 2, 1, true}, {kC, 2, 1, false}};
  s.sizes[idx(kP)] = 3;
  s.sizes[idx(kM)] = 2;
  s.sizes[idx(kC)] = 2;
  WholeTilePolicy p(s);
  for (Tensor t : kAllTensors) p.onChange(t, true);
  const std::vector<std::int64_t>* next = nullptr;
  PerTensor<int> slot{};
  // From (0, 0, 0) the next tile is (0, 0, 1): only the inner P moved (inputs).
  REQUIRE(p.planPrefetch(0, true, {0, 0, 0, 0}, next, slot));
  CHECK(*next == std::vector<std::int64_t>{0, 0, 1, 0});
  CHECK(slot[Tensor::Weights] == -1);
  CHECK(slot[Tensor::Inputs] == 1);
  // From (1, 0, 0): (1, 0, 1) is empty; the next tile is (1, 1, 0), reached by a carry at M
  // with the inner P wrapping: weights and inputs both change.
  REQUIRE(p.planPrefetch(1, false, {1, 0, 0, 0}, next, slot));
  CHECK(*next == std::vector<std::int64_t>{1, 1, 0, 0});
  CHECK(slot[Tensor::Weights] == 1);
  CHECK(slot[Tensor::Inputs] == 1);
  // From (1, 1, 0) only the empty (1, 1, 1) is left: nothing to prefetch.
  CHECK_FALSE(p.planPrefetch(1, false, {1, 1, 0, 0}, next, slot));
  CHECK(slot[Tensor::Weights] == -1);
  CHECK(slot[Tensor::Inputs] == -1);
}
