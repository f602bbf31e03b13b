// defaultLoopNest: every dataflow's default loop nest on any hierarchy. On a 4-level arch it is
// the 4-level default mapping as a LoopNest, both through the shortcut and through the general
// path (the same hierarchy held in ArchSpec::general); on eyeriss_v2_like (and hierarchies with
// a level between DRAM and the fan-outs, or no level between) every nest validates, keeps most
// PEs busy where the layer allows, counts consistently and is deterministic.
#include <catch2/catch.hpp>
#include <cstdint>
#include <cstdio>
#include <sstream>
#include <string>
#include <vector>

#include "arch/hierarchy.hpp"
#include "common/errors.hpp"
#include "dataflow/dataflow.hpp"
#include "dataflow/default_mapper.hpp"
#include "dataflow/hierarchy_mapper.hpp"
#include "energy/energy_breakdown.hpp"
#include "io/readers.hpp"
#include "mapping/hierarchy_model.hpp"
#include "mapping/loop_nest.hpp"
#include "mapping/validate_loop_nest.hpp"
#include "random_layers.hpp"
#include "test_support.hpp"

using namespace dfsim;

namespace {

std::string sourcePath(const std::string& rel) {
  return std::string(DFSIM_SOURCE_DIR) + "/" + rel;
}

std::vector<Layer> alexnet() {
  std::vector<Layer> out;
  for (const Layer& l : readNetwork(sourcePath("models/alexnet.json")).layers) {
    if (l.onArray()) out.push_back(l);
  }
  return out;
}

std::int64_t activePes(const LoopNest& n) {
  std::int64_t pes = 1;
  for (const LevelLoops& l : n.levels) {
    for (const SpatialLoop& s : l.spatial) pes *= s.bound;
  }
  return pes;
}

/// `a` with its hierarchy held in `general` (so isFourLevel() is false and defaultLoopNest
/// takes the general path), every level's widths the arch's.
ArchSpec asGeneral(const ArchSpec& a) {
  ArchSpec g = a;
  g.general = a.hierarchy();
  return g;
}

/// Layers whose dimensions do not split evenly: primes and ragged planes.
std::vector<Layer> raggedLayers() {
  std::vector<Layer> out = test::randomPrimeLayers(8, 0x9a55);
  out.push_back(test::conv("prime_big", 1, 13, 97, 31, 3, 1, 1));
  out.push_back(test::conv("batch3", 3, 17, 41, 23, 5, 2, 2));
  out.push_back(test::fc("fc_prime", 5, 211, 101));
  return out;
}

/// A 6-entry arch in the general form: an on-chip level between DRAM and the first fan-out.
ArchSpec withL2() {
  return archFromJson(nlohmann::json::parse(R"({
    "name": "l2", "word_bits": 16, "clock_mhz": 200,
    "levels": [
      {"name": "dram", "kind": "dram", "bytes_per_cycle": 8},
      {"name": "l2", "kind": "storage", "size_kib": 1024, "double_buffered": true},
      {"name": "cluster_noc", "kind": "fanout", "rows": 2, "cols": 2},
      {"name": "glb", "kind": "storage",
       "partitions": [{"tensors": ["inputs", "outputs"], "size_kib": 16},
                      {"tensors": ["weights"], "size_kib": 4}],
       "double_buffered": true},
      {"name": "pe_noc", "kind": "fanout", "rows": 4, "cols": 4},
      {"name": "rf", "kind": "storage",
       "partitions": [{"tensors": ["weights"], "words": 64},
                      {"tensors": ["inputs"], "words": 12},
                      {"tensors": ["outputs"], "words": 16}]}
    ]
  })"),
                      "l2.json");
}

/// DRAM directly above the PEs' fan-out: the innermost part's parent is DRAM.
ArchSpec dramAbovePes() {
  return archFromJson(nlohmann::json::parse(R"({
    "name": "flat", "word_bits": 16, "clock_mhz": 200,
    "levels": [
      {"name": "dram", "kind": "dram", "bytes_per_cycle": 8},
      {"name": "pe_noc", "kind": "fanout", "rows": 4, "cols": 4},
      {"name": "rf", "kind": "storage", "words": 64}
    ]
  })"),
                      "flat.json");
}

