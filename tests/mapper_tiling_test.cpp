// The mappers' tilings (issue 13 item 7): Tiling::Perfect reproduces the mappings and scores
// recorded from the mappers before ragged tiles; Tiling::Ragged builds mappings that obey the
// ragged rules (README "Ragged tiles"), validate, are deterministic, never occupy fewer PEs than
// the perfect default, and spread a 997-in, 31-out FC layer and AlexNet's conv1 and conv2 over
// most of Eyeriss's 168 PEs.

#include <catch2/catch.hpp>
#include <cstdint>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "dataflow/default_mapper.hpp"
#include "dataflow/mapper_search.hpp"
#include "dataflow/tiling.hpp"
#include "io/readers.hpp"
#include "mapping/validate_mapping.hpp"
#include "mapping_digest.hpp"
#include "random_layers.hpp"
#include "test_support.hpp"

using namespace dfsim;

namespace {

const std::vector<Dataflow>& dataflows() {
  static const std::vector<Dataflow> all = {Dataflow::WS,   Dataflow::OS_A, Dataflow::OS_B,
                                            Dataflow::OS_C, Dataflow::NLR,  Dataflow::RS};
  return all;
}

/// The layers the perfect-tiling expectations were recorded on.
std::vector<Layer> goldenLayers() {
  std::vector<Layer> layers = test::randomLayers(6, 0x7111e9);
  layers.push_back(test::conv("prime", 1, 3, 5, 9, 3));
  layers.push_back(test::conv("c13", 2, 13, 11, 15, 3, 2, 1));
  layers.push_back(test::fc("fc997", 1, 997, 31));
  return layers;
}

/// The lines of tests/golden/perfect_tiling_mappings.txt, computed now with `tiling`, for the
/// first `maxLayers` of its layers.
std::vector<std::string> digestLines(Tiling tiling, std::size_t maxLayers = SIZE_MAX) {
  const EnergyTable table;
  std::vector<std::string> lines;
  const std::vector<Layer> layers = goldenLayers();
  for (std::size_t li = 0; li < layers.size() && li < maxLayers; ++li) {
    const Layer& layer = layers[li];
    for (const ArchSpec& arch : test::propertyArchs()) {
      for (Dataflow df : dataflows()) {
        const std::string base = layer.name + " " + arch.name + " " + dataflowName(df);
        const Mapping m = defaultMapping(layer, arch, df, tiling);
        const AccessCounts c = analyticCounts(layer.shape(), arch, m);
        const double cycles = estimateCycles(layer, arch, m, c);
        const double energy =
            computeEnergy(c, Cycle(static_cast<std::uint64_t>(cycles)), table).total;
        lines.push_back(test::mappingDigest(base + " default", layer, m, energy, cycles));
        for (Objective o : {Objective::Energy, Objective::Edp}) {
          const SearchResult r = searchMapping(layer, arch, df, table, {o, false, tiling});
          lines.push_back(test::mappingDigest(base + " search:" + objectiveName(o), layer,
                                              r.mapping, r.energy, r.cycles) +
                          " tried=" + std::to_string(r.stats.tried));
        }
      }
    }
  }
  return lines;
}

/// The layer's dim sizes (1 beyond its last dim).
DimExtents sizesOf(const Layer& layer) {
  const ProblemShape shape = layer.shape();
  DimExtents full;
  full.fill(1);
  for (std::size_t i = 0; i < shape.numDims(); ++i) full[i] = shape.size(ProblemShape::dimAt(i));
  return full;
}

/// The ragged rules restated from the contract, independently of validateMapping and of the
/// mappers' helpers: in the nest dram, glb, spatial, rf (outermost first), per dim and from the
/// innermost loop outward with T the product of the bounds inside, every loop has
/// (bound - 1) * T < N, the loops cover N (T >= N at the top), the RF tile divides N, and the
/// spatial loops fit the array. "" when all hold, else what breaks.
std::string raggedViolation(const Layer& layer, const ArchSpec& arch, const Mapping& m) {
  const DimExtents full = sizesOf(layer);
  std::vector<Loop> nest = m.dramLoops;
  nest.insert(nest.end(), m.glbLoops.begin(), m.glbLoops.end());
  for (const SpatialLoop& l : m.spatialLoops) nest.push_back({l.dim, l.bound});
  nest.insert(nest.end(), m.rfLoops.begin(), m.rfLoops.end());
  DimExtents inside;
  inside.fill(1);
  for (auto it = nest.rbegin(); it != nest.rend(); ++it) {
    const std::size_t d = idx(it->dim);
    if (it->bound < 1 || (it->bound - 1) * inside[d] >= full[d]) {
      return "a loop over dim " + std::to_string(d) + " of bound " + std::to_string(it->bound) +
             " has an iteration always beyond the edge";
    }
    inside[d] *= it->bound;
  }
  DimExtents rf;
  rf.fill(1);
  for (const Loop& l : m.rfLoops) rf[idx(l.dim)] *= l.bound;
  for (std::size_t d = 0; d < full.size(); ++d) {
    if (inside[d] < full[d]) return "dim " + std::to_string(d) + " is not covered";
    if (full[d] % rf[d] != 0)
      return "the RF tile of dim " + std::to_string(d) + " does not divide it";
  }
  if (m.spatialExtent(Axis::Rows) > arch.rows || m.spatialExtent(Axis::Cols) > arch.cols) {
    return "the spatial loops do not fit the array";
  }
  return "";
}

/// Whether every loop bound of `m` divides what is left of its dim (a perfect tiling).
bool isPerfect(const Layer& layer, const Mapping& m) {
  DimExtents product;
  product.fill(1);
  auto add = [&](Dim d, std::int64_t b) { product[idx(d)] *= b; };
  for (const Loop& l : m.dramLoops) add(l.dim, l.bound);
  for (const Loop& l : m.glbLoops) add(l.dim, l.bound);
  for (const SpatialLoop& l : m.spatialLoops) add(l.dim, l.bound);
  for (const Loop& l : m.rfLoops) add(l.dim, l.bound);
  return product == sizesOf(layer);
}

ArchSpec eyerissChip() {
  return readArch(std::string(DFSIM_SOURCE_DIR) + "/configs/arch/eyeriss.json");
}

EnergyTable isca16Table() {
  return readEnergy(std::string(DFSIM_SOURCE_DIR) + "/configs/energy/isca16_normalized.json");
}

}  // namespace

