// searchLoopNest: the mapper search on any hierarchy. On a 4-level arch it is searchMapping's
// result as a loop nest; on eyeriss_v2_like and on random hierarchies every searched nest
// validates, scores no worse than the default nest (both scored by scoreLoopNest), and is
// deterministic; on a tiny layer no nest of the enumerated space beats it; `dfsim run
// --search --check` runs on eyeriss_v2_like.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdint>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "arch/hierarchy.hpp"
#include "common/errors.hpp"
#include "dataflow/dataflow.hpp"
#include "dataflow/default_mapper.hpp"
#include "dataflow/hierarchy_mapper.hpp"
#include "dataflow/hierarchy_parts.hpp"
#include "dataflow/hierarchy_search.hpp"
#include "dataflow/mapper_search.hpp"
#include "dataflow/nest_score.hpp"
#include "io/readers.hpp"
#include "mapping/loop_nest.hpp"
#include "mapping/validate_loop_nest.hpp"
#include "random_hierarchy.hpp"
#include "run_dfsim.hpp"
#include "temp_dir.hpp"
#include "test_support.hpp"

using namespace dfsim;

namespace {

std::string sourcePath(const std::string& rel) {
  return std::string(DFSIM_SOURCE_DIR) + "/" + rel;
}

/// The arch's table resolved for its entries.
EnergyTable tableFor(const ArchSpec& a, const std::string& rel) {
  std::vector<std::string> names;
  for (const HierarchyEntry& e : a.hierarchy().entries) names.push_back(e.name());
  const std::string file = sourcePath(rel);
  return resolvedFor(readEnergy(file), names, a.isFourLevel(), file);
}

/// A table for any hierarchy by position: storage levels cost 200, 6, 2, 1, ... per word
/// outermost first (divided by 3 below the fourth), fan-outs 2; psum writes a bit dearer.
EnergyTable positionalTable(const Hierarchy& h) {
  EnergyTable t;
  t.perWord = {};
  double storageCost = 200.0;
  for (std::size_t e = 0; e < h.size(); ++e) {
    for (Tensor x : kAllTensors) {
      const double c = h.isStorage(e) ? storageCost : 2.0;
      t.perWord[e][x] = {c, x == Tensor::Outputs ? 1.25 * c : c};
    }
    if (h.isStorage(e)) storageCost = storageCost == 200.0 ? 6.0 : storageCost / 3.0;
  }
  return t;
}

double objectiveOf(const NestScore& s, Objective o) {
  if (o == Objective::Cycles) return s.cycles.cycles;
  if (o == Objective::Edp) return s.energy.total * s.cycles.cycles;
  return s.energy.total;
}

/// Small conv and fc layers, some with ragged (prime) sizes.
std::vector<Layer> smallLayers() {
  return {test::conv("c1", 1, 3, 8, 9, 3, 2, 1), test::conv("c2", 2, 5, 7, 7, 3),
          test::conv("c3", 1, 16, 24, 6, 3, 1, 1), test::conv("g2", 1, 8, 8, 6, 3, 1, 1, 2),
          test::fc("f1", 2, 37, 13)};
}

/// Checks that `got` (a search of `l` on `a`) validates, that its scores are scoreLoopNest's,
/// that it does not lose to the default nest (when there is one), and (when `again`) that a
/// second search gives the same nest.
void checkSearch(const Layer& l, const ArchSpec& a, Dataflow d, const EnergyTable& table,
                 const SearchOptions& o, const NestSearchResult& got, bool again = true) {
  const ProblemShape s = l.shape();
  const Hierarchy h = a.hierarchy();
  INFO(l.name << " " << dataflowName(d) << " " << objectiveName(o.objective) << "\n"
              << test::renderNest(s, got.nest));
  REQUIRE_NOTHROW(validateLoopNest(s, a, h, got.nest, "searched"));
  const NestScore mine = scoreLoopNest(s, a, h, got.nest, table);
  CHECK(mine.energy.total == got.energy);
  CHECK(mine.cycles.cycles == got.cycles);
  CHECK(got.stats.tried >= 1);
  bool haveDefault = true;
  LoopNest def;
  try {
    def = defaultLoopNest(l, a, d, o.tiling);
  } catch (const InputError&) {
    haveDefault = false;
  }
  if (haveDefault) {
    const NestScore base = scoreLoopNest(s, a, h, def, table);
    CHECK(objectiveOf(mine, o.objective) <= objectiveOf(base, o.objective));
  }
  if (!again) return;
  const NestSearchResult second = searchLoopNest(l, a, d, table, o);
  CHECK(test::renderNest(s, second.nest) == test::renderNest(s, got.nest));
  CHECK(second.energy == got.energy);
  CHECK(second.stats.tried == got.stats.tried);
  CHECK(second.subSearchTried == got.subSearchTried);
}

}  // namespace

