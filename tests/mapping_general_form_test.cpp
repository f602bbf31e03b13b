// Mapping files in the general form (one object per storage level): the reader, the stated
// tiles, the 4-level shape that `dfsim run` takes, and a run that gives the same results as the
// same mapping in the 4-level form.
#include <fstream>
#include <string>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "common/errors.hpp"
#include "io/mapping_io.hpp"
#include "run_dfsim.hpp"
#include "temp_dir.hpp"
#include "workload/layer.hpp"

namespace dfsim {
namespace {

using nlohmann::json;

std::string messageOf(const json& doc) {
  try {
    mappingFromJson(doc, "m.json");
  } catch (const InputError& e) {
    return e.what();
  }
  return "(no error)";
}

/// The layer generalMapping() maps: M = 2 filters of 3 columns over 57 input columns, Q = 55.
ProblemShape generalMappingShape() {
  Layer layer;
  layer.M = 2;
  layer.W = 57;
  layer.S = 3;
  layer.Q = 55;
  return layer.shape();
}

/// A ragged 4-level mapping of a Q = 55 layer in the general form.
json generalMapping() {
  return json::parse(R"({"layer": "conv1", "dataflow": "mine", "levels": [
    {"level": "dram", "temporal": [{"dim": "Q", "bound": 8, "tile": 7}]},
    {"level": "glb", "temporal": [{"dim": "M", "bound": 2}],
     "spatial": [{"dim": "Q", "bound": 7, "tile": 1, "axis": "cols"}], "keeps": ["inputs", "outputs"]},
    {"level": "rf", "temporal": [{"dim": "S", "bound": 3}], "keeps": ["weights"]}]})");
}

}  // namespace

TEST_CASE("a mapping file in the general form reads into a loop nest", "[mapping_io]") {
  const MappingFile f = mappingFromJson(generalMapping(), "m.json");
  CHECK(f.label == "mine");
  CHECK(f.levelNames == std::vector<std::string>{"dram", "glb", "rf"});
  REQUIRE(f.nest.levels.size() == 3);
  CHECK(f.nest.levels[1].spatial.size() == 1);
  CHECK(f.nest.levels[0].keeps == PerTensor<bool>{{true, true, true}});
  CHECK(f.nest.levels[2].keeps == PerTensor<bool>{{true, false, false}});
  // It has the 4-level shape: the Mapping the simulator runs.
  REQUIRE(f.fourLevel);
  CHECK(f.mapping.dramLoops.size() == 1);
  CHECK(f.mapping.spatialLoops[0].bound == 7);
  CHECK(f.mapping.glbKeeps == PerTensor<bool>{{false, true, true}});
  // Written back: the same document (tiles stated on the ragged dimension only).
  const ProblemShape conv = generalMappingShape();
  CHECK(loopNestToJson(conv, f.nest, f.levelNames, "conv1", "mine") == generalMapping());

  // Four storage levels: a nest, not a 4-level Mapping.
  json five = generalMapping();
  five["levels"].insert(five["levels"].begin() + 2,
                        json::parse(R"({"level": "cluster", "temporal": [], "keeps": []})"));
  CHECK_FALSE(mappingFromJson(five, "m.json").fourLevel);
  CHECK(mappingFromJson(five, "m.json").nest.levels.size() == 4);
}

TEST_CASE("streamed tiles read and write in both mapping forms", "[mapping_io]") {
  const ProblemShape conv = generalMappingShape();
  json d = generalMapping();
  d["levels"][1]["streamed_over"] = {{"inputs", "dram"}};
  d["levels"][2]["streamed_over"] = {{"weights", "glb"}};
  const MappingFile f = mappingFromJson(d, "m.json");
  CHECK(f.nest.levels[1].streamedOver == PerTensor<std::uint8_t>{{0, 1, 0}});
  CHECK(f.nest.levels[2].streamedOver == PerTensor<std::uint8_t>{{2, 0, 0}});
  REQUIRE(f.fourLevel);
  CHECK(f.mapping.glbStreamedOver == PerTensor<std::uint8_t>{{0, 1, 0}});
  CHECK(f.mapping.rfStreamedOver == PerTensor<std::uint8_t>{{2, 0, 0}});
  CHECK(loopNestToJson(conv, f.nest, f.levelNames, "conv1", "mine") == d);
  // The 4-level form: the same streams under glb_streamed_over and rf_streamed_over.
  const json four = mappingToJson(conv, f.mapping, "conv1", "mine");
  CHECK(four.at("glb_streamed_over") == json{{"inputs", "dram"}});
  CHECK(four.at("rf_streamed_over") == json{{"weights", "glb"}});
  const MappingFile back = mappingFromJson(four, "m.json");
  CHECK(back.mapping.glbStreamedOver == f.mapping.glbStreamedOver);
  CHECK(back.mapping.rfStreamedOver == f.mapping.rfStreamedOver);
  // Nothing streamed: no key written.
  CHECK_FALSE(
      mappingToJson(conv, mappingFromJson(generalMapping(), "m.json").mapping, "conv1", "mine")
          .contains("rf_streamed_over"));
  // A level that is not above, or not a level.
  d["levels"][1]["streamed_over"] = {{"inputs", "glb"}};
  CHECK(messageOf(d) ==
        "m.json: mapping.levels[1].streamed_over.inputs: expected the name of a level above this "
        "one (\"dram\"), got \"glb\"");
  d["levels"][1]["streamed_over"] = {{"psums", "dram"}};
  CHECK_THAT(messageOf(d),
             Catch::StartsWith("m.json: mapping.levels[1].streamed_over.psums: unknown key"));
  json bad = four;
  bad["rf_streamed_over"] = {{"weights", "rf"}};
  CHECK(messageOf(bad) ==
        "m.json: mapping.rf_streamed_over.weights: expected the name of a level "
        "above this one (\"dram\", \"glb\"), got \"rf\"");
}

