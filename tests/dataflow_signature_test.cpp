// The signature of each dataflow, on tiny layers of many shapes and two arrays: what its RF keeps,
// where its psums go and how often each word is fetched. The expected values are derived here
// from the mapping by walking its loops (not with the analytic model's helpers), and the counts
// come from the simulator (with the functional check on).

#include <catch2/catch.hpp>
#include <cstdint>
#include <sstream>
#include <string>
#include <vector>

#include "dataflow/default_mapper.hpp"
#include "mapping/analytic_model.hpp"
#include "mapping/validate_mapping.hpp"
#include "sim/simulate_layer.hpp"
#include "test_support.hpp"

using namespace dfsim;

namespace {

std::vector<Layer> signatureLayers() {
  Layer fcSpatial = test::conv("fc_spatial", 1, 4, 6, 3, 3);  // filter covers a 3x3 input
  fcSpatial.type = LayerType::Fc;
  return {
      test::conv("plain", 1, 3, 4, 6, 3),
      test::conv("stride2_pad1", 1, 2, 3, 7, 3, 2, 1),
      test::conv("stride4", 1, 2, 2, 11, 3, 4),
      test::conv("pad2", 1, 3, 2, 4, 3, 1, 2),
      test::conv("groups2", 1, 4, 6, 5, 3, 1, 1, 2),
      test::conv("depthwise", 1, 4, 4, 5, 3, 1, 1, 4),
      test::conv("batch2", 2, 3, 4, 5, 3),
      test::conv("pointwise", 1, 8, 5, 4, 1),
      test::conv("filter5", 1, 1, 2, 7, 5),      // R above the 4x4 array's rows
      test::conv("filter13", 1, 1, 2, 14, 13),   // R above Eyeriss' 12 rows
      test::conv("one_channel", 1, 1, 1, 6, 3),  // fewer channels than PEs
      test::fc("fc", 1, 24, 10),
      test::fc("fc_batch2", 2, 16, 12),
      fcSpatial,
  };
}

std::vector<ArchSpec> signatureArchs() {
  ArchSpec small = test::arch(4, 4, 16, 2048, true);
  small.name = "4x4";
  ArchSpec eyeriss = test::eyerissLike();
  eyeriss.name = "eyeriss-like";
  return {small, eyeriss};
}

std::vector<Loop> outerLoops(const Mapping& m) {
  std::vector<Loop> all = m.dramLoops;
  all.insert(all.end(), m.glbLoops.begin(), m.glbLoops.end());
  return all;
}

/// Iterations of `loops`.
std::int64_t product(const std::vector<Loop>& loops) {
  std::int64_t p = 1;
  for (const Loop& l : loops) p *= l.bound;
  return p;
}

/// Steps of the loop nest `loops` (outermost first) at which some loop relevant to `t` takes a
/// new index, counting the first step: found by running the nest as an odometer.
std::int64_t changesOf(Tensor t, const std::vector<Loop>& loops) {
  const std::int64_t steps = product(loops);
  std::vector<std::int64_t> index(loops.size(), 0);
  std::int64_t changes = 1;
  for (std::int64_t s = 1; s < steps; ++s) {
    const std::vector<std::int64_t> before = index;
    for (std::size_t i = loops.size(); i-- > 0;) {
      if (++index[i] < loops[i].bound) break;
      index[i] = 0;
    }
    for (std::size_t i = 0; i < loops.size(); ++i) {
      if (test::convRelevant(t, loops[i].dim) && index[i] != before[i]) {
        ++changes;
        break;
      }
    }
  }
  return changes;
}

/// Product of the bounds of `loops` over dimensions that are (or are not) relevant to `t`.
std::int64_t productOver(const std::vector<Loop>& loops, Tensor t, bool relevant) {
  std::int64_t p = 1;
  for (const Loop& l : loops) {
    if (test::convRelevant(t, l.dim) == relevant) p *= l.bound;
  }
  return p;
}

/// Distinct words of weights held across the array (spatial and RF loops): weights are indexed
/// by G M C R S only, so the tile is the product of the array's bounds over those dimensions.
std::int64_t arrayWeightWords(const Mapping& m) {
  std::int64_t p = productOver(m.rfLoops, Tensor::Weights, true);
  for (const SpatialLoop& l : m.spatialLoops) {
    if (test::convRelevant(Tensor::Weights, l.dim)) p *= l.bound;
  }
  return p;
}

/// What every dataflow must satisfy; returns the simulated counts for the specific checks.
SimResult runCommon(const Layer& layer, const ArchSpec& arch, const Mapping& m) {
  REQUIRE_NOTHROW(validateMapping(layer, arch, m, "signature test"));
  CHECK(m.activePes() <= arch.rows * arch.cols);
  CHECK(m.spatialExtent(Axis::Rows) <= arch.rows);
  CHECK(m.spatialExtent(Axis::Cols) <= arch.cols);
  SimOptions opt;
  opt.check = true;
  const SimResult r = simulateLayer(layer, arch, m, opt);
  CHECK(r.checked);
  CHECK(r.counts.macs == layer.macs());
  // Utilisation <= 1, against the active PEs and against the whole array.
  CHECK(layer.macs() <= static_cast<std::int64_t>(r.cycles.total.count()) * r.activePes);
  CHECK(r.activePes == m.activePes());
  const AccessCounts expected = analyticCounts(layer.shape(), arch, m);
  INFO("simulated:\n" << test::describe(r.counts) << "analytic:\n" << test::describe(expected));
  CHECK(r.counts == expected);
  return r;
}

void checkNlr(const Mapping& m, const AccessCounts& c) {
  // No local reuse: every MAC receives its weight and its input over the NoC and sends its psum
  // out, whatever loops the PE sequences.
  CHECK(c(Level::Noc, Tensor::Weights).reads == c.macs);
  CHECK(c(Level::Noc, Tensor::Inputs).reads == c.macs);
  CHECK(c(Level::Noc, Tensor::Outputs).writes == c.macs);
  for (Tensor t : kAllTensors) {
    CHECK_FALSE(m.rfKeeps[t]);
    CHECK(c(Level::Rf, t).reads == 0);
    CHECK(c(Level::Rf, t).writes == 0);
  }
}

void checkWs(const Layer& layer, const ArchSpec& arch, const Mapping& m, const AccessCounts& c) {
  const Tensor w = Tensor::Weights;
  CHECK(m.rfKeeps[w] == arch.holds(Level::Rf, w));
  CHECK_FALSE(m.rfKeeps[Tensor::Inputs]);
  CHECK_FALSE(m.rfKeeps[Tensor::Outputs]);
  if (!m.rfKeeps[w]) return;
  // Every MAC reads its weight from the RF.
  CHECK(c(Level::Rf, w).reads == layer.macs());
  // The array's weights are fetched once per change of a weight-relevant loop above the array.
  const std::vector<Loop> outer = outerLoops(m);
  const std::int64_t visits = changesOf(w, outer);
  const ReadWrite& parent = c(m.glbKeeps[w] ? Level::Glb : Level::Dram, w);
  CHECK(parent.reads <= layer.weightCount() * visits);
  if (arch.noc.multicast) CHECK(parent.reads == visits * arrayWeightWords(m));
  // A weight written to a PE's RF serves every MAC that uses it before it is replaced: the RF
  // loops over dims irrelevant to weights, times the loops above the array that run inside the
  // innermost weight-relevant one (the steps between two changes of the weight tile).
  const std::int64_t stepsPerVisit = product(outer) / visits;
  const std::int64_t macsPerWrite = productOver(m.rfLoops, w, false) * stepsPerVisit;
  CHECK(c(Level::Rf, w).writes * macsPerWrite == layer.macs());
  // The literal form (MACs per held weight = RF loops irrelevant to weights) holds exactly when
  // the weight tile changes at every array step.
  if (stepsPerVisit == 1) {
    CHECK(c(Level::Rf, w).writes * productOver(m.rfLoops, w, false) == layer.macs());
  }
}

/// Whether a loop over C, R or S with bound > 1 runs outside an output-relevant loop with
/// bound > 1 in `loops`: the reduction of an output tile is then split over several visits.
bool splitsReduction(const std::vector<Loop>& loops) {
  bool reductionAbove = false;
  for (const Loop& l : loops) {
    if (l.bound <= 1) continue;
    if (test::convRelevant(Tensor::Outputs, l.dim)) {
      if (reductionAbove) return true;
    } else if (l.dim == test::cd::C || l.dim == test::cd::R || l.dim == test::cd::S) {
      reductionAbove = true;
    }
  }
  return false;
}

void checkOs(const Layer& layer, const ArchSpec& arch, const Mapping& m, const AccessCounts& c) {
  const Tensor o = Tensor::Outputs;
  CHECK(m.rfKeeps[o] == arch.holds(Level::Rf, o));
  CHECK(m.rfKeeps[o]);  // both test archs have RF room for outputs
  CHECK_FALSE(m.rfKeeps[Tensor::Weights]);
  // Psums accumulate in place: every MAC reads and writes its psum in the RF.
  CHECK(c(Level::Rf, o).reads >= layer.macs());
  CHECK(c(Level::Rf, o).writes >= layer.macs());
  // The loops above DRAM's copy of the outputs: the DRAM loops when the GLB keeps outputs.
  std::vector<Loop> aboveDram = m.dramLoops;
  if (!m.glbKeeps[o]) aboveDram = outerLoops(m);
  const std::int64_t outputWords = layer.tensorWords()[o];
  if (!splitsReduction(aboveDram)) {
    CHECK(c(Level::Dram, o).writes == outputWords);
    CHECK(c(Level::Dram, o).reads == 0);
  } else {
    CHECK(c(Level::Dram, o).reads > 0);
    CHECK(c(Level::Dram, o).writes > outputWords);
  }
}

void checkRs(const Layer& layer, const ArchSpec& arch, const Mapping& m, const AccessCounts& c) {
  for (Tensor t : kAllTensors) CHECK(m.rfKeeps[t] == arch.holds(Level::Rf, t));
  // Psums move out of the PEs once per visit of the output tile, from every PE, a psum tile
  // each, and the array reduces them (parent writes = distinct outputs).
  const Tensor o = Tensor::Outputs;
  const std::int64_t fills = changesOf(o, outerLoops(m));
  const std::int64_t psumTile = m.rfKeeps[o] ? productOver(m.rfLoops, o, true) : 1;
  if (m.rfKeeps[o]) {
    CHECK(c(Level::Noc, o).writes == fills * m.activePes() * psumTile);
  }
  // Per MAC: one weight read, one input read, one psum read; plus one psum read per drained
  // word.
  if (m.rfKeeps[Tensor::Weights]) CHECK(c(Level::Rf, Tensor::Weights).reads == layer.macs());
  if (m.rfKeeps[Tensor::Inputs]) CHECK(c(Level::Rf, Tensor::Inputs).reads == layer.macs());
  if (m.rfKeeps[o]) CHECK(c(Level::Rf, o).reads == layer.macs() + c(Level::Noc, o).writes);
}

/// Row stationary's logical PE set: filter rows down the array's rows, all of them when they fit.
void checkRsAxes(const Layer& layer, const ArchSpec& arch, const Mapping& m) {
  std::int64_t rOnRows = 1;
  for (const SpatialLoop& l : m.spatialLoops) {
    if (l.dim != test::cd::R) continue;
    CHECK(l.axis == Axis::Rows);
    if (l.axis == Axis::Rows) rOnRows *= l.bound;
  }
  if (layer.shape().size(test::cd::R) <= arch.rows)
    CHECK(rOnRows == layer.shape().size(test::cd::R));
}

void checkSignature(const Layer& layer, const ArchSpec& arch, Dataflow df) {
  INFO("layer " << layer.name << ", dataflow " << dataflowName(df) << ", arch " << arch.name);
  Mapping m;
  // The signatures below are closed forms for perfectly factorised mappings.
  REQUIRE_NOTHROW(m = defaultMapping(layer, arch, df, Tiling::Perfect));
  INFO(test::nest(m));
  const SimResult r = runCommon(layer, arch, m);
  switch (df) {
    case Dataflow::NLR:
      checkNlr(m, r.counts);
      break;
    case Dataflow::WS:
      checkWs(layer, arch, m, r.counts);
      break;
    case Dataflow::OS_A:
    case Dataflow::OS_B:
    case Dataflow::OS_C:
      checkOs(layer, arch, m, r.counts);
      break;
    case Dataflow::RS:
      checkRs(layer, arch, m, r.counts);
      break;
  }
}

void checkAll(Dataflow df) {
  for (const ArchSpec& arch : signatureArchs()) {
    for (const Layer& layer : signatureLayers()) checkSignature(layer, arch, df);
  }
}

}  // namespace

