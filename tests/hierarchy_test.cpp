// The architecture as a list of levels: Hierarchy accessors, the general arch form (reader,
// messages, dump round trips), the 4-level view, and `dfsim run` refusing other hierarchies.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "arch/arch_equality.hpp"
#include "arch/arch_spec.hpp"
#include "arch/hierarchy.hpp"
#include "common/errors.hpp"
#include "io/readers.hpp"
#include "run_dfsim.hpp"
#include "temp_dir.hpp"
#include "test_support.hpp"

namespace {

using dfsim::ArchSpec;
using dfsim::Hierarchy;
using dfsim::HierarchyEntry;
using nlohmann::json;

std::string sourcePath(const std::string& rel) {
  return std::string(DFSIM_SOURCE_DIR) + "/" + rel;
}

/// A 5-level arch in the general form: two fan-outs, a per-row buffer between them.
json fiveLevels() {
  return json::parse(R"({
    "name": "five", "word_bits": 16, "clock_mhz": 100,
    "levels": [
      {"name": "dram", "kind": "dram", "bytes_per_cycle": 4, "latency_cycles": 10},
      {"name": "glb", "kind": "storage", "size_kib": 64, "read_words_per_cycle": 8,
       "double_buffered": true},
      {"name": "row_noc", "kind": "fanout", "rows": 4, "cols": 1, "words_per_cycle": 4},
      {"name": "row_buf", "kind": "storage",
       "partitions": [{"tensors": ["inputs"], "words": 256},
                      {"tensors": ["outputs"], "size_kib": 0.5}],
       "tensor_bits": {"outputs": 32}},
      {"name": "pe_noc", "kind": "fanout", "rows": 1, "cols": 8, "multicast": false,
       "hop_latency_cycles": 2},
      {"name": "rf", "kind": "storage", "words": 32}
    ]
  })");
}

/// The message archFromJson gives for `doc` (file "FILE").
std::string archError(const json& doc) {
  try {
    dfsim::archFromJson(doc, "FILE");
  } catch (const dfsim::InputError& e) {
    return e.what();
  }
  return "(no error)";
}

