// The mapper search (searchMapping): on pseudo-random small layers, for every dataflow and three
// arrays, it returns a legal mapping whose reported score is the analytic model's, the same
// mapping every time, never a worse one than the default mapper's, and the same optimum as the
// exhaustive enumeration of its space (ragged tilings included, on layers with prime dims). Its
// objectives are consistent with one another, and a searched mapping simulates to the analytic
// counts (functional, fast, and fast skipping ahead).

#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <vector>

#include "dataflow/default_mapper.hpp"
#include "dataflow/mapper_search.hpp"
#include "energy/energy_breakdown.hpp"
#include "mapping/analytic_model.hpp"
#include "mapping/validate_mapping.hpp"
#include "random_layers.hpp"
#include "sim/simulate_layer.hpp"
#include "test_support.hpp"

using namespace dfsim;

namespace {

constexpr std::uint64_t kSeed = 0x5ea4c4;

const std::vector<Dataflow>& dataflows() {
  static const std::vector<Dataflow> all = {Dataflow::WS,   Dataflow::OS_A, Dataflow::OS_B,
                                            Dataflow::OS_C, Dataflow::NLR,  Dataflow::RS};
  return all;
}

/// The objective's value of a mapping, from the analytic model alone (not from the search).
struct Score {
  double energy = 0.0;
  double cycles = 0.0;
  double of(Objective o) const {
    return o == Objective::Energy ? energy : (o == Objective::Cycles ? cycles : energy * cycles);
  }
};

Score score(const Layer& layer, const ArchSpec& arch, const Mapping& m, const EnergyTable& table) {
  const AccessCounts counts = analyticCounts(layer.shape(), arch, m);
  Score s;
  s.cycles = estimateCycles(layer, arch, m, counts);
  s.energy = computeEnergy(counts, Cycle(static_cast<std::uint64_t>(s.cycles)), table).total;
  return s;
}

bool close(double a, double b) {
  return std::fabs(a - b) <= 1e-9 * std::max(1.0, std::fabs(b));
}

}  // namespace

TEST_CASE(
    "search: legal, scored as the analytic model scores it, deterministic, no worse than "
    "the default mapping",
    "[mapper][search]") {
  const EnergyTable table;
  // 8 layers x 3 arrays x 6 dataflows x 3 objectives: a few seconds in Release, about a minute
  // under the sanitizers.
  for (const Layer& layer : test::randomLayers(test::cases(8, 2), kSeed)) {
    for (const ArchSpec& arch : test::propertyArchs()) {
      for (Dataflow df : dataflows()) {
        for (Objective obj : {Objective::Energy, Objective::Cycles, Objective::Edp}) {
          INFO(test::shapeOf(layer)
               << ", " << dataflowName(df) << ", " << arch.name << ", " << objectiveName(obj));
          SearchResult r;
          REQUIRE_NOTHROW(r = searchMapping(layer, arch, df, table, SearchOptions{obj, false}));
          INFO(test::nest(r.mapping));
          REQUIRE_NOTHROW(validateMapping(layer, arch, r.mapping, "search test"));
          CHECK(r.stats.tried > 0);
          const Score s = score(layer, arch, r.mapping, table);
          CHECK(close(r.energy, s.energy));
          CHECK(close(r.cycles, s.cycles));
          if (obj == Objective::Edp) {  // the same inputs give the same mapping
            const SearchResult again =
                searchMapping(layer, arch, df, table, SearchOptions{obj, false});
            CHECK(test::nest(again.mapping) == test::nest(r.mapping));
          }
          const Score d = score(layer, arch, defaultMapping(layer, arch, df), table);
          CHECK(s.of(obj) <= d.of(obj) * (1 + 1e-12));
        }
      }
    }
  }
}

TEST_CASE(
    "search: the pruned search finds the exhaustive optimum on tiny layers, and the objectives "
    "agree with one another",
    "[mapper][search]") {
  const EnergyTable table;
  const ArchSpec arch = test::propertyArchs().front();
  // Perfect tilings on 8 random layers; ragged ones on the first 4 of them and on 4 layers with
  // prime dims (which only ragged tilings split). About 10 s in Release: the ragged space of a
  // layer is several times its perfect one.
  std::vector<std::pair<Layer, Tiling>> cases;
  for (const Layer& l : test::randomLayers(test::cases(8, 2), kSeed + 1)) {
    cases.emplace_back(l, Tiling::Perfect);
    if (cases.size() <= 8) cases.emplace_back(l, Tiling::Ragged);
  }
  for (const Layer& l : test::randomPrimeLayers(test::cases(4, 1), kSeed + 2)) {
    cases.emplace_back(l, Tiling::Ragged);
  }
  for (const auto& [layer, tiling] : cases) {
    for (Dataflow df : dataflows()) {
      INFO(test::shapeOf(layer) << ", " << dataflowName(df) << ", " << tilingName(tiling));
      Score best[3];
      for (Objective obj : {Objective::Energy, Objective::Cycles, Objective::Edp}) {
        INFO(objectiveName(obj));
        const SearchResult pruned =
            searchMapping(layer, arch, df, table, SearchOptions{obj, false, tiling});
        const SearchResult full =
            searchMapping(layer, arch, df, table, SearchOptions{obj, true, tiling});
        CHECK(full.stats.tried >= pruned.stats.tried);
        const Score p = score(layer, arch, pruned.mapping, table);
        const Score f = score(layer, arch, full.mapping, table);
        CHECK(close(p.of(obj), f.of(obj)));
        best[static_cast<int>(obj)] = f;
      }
      // Each objective's optimum (exhaustive, one candidate set) is no worse on its own measure
      // than the other objectives' optima.
      for (const Score& other : best) {
        CHECK(best[0].energy <= other.energy * (1 + 1e-12));
        CHECK(best[1].cycles <= other.cycles * (1 + 1e-12));
        CHECK(best[2].of(Objective::Edp) <= other.of(Objective::Edp) * (1 + 1e-12));
      }
    }
  }
}