TEST_CASE("searchLoopNest on a 4-level arch is searchMapping", "[hierarchy][search]") {
  for (const char* file : {"configs/arch/eyeriss.json", "configs/arch/tiny_4x4.json"}) {
    const ArchSpec a = readArch(sourcePath(file));
    REQUIRE(a.isFourLevel());
    const EnergyTable table = readEnergy(sourcePath("configs/energy/isca16_normalized.json"));
    int k = 0;
    std::vector<Layer> layers = smallLayers();
    // Two of them under the sanitizers (eyeriss.json has halo reuse: each search is costly).
    layers.resize(static_cast<std::size_t>(test::cases(static_cast<int>(layers.size()), 2)));
    for (const Layer& l : layers) {
      for (const DataflowInfo& info : dataflowRegistry()) {
        // The objectives in turn (each search is costly; the code path is the same).
        const Objective o = ++k % 2 == 0 ? Objective::Energy : Objective::Edp;
        {
          INFO(file << " " << l.name << " " << info.name << " " << objectiveName(o));
          const SearchOptions opt{o, false, Tiling::Ragged};
          const SearchResult want = searchMapping(l, a, info.id, table, opt);
          const NestSearchResult got = searchLoopNest(l, a, info.id, table, opt);
          CHECK(test::renderNest(l.shape(), got.nest) ==
                test::renderNest(l.shape(), toLoopNest(want.mapping)));
          CHECK(got.energy == want.energy);
          CHECK(got.cycles == want.cycles);
          CHECK(got.stats.tried == want.stats.tried);
        }
      }
    }
  }
}

TEST_CASE("searchLoopNest on eyeriss_v2_like: legal, no worse than the default, deterministic",
          "[hierarchy][search]") {
  const ArchSpec a = readArch(sourcePath("configs/arch/eyeriss_v2_like.json"));
  REQUIRE_FALSE(a.isFourLevel());
  const EnergyTable table = tableFor(a, "configs/energy/eyeriss_v2_like_isca16.json");
  std::vector<Layer> layers = smallLayers();
  layers.push_back(test::conv("conv3ish", 1, 32, 48, 13, 3, 1, 1));
  int better = 0;
  int k = 0;
  for (const Layer& l : layers) {
    for (const DataflowInfo& info : dataflowRegistry()) {
      const Objective o = ++k % 2 == 0 ? Objective::Energy : Objective::Edp;
      {
        const SearchOptions opt{o, false, Tiling::Ragged};
        const NestSearchResult got = searchLoopNest(l, a, info.id, table, opt);
        checkSearch(l, a, info.id, table, opt, got, k % 3 == 0);
        const NestScore base =
            scoreLoopNest(l.shape(), a, a.hierarchy(), defaultLoopNest(l, a, info.id), table);
        const NestScore mine = scoreLoopNest(l.shape(), a, a.hierarchy(), got.nest, table);
        better += objectiveOf(mine, o) < objectiveOf(base, o) ? 1 : 0;
      }
    }
  }
  // The search finds something better than the default on most of these (not a tautology:
  // it would be 0 if the search returned the default nest).
  CHECK(better > static_cast<int>(layers.size()) * 3);
}