TEST_CASE("splitFactors: the divisors, and under ragged the smallest factor of every count",
          "[mapper][tiling]") {
  for (std::int64_t n = 1; n <= 400; ++n) {
    for (std::int64_t limit : {std::int64_t{1}, std::int64_t{7}, std::int64_t{14}, n}) {
      INFO("n=" << n << " limit=" << limit);
      std::vector<std::int64_t> divisors;
      std::vector<std::int64_t> useful;
      for (std::int64_t f = 1; f <= std::min(n, limit); ++f) {
        if (n % f == 0) divisors.push_back(f);
        // f is useful when no smaller factor gives as few tiles: ceil(n / (f - 1)) > ceil(n / f).
        if (n % f == 0 || f == 1 || ceilDiv(n, f - 1) > ceilDiv(n, f)) useful.push_back(f);
      }
      CHECK(splitFactors(n, limit, Tiling::Perfect) == divisors);
      CHECK(splitFactors(n, limit, Tiling::Ragged) == useful);
    }
  }
  // 997 over 12 rows is 84 tiles, the last of 1; 55 over 14 columns is 4 tiles, the last of 13.
  const std::vector<std::int64_t> f997 = splitFactors(997, 12, Tiling::Ragged);
  CHECK(std::find(f997.begin(), f997.end(), 12) != f997.end());
  const std::vector<std::int64_t> f55 = splitFactors(55, 14, Tiling::Ragged);
  CHECK(std::find(f55.begin(), f55.end(), 14) != f55.end());
  CHECK(std::find(f55.begin(), f55.end(), 13) == f55.end());  // 5 tiles, as 11 gives
  CHECK(tilingName(Tiling::Ragged) == std::string("ragged"));
  Tiling t = Tiling::Ragged;
  CHECK(parseTiling("perfect", t));
  CHECK(t == Tiling::Perfect);
  CHECK_FALSE(parseTiling("square", t));
}

TEST_CASE(
    "tiling perfect: the mappers give the recorded mappings and scores of the mappers "
    "before ragged tiles",
    "[mapper][tiling]") {
  std::ifstream in(std::string(DFSIM_SOURCE_DIR) + "/tests/golden/perfect_tiling_mappings.txt");
  REQUIRE(in.good());
  std::vector<std::string> expected;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line[0] != '#') expected.push_back(line);
  }
  // Every layer of the file in a normal build, the first two under the sanitizers.
  const int layers = test::cases(static_cast<int>(goldenLayers().size()), 2);
  const std::vector<std::string> actual =
      digestLines(Tiling::Perfect, static_cast<std::size_t>(layers));
  REQUIRE(actual.size() <= expected.size());
  if (layers == static_cast<int>(goldenLayers().size())) REQUIRE(actual.size() == expected.size());
  for (std::size_t i = 0; i < actual.size(); ++i) CHECK(actual[i] == expected[i]);
}

TEST_CASE("print the perfect-tiling expectations (run by hand to regenerate the golden file)",
          "[.][regen]") {
  for (const std::string& line : digestLines(Tiling::Perfect)) std::cout << line << "\n";
}