TEST_CASE("odometer helper: changes of a tensor's tile over a loop nest", "[dataflow]") {
  const std::vector<Loop> loops = {{test::cd::M, 2}, {test::cd::C, 3}, {test::cd::P, 4}};
  CHECK(changesOf(Tensor::Weights, loops) == 6);   // P innermost: reuse
  CHECK(changesOf(Tensor::Outputs, loops) == 24);  // P changes every step
  CHECK(changesOf(Tensor::Inputs, loops) == 24);
  CHECK(changesOf(Tensor::Weights, {}) == 1);
  CHECK(changesOf(Tensor::Outputs, {{test::cd::M, 2}, {test::cd::C, 3}}) == 2);
  CHECK(changesOf(Tensor::Outputs, {{test::cd::C, 3}, {test::cd::M, 2}}) == 6);
  CHECK(splitsReduction({{test::cd::C, 3}, {test::cd::M, 2}}));
  CHECK_FALSE(splitsReduction({{test::cd::M, 2}, {test::cd::C, 3}}));
  CHECK_FALSE(splitsReduction({{test::cd::C, 1}, {test::cd::M, 2}}));
}

TEST_CASE("NLR: every operand over the NoC for every MAC, no RF access", "[dataflow]") {
  checkAll(Dataflow::NLR);
}