TEST_CASE("searchLoopNest on random hierarchies: legal, no worse than the default, deterministic",
          "[hierarchy][search]") {
  std::mt19937_64 rng(0x5ea4c4);
  const int trials = test::cases(24, 6);
  int searched = 0;
  for (int trial = 0; trial < trials; ++trial) {
    const Layer l = test::smallPrimeLayer(trial, rng);
    const Hierarchy h = test::randomHierarchy(rng);
    ArchSpec a = test::arch(1, 1, 1 << 20, 1 << 24, false);
    setHierarchy(a, h);
    const EnergyTable table = positionalTable(a.hierarchy());
    for (const DataflowInfo& info : dataflowRegistry()) {
      const Objective o = trial % 2 == 0 ? Objective::Energy : Objective::Edp;
      const SearchOptions opt{o, false, Tiling::Ragged};
      NestSearchResult got;
      try {
        got = searchLoopNest(l, a, info.id, table, opt);
      } catch (const InputError& e) {
        // Nothing legal: then the default mapper finds nothing either.
        INFO(e.what());
        CHECK_THROWS_AS(defaultLoopNest(l, a, info.id), InputError);
        continue;
      }
      checkSearch(l, a, info.id, table, opt, got);
      ++searched;
    }
  }
  CHECK(searched > trials * 3);
}

TEST_CASE("searchLoopNest on a tiny layer: nothing in the enumerated space beats it",
          "[hierarchy][search]") {
  const ArchSpec a = readArch(sourcePath("configs/arch/eyeriss_v2_like.json"));
  const Hierarchy h = a.hierarchy();
  const EnergyTable table = tableFor(a, "configs/energy/eyeriss_v2_like_isca16.json");
  const Layer l = test::conv("tiny", 1, 3, 6, 6, 3);
  const ProblemShape s = l.shape();
  const HierarchyParts p = partsOf(h);
  const ArchSpec inner = innerArch(a, h, p);
  for (const DataflowInfo& info : dataflowRegistry()) {
    INFO(info.name);
    SearchOptions opt{Objective::Energy, true, Tiling::Ragged};
    const NestSearchResult got = searchLoopNest(l, a, info.id, table, opt);
    const NestScore mine = scoreLoopNest(s, a, h, got.nest, table);
    // Every outer choice (no cap), each with the sub-layer's default mappings, every loop
    // order of DRAM that the rules' three orders and the composed one give.
    // Those using at least half the most instances (the search's space).
    const std::vector<OuterChoice> all =
        outerChoices(h, p, outerSpatialDims(info.id, s), dimSizes(s), Tiling::Ragged);
    auto instances = [](const OuterChoice& c) {
      std::int64_t n = 1;
      for (const auto& loops : c) {
        for (const SpatialLoop& x : loops) n *= x.bound;
      }
      return n;
    };
    std::int64_t most = 1;
    for (const OuterChoice& c : all) most = std::max(most, instances(c));
    int compared = 0;
    for (const OuterChoice& c : all) {
      if (2 * instances(c) < most) continue;
      const Layer sub = subLayer(l, s, splitOf(c));
      for (Tiling t : {Tiling::Ragged, Tiling::Perfect}) {
        Mapping m;
        try {
          m = defaultMapping(sub, inner, info.id, t);
        } catch (const InputError&) {
          continue;
        }
        const LoopNest n = composeNest(m, c, h, p, s, p.dramLevel(), 0);
        if (!innerExtentDivides(n, s)) continue;
        try {
          validateLoopNest(s, a, h, n, "candidate");
        } catch (const InputError&) {
          continue;
        }
        const NestScore other = scoreLoopNest(s, a, h, n, table);
        INFO(test::renderNest(s, n));
        CHECK(mine.energy.total <= other.energy.total);
        ++compared;
      }
    }
    CHECK(compared > 0);
    // The capped search is never better than the uncapped one.
    opt.exhaustive = false;
    CHECK(got.energy <= searchLoopNest(l, a, info.id, table, opt).energy);
  }
}