TEST_CASE("tiling perfect never builds a ragged loop, tiling ragged does, on prime dims",
          "[mapper][tiling]") {
  const EnergyTable table;
  int ragged = 0;
  for (const Layer& layer : test::randomPrimeLayers(test::cases(12, 3), 0x9a99ed)) {
    for (const ArchSpec& arch : test::propertyArchs()) {
      for (Dataflow df : dataflows()) {
        INFO(test::shapeOf(layer) << ", " << dataflowName(df) << ", " << arch.name);
        const Mapping p = defaultMapping(layer, arch, df, Tiling::Perfect);
        CHECK(isPerfect(layer, p));
        const SearchResult s =
            searchMapping(layer, arch, df, table, {Objective::Edp, false, Tiling::Perfect});
        CHECK(isPerfect(layer, s.mapping));
        const Mapping r = defaultMapping(layer, arch, df, Tiling::Ragged);
        ragged += isPerfect(layer, r) ? 0 : 1;
      }
    }
  }
  CHECK(ragged > 0);
}

TEST_CASE(
    "tiling ragged: the mappers' mappings obey the ragged rules, validate, are "
    "deterministic and occupy no fewer PEs than the perfect default",
    "[mapper][tiling]") {
  const EnergyTable table;
  // 14 layers x 3 arrays x 6 dataflows: about 5 s in Release.
  std::vector<Layer> layers = test::randomPrimeLayers(test::cases(10, 2), 0x9a99ee);
  for (const Layer& l : test::randomLayers(test::cases(4, 1), 0x9a99ef)) layers.push_back(l);
  for (const Layer& layer : layers) {
    for (const ArchSpec& arch : test::propertyArchs()) {
      for (Dataflow df : dataflows()) {
        INFO(test::shapeOf(layer) << ", " << dataflowName(df) << ", " << arch.name);
        const Mapping d = defaultMapping(layer, arch, df, Tiling::Ragged);
        INFO("default:\n" << test::nest(d));
        CHECK(raggedViolation(layer, arch, d).empty());
        CHECK_NOTHROW(validateMapping(layer, arch, d, "ragged default"));
        CHECK(test::nest(defaultMapping(layer, arch, df, Tiling::Ragged)) == test::nest(d));
        CHECK(d.activePes() >= defaultMapping(layer, arch, df, Tiling::Perfect).activePes());
        const SearchResult s =
            searchMapping(layer, arch, df, table, {Objective::Edp, false, Tiling::Ragged});
        INFO("search:\n" << test::nest(s.mapping));
        CHECK(raggedViolation(layer, arch, s.mapping).empty());
        CHECK_NOTHROW(validateMapping(layer, arch, s.mapping, "ragged search"));
        if (arch.name == test::propertyArchs().front().name) {
          const SearchResult again =
              searchMapping(layer, arch, df, table, {Objective::Edp, false, Tiling::Ragged});
          CHECK(test::nest(again.mapping) == test::nest(s.mapping));
          CHECK(again.stats.tried == s.stats.tried);
        }
      }
    }
  }
}

TEST_CASE(
    "tiling ragged: a 997-in, 31-out FC layer occupies at least 150 of eyeriss's 168 PEs "
    "in its best dataflow, default mapper and search",
    "[mapper][tiling]") {
  const ArchSpec arch = eyerissChip();
  REQUIRE(arch.rows * arch.cols == 168);
  const EnergyTable table = isca16Table();
  const Layer layer = test::fc("fc997", 1, 997, 31);
  std::int64_t bestDefault = 0;
  std::int64_t bestSearch = 0;
  std::int64_t bestPerfect = 0;
  for (Dataflow df : dataflows()) {
    INFO(dataflowName(df));
    const Mapping d = defaultMapping(layer, arch, df, Tiling::Ragged);
    CHECK_NOTHROW(validateMapping(layer, arch, d, "fc997 default"));
    bestDefault = std::max(bestDefault, d.activePes());
    const Mapping s =
        searchMapping(layer, arch, df, table, {Objective::Edp, false, Tiling::Ragged}).mapping;
    CHECK_NOTHROW(validateMapping(layer, arch, s, "fc997 search"));
    bestSearch = std::max(bestSearch, s.activePes());
    bestPerfect =
        std::max(bestPerfect, defaultMapping(layer, arch, df, Tiling::Perfect).activePes());
  }
  CHECK(bestDefault >= 150);
  CHECK(bestSearch >= 150);
  CHECK(bestPerfect == 1);  // 997 and 31 are prime: no perfect split fits 12 x 14
}

TEST_CASE(
    "tiling ragged: RS on AlexNet at batch 4, searched for EDP, occupies at least 150 PEs "
    "in conv1 and 130 in conv2 on eyeriss",
    "[mapper][tiling]") {
  const ArchSpec arch = eyerissChip();
  const EnergyTable table = isca16Table();
  const Network net = readNetwork(std::string(DFSIM_SOURCE_DIR) + "/models/alexnet.json", {}, 4);
  for (const Layer& layer : net.layers) {
    if (layer.name != "conv1" && layer.name != "conv2") continue;
    INFO(layer.name);
    const SearchResult r =
        searchMapping(layer, arch, Dataflow::RS, table, {Objective::Edp, false, Tiling::Ragged});
    INFO(test::nest(r.mapping));
    CHECK_NOTHROW(validateMapping(layer, arch, r.mapping, "alexnet rs search"));
    CHECK(r.mapping.activePes() >= (layer.name == "conv1" ? 150 : 130));
  }
}