TEST_CASE("WS: weights stay in the RF and serve every MAC that uses them", "[dataflow]") {
  checkAll(Dataflow::WS);
}

TEST_CASE("OS_A: outputs accumulate in the RF and leave DRAM once", "[dataflow]") {
  checkAll(Dataflow::OS_A);
}

TEST_CASE("OS_B: outputs accumulate in the RF and leave DRAM once", "[dataflow]") {
  checkAll(Dataflow::OS_B);
}

TEST_CASE("OS_C: outputs accumulate in the RF and leave DRAM once", "[dataflow]") {
  checkAll(Dataflow::OS_C);
}

TEST_CASE("RS: every MAC reads its operands from the RF, psums reduced across the array",
          "[dataflow]") {
  checkAll(Dataflow::RS);
}

// Known deviation, reported to the lead: the default mapper keeps the spatial choice that uses
// the most PEs, trying the rule's row dims on the columns too, so RS may put R on the columns
// (R=13 on Eyeriss' 12 rows: R goes over its 14 columns) or leave R temporal (an FC over a 3x3
// input on 4x4: C=4 fills the rows better than R=3). Counts are the same on either axis; the
// second case is no longer a row-stationary mapping. [!mayfail] until the mapper decides.
TEST_CASE("RS: filter rows go down the array's rows, all of them when they fit",
          "[dataflow][!mayfail]") {
  for (const ArchSpec& arch : signatureArchs()) {
    for (const Layer& layer : signatureLayers()) {
      INFO("layer " << layer.name << ", arch " << arch.name);
      const Mapping m = defaultMapping(layer, arch, Dataflow::RS, Tiling::Perfect);
      INFO(test::nest(m));
      checkRsAxes(layer, arch, m);
    }
  }
}