TEST_CASE("searchLoopNest names the layer when no nest exists", "[hierarchy][search]") {
  ArchSpec a = readArch(sourcePath("configs/arch/eyeriss_v2_like.json"));
  const EnergyTable table = tableFor(a, "configs/energy/eyeriss_v2_like_isca16.json");
  for (StoragePartition& p : a.general.entries[2].storage.partitions) p.capacityWords = 0;
  const Layer l = test::conv("tiny", 1, 4, 4, 6, 3);
  try {
    searchLoopNest(l, a, Dataflow::RS, table, SearchOptions{});
    FAIL("no error");
  } catch (const InputError& e) {
    CHECK(std::string(e.what()).find("layer tiny") != std::string::npos);
  }
}

TEST_CASE("dfsim run --search --check runs on eyeriss_v2_like", "[hierarchy][search][cli]") {
  const test::TempDir tmp("search-v2");
  const std::string out = (tmp.path() / "r").string();
  const test::Outcome o = test::runDfsim(
      "run --arch configs/arch/eyeriss_v2_like.json --network models/tiny_net.json "
      "--energy configs/energy/eyeriss_v2_like_isca16.json --dataflow rs,ws --search "
      "--objective edp --check --out '" +
          out + "'",
      tmp.path());
  INFO(o.err);
  REQUIRE(o.code == 0);
  CHECK_THAT(o.err, Catch::Contains("candidates"));
  std::ifstream in(tmp.path() / "r" / "stats.json");
  const nlohmann::json stats = nlohmann::json::parse(in);
  int rows = 0;
  for (const nlohmann::json& row : stats["layers"]) {
    if (row["dataflow"] == "-") continue;
    CHECK(row["check"] == "passed");
    CHECK(row["mapper"]["kind"] == "search:edp");
    CHECK(row["mapper"]["tried"].get<std::int64_t>() >= 1);
    CHECK(row["mapper"]["scored"] == row["mapper"]["tried"]);
    ++rows;
  }
  CHECK(rows == 6);  // conv1, conv2, fc under rs and ws
}

TEST_CASE("report: searchLoopNest against defaultLoopNest on AlexNet on eyeriss_v2_like",
          "[.report]") {
  const ArchSpec a = readArch(sourcePath("configs/arch/eyeriss_v2_like.json"));
  const Hierarchy h = a.hierarchy();
  const EnergyTable table = tableFor(a, "configs/energy/eyeriss_v2_like_isca16.json");
  std::vector<Layer> layers;
  for (const Layer& l : readNetwork(sourcePath("models/alexnet.json")).layers) {
    if (l.onArray()) layers.push_back(l);
  }
  std::printf("%-6s %-6s %10s %8s %9s %12s %12s %12s %12s\n", "df", "obj", "wall_s", "scored",
              "sub", "E_default", "E_search", "EDP_default", "EDP_search");
  for (const DataflowInfo& info : dataflowRegistry()) {
    for (Objective o : {Objective::Energy, Objective::Edp}) {
      double e0 = 0, e1 = 0, d0 = 0, d1 = 0, wall = 0;
      std::int64_t scored = 0, sub = 0;
      for (const Layer& l : layers) {
        const NestScore base =
            scoreLoopNest(l.shape(), a, h, defaultLoopNest(l, a, info.id), table);
        const auto start = std::chrono::steady_clock::now();
        const NestSearchResult r =
            searchLoopNest(l, a, info.id, table, SearchOptions{o, false, Tiling::Ragged});
        wall += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        scored += r.stats.tried;
        sub += r.subSearchTried;
        e0 += base.energy.total;
        e1 += r.energy;
        d0 += base.energy.total * base.cycles.cycles;
        d1 += r.energy * r.cycles;
      }
      std::printf("%-6s %-6s %10.2f %8lld %9lld %12.4g %12.4g %12.4g %12.4g\n", info.name,
                  objectiveName(o), wall, static_cast<long long>(scored),
                  static_cast<long long>(sub), e0, e1, d0, d1);
      std::fflush(stdout);
    }
  }
}