/// Five storage levels with two fan-outs, a per-row buffer between them whose psums are 32 bits
/// wide (twice the arch's), a unicast PE network; the innermost level right below its
/// fan-out's parent.
ArchSpec fiveLevels() {
  return archFromJson(nlohmann::json::parse(R"({
    "name": "five", "word_bits": 16, "clock_mhz": 100,
    "levels": [
      {"name": "dram", "kind": "dram", "bytes_per_cycle": 4},
      {"name": "glb", "kind": "storage", "size_kib": 64, "double_buffered": true},
      {"name": "row_noc", "kind": "fanout", "rows": 4, "cols": 1},
      {"name": "row_buf", "kind": "storage",
       "partitions": [{"tensors": ["inputs", "weights"], "words": 512},
                      {"tensors": ["outputs"], "size_kib": 0.5}],
       "tensor_bits": {"outputs": 32}},
      {"name": "pe_noc", "kind": "fanout", "rows": 1, "cols": 8, "multicast": false},
      {"name": "rf", "kind": "storage", "words": 32}
    ]
  })"),
                      "five.json");
}

/// A fan-out over clusters and no fan-out inside them: the innermost part is glb -> rf.
ArchSpec noInnerFanOut() {
  return archFromJson(nlohmann::json::parse(R"({
    "name": "clusters", "word_bits": 16, "clock_mhz": 200,
    "levels": [
      {"name": "dram", "kind": "dram", "bytes_per_cycle": 8},
      {"name": "cluster_noc", "kind": "fanout", "rows": 4, "cols": 2},
      {"name": "glb", "kind": "storage", "size_kib": 8},
      {"name": "rf", "kind": "storage", "words": 64}
    ]
  })"),
                      "clusters.json");
}

/// Checks a nest of `l` on `a`: it validates, the counts are consistent, it is deterministic.
void checkNest(const Layer& l, const ArchSpec& a, Dataflow d, Tiling t, const LoopNest& n) {
  const ProblemShape s = l.shape();
  const Hierarchy h = a.hierarchy();
  INFO(l.name << " " << dataflowName(d) << " " << tilingName(t) << "\n" << test::renderNest(s, n));
  REQUIRE_NOTHROW(validateLoopNest(s, a, h, n, "nest"));
  CHECK(test::renderNest(s, defaultLoopNest(l, a, d, t)) == test::renderNest(s, n));
  const AccessCounts c = analyticCounts(s, h, n);
  CHECK(c.macs == s.macs());
  const std::size_t innermost = h.size() - 1;
  for (Tensor x : kAllTensors) {
    INFO(tensorName(x));
    const ReadWrite& rw = c(innermost, x);
    // Every MAC reads or updates one word of each tensor at the innermost level or its latch:
    // at least every word of the tensor passes it.
    if (n.levels.back().keeps[x]) CHECK(rw.reads + rw.writes >= s.tensorWords(x));
  }
  CHECK(c(0, Tensor::Weights).reads >= s.tensorWords(Tensor::Weights));
  CHECK(c(0, Tensor::Outputs).writes >= s.tensorWords(Tensor::Outputs));
  if (t == Tiling::Perfect) {
    DimExtents prod;
    prod.fill(1);
    for (const LevelLoops& lv : n.levels) {
      for (const Loop& x : lv.temporal) prod[idx(x.dim)] *= x.bound;
      for (const SpatialLoop& x : lv.spatial) prod[idx(x.dim)] *= x.bound;
    }
    for (std::size_t i = 0; i < s.numDims(); ++i) {
      CHECK(prod[i] == s.size(ProblemShape::dimAt(i)));
    }
  }
}

}  // namespace