TEST_CASE("OS with a reduction split over DRAM visits reads psums back from DRAM", "[dataflow]") {
  // A hand-made OS_A-like mapping whose DRAM loops run C outside M: every output tile is visited
  // twice and its partial sums make a round trip through DRAM.
  const Layer layer = test::conv("split", 1, 4, 2, 4, 1);  // C=4, M=2, P=Q=4
  const ArchSpec arch = test::arch(4, 4, 16, 2048, true);
  Mapping m;
  m.dramLoops = {{test::cd::C, 2}, {test::cd::M, 2}};
  m.glbLoops = {{test::cd::C, 2}};
  m.spatialLoops = {{test::cd::P, 4, Axis::Rows}, {test::cd::Q, 4, Axis::Cols}};
  m.rfKeeps[Tensor::Weights] = false;
  INFO(test::nest(m));
  REQUIRE(splitsReduction(m.dramLoops));
  const SimResult r = runCommon(layer, arch, m);
  const std::int64_t outputWords = layer.tensorWords()[Tensor::Outputs];  // 32
  // Four DRAM visits of a 16-word output tile, two of them revisits.
  CHECK(r.counts(Level::Dram, Tensor::Outputs).writes == 4 * 16);
  CHECK(r.counts(Level::Dram, Tensor::Outputs).reads == 2 * 16);
  CHECK(r.counts(Level::Dram, Tensor::Outputs).writes > outputWords);
}
