// The generic analytic model over any hierarchy against a brute-force walker of the padded flat
// nest (tests only; it shares no code with the model: it reads the shape's sizes and
// coordinate terms, the hierarchy's entries and the nest's loops, and keeps, per instance of
// each storage level, the coordinates of the tile it holds), on random hierarchies (2 to 4
// storage levels, 0 to 2 fan-outs, random partitions and keeps, multicast on or off) and random
// ragged nests; and on the 4-level instance, against analyticCounts(shape, arch, Mapping).
#include <algorithm>
#include <array>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "arch/hierarchy.hpp"
#include "common/errors.hpp"
#include "mapping/analytic_model.hpp"
#include "mapping/hierarchy_model.hpp"
#include "mapping/validate_loop_nest.hpp"
#include "mapping/validate_mapping.hpp"
#include "random_hierarchy.hpp"
#include "random_layers.hpp"
#include "test_support.hpp"

using namespace dfsim;
using namespace dfsim::test;

namespace {

using Point = std::vector<std::int64_t>;  // one value per dimension of the shape
using Coord = std::vector<std::int64_t>;  // one value per coordinate of a tensor
using Tile = std::set<Coord>;

Coord project(const ProblemShape& s, Tensor t, const Point& p) {
  Coord c(s.numAxes(t), 0);
  for (std::size_t k = 0; k < s.numAxes(t); ++k) {
    for (std::size_t j = 0; j < s.numTerms(t, k); ++j) {
      const AxisTerm term = s.term(t, k, j);
      c[k] += term.coef * p[idx(term.dim)];
    }
  }
  return c;
}

/// Every coordinate of `t` the points of the box [lo, lo + ext) clipped to the layer touch.
Tile coordsOf(const ProblemShape& s, Tensor t, const Point& lo, const Point& ext) {
  Tile out;
  const std::size_t n = s.numDims();
  Point hi(n);
  for (std::size_t i = 0; i < n; ++i) {
    hi[i] = std::min(lo[i] + ext[i], s.size(ProblemShape::dimAt(i)));
    if (hi[i] <= lo[i]) return out;
  }
  Point p = lo;
  for (;;) {
    out.insert(project(s, t, p));
    std::size_t i = n;
    while (i-- > 0) {
      if (++p[i] < hi[i]) break;
      p[i] = lo[i];
    }
    if (i == static_cast<std::size_t>(-1)) return out;
  }
}

struct FlatLoop {
  Dim dim{};
  std::int64_t bound = 1;
  std::int64_t weight = 1;  ///< how far one step moves its dimension
  bool spatial = false;
};

/// An odometer over `loops` (indices into `flat`), outermost first.
struct Odometer {
  std::vector<std::size_t> loops;
  std::vector<std::int64_t> index;
  std::size_t carry = 0;  ///< after next(): the outermost of `loops` whose index changed
  /// Advances; false after the last combination.
  bool next(const std::vector<FlatLoop>& flat) {
    std::size_t j = loops.size();
    while (j-- > 0) {
      carry = j;
      if (++index[j] < flat[loops[j]].bound) return true;
      index[j] = 0;
    }
    return false;
  }
};

/// Whether moving dimension d moves some coordinate of t (from the terms, directly).
bool moves(const ProblemShape& s, Tensor t, Dim d) {
  Point zero(s.numDims(), 0);
  Point one = zero;
  one[idx(d)] = 1;
  return project(s, t, zero) != project(s, t, one);
}

/// Walks the padded flat nest of `n` on `h` and counts what THE MODEL says moves (common rules,
/// src/mapping/README "Any hierarchy"): per tensor, per boundary (parent p, child c or the
/// innermost level's operand latch), per step of c's outer temporal loops in time order, every
/// instance of c that holds a point of the layer needs the clipped tile its box covers; an
/// instance takes it when a temporal loop over a dimension `t` depends on has moved since the
/// instance last took one (moves through steps beyond the edge count: today's rule), or at
/// the latch on every step; per instance of p,
/// the union of those tiles is what the parent reads (one copy per child when the crossed
/// fan-out does not multicast) and, for outputs, what returns reduced; a union whose first
/// coordinate this parent instance has seen before is a revisit (its psums go back first).
/// Outputs across a fan-out with unreduced dimensions: the children of one parent instance
/// that differ in the index of the spatial loops directly above the fan-out over such a
/// dimension send their unions separately; the parent writes each and reads each word it adds
/// to (all but one per output of the union). A streamed tile (LevelLoops::streamedOver) is
/// taken again also when a temporal loop of the streaming levels moved.
AccessCounts walk(const ProblemShape& s, const Hierarchy& h, const LoopNest& n) {
  const std::size_t dims = s.numDims();
  std::vector<std::size_t> storage;
  for (std::size_t e = 0; e < h.entries.size(); ++e) {
    if (h.entries[e].kind == HierarchyEntry::Kind::Storage) storage.push_back(e);
  }
  std::vector<FlatLoop> flat;
  std::vector<std::size_t> start;  // flat position of each level's first loop
  for (const LevelLoops& level : n.levels) {
    start.push_back(flat.size());
    for (const Loop& l : level.temporal) flat.push_back({l.dim, l.bound, 1, false});
    for (const SpatialLoop& l : level.spatial) flat.push_back({l.dim, l.bound, 1, true});
  }
  Point inner(dims, 1);
  std::vector<Point> extentFrom(flat.size() + 1, Point(dims, 1));
  for (std::size_t j = flat.size(); j-- > 0;) {
    flat[j].weight = inner[idx(flat[j].dim)];
    inner[idx(flat[j].dim)] *= flat[j].bound;
    extentFrom[j] = inner;
  }
  extentFrom[flat.size()] = Point(dims, 1);
  auto inside = [&](const Point& p) {
    for (std::size_t i = 0; i < dims; ++i) {
      if (p[i] >= s.size(ProblemShape::dimAt(i))) return false;
    }
    return true;
  };

  AccessCounts c;
  // MACs: every point of the padded nest inside the layer.
  {
    Odometer all;
    for (std::size_t j = 0; j < flat.size(); ++j) all.loops.push_back(j);
    all.index.assign(flat.size(), 0);
    do {
      Point p(dims, 0);
      for (std::size_t j = 0; j < flat.size(); ++j)
        p[idx(flat[j].dim)] += all.index[j] * flat[j].weight;
      if (inside(p)) ++c.macs;
    } while (all.next(flat));
  }

  const std::size_t last = n.levels.size() - 1;
  auto boundary = [&](Tensor t, std::size_t p, std::size_t ch, bool latch) {
    const std::size_t childEnd = latch ? flat.size() : start[ch];
    const Point ext = extentFrom[childEnd];
    const std::size_t above = storage[ch] - 1;  // the entry directly above the child
    const bool crossed = h.entries[above].kind == HierarchyEntry::Kind::FanOut;
    const bool multicast = crossed ? h.entries[above].fanOut.multicast : true;
    ReadWrite& parent = c(storage[p], t);
    ReadWrite& child = c(storage[ch], t);
    ReadWrite dummy;
    ReadWrite& net = crossed ? c(above, t) : dummy;
    Odometer time;
    Odometer space;
    std::vector<bool> ofParent;   // per spatial loop of `space`: it names the parent's instance
    std::vector<bool> unreduced;  // per spatial loop of `space`: its psums stay apart
    for (std::size_t j = 0; j < childEnd; ++j) {
      if (flat[j].spatial) {
        space.loops.push_back(j);
        ofParent.push_back(j < start[p]);
        const bool aboveFanOut = crossed && j >= start[ch - 1] && j < start[ch];
        unreduced.push_back(t == Tensor::Outputs && aboveFanOut &&
                            !h.entries[above].fanOut.reduces(s.name(flat[j].dim)));
      } else {
        time.loops.push_back(j);
      }
    }
    time.index.assign(time.loops.size(), 0);
    std::map<std::vector<std::int64_t>, std::int64_t> took;  // per child instance: `moved` then
    std::map<std::vector<std::int64_t>, Tile> seen;          // per parent instance
    std::int64_t moved = 0;  // how often a temporal loop over a dimension t depends on moved
    for (;;) {
      struct Group {
        Tile uni;
        std::int64_t perChild = 0;
        std::map<std::vector<std::int64_t>, Tile> apart;  // per index of the unreduced loops
      };
      std::map<std::vector<std::int64_t>, Group> groups;
      space.index.assign(space.loops.size(), 0);
      do {
        Point origin(dims, 0);
        for (std::size_t k = 0; k < time.loops.size(); ++k) {
          origin[idx(flat[time.loops[k]].dim)] += time.index[k] * flat[time.loops[k]].weight;
        }
        std::vector<std::int64_t> parentKey;
        std::vector<std::int64_t> apartKey;
        for (std::size_t k = 0; k < space.loops.size(); ++k) {
          origin[idx(flat[space.loops[k]].dim)] += space.index[k] * flat[space.loops[k]].weight;
          if (ofParent[k]) parentKey.push_back(space.index[k]);
          if (unreduced[k]) apartKey.push_back(space.index[k]);
        }
        const Tile tile = coordsOf(s, t, origin, ext);
        if (tile.empty()) continue;  // this instance idles this step
        auto it = took.find(space.index);
        if (!latch && it != took.end() && it->second == moved) continue;  // reused
        took[space.index] = moved;
        Group& g = groups[parentKey];
        g.uni.insert(tile.begin(), tile.end());
        g.perChild += static_cast<std::int64_t>(tile.size());
        g.apart[apartKey].insert(tile.begin(), tile.end());
      } while (space.next(flat));
      for (const auto& [key, g] : groups) {
        const auto words = static_cast<std::int64_t>(g.uni.size());
        if (t != Tensor::Outputs) {
          parent.reads += multicast ? words : g.perChild;
          net.reads += g.perChild;
          if (!latch) child.writes += g.perChild;
          continue;
        }
        Tile& before = seen[key];
        const bool revisit = before.count(*g.uni.begin()) > 0;
        before.insert(g.uni.begin(), g.uni.end());
        std::int64_t up = 0;
        for (const auto& sub : g.apart) up += static_cast<std::int64_t>(sub.second.size());
        parent.writes += up;
        parent.reads += up - words;
        net.writes += g.perChild;
        if (!latch) child.reads += g.perChild;
        if (revisit) {
          parent.reads += words;
          net.reads += words;
          if (!latch) child.writes += words;
        }
      }
      if (!time.next(flat)) break;
      // The loops from the carry in changed index (the carried ones wrapped to 0).
      const std::size_t over = latch ? 0 : n.levels[ch].streamedOver[t];
      for (std::size_t k = time.carry; k < time.loops.size(); ++k) {
        const FlatLoop& l = flat[time.loops[k]];
        const bool streamed = over > 0 && time.loops[k] < start[over];
        if (l.bound > 1 && (moves(s, t, l.dim) || streamed)) {
          ++moved;
          break;
        }
      }
    }
  };

  for (Tensor t : kAllTensors) {
    std::size_t p = 0;
    for (std::size_t k = 1; k < n.levels.size(); ++k) {
      if (!n.levels[k].keeps[t]) continue;
      boundary(t, p, k, false);
      p = k;
    }
    if (p != last) {
      boundary(t, p, last, true);
    } else {
      c(storage[last], t).reads += c.macs;
      if (t == Tensor::Outputs) c(storage[last], t).writes += c.macs;
    }
  }
  return c;
}

void checkEntries(const AccessCounts& want, const AccessCounts& got, std::size_t entries) {
  CHECK(got.macs == want.macs);
  for (std::size_t e = 0; e < entries; ++e) {
    for (Tensor t : kAllTensors) {
      INFO("entry " << e << " " << tensorName(t));
      CHECK(got(e, t).reads == want(e, t).reads);
      CHECK(got(e, t).writes == want(e, t).writes);
    }
  }
  CHECK(got == want);  // entries past the hierarchy's stay zero
}

bool isRagged(const ProblemShape& s, const LoopNest& n) {
  for (std::size_t i = 0; i < s.numDims(); ++i) {
    std::int64_t prod = 1;
    for (const LevelLoops& l : n.levels) {
      for (const Loop& x : l.temporal) prod *= idx(x.dim) == i ? x.bound : 1;
      for (const SpatialLoop& x : l.spatial) prod *= idx(x.dim) == i ? x.bound : 1;
    }
    if (prod != s.size(ProblemShape::dimAt(i))) return true;
  }
  return false;
}

}  // namespace