TEST_CASE("defaultLoopNest on a 4-level arch is the default mapping as a loop nest",
          "[hierarchy][mapper]") {
  for (const char* file : {"configs/arch/eyeriss.json", "configs/arch/tiny_4x4.json"}) {
    const ArchSpec a = readArch(sourcePath(file));
    REQUIRE(a.isFourLevel());
    const ArchSpec g = asGeneral(a);
    REQUIRE_FALSE(g.isFourLevel());
    for (const Layer& l : alexnet()) {
      for (const DataflowInfo& info : dataflowRegistry()) {
        for (Tiling t : {Tiling::Ragged, Tiling::Perfect}) {
          INFO(file << " " << l.name << " " << info.name << " " << tilingName(t));
          const ProblemShape s = l.shape();
          const std::string want =
              test::renderNest(s, toLoopNest(defaultMapping(l, a, info.id, t)));
          CHECK(test::renderNest(s, defaultLoopNest(l, a, info.id, t)) == want);
          // The general path (outer fan-outs: none) gives the same nest.
          CHECK(test::renderNest(s, defaultLoopNest(l, g, info.id, t)) == want);
        }
      }
    }
  }
}

TEST_CASE("defaultLoopNest on eyeriss_v2_like: legal, busy, consistent, deterministic",
          "[hierarchy][mapper]") {
  const ArchSpec a = readArch(sourcePath("configs/arch/eyeriss_v2_like.json"));
  REQUIRE_FALSE(a.isFourLevel());
  for (const Layer& l : alexnet()) {
    for (const DataflowInfo& info : dataflowRegistry()) {
      for (Tiling t : {Tiling::Ragged, Tiling::Perfect}) {
        const LoopNest n = defaultLoopNest(l, a, info.id, t);
        checkNest(l, a, info.id, t, n);
        // More than half of the 192 PEs wherever the layer allows: OS_A and OS_B spread output
        // pixels over a cluster's PEs (OS_A only them; OS_B M over one axis of 3 or 4), and
        // an FC layer has one pixel; they still use every cluster.
        if (t == Tiling::Ragged) {
          INFO(l.name << " " << info.name);
          const bool onePixel =
              l.type == LayerType::Fc && (info.id == Dataflow::OS_A || info.id == Dataflow::OS_B);
          CHECK(activePes(n) > (onePixel ? 15 : 96));
        }
      }
    }
  }
  for (const Layer& l : raggedLayers()) {
    for (const DataflowInfo& info : dataflowRegistry()) {
      for (Tiling t : {Tiling::Ragged, Tiling::Perfect}) {
        checkNest(l, a, info.id, t, defaultLoopNest(l, a, info.id, t));
      }
    }
  }
}

TEST_CASE("defaultLoopNest uses the outer fan-out: more PEs than the innermost part alone",
          "[hierarchy][mapper]") {
  const ArchSpec a = readArch(sourcePath("configs/arch/eyeriss_v2_like.json"));
  const Layer conv3 = test::conv("conv3", 1, 256, 384, 13, 3, 1, 1);
  for (const DataflowInfo& info : dataflowRegistry()) {
    INFO(info.name);
    const LoopNest n = defaultLoopNest(conv3, a, info.id);
    CHECK(n.levels[0].spatial.size() >= 1);
    CHECK(activePes(n) > 12);
  }
}

TEST_CASE("defaultLoopNest on other hierarchies: a level above the fan-outs, DRAM above the PEs",
          "[hierarchy][mapper]") {
  const ArchSpec l2 = withL2();
  const ArchSpec flat = dramAbovePes();
  const ArchSpec five = fiveLevels();
  const ArchSpec clusters = noInnerFanOut();
  REQUIRE_FALSE(l2.isFourLevel());
  REQUIRE_FALSE(flat.isFourLevel());
  std::vector<Layer> layers = alexnet();
  for (const Layer& l : raggedLayers()) layers.push_back(l);
  for (const Layer& l : layers) {
    for (const DataflowInfo& info : dataflowRegistry()) {
      for (Tiling t : {Tiling::Ragged, Tiling::Perfect}) {
        checkNest(l, l2, info.id, t, defaultLoopNest(l, l2, info.id, t));
        checkNest(l, flat, info.id, t, defaultLoopNest(l, flat, info.id, t));
        checkNest(l, five, info.id, t, defaultLoopNest(l, five, info.id, t));
        checkNest(l, clusters, info.id, t, defaultLoopNest(l, clusters, info.id, t));
      }
    }
  }
  // The level above the fan-outs holds loops when it can (CONV3 needs 752 KiB at l2 for its
  // innermost DRAM loop, over C).
  const Layer conv3 = test::conv("conv3", 1, 256, 384, 13, 3, 1, 1);
  CHECK_FALSE(defaultLoopNest(conv3, l2, Dataflow::RS).levels[1].temporal.empty());
}