TEST_CASE("a mapping file in the general form is refused where it is wrong", "[mapping_io]") {
  json d = generalMapping();
  d["levels"][0]["temporal"][0]["tile"] = 6;
  CHECK(messageOf(d) ==
        "m.json: mapping.levels[0].temporal[0].tile: expected 7 (the product of "
        "the bounds of the loops inside it over its dim), got 6");
  d = generalMapping();
  d["levels"][1]["spatial"][0]["tile"] = 2;
  CHECK(messageOf(d) ==
        "m.json: mapping.levels[1].spatial[0].tile: expected 1 (the product of "
        "the bounds of the loops inside it over its dim), got 2");
  d = generalMapping();
  d["levels"][2]["level"] = "glb";
  CHECK(messageOf(d) ==
        "m.json: mapping.levels[2].level: expected a level named once, got "
        "\"glb\"");
  d = generalMapping();
  d["levels"][0]["keeps"] = {"weights"};
  CHECK_THAT(messageOf(d), Catch::StartsWith("m.json: mapping.levels[0].keeps: expected every "
                                             "tensor (the outermost level keeps them all)"));
  d = generalMapping();
  d["levels"][1].erase("keeps");
  CHECK_THAT(messageOf(d), Catch::StartsWith("m.json: mapping.levels[1].keeps: missing"));
  d = generalMapping();
  d["glb"] = json::array();
  CHECK_THAT(messageOf(d), Catch::StartsWith("m.json: mapping.glb: unknown key"));
  d = generalMapping();
  d["levels"] = json::array({d["levels"][0]});
  CHECK_THAT(messageOf(d), Catch::Contains("mapping.levels: expected an array of 2 to 8"));
}

TEST_CASE("dfsim run takes a general-form mapping and gives what its 4-level form gives",
          "[cli][mapping_io]") {
  const test::TempDir tmp("general-mapping");
  // 1. The default ws mapping of tiny_conv, in the 4-level form.
  const std::string base = "run --arch configs/arch/tiny_4x4.json --network models/tiny_conv.json ";
  const test::Outcome ran =
      test::runDfsim(base + "--dataflow ws --out '" + tmp.path().string() + "/a'", tmp.path());
  INFO(ran.err);
  REQUIRE(ran.code == 0);
  std::ifstream in(tmp.path() / "a" / "mappings" / "conv.ws.json");
  const json four = json::parse(in);
  // 2. The same nest in the general form.
  const MappingFile f = mappingFromJson(four, "four");
  const json general =
      loopNestToJson(Layer().shape(), f.nest, {"dram", "glb", "rf"}, four["layer"], "gen");
  const std::string file = tmp.writeText("general.json", general.dump(2));
  const test::Outcome again = test::runDfsim(
      base + "--mapping '" + file + "' --out '" + tmp.path().string() + "/b'", tmp.path());
  INFO(again.err);
  REQUIRE(again.code == 0);
  std::ifstream sa(tmp.path() / "a" / "stats.json");
  std::ifstream sb(tmp.path() / "b" / "stats.json");
  json a = json::parse(sa)["layers"][0];
  json b = json::parse(sb)["layers"][0];
  CHECK(a["accesses"] == b["accesses"]);
  CHECK(a["cycles"] == b["cycles"]);
  CHECK(a["energy"] == b["energy"]);
  // A level name the arch does not have, in its place: refused, naming the file and path.
  json wrong = general;
  wrong["levels"][2]["level"] = "spad";
  const std::string bad = tmp.writeText("wrong.json", wrong.dump(2));
  const test::Outcome o = test::runDfsim(base + "--mapping '" + bad + "'", tmp.path());
  CHECK(o.code == 2);
  CHECK_THAT(o.err, Catch::Contains("wrong.json: mapping.levels[2].level: expected the storage "
                                    "levels of configs/arch/tiny_4x4.json in order (dram, glb, "
                                    "rf), got \"spad\""));
}

}  // namespace dfsim
