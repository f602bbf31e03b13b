// The problem shape (src/workload/problem_shape.hpp) and the two independent derivations of
// what a loop means for a tensor: the analytic side's (tile_math: the shape's projection, closed
// form) and the simulator's (TensorLayout / BoxShape: its own dense layout, enumerated). They
// must agree with each other and with a table written from the convolution's definition; and a
// wrong projection must make an oracle fail on each side.
#include <random>
#include <vector>

#include <catch2/catch.hpp>

#include "common/errors.hpp"
#include "dataflow/default_mapper.hpp"
#include "mapping/analytic_model.hpp"
#include "mapping/tile_math.hpp"
#include "mapping/validate_mapping.hpp"
#include "random_layers.hpp"
#include "sim/simulate_layer.hpp"
#include "sim/tile_box.hpp"
#include "test_support.hpp"

using namespace dfsim;

namespace {

/// A copy of `s` whose coordinate terms `edit(tensor, axis, terms)` may change, built through
/// the public builder, so the mutant obeys the shape contract.
template <typename Edit>
ProblemShape mutate(const ProblemShape& s, Edit edit) {
  ProblemShape m;
  for (std::size_t i = 0; i < s.numDims(); ++i) {
    m.addDim(s.name(ProblemShape::dimAt(i)), s.size(ProblemShape::dimAt(i)));
  }
  for (Tensor t : kAllTensors) {
    for (std::size_t k = 0; k < s.numAxes(t); ++k) {
      std::vector<AxisTerm> terms;
      for (std::size_t j = 0; j < s.numTerms(t, k); ++j) terms.push_back(s.term(t, k, j));
      edit(t, k, terms);
      if (terms.size() == 1) {
        m.addAxis(t, {terms[0]}, s.extent(t, k));
      } else {
        m.addAxis(t, {terms[0], terms[1]}, s.extent(t, k));
      }
    }
  }
  return m;
}

/// `s` with the term over `d` removed from coordinate `axis` of `t` (every coordinate stays
/// within its extent, so the simulator stays inside its buffers).
ProblemShape dropTerm(const ProblemShape& s, Tensor t, std::size_t axis, Dim d) {
  return mutate(s, [&](Tensor u, std::size_t k, std::vector<AxisTerm>& terms) {
    if (u != t || k != axis) return;
    for (auto it = terms.begin(); it != terms.end(); ++it) {
      if (it->dim == d) {
        terms.erase(it);
        return;
      }
    }
  });
}

std::int64_t uniform(std::mt19937_64& rng, std::int64_t lo, std::int64_t hi) {
  return lo + static_cast<std::int64_t>(rng() % static_cast<std::uint64_t>(hi - lo + 1));
}

}  // namespace

TEST_CASE("conv shape: dimensions, projections and extents as data", "[shape]") {
  const Layer layer = test::conv("c", 2, 6, 4, 9, 3, 2, 1, 2);
  const ProblemShape s = layer.shape();
  REQUIRE(s.numDims() == 8);
  CHECK(s.dimNameList() == "N, G, M, C, P, Q, R, S");
  CHECK(s.size(test::cd::M) == 2);  // per group
  CHECK(s.size(test::cd::C) == 3);
  CHECK(s.size(test::cd::P) == layer.P);
  CHECK(s.macs() == layer.macs());
  for (Tensor t : kAllTensors) {
    CHECK(s.numAxes(t) == 5);
    CHECK(s.tensorWords(t) == layer.tensorWords()[t]);
  }
  // Inputs' rows: h = stride * p + r over the padded height.
  CHECK(s.numTerms(Tensor::Inputs, 3) == 2);
  CHECK(s.coef(Tensor::Inputs, 3, test::cd::P) == 2);
  CHECK(s.coef(Tensor::Inputs, 3, test::cd::R) == 1);
  CHECK(s.coef(Tensor::Inputs, 3, test::cd::S) == 0);
  CHECK(s.extent(Tensor::Inputs, 3) == layer.paddedH());
  Dim d{};
  CHECK(s.findDim("Q", d));
  CHECK(d == test::cd::Q);
  CHECK_FALSE(s.findDim("K", d));
  CHECK_THROWS_AS(s.dimByName("K"), InternalError);
}