TEST_CASE("defaultLoopNest names the layer when no nest exists", "[hierarchy][mapper]") {
  ArchSpec a = readArch(sourcePath("configs/arch/eyeriss_v2_like.json"));
  // A GLB cluster too small for one word of each tensor.
  for (StoragePartition& p : a.general.entries[2].storage.partitions) p.capacityWords = 0;
  const Layer l = test::conv("tiny", 1, 4, 4, 6, 3);
  try {
    defaultLoopNest(l, a, Dataflow::RS);
    FAIL("no error");
  } catch (const InputError& e) {
    CHECK(std::string(e.what()).find("layer tiny") != std::string::npos);
  }
}

TEST_CASE("report: AlexNet on eyeriss_v2_like, active PEs and energy per dataflow", "[.report]") {
  const ArchSpec a = readArch(sourcePath("configs/arch/eyeriss_v2_like.json"));
  const Hierarchy h = a.hierarchy();
  std::vector<std::string> names;
  for (const HierarchyEntry& e : h.entries) names.push_back(e.name());
  const std::string file = sourcePath("configs/energy/eyeriss_v2_like_isca16.json");
  const EnergyTable table = resolvedFor(readEnergy(file), names, false, file);
  std::printf("%-6s %-6s %5s %14s %9s  nest\n", "layer", "df", "PEs", "energy", "E/MAC");
  for (const DataflowInfo& info : dataflowRegistry()) {
    double total = 0.0, macs = 0.0;
    for (const Layer& l : alexnet()) {
      const ProblemShape s = l.shape();
      const LoopNest n = defaultLoopNest(l, a, info.id);
      const AccessCounts c = analyticCounts(s, h, n);
      const EnergyBreakdown e = computeEnergy(c, Cycle{0}, table);
      total += e.total;
      macs += static_cast<double>(c.macs);
      std::string line = test::renderNest(s, n);
      for (char& ch : line) ch = ch == '\n' ? ';' : ch;
      std::printf("%-6s %-6s %5lld %14.4g %9.3f  %s\n", l.name.c_str(), info.name,
                  static_cast<long long>(activePes(n)), e.total,
                  e.total / static_cast<double>(c.macs), line.c_str());
    }
    std::printf("%-6s %-6s %5s %14.4g %9.3f\n", "TOTAL", info.name, "", total, total / macs);
  }
}

TEST_CASE("eyeriss_v2_like_isca16 prices every entry of eyeriss_v2_like by its role",
          "[hierarchy][energy]") {
  const ArchSpec a = readArch(sourcePath("configs/arch/eyeriss_v2_like.json"));
  std::vector<std::string> names;
  for (const HierarchyEntry& e : a.hierarchy().entries) names.push_back(e.name());
  const std::string file = sourcePath("configs/energy/eyeriss_v2_like_isca16.json");
  const EnergyTable t = resolvedFor(readEnergy(file), names, false, file);
  const double want[] = {200, 2, 6, 2, 1};  // dram, cluster_noc, cluster_glb, pe_noc, spad
  for (std::size_t e = 0; e < names.size(); ++e) {
    for (Tensor x : kAllTensors) {
      INFO(names[e] << " " << tensorName(x));
      CHECK(t.cost(e, x).read == want[e]);
      CHECK(t.cost(e, x).write == want[e]);
    }
  }
  CHECK(t.macPerOp == 1);
}