TEST_CASE("searched mappings simulate to the analytic counts, and skipping ahead changes nothing",
          "[mapper][search][sim]") {
  const EnergyTable table;
  // Layers large enough that searched mappings have long GLB loops to skip over.
  const std::vector<Layer> layers = {test::conv("conv", 2, 8, 16, 10, 3),
                                     test::conv("strided", 2, 6, 8, 13, 3, 2, 1),
                                     test::fc("fc", 8, 64, 32)};
  ArchSpec starved = test::arch(4, 4, 16, 2048, true);
  starved.name = "4x4, 1 byte/cycle DRAM";
  starved.dram.bytesPerCycle = 1;
  // Each array with EDP-searched mappings (they spread wider), the starved one also with
  // energy-searched ones (they leave PEs idle and wait on DRAM).
  std::vector<std::pair<ArchSpec, Objective>> cases;
  const std::vector<ArchSpec> archs = test::propertyArchs();
  for (int i = 0; i < test::cases(static_cast<int>(archs.size()), 1); ++i) {
    cases.emplace_back(archs[static_cast<std::size_t>(i)], Objective::Edp);
  }
  cases.emplace_back(starved, Objective::Edp);
  cases.emplace_back(starved, Objective::Energy);
  std::int64_t skipped = 0;
  for (const Layer& layer : layers) {
    for (const auto& [arch, obj] : cases) {
      for (Dataflow df : dataflows()) {
        INFO(test::shapeOf(layer) << ", " << dataflowName(df) << ", " << arch.name << ", "
                                  << objectiveName(obj));
        const Mapping m = searchMapping(layer, arch, df, table, SearchOptions{obj, false}).mapping;
        INFO(test::nest(m));
        SimOptions functional;
        functional.check = true;
        const SimResult r = simulateLayer(layer, arch, m, functional);
        CHECK(r.checked);
        CHECK(r.counts == analyticCounts(layer.shape(), arch, m));
        for (bool skip : {false, true}) {
          INFO("fast mode, skipping ahead: " << skip);
          SimOptions fast;
          fast.functional = false;
          fast.skipRepeats = skip;
          const SimResult f = simulateLayer(layer, arch, m, fast);
          CHECK(f.counts == r.counts);
          CHECK(test::describe(f.cycles) == test::describe(r.cycles));
          if (!skip) CHECK(f.stepsSkipped == 0);
          skipped += f.stepsSkipped;
        }
      }
    }
  }
  // The comparison above means something only if skipping happened.
  CHECK(skipped > 0);
}

TEST_CASE("search with halo reuse: the lower bound prunes candidates and never changes the winner",
          "[mapper][search][halo]") {
  const EnergyTable table;
  // Random layers (strides and windows of several sizes), each with one array, one halo setting
  // (both levels, the GLB alone, the RF alone, in turn) and one tiling, under every dataflow and
  // objective: the same mapping and score with and without the bound. About 14 s in Release;
  // one layer (both halo levels, ragged) under the sanitizers, WS and RS, energy.
  const std::vector<ArchSpec> archs = test::propertyArchs();
  std::int64_t pruned = 0;
  std::size_t k = 0;
  for (const Layer& layer : test::randomLayers(test::cases(4, 1), kSeed + 3)) {
    ArchSpec arch = archs[k % archs.size()];
    const std::size_t halo = 3 - k % 3;
    arch.glb.haloReuse = (halo & 1U) != 0;
    arch.rf.haloReuse = (halo & 2U) != 0;
    const Tiling tiling = k % 2 == 0 ? Tiling::Ragged : Tiling::Perfect;
    ++k;
    // Under the sanitizers: WS and RS, energy only (the code path is the same).
    const std::vector<Dataflow> some = {Dataflow::WS, Dataflow::RS};
    const std::vector<Objective> all = {Objective::Energy, Objective::Cycles, Objective::Edp};
    const std::vector<Objective> objectives(all.begin(), all.begin() + test::cases(3, 1));
    for (Dataflow df : test::cases(1, 0) == 1 ? dataflows() : some) {
      for (Objective obj : objectives) {
        INFO(test::shapeOf(layer) << ", " << dataflowName(df) << ", " << arch.name << ", halo "
                                  << halo << ", " << objectiveName(obj) << ", "
                                  << tilingName(tiling));
        SearchOptions bounded{obj, false, tiling};
        SearchOptions exact = bounded;
        exact.boundHalo = false;
        const SearchResult b = searchMapping(layer, arch, df, table, bounded);
        const SearchResult e = searchMapping(layer, arch, df, table, exact);
        CHECK(test::nest(b.mapping) == test::nest(e.mapping));
        CHECK(b.energy == e.energy);
        CHECK(b.cycles == e.cycles);
        CHECK(b.stats.tried == e.stats.tried);
        CHECK(e.stats.pruned == 0);
        pruned += b.stats.pruned;
      }
    }
  }
  // The comparison means something only if the bound cut candidates.
  CHECK(pruned > 0);
}
