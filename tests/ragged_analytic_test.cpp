// Ragged tiles on the analytic side: the extent histograms, the validation rules, mapping files
// that state their tiles, and the closed-form counts against a brute-force walk of the ragged
// loop nest that enumerates points and coordinates (it shares no code with tile_math or the
// analytic model: it reads only the shape's sizes and coordinate terms and the mapping).
#include <algorithm>
#include <functional>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "common/errors.hpp"
#include "io/mapping_io.hpp"
#include "mapping/analytic_model.hpp"
#include "mapping/ragged_nest.hpp"
#include "mapping/validate_mapping.hpp"
#include "random_layers.hpp"
#include "test_support.hpp"

using namespace dfsim;
using namespace dfsim::test;

namespace {

std::string messageOf(const std::function<void()>& f) {
  try {
    f();
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

/// 55 output columns as 8 tiles of 7 across the array's columns (the last 6), everything else
/// in the DRAM loops.
Mapping ragged55() {
  Mapping m;
  m.dramLoops = {{cd::M, 3}, {cd::Q, 8}, {cd::P, 55}};
  m.spatialLoops = {{cd::Q, 7, Axis::Cols}};
  m.rfLoops = {{cd::R, 3}, {cd::S, 3}};
  return m;
}

Layer layer55() {
  Layer l = conv("c55", 1, 1, 3, 57, 3);  // P = Q = 55
  return l;
}

// ---- brute force -----------------------------------------------------------------------------

using Point = std::vector<std::int64_t>;  // one value per dimension of the shape
using Coord = std::vector<std::int64_t>;  // one value per coordinate of a tensor

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

/// Whether moving dimension d moves some coordinate of t (from the terms, directly).
bool moves(const ProblemShape& s, Tensor t, Dim d) {
  Point zero(s.numDims(), 0);
  Point one = zero;
  one[idx(d)] = 1;
  return project(s, t, zero) != project(s, t, one);
}

/// Every coordinate of `t` the points of the box [lo, lo + ext) clipped to the layer touch.
std::set<Coord> coordsOf(const ProblemShape& s, Tensor t, const Point& lo, const Point& ext) {
  std::set<Coord> out;
  Point p = lo;
  const std::size_t n = s.numDims();
  Point hi(n);
  for (std::size_t i = 0; i < n; ++i) {
    hi[i] = std::min(lo[i] + ext[i], s.size(ProblemShape::dimAt(i)));
    if (hi[i] <= lo[i]) return out;
  }
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

struct BruteLoop {
  Dim dim{};
  std::int64_t bound = 1;
  std::int64_t weight = 1;  ///< how far one step moves its dimension
};

/// Walks the padded nest, drops the points beyond the layer, and counts what moves as the
/// ragged-tile rule says, by enumerating coordinates.
AccessCounts bruteForce(const ProblemShape& s, const Mapping& m, bool multicast) {
  const std::size_t n = s.numDims();
  // Weights: walk from the innermost loop out.
  Point inner(n, 1);
  auto weigh = [&](Dim d, std::int64_t bound) {
    const std::int64_t w = inner[idx(d)];
    inner[idx(d)] *= bound;
    return w;
  };
  std::vector<BruteLoop> rf;
  for (auto it = m.rfLoops.rbegin(); it != m.rfLoops.rend(); ++it) {
    rf.insert(rf.begin(), {it->dim, it->bound, weigh(it->dim, it->bound)});
  }
  const Point rfExt = inner;
  std::vector<BruteLoop> sp;
  for (auto it = m.spatialLoops.rbegin(); it != m.spatialLoops.rend(); ++it) {
    sp.insert(sp.begin(), {it->dim, it->bound, weigh(it->dim, it->bound)});
  }
  std::vector<BruteLoop> glb;
  for (auto it = m.glbLoops.rbegin(); it != m.glbLoops.rend(); ++it) {
    glb.insert(glb.begin(), {it->dim, it->bound, weigh(it->dim, it->bound)});
  }
  const Point glbExt = inner;
  std::vector<BruteLoop> outer;
  for (auto it = m.dramLoops.rbegin(); it != m.dramLoops.rend(); ++it) {
    outer.insert(outer.begin(), {it->dim, it->bound, weigh(it->dim, it->bound)});
  }
  const std::size_t dramCount = outer.size();
  outer.insert(outer.end(), glb.begin(), glb.end());

  auto offsets = [&](const std::vector<BruteLoop>& loops) {
    std::vector<Point> all{Point(n, 0)};
    for (const BruteLoop& l : loops) {
      std::vector<Point> next;
      for (const Point& p : all) {
        for (std::int64_t j = 0; j < l.bound; ++j) {
          Point q = p;
          q[idx(l.dim)] += j * l.weight;
          next.push_back(q);
        }
      }
      all = next;
    }
    return all;
  };
  const std::vector<Point> peOff = offsets(sp);
  const std::vector<Point> rfOff = offsets(rf);
  auto inside = [&](const Point& p) {
    for (std::size_t i = 0; i < n; ++i) {
      if (p[i] >= s.size(ProblemShape::dimAt(i))) return false;
    }
    return true;
  };
  auto changes = [&](Tensor t, std::size_t carry, std::size_t stop) {
    for (std::size_t j = carry; j < stop; ++j) {
      if (outer[j].bound > 1 && moves(s, t, outer[j].dim)) return true;
    }
    return false;
  };

  AccessCounts c;
  std::map<Tensor, std::set<Coord>> seenGlb;
  std::map<Tensor, std::set<Coord>> seenArray;
  std::vector<std::int64_t> index(outer.size(), 0);
  std::size_t carry = 0;  // outermost carry since the last non-empty step
  bool first = true;
  for (;;) {
    Point origin(n, 0);
    for (std::size_t j = 0; j < outer.size(); ++j) {
      origin[idx(outer[j].dim)] += index[j] * outer[j].weight;
    }
    if (inside(origin)) {
      // DRAM -> GLB.
      Point glbOrigin(n, 0);
      for (std::size_t j = 0; j < dramCount; ++j) {
        glbOrigin[idx(outer[j].dim)] += index[j] * outer[j].weight;
      }
      for (Tensor t : kAllTensors) {
        if (!m.glbKeeps[t] || !(first || changes(t, carry, dramCount))) continue;
        const std::set<Coord> tile = coordsOf(s, t, glbOrigin, glbExt);
        const auto words = static_cast<std::int64_t>(tile.size());
        if (t != Tensor::Outputs) {
          c(Level::Dram, t).reads += words;
          c(Level::Glb, t).writes += words;
          continue;
        }
        const bool revisit = seenGlb[t].count(*tile.begin()) > 0;
        seenGlb[t].insert(tile.begin(), tile.end());
        c(Level::Glb, t).reads += words;
        c(Level::Dram, t).writes += words;
        if (revisit) {
          c(Level::Dram, t).reads += words;
          c(Level::Glb, t).writes += words;
        }
      }
      // GLB (or DRAM) -> array.
      std::vector<Point> active;
      for (const Point& off : peOff) {
        Point p = origin;
        for (std::size_t i = 0; i < n; ++i) p[i] += off[i];
        if (inside(p)) active.push_back(p);
      }
      for (Tensor t : kAllTensors) {
        const Level parent = m.glbKeeps[t] ? Level::Glb : Level::Dram;
        // Visits: the RF tile when the RF keeps t, else every RF iteration's point.
        std::vector<std::vector<Point>> visits;  // per visit, the box origin of each active PE
        std::vector<Point> boxExt;
        if (m.rfKeeps[t]) {
          if (!(first || changes(t, carry, outer.size()))) continue;
          visits.push_back(active);
        } else {
          for (const Point& r : rfOff) {
            std::vector<Point> v;
            for (const Point& pe : active) {
              Point p = pe;
              for (std::size_t i = 0; i < n; ++i) p[i] += r[i];
              v.push_back(p);
            }
            visits.push_back(v);
          }
        }
        const Point ext = m.rfKeeps[t] ? rfExt : Point(n, 1);
        for (const std::vector<Point>& v : visits) {
          std::set<Coord> uni;
          std::int64_t perPe = 0;
          for (const Point& pe : v) {
            const std::set<Coord> tile = coordsOf(s, t, pe, ext);
            perPe += static_cast<std::int64_t>(tile.size());
            uni.insert(tile.begin(), tile.end());
          }
          const auto words = static_cast<std::int64_t>(uni.size());
          if (t != Tensor::Outputs) {
            c(parent, t).reads += multicast ? words : perPe;
            c(Level::Noc, t).reads += perPe;
            if (m.rfKeeps[t]) c(Level::Rf, t).writes += perPe;
            continue;
          }
          const bool revisit = seenArray[t].count(*uni.begin()) > 0;
          seenArray[t].insert(uni.begin(), uni.end());
          c(parent, t).writes += words;
          c(Level::Noc, t).writes += perPe;
          if (m.rfKeeps[t]) c(Level::Rf, t).reads += perPe;
          if (revisit) {
            c(parent, t).reads += words;
            c(Level::Noc, t).reads += words;
            if (m.rfKeeps[t]) c(Level::Rf, t).writes += words;
          }
        }
      }
      // MACs: every point of every active PE's RF tile.
      for (const Point& pe : active) {
        for (const Point& r : rfOff) {
          Point p = pe;
          for (std::size_t i = 0; i < n; ++i) p[i] += r[i];
          if (inside(p)) ++c.macs;
        }
      }
      first = false;
      carry = outer.size();
    }
    std::size_t at = outer.size();
    while (at-- > 0) {
      if (++index[at] < outer[at].bound) break;
      index[at] = 0;
    }
    if (at == static_cast<std::size_t>(-1)) break;
    carry = std::min(carry, at);
  }
  for (Tensor t : kAllTensors) {
    if (!m.rfKeeps[t]) continue;
    c(Level::Rf, t).reads += c.macs;
    if (t == Tensor::Outputs) c(Level::Rf, t).writes += c.macs;
  }
  return c;
}

/// A random ragged mapping of `l`: per dimension an RF factor dividing it, then a spatial, a
/// GLB and a DRAM factor, each any value whose last iteration still starts inside the layer.
Mapping randomRagged(const Layer& l, std::int64_t rows, std::int64_t cols, std::mt19937_64& rng) {
  const ProblemShape s = l.shape();
  auto pick = [&](std::int64_t lo, std::int64_t hi) {
    return std::uniform_int_distribution<std::int64_t>(lo, std::max(lo, hi))(rng);
  };
  Mapping m;
  std::int64_t rowsLeft = rows;
  std::int64_t colsLeft = cols;
  for (std::size_t i = 0; i < s.numDims(); ++i) {
    const Dim d = ProblemShape::dimAt(i);
    const std::int64_t n = s.size(d);
    std::vector<std::int64_t> divs;
    for (std::int64_t f = 1; f <= n; ++f) {
      if (n % f == 0) divs.push_back(f);
    }
    const std::int64_t r =
        pick(0, 2) == 0
            ? divs[static_cast<std::size_t>(pick(0, static_cast<std::int64_t>(divs.size()) - 1))]
            : 1;
    if (r > 1) m.rfLoops.push_back({d, r});
    const std::int64_t afterRf = n / r;
    // Spatial: any f with (f - 1) * r < n, within the axis budget.
    const bool onRows = pick(0, 1) == 0;
    std::int64_t& budget = onRows ? rowsLeft : colsLeft;
    const std::int64_t f = pick(1, std::min(budget, afterRf));
    if (f > 1) {
      m.spatialLoops.push_back({d, f, onRows ? Axis::Rows : Axis::Cols});
      budget /= f;
    }
    const std::int64_t afterSpatial = (afterRf + f - 1) / f;  // array steps needed along d
    const std::int64_t g = pick(1, afterSpatial);
    if (g > 1) m.glbLoops.push_back({d, g});
    const std::int64_t dram = (afterSpatial + g - 1) / g;
    if (dram > 1) m.dramLoops.push_back({d, dram});
  }
  std::shuffle(m.dramLoops.begin(), m.dramLoops.end(), rng);
  std::shuffle(m.glbLoops.begin(), m.glbLoops.end(), rng);
  for (Tensor t : kAllTensors) {
    m.rfKeeps[t] = pick(0, 3) != 0;
    m.glbKeeps[t] = pick(0, 3) != 0;
  }
  return m;
}

void checkCounts(const AccessCounts& want, const AccessCounts& got, const std::string& what) {
  INFO(what);
  CHECK(got.macs == want.macs);
  for (Tensor t : kAllTensors) {
    for (Level lv : {Level::Dram, Level::Glb, Level::Noc, Level::Rf}) {
      INFO(std::string(levelName(lv)) + " " + std::string(tensorName(t)));
      CHECK(got(lv, t).reads == want(lv, t).reads);
      CHECK(got(lv, t).writes == want(lv, t).writes);
    }
  }
}

}  // namespace

TEST_CASE("extent histograms split a dimension into full tiles and one ragged tile", "[ragged]") {
  ExtentHistogram h = ExtentHistogram::whole(55);
  h.split(7);
  REQUIRE(h.kinds == 2);
  CHECK(h.extent[0] == 7);
  CHECK(h.count[0] == 7);
  CHECK(h.extent[1] == 6);
  CHECK(h.count[1] == 1);
  CHECK(h.total() == 8);
  ExtentHistogram fc = ExtentHistogram::whole(997);
  fc.split(12);
  CHECK(fc.total() == 84);
  CHECK(fc.extent[1] == 1);
  // Nested: 55 as 2 tiles of 42 (the last 13), each as tiles of 14.
  ExtentHistogram nested = ExtentHistogram::whole(55);
  nested.split(42);
  nested.split(14);
  CHECK(nested.total() == 4);  // 14 14 14 | 13
  nested.firstOnly(1);
  CHECK(nested.total() == 4);
  CHECK(nested.kinds == 1);
}

TEST_CASE("ragged mappings validate and count what a brute-force walk counts", "[ragged]") {
  const Layer l = layer55();
  const ArchSpec a = arch(12, 14, 1 << 20, 1 << 24, false);
  const Mapping m = ragged55();
  REQUIRE_NOTHROW(validateMapping(l, a, m, "m.json"));
  CHECK(nonEmptySteps(l.shape(), m) == 3 * 55 * 8);  // M x P x Q tiles (P = 55 in the DRAM loops)
  checkCounts(bruteForce(l.shape(), m, true), analyticCounts(l.shape(), a, m), "ragged55");
}

TEST_CASE("validation refuses ragged tilings that break the rule, naming the loop", "[ragged]") {
  const Layer l = layer55();
  const ArchSpec a = arch(12, 14, 1 << 20, 1 << 24, false);
  SECTION("a loop whose last iteration starts beyond the edge") {
    Mapping m = ragged55();
    m.dramLoops[1].bound = 9;  // 8 * 7 = 56 >= 55
    CHECK(messageOf([&] { validateMapping(l, a, m, "m.json"); }) ==
          "m.json: mapping.dram[1]: a loop over Q of bound 9 with tiles of 7 starts its last "
          "iteration at 56, beyond the layer's Q of 55; expected a bound of at most 8");
  }
  SECTION("tiles that do not cover the dimension") {
    Mapping m = ragged55();
    m.dramLoops[1].bound = 7;  // 49 < 55
    CHECK(messageOf([&] { validateMapping(l, a, m, "m.json"); }) ==
          "m.json: loop bounds over Q multiply to 49, expected 55 (the layer's Q, or a little "
          "more with a ragged last tile)");
  }
  SECTION("an RF tile that does not divide its dimension") {
    Mapping m = ragged55();
    m.spatialLoops = {{cd::Q, 2, Axis::Cols}};
    m.rfLoops = {{cd::R, 3}, {cd::S, 3}, {cd::Q, 4}};
    m.dramLoops[1].bound = 7;  // 7 * 2 * 4 = 56
    CHECK(messageOf([&] { validateMapping(l, a, m, "m.json"); }) ==
          "m.json: the rf loops over Q cover 4, which does not divide the layer's Q of 55; "
          "expected a divisor (a ragged last tile may fall at the array or above, not inside a "
          "PE's RF tile)");
  }
}

TEST_CASE("mapping files state ragged tiles, and a wrong stated tile is refused", "[ragged]") {
  const ProblemShape s = layer55().shape();
  const Mapping m = ragged55();
  const nlohmann::json j = mappingToJson(s, m, "c55", "rs");
  // The ragged dimension Q states its tiles (8 tiles of 7, across 7 PEs of 1); M does not.
  CHECK(j["dram"][1]["tile"] == 7);
  CHECK(j["spatial"][0]["tile"] == 1);
  CHECK(!j["dram"][0].contains("tile"));
  const MappingFile back = mappingFromJson(j, "m.json");
  CHECK(back.mapping.dramLoops[1].bound == 8);
  nlohmann::json wrong = j;
  wrong["dram"][1]["tile"] = 6;
  CHECK(messageOf([&] { mappingFromJson(wrong, "m.json"); }) ==
        "m.json: mapping.dram[1].tile: expected 7 (the product of the bounds of the loops inside "
        "it over its dim), got 6");
  CHECK(renderLoopNest(s, m).find("for Q in [0:8) tiles of 7, the last one clipped to Q=55") !=
        std::string::npos);
}

TEST_CASE("closed-form counts equal a brute-force walk on random ragged mappings of prime shapes",
          "[ragged]") {
  std::mt19937_64 rng(20261201);
  const std::vector<std::int64_t> primes = {1, 2, 3, 5, 7, 11, 13};
  int checked = 0;
  int ragged = 0;
  const int trials = test::cases(300, 80);
  for (int trial = 0; trial < trials; ++trial) {
    auto p = [&] {
      return primes[std::uniform_int_distribution<std::size_t>(0, primes.size() - 1)(rng)];
    };
    const std::int64_t rs = std::min<std::int64_t>(p(), 5);
    const std::int64_t stride = trial % 3 == 0 ? 2 : 1;
    const std::int64_t out = std::min<std::int64_t>(p(), 7);
    const std::int64_t hw = (out - 1) * stride + rs;
    const Layer l =
        conv("r" + std::to_string(trial), trial % 4 == 0 ? 2 : 1, std::min<std::int64_t>(p(), 5),
             std::min<std::int64_t>(p(), 7), hw, rs, stride);
    const ArchSpec a = arch(4, 6, 1 << 20, 1 << 24, false);
    const Mapping m = randomRagged(l, a.rows, a.cols, rng);
    try {
      validateMapping(l, a, m, "random");
    } catch (const InputError&) {
      continue;  // e.g. keeps a tensor the test arch has no room for
    }
    const ProblemShape s = l.shape();
    bool isRagged = false;
    for (std::size_t i = 0; i < s.numDims(); ++i) {
      const Dim d = ProblemShape::dimAt(i);
      std::int64_t prod = 1;
      for (const NestLoop& nl : NestLoops::of(m).loops) prod *= nl.dim == d ? nl.bound : 1;
      isRagged = isRagged || prod != s.size(d);
    }
    ragged += isRagged ? 1 : 0;
    ++checked;
    for (bool multicast : {true, false}) {
      ArchSpec am = a;
      am.noc.multicast = multicast;
      checkCounts(bruteForce(s, m, multicast), analyticCounts(s, am, m),
                  shapeOf(l) + "\n" + nest(m) + (multicast ? " multicast" : " unicast"));
    }
  }
  CHECK(checked >= trials / 2);
  CHECK(ragged >= trials / 3);
}