std::vector<std::string> shippedArches() {
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::recursive_directory_iterator(sourcePath("configs/arch"))) {
    if (e.is_regular_file() && e.path().extension() == ".json") out.push_back(e.path().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

TEST_CASE("Hierarchy accessors on the Eyeriss v2-like preset", "[arch][hierarchy]") {
  const ArchSpec a = dfsim::readArch(sourcePath("configs/arch/eyeriss_v2_like.json"));
  REQUIRE_FALSE(a.isFourLevel());
  const Hierarchy h = a.hierarchy();
  REQUIRE(h.size() == 5);
  CHECK_FALSE(h.isFourLevel());
  const std::vector<std::pair<std::string, std::int64_t>> expected = {
      {"dram", 1}, {"cluster_noc", 16}, {"cluster_glb", 16}, {"pe_noc", 192}, {"spad", 192}};
  for (std::size_t i = 0; i < expected.size(); ++i) {
    INFO(expected[i].first);
    CHECK(h.entries[i].name() == expected[i].first);
    CHECK(h.find(expected[i].first) == i);
    CHECK(h.instances(i) == expected[i].second);
  }
  CHECK(h.find("glb") == h.size());
  CHECK(h.storageEntries() == std::vector<std::size_t>{0, 2, 4});
  CHECK(h.fanOutBelow(0) == 1);
  CHECK(h.fanOutBelow(1) == h.size());  // a fan-out has none
  CHECK(h.fanOutBelow(2) == 3);
  CHECK(h.fanOutBelow(4) == h.size());
  CHECK(h.entries[2].storage.partitions.size() == 3);
  CHECK(h.entries[2].storage.doubleBuffered);
  CHECK(h.entries[4].storage.partitions.size() == 3);
  CHECK(h.entries[4].storage.tensorBits[dfsim::Tensor::Outputs] == 16);
  // Halo reuse: the default of every on-chip storage level; DRAM has no such key.
  CHECK_FALSE(h.entries[0].storage.haloReuse);
  CHECK(h.entries[2].storage.haloReuse);
  CHECK(h.entries[4].storage.haloReuse);
  CHECK(dfsim::checkHierarchy(h).ok());
}

TEST_CASE("the legacy arch is the 4-level instance of the hierarchy", "[arch][hierarchy]") {
  const ArchSpec a = dfsim::readArch(sourcePath("configs/arch/eyeriss.json"));
  CHECK(a.isFourLevel());
  const Hierarchy h = a.hierarchy();
  REQUIRE(h.isFourLevel());
  CHECK(h.entries[0].name() == "dram");
  CHECK(h.entries[0].storage.offChip);
  CHECK(h.entries[0].storage.bytesPerCycle == 8);
  CHECK(h.entries[0].storage.latencyCycles == 100);
  CHECK(h.entries[1].storage.partitions.size() == 2);
  CHECK(h.entries[1].storage.readWordsPerCycle == 16);
  CHECK(h.entries[1].storage.latencyCycles == 2);
  CHECK(h.entries[2].fanOut.rows == 12);
  CHECK(h.entries[2].fanOut.cols == 14);
  CHECK(h.entries[2].fanOut.hopLatencyCycles == 1);
  CHECK(h.entries[3].storage.partitions.size() == 3);
  CHECK(h.instances(3) == 168);
  CHECK(h.instances(1) == 1);
  CHECK(h.fanOutBelow(1) == 2);

  // C++-built arches (the tests' and mappers' way) are 4-level too, widths made explicit.
  const ArchSpec t = dfsim::test::eyerissLike();
  CHECK(t.isFourLevel());
  CHECK(t.hierarchy().entries[3].storage.tensorBits[dfsim::Tensor::Weights] == t.wordBits);
}

TEST_CASE("eyeriss.json and eyeriss_levels.json give the same ArchSpec", "[arch][hierarchy]") {
  const ArchSpec legacy = dfsim::readArch(sourcePath("configs/arch/eyeriss.json"));
  const ArchSpec general = dfsim::readArch(sourcePath("configs/arch/eyeriss_levels.json"));
  CHECK(general.isFourLevel());
  CHECK(general == legacy);
  CHECK(general.hierarchy() == legacy.hierarchy());
  CHECK(dfsim::archToJson(general) == dfsim::archToJson(legacy));
}

TEST_CASE("a general 4-level file fills the legacy fields and its level names", "[arch]") {
  json doc = fiveLevels();
  json& lv = doc["levels"];
  lv.erase(4);  // pe_noc
  lv.erase(3);  // row_buf: dram, glb, row_noc, rf
  lv[2]["name"] = "array";
  lv[3]["name"] = "spad";
  const ArchSpec a = dfsim::archFromJson(doc, "f.json");
  REQUIRE(a.isFourLevel());
  CHECK(a.levelNames == std::array<std::string, dfsim::kNumLevels>{"dram", "glb", "array", "spad"});
  CHECK(a.rows == 4);
  CHECK(a.cols == 1);
  CHECK(a.noc.wordsPerCycle == 4);
  CHECK(a.glb.readWordsPerCycle == 8);
  CHECK(a.glb.writeWordsPerCycle == dfsim::kUnlimited);
  CHECK(a.glb.doubleBuffered);
  CHECK(a.capacityWords(dfsim::Level::Glb, dfsim::Tensor::Inputs) == 32768);
  CHECK(a.capacityWords(dfsim::Level::Rf, dfsim::Tensor::Outputs) == 32);
  CHECK(a.dram.latencyCycles == 10);

  // What the legacy fields cannot state keeps the hierarchy general: a level's own width,
  // RF ports or latency, a double-buffered RF.
  const std::vector<std::pair<std::string, json>> general = {
      {"/levels/1/tensor_bits", json{{"weights", 8}}},
      {"/levels/0/tensor_bits", json{{"inputs", 8}}},
      {"/levels/3/read_words_per_cycle", 2},
      {"/levels/3/latency_cycles", 1},
      {"/levels/3/double_buffered", true}};
  for (const auto& [ptr, value] : general) {
    INFO(ptr);
    json d = doc;
    d[json::json_pointer(ptr)] = value;
    const ArchSpec g = dfsim::archFromJson(d, "g.json");
    CHECK_FALSE(g.isFourLevel());
    CHECK(g.hierarchy().isFourLevel());  // the shape is, the contents are not
    CHECK(dfsim::archFromJson(dfsim::archToJson(g), "dump") == g);
  }
  // A level's width equal to the arch's is no difference.
  json same = doc;
  same["levels"][1]["tensor_bits"] = json{{"weights", 16}};
  CHECK(dfsim::archFromJson(same, "s.json").isFourLevel());
}

TEST_CASE("the dump is the general form and reads back to an equal ArchSpec", "[arch][io]") {
  std::vector<std::string> files = shippedArches();
  REQUIRE(files.size() >= 11);  // eyeriss, eyeriss_levels, eyeriss_v2_like, tiny x2, isca16 x6
  for (const std::string& f : files) {
    INFO(f);
    const ArchSpec a = dfsim::readArch(f);
    const json dump = dfsim::archToJson(a);
    CHECK(dump.contains("levels"));
    CHECK_FALSE(dump.contains("pe_array"));
    CHECK(dfsim::archFromJson(dump, "dump") == a);
    CHECK(dfsim::archToJson(dfsim::archFromJson(dump, "dump")) == dump);
  }
  const ArchSpec five = dfsim::archFromJson(fiveLevels(), "five.json");
  REQUIRE_FALSE(five.isFourLevel());
  CHECK(five.hierarchy().size() == 6);
  CHECK(five.hierarchy().instances(5) == 32);
  CHECK(five.general.entries[3].storage.tensorBits[dfsim::Tensor::Outputs] == 32);
  CHECK(five.general.entries[3].storage.tensorBits[dfsim::Tensor::Inputs] == 16);
  CHECK(five.general.entries[3].storage.partitions[1].capacityWords == 256);  // 0.5 KiB
  CHECK_FALSE(five.general.entries[4].fanOut.multicast);
  const json dump = dfsim::archToJson(five);
  CHECK(dfsim::archFromJson(dump, "dump") == five);
  // Every key explicit: defaults are written out.
  CHECK(dump["levels"][5]["read_words_per_cycle"] == "unlimited");
  CHECK(dump["levels"][5]["words"] == 32);
  CHECK(dump["levels"][1]["size_kib"] == 64.0);
  CHECK(dump["levels"][2]["hop_latency_cycles"] == 0);
  CHECK_FALSE(dump["levels"][2].contains("unreduced_dims"));  // written only when set
  // A fan-out that does not reduce R: read, compared, dumped and read back; on the 4-level
  // shape it keeps the hierarchy general (the legacy fields cannot state it).
  json apart = fiveLevels();
  apart["levels"][4]["unreduced_dims"] = json{"R", "S"};
  const ArchSpec u = dfsim::archFromJson(apart, "u.json");
  CHECK(u.general.entries[4].fanOut.unreducedDims == std::vector<std::string>{"R", "S"});
  CHECK_FALSE(u.general.entries[4].fanOut.reduces("R"));
  CHECK(u.general.entries[4].fanOut.reduces("C"));
  CHECK_FALSE(u == five);
  CHECK(dfsim::archFromJson(dfsim::archToJson(u), "dump") == u);
  json four = fiveLevels();
  four["levels"].erase(4);
  four["levels"].erase(3);
  four["levels"][2]["unreduced_dims"] = json{"R"};
  const ArchSpec f4 = dfsim::archFromJson(four, "f4.json");
  CHECK_FALSE(f4.isFourLevel());
  CHECK(f4.hierarchy().isFourLevel());
}

TEST_CASE("legacy files: banks is read and ignored, overrides keep working", "[arch][io]") {
  const dfsim::test::TempDir tmp("arch");
  json doc = json::parse(dfsim::test::readFile(sourcePath("configs/arch/tiny_4x4.json")));
  doc["glb"]["banks"] = 7;
  const std::string file = tmp.writeText("a.json", doc.dump());
  const ArchSpec a = dfsim::readArch(file, {dfsim::parseOverride("arch.glb.latency_cycles=7")});
  CHECK(a.glb.latencyCycles == 7);
  CHECK(a == dfsim::readArch(sourcePath("configs/arch/tiny_4x4.json"),
                             {dfsim::parseOverride("arch.glb.latency_cycles=7")}));
  CHECK(dfsim::archToJson(a).dump().find("banks") == std::string::npos);
  doc["glb"]["banks"] = 0;
  CHECK(archError(doc) == "FILE: arch.glb.banks: expected a positive integer, got 0");

  // Overrides reach the general form's levels by index.
  const std::string general = sourcePath("configs/arch/eyeriss_v2_like.json");
  const ArchSpec v =
      dfsim::readArch(general, {dfsim::parseOverride("arch.levels.2.latency_cycles=5"),
                                dfsim::parseOverride("arch.levels[1].rows=4")});
  CHECK(v.general.entries[2].storage.latencyCycles == 5);
  CHECK(v.hierarchy().instances(4) == 96);
}

TEST_CASE("general form: every reader error names file, path and expectation", "[arch][io]") {
  struct Case {
    std::string ptr;  ///< JSON pointer to set ("" = the whole levels array)
    json value;
    std::string message;
  };
  const std::string cap = "\"words\" (an integer >= 0) or \"size_kib\" (a number >= 0)";
  const std::vector<Case> cases = {
      {"/pe_array", json{{"rows", 1}, {"cols", 1}},
       "FILE: arch.pe_array: unexpected with \"levels\": a file gives either \"levels\" or "
       "pe_array/rf/glb/noc/dram, not both"},
      {"/levels", json::object(),
       "FILE: arch.levels: expected an array of 2 to 8 levels (\"dram\" first, a storage level "
       "last), got {}"},
      {"/levels", json::parse(R"([{"name": "dram", "kind": "dram", "bytes_per_cycle": 1}])"),
       "FILE: arch.levels: expected an array of 2 to 8 levels (\"dram\" first, a storage level "
       "last), got [{\"bytes_per_cycle\":1,\"kind\":\"dram\",\"name\":\"dram\"}]"},
      {"/levels/1/kind", "buffer",
       "FILE: arch.levels[1].kind: expected one of \"dram\", \"storage\", \"fanout\", got "
       "\"buffer\""},
      {"/levels/1/kind", 3, "FILE: arch.levels[1].kind: expected a non-empty string, got 3"},
      {"/levels/1/size", 3,
       "FILE: arch.levels[1].size: unknown key; valid keys: double_buffered, halo_reuse, kind, "
       "latency_cycles, "
       "name, partitions, read_words_per_cycle, size_kib, tensor_bits, words, "
       "write_words_per_cycle"},
      {"/levels/2/size_kib", 3,
       "FILE: arch.levels[2].size_kib: unknown key; valid keys: cols, hop_latency_cycles, kind, "
       "multicast, name, network, rows, unreduced_dims, words_per_cycle"},
      {"/levels/2/unreduced_dims", "R",
       "FILE: arch.levels[2].unreduced_dims: expected an array of dimension names (strings), "
       "got \"R\""},
      {"/levels/2/unreduced_dims", json{"R", 3},
       "FILE: arch.levels[2].unreduced_dims[1]: expected an array of dimension names "
       "(strings), got 3"},
      {"/levels/2/unreduced_dims", json{"R", "R"},
       "FILE: arch.levels[2].unreduced_dims: expected each dimension once (\"R\" twice), got "
       "[\"R\",\"R\"]"},
      {"/levels/4/unreduced_dims", json{"2R"},
       "FILE: arch.levels[4].unreduced_dims: expected dimension names matching "
       "[A-Za-z][A-Za-z0-9_]*, got [\"2R\"]"},
      {"/levels/0/words", 3,
       "FILE: arch.levels[0].words: unknown key; valid keys: bytes_per_cycle, kind, "
       "latency_cycles, model, name, tensor_bits"},
      {"/levels/0", json::parse(R"({"name": "dram", "kind": "storage", "words": 4})"),
       "FILE: arch.levels[0].kind: expected \"dram\" first (the off-chip level), got "
       "\"storage\""},
      {"/levels/3", json::parse(R"({"name": "x", "kind": "dram", "bytes_per_cycle": 1})"),
       "FILE: arch.levels[3].kind: expected \"storage\" or \"fanout\" (only the first level is "
       "\"dram\"), got \"dram\""},
      {"/levels/-", json::parse(R"({"name": "x", "kind": "fanout", "rows": 1, "cols": 1})"),
       "FILE: arch.levels[6].kind: expected a storage level last, not a fan-out, got "
       "\"fanout\""},
      {"/levels/3", json::parse(R"({"name": "x", "kind": "fanout", "rows": 1, "cols": 1})"),
       "FILE: arch.levels[2].kind: expected a fan-out between two storage levels, not next to "
       "a fan-out, got \"fanout\""},
      {"/levels/3/name", "Row-Buf",
       "FILE: arch.levels[3].name: expected a name matching [a-z][a-z0-9_]*, got \"Row-Buf\""},
      {"/levels/3/name", "glb",
       "FILE: arch.levels[3].name: expected a name no earlier level has (levels[1] is also "
       "\"glb\"), got \"glb\""},
      {"/levels/3/name", "", "FILE: arch.levels[3].name: expected a non-empty string, got \"\""},
      {"/levels/2/rows", 0, "FILE: arch.levels[2].rows: expected a positive integer, got 0"},
      {"/levels/2/cols", 70000,
       "FILE: arch.levels[2]: expected at most 65536 instances (rows*cols), got 4x70000"},
      {"/levels/4/cols", 20000,
       "FILE: arch.levels[4]: expected at most 65536 instances of the innermost level (the "
       "product of every fan-out's rows*cols), got 80000"},
      {"/levels/0/bytes_per_cycle", nullptr,
       "FILE: arch.levels[0].bytes_per_cycle: missing required key (expected a positive integer "
       "or \"unlimited\")"},
      {"/levels/1/size_kib", nullptr,
       "FILE: arch.levels[1].partitions: missing required key (expected " + cap +
           ", or \"partitions\")"},
      {"/levels/1/words", 5,
       "FILE: arch.levels[1]: expected either \"words\" or \"size_kib\", got both"},
      {"/levels/3/words", 5,
       "FILE: arch.levels[3]: expected either \"words\"/\"size_kib\" or \"partitions\", got "
       "both"},
      {"/levels/3/partitions/0/size_kib", 1,
       "FILE: arch.levels[3].partitions[0]: expected either \"words\" or \"size_kib\", got "
       "both"},
      {"/levels/3/partitions/0/words", nullptr,
       "FILE: arch.levels[3].partitions[0].words: missing required key (expected " + cap + ")"},
      {"/levels/3/partitions/1/tensors", json{"inputs"},
       "FILE: arch.levels[3].partitions[1].tensors[0]: expected a tensor listed once in "
       "arch.levels[3].partitions, got \"inputs\""},
      {"/levels/3/partitions/0/words", -1,
       "FILE: arch.levels[3].partitions[0].words: expected an integer >= 0, got -1"},
      {"/levels/1/size_kib", 1e-9,
       "FILE: arch.levels[1].size_kib: expected 0 or at least one 16-bit word, got 1e-09"},
      {"/levels/3/tensor_bits/outputs", 65,
       "FILE: arch.levels[3].tensor_bits.outputs: expected an integer in 1..64, got 65"},
      {"/levels/3/tensor_bits/psums", 8,
       "FILE: arch.levels[3].tensor_bits.psums: unknown key; valid keys: inputs, outputs, "
       "weights"},
      {"/levels/4/multicast", "yes",
       "FILE: arch.levels[4].multicast: expected true or false, got \"yes\""},
      {"/levels/1/read_words_per_cycle", 0,
       "FILE: arch.levels[1].read_words_per_cycle: expected a positive integer or "
       "\"unlimited\", got 0"},
      {"/levels/2", 7, "FILE: arch.levels[2]: expected a level object, got 7"},
      {"/levels/2/kind", nullptr,
       "FILE: arch.levels[2].kind: missing required key (expected one of \"dram\", "
       "\"storage\", \"fanout\")"},
  };
  for (const Case& c : cases) {
    INFO(c.ptr << " = " << c.value.dump());
    json doc = fiveLevels();
    const json::json_pointer ptr(c.ptr);
    if (c.value.is_null()) {
      doc[ptr.parent_pointer()].erase(ptr.back());
    } else if (c.ptr == "/levels/-") {
      doc["levels"].push_back(c.value);
    } else if (c.ptr == "/levels/3" && c.value.contains("rows")) {
      auto& lv = doc["levels"];
      lv.insert(lv.begin() + std::stoi(ptr.back()), c.value);
    } else {
      doc[ptr] = c.value;
    }
    CHECK(archError(doc) == c.message);
  }
  // More than kMaxLevelEntries levels.
  json many = fiveLevels();
  for (int i = 0; i < 3; ++i) {
    many["levels"].push_back(
        json{{"name", "f" + std::to_string(i)}, {"kind", "fanout"}, {"rows", 1}, {"cols", 1}});
    many["levels"].push_back(
        json{{"name", "s" + std::to_string(i)}, {"kind", "storage"}, {"words", 1}});
  }
  CHECK(archError(many).rfind("FILE: arch.levels: expected an array of 2 to 8 levels", 0) == 0);
}

TEST_CASE("validateHierarchy checks hierarchies built in code", "[arch][hierarchy]") {
  const auto message = [](const Hierarchy& h) -> std::string {
    try {
      dfsim::validateHierarchy(h);
    } catch (const dfsim::InputError& e) {
      return e.what();
    }
    return "(no error)";
  };
  Hierarchy h = dfsim::test::eyerissLike().hierarchy();
  CHECK(message(h) == "(no error)");
  Hierarchy twoOff = h;
  twoOff.entries[1].storage.offChip = true;
  CHECK(message(twoOff) ==
        "hierarchy.entries[1] (glb).kind: expected \"storage\" or \"fanout\" (only the first "
        "level is \"dram\")");
  Hierarchy noRows = h;
  noRows.entries[2].fanOut.rows = 0;
  CHECK(message(noRows) == "hierarchy.entries[2] (noc).rows: expected a positive integer");
  Hierarchy dup = h;
  dup.entries[3].storage.partitions.push_back(dup.entries[3].storage.partitions[0]);
  CHECK(message(dup) ==
        "hierarchy.entries[3] (rf).partitions: expected each tensor in at most one partition "
        "(weights is in two)");
  Hierarchy dramParts = h;
  dramParts.entries[0].storage.partitions = h.entries[1].storage.partitions;
  CHECK(message(dramParts) ==
        "hierarchy.entries[0] (dram).partitions: expected no partitions on the off-chip level "
        "(it keeps all)");
  Hierarchy one;
  one.entries.push_back(h.entries[0]);
  CHECK(message(one) ==
        "hierarchy: expected 2 to 8 entries (DRAM first, a storage level last), got 1");
}

TEST_CASE("dfsim run simulates a two-fan-out hierarchy, --dump-config shows it", "[arch][cli]") {
  const dfsim::test::TempDir scratch("hier");
  const std::string arch = "configs/arch/eyeriss_v2_like.json";
  const std::string energy = " --energy configs/energy/eyeriss_v2_like_isca16.json";
  const std::string net = " --network models/tiny_conv.json";
  // The default table prices the 4-level form: refused, naming the levels it lacks.
  const dfsim::test::Outcome o =
      dfsim::test::runDfsim("run --arch " + arch + net + " --dataflow rs", scratch.path());
  CHECK(o.code == 2);
  CHECK(o.out.empty());
  CHECK_THAT(o.err, Catch::Contains("the arch's levels are dram, cluster_noc, cluster_glb, "
                                    "pe_noc, spad"));
  // (--search on this hierarchy: tests/hierarchy_search_test.cpp.)
  // Every dataflow, functional with the check, against the analytic model's counts.
  const std::string out = (scratch.path() / "r").string();
  const dfsim::test::Outcome r = dfsim::test::runDfsim(
      "run --arch " + arch + net + energy + " --dataflow all --check --out '" + out + "'",
      scratch.path());
  INFO(r.err);
  REQUIRE(r.code == 0);
  const dfsim::test::Outcome e = dfsim::test::runDfsim(
      "evaluate --arch " + arch + net + energy + " --dataflow all --json", scratch.path());
  REQUIRE(e.code == 0);
  std::ifstream in(scratch.path() / "r" / "stats.json");
  const json stats = json::parse(in);
  const json evaluated = json::parse(e.out);
  std::size_t rows = 0;
  for (const json& row : stats["layers"]) {
    if (row["dataflow"] == "-") continue;
    CHECK(row["check"] == "passed");
    CHECK(row["total_pes"] == 192);
    CHECK(row["accesses"].contains("cluster_glb"));
    for (const json& ev : evaluated["layers"]) {
      if (ev["name"] != row["name"] || ev["mapping"] != row["dataflow"]) continue;
      CHECK(ev["accesses"] == row["accesses"]);
      CHECK(row["cycles"]["compute"].get<double>() == ev["cycles"]["compute"].get<double>());
      CHECK(row["cycles"]["total"] >= row["cycles"]["compute"]);
      ++rows;
    }
  }
  CHECK(rows == 6);
  // The mapping files it wrote are in the general form and run again to the same counts.
  const std::string again = (scratch.path() / "a").string();
  const dfsim::test::Outcome m =
      dfsim::test::runDfsim("run --arch " + arch + net + energy + " --mapping '" + out +
                                "/mappings/conv.rs.json' --fast --out '" + again + "'",
                            scratch.path());
  INFO(m.err);
  REQUIRE(m.code == 0);
  std::ifstream in2(scratch.path() / "a" / "stats.json");
  const json stats2 = json::parse(in2);
  for (const json& row : stats["layers"]) {
    if (row["dataflow"] == "rs") CHECK(stats2["layers"][0]["accesses"] == row["accesses"]);
  }

  const dfsim::test::Outcome d =
      dfsim::test::runDfsim("run --arch " + arch + net + " --dump-config", scratch.path());
  REQUIRE(d.code == 0);
  const json j = json::parse(d.out);
  CHECK(j["arch"]["levels"].size() == 5);
  CHECK(j["arch"]["levels"][1]["rows"] == 8);
  // The general form of the 4-level chip still runs.
  const dfsim::test::Outcome four = dfsim::test::runDfsim(
      "run --arch configs/arch/eyeriss_levels.json --network models/tiny_conv.json "
      "--dataflow ws --fast",
      scratch.path());
  INFO(four.err);
  CHECK(four.code == 0);
}