TEST_CASE("the generic model equals a brute-force walk on random hierarchies and ragged nests",
          "[hierarchy]") {
  std::mt19937_64 rng(20261201);
  const ArchSpec a = arch(1, 1, 1 << 20, 1 << 24, false);  // word widths only
  const int trials = test::cases(600, 80);
  int checked = 0;
  int ragged = 0;
  int twoFanOuts = 0;
  int fanOutAboveParent = 0;
  int splitting = 0;  // cases with a fan-out that does not reduce some of its psums
  int streaming = 0;  // cases with a streamed tile refetched unchanged
  for (int trial = 0; trial < trials; ++trial) {
    const Layer l = smallPrimeLayer(trial, rng);
    const ProblemShape s = l.shape();
    Hierarchy h = randomHierarchy(rng);
    REQUIRE_NOTHROW(validateHierarchy(h));
    LoopNest n = randomNest(s, h, rng);
    try {
      validateLoopNest(s, a, h, n, "random");
    } catch (const InputError&) {
      continue;  // mostly the one-fan-out rule
    }
    std::mt19937_64 streamRng(static_cast<std::uint64_t>(trial) + 7919U);
    streaming += markStreamed(s, h, n, streamRng) ? 1 : 0;
    ++checked;
    // Most fan-outs do not reduce along the dimensions they may (own draws: the cases
    // drawn above stay those of the seed).
    std::mt19937_64 apartRng(static_cast<std::uint64_t>(trial));
    splitting += markUnreducedDims(s, h, n, apartRng) ? 1 : 0;
    REQUIRE_NOTHROW(validateLoopNest(s, a, h, n, "random, unreduced"));
    ragged += isRagged(s, n) ? 1 : 0;
    std::size_t fanOuts = 0;
    for (const HierarchyEntry& e : h.entries) {
      fanOuts += e.kind == HierarchyEntry::Kind::FanOut ? 1 : 0;
    }
    twoFanOuts += fanOuts == 2 ? 1 : 0;
    // Spatial loops above a level that is a parent (keeps a tensor, not the innermost): several
    // instances of a parent, each with its own visits.
    bool above = false;
    for (std::size_t k = 1; k + 1 < n.levels.size(); ++k) {
      const bool parent = n.levels[k].keeps[Tensor::Weights] || n.levels[k].keeps[Tensor::Inputs] ||
                          n.levels[k].keeps[Tensor::Outputs];
      for (std::size_t j = 0; j < k; ++j) above = above || (parent && !n.levels[j].spatial.empty());
    }
    fanOutAboveParent += above ? 1 : 0;
    INFO(shapeOf(l) << "\n" << describe(h, n, s));
    checkEntries(walk(s, h, n), analyticCounts(s, h, n), h.entries.size());
  }
  CHECK(checked >= trials / 3);
  CHECK(ragged >= checked / 3);
  CHECK(twoFanOuts >= checked / 20);
  CHECK(fanOutAboveParent >= checked / 20);
  CHECK(splitting >= checked / 40);
  CHECK(streaming >= checked / 8);
}