TEST_CASE("shape builder refuses what the closed form does not cover", "[shape]") {
  ProblemShape s;
  const Dim a = s.addDim("A", 4);
  const Dim b = s.addDim("B", 3);
  const Dim c = s.addDim("C", 2);
  CHECK_THROWS_AS(s.addDim("A", 2), InternalError);  // a name twice
  CHECK_THROWS_AS(s.addDim("", 2), InternalError);
  CHECK_THROWS_AS(s.addDim("D", 0), InternalError);
  // Three terms, two terms without a unit coefficient, a zero or negative coefficient, a dim
  // twice in one coordinate, a dim in two coordinates of one tensor, an empty extent.
  CHECK_THROWS_AS(s.addAxis(Tensor::Inputs, {{a, 1}, {b, 1}, {c, 1}}, 9), InternalError);
  CHECK_THROWS_AS(s.addAxis(Tensor::Inputs, {{a, 2}, {b, 3}}, 20), InternalError);
  CHECK_THROWS_AS(s.addAxis(Tensor::Inputs, {{a, 0}}, 4), InternalError);
  CHECK_THROWS_AS(s.addAxis(Tensor::Inputs, {{a, -1}}, 4), InternalError);
  CHECK_THROWS_AS(s.addAxis(Tensor::Inputs, {{a, 1}, {a, 2}}, 12), InternalError);
  CHECK_THROWS_AS(s.addAxis(Tensor::Inputs, {{a, 1}}, 0), InternalError);
  s.addAxis(Tensor::Inputs, {{a, 2}, {b, 1}}, 9);
  CHECK_THROWS_AS(s.addAxis(Tensor::Inputs, {{b, 1}}, 3), InternalError);
  s.addAxis(Tensor::Inputs, {{c, 1}}, 2);
  CHECK(s.numAxes(Tensor::Inputs) == 2);
  CHECK(s.numAxes(Tensor::Weights) == 0);
  for (int i = 0; i < 5; ++i) s.addDim(std::string(1, static_cast<char>('D' + i)), 1);
  CHECK_THROWS_AS(s.addDim("Z", 1), InternalError);  // kMaxDims
}

TEST_CASE("relevance and tile words: the analytic and the simulator's derivations agree",
          "[shape]") {
  std::mt19937_64 rng(13);
  for (const Layer& layer : test::randomLayers(60, 7)) {
    INFO(test::shapeOf(layer));
    const ProblemShape s = layer.shape();
    for (Tensor t : kAllTensors) {
      const TensorLayout layout = TensorLayout::make(s, t);
      for (std::size_t i = 0; i < s.numDims(); ++i) {
        const Dim d = ProblemShape::dimAt(i);
        INFO(tensorName(t) << " x " << s.name(d));
        CHECK(isRelevant(s, t, d) == layout.moves(d));
        CHECK(layout.moves(d) == test::convRelevant(t, d));
      }
      // Closed form against enumeration, for random tile extents within the layer.
      for (int k = 0; k < 20; ++k) {
        DimExtents e;
        e.fill(1);
        DimVector v{};
        v.fill(1);
        for (std::size_t i = 0; i < s.numDims(); ++i) {
          e[i] = uniform(rng, 1, s.size(ProblemShape::dimAt(i)));
          v[i] = e[i];
        }
        CHECK(tileWords(s, t, e) == BoxShape::make(layout, v).touchedWords);
      }
    }
  }
}

TEST_CASE("a wrong projection fails an oracle on each side", "[shape][sim]") {
  // RS on a 4x4 array spreads R over rows; the inputs' rows then overlap (h = p + r).
  const Layer layer = test::conv("c", 1, 2, 3, 6, 3, 1, 1);
  const ArchSpec arch = test::arch(4, 4, 64, 4096, true);
  const Mapping m = defaultMapping(layer, arch, Dataflow::RS);
  validateMapping(layer, arch, m, "test");
  const ProblemShape right = layer.shape();
  SimOptions opt;
  opt.check = true;
  const SimResult truth = simulateLayer(layer, right, arch, m, opt);
  REQUIRE(truth.checked);
  REQUIRE(truth.counts == analyticCounts(right, arch, m));

  // Inputs' rows without the filter row (h = p) or without the output row (h = r): both sides
  // must notice.
  for (const ProblemShape& w : {dropTerm(right, Tensor::Inputs, 3, test::cd::R),
                                dropTerm(right, Tensor::Inputs, 3, test::cd::P)}) {
    INFO(test::describe(analyticCounts(w, arch, m)));
    // Analytic side: its counts no longer match what the (right) simulator moved.
    CHECK_FALSE(analyticCounts(w, arch, m) == truth.counts);
    // Simulator side: its outputs no longer match the reference convolution.
    const SimResult wrong = simulateLayer(layer, w, arch, m, opt);
    CHECK_FALSE(wrong.checked);
    CHECK(wrong.checkMismatch.rfind("--check: layer c: output word ", 0) == 0);
  }
  // A transposed filter (weights indexed r <-> s; R == S): the same counts, so only the
  // functional oracle can see it, and does.
  const ProblemShape transposed =
      mutate(right, [&](Tensor u, std::size_t k, std::vector<AxisTerm>& terms) {
        if (u != Tensor::Weights || k < 3) return;
        terms[0].dim = k == 3 ? test::cd::S : test::cd::R;
      });
  CHECK(analyticCounts(transposed, arch, m) == truth.counts);
  const SimResult flipped = simulateLayer(layer, transposed, arch, m, opt);
  CHECK_FALSE(flipped.checked);
  CHECK(!flipped.checkMismatch.empty());
}