TEST_CASE("on the 4-level instance the generic model is analyticCounts, and the walker agrees",
          "[hierarchy]") {
  std::mt19937_64 rng(7);
  const int trials = test::cases(200, 40);
  int checked = 0;
  int streaming = 0;  // draws with a streamed tile refetched unchanged
  for (int trial = 0; trial < trials; ++trial) {
    const Layer l = smallPrimeLayer(trial, rng);
    const ProblemShape s = l.shape();
    ArchSpec a = arch(pick(rng, 1, 4), pick(rng, 1, 4), 1 << 20, 1 << 24, false);
    a.noc.multicast = trial % 2 == 0;
    const Hierarchy h = a.hierarchy();
    LoopNest n = randomNest(s, h, rng);
    std::mt19937_64 streamRng(static_cast<std::uint64_t>(trial) + 104729U);
    streaming += markStreamed(s, h, n, streamRng) ? 1 : 0;
    Mapping m;
    REQUIRE(fromLoopNest(n, m));
    try {
      validateMapping(l, a, m, "random");
    } catch (const InputError&) {
      continue;
    }
    ++checked;
    const LoopNest back = toLoopNest(m);
    REQUIRE(back.levels.size() == 3);
    INFO(shapeOf(l) << "\n" << nest(m));
    const AccessCounts fourLevelCounts = analyticCounts(s, a, m);
    checkEntries(analyticCounts(s, h, back), fourLevelCounts, 4);
    checkEntries(walk(s, h, back), fourLevelCounts, 4);
  }
  CHECK(checked >= trials / 2);
  CHECK(streaming >= trials / 8);
}

TEST_CASE("toLoopNest lays the four lists and the keeps onto three levels", "[hierarchy]") {
  Mapping m;
  m.dramLoops = {{cd::M, 2}};
  m.glbLoops = {{cd::C, 3}};
  m.spatialLoops = {{cd::P, 4, Axis::Rows}};
  m.rfLoops = {{cd::R, 3}};
  m.glbKeeps[Tensor::Weights] = false;
  m.rfKeeps[Tensor::Outputs] = false;
  const LoopNest n = toLoopNest(m);
  REQUIRE(n.levels.size() == 3);
  CHECK(n.levels[0].temporal.size() == 1);
  CHECK(n.levels[0].spatial.empty());
  CHECK(n.levels[1].temporal[0].bound == 3);
  CHECK(n.levels[1].spatial[0].bound == 4);
  CHECK(n.levels[1].spatial[0].axis == Axis::Rows);
  CHECK(!n.levels[1].keeps[Tensor::Weights]);
  CHECK(n.levels[2].temporal[0].dim == cd::R);
  CHECK(!n.levels[2].keeps[Tensor::Outputs]);
  CHECK(n.levels[2].keeps[Tensor::Inputs]);
}
