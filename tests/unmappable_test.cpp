// A layer the rules cannot map (issue 15): paper mode's WS keeps a whole batch's psum planes of
// its filters in the GLB, so AlexNet's conv1 at batch 64 has no legal assignment on the 256-PE
// preset (64 x 55 x 55 psums of one filter > 171,161 GLB words). By default that is an input
// error (exit 2, the constraint named); with --unmappable skip the run goes on, the layer has no
// row and no share of the TOTAL, and stats.json names it under "unmapped".

#include <catch2/catch.hpp>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "run_dfsim.hpp"
#include "temp_dir.hpp"

using namespace dfsim;

namespace {

const std::string kWsConv12 =
    "run --arch configs/arch/isca16/ws.json --network models/alexnet.json "
    "--energy configs/energy/isca16_normalized.json --dataflow ws --rules isca16 --batch 64 "
    "--layer conv1 --layer conv2 --fast -q";

}  // namespace

TEST_CASE("an unmappable layer fails the run by default and names the constraint",
          "[isca16][cli]") {
  const test::TempDir scratch("unmappable");
  const std::string out = (scratch.path() / "res").string();
  const test::Outcome run = test::runDfsim(kWsConv12 + " --out '" + out + "'", scratch.path());
  CHECK(run.code == 2);
  CHECK(run.err.find("layer conv1: no assignment of the isca16 ws variables") != std::string::npos);
  CHECK(run.err.find("> GLB words = 171161") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(out));
  const test::Outcome bad = test::runDfsim(kWsConv12 + " --unmappable maybe", scratch.path());
  CHECK(bad.code == 2);
  CHECK(bad.err.find("--unmappable maybe: expected fail or skip") != std::string::npos);
}

TEST_CASE("with unmappable skip the layer is named and left out of rows and totals",
          "[isca16][cli]") {
  const test::TempDir scratch("unmappable");
  const std::string out = (scratch.path() / "res").string();
  const test::Outcome run =
      test::runDfsim(kWsConv12 + " --unmappable skip --out '" + out + "'", scratch.path());
  REQUIRE(run.code == 0);
  const nlohmann::json stats = nlohmann::json::parse(test::readFile(out + "/stats.json"));
  REQUIRE(stats["layers"].size() == 1);
  CHECK(stats["layers"][0]["name"] == "conv2");
  REQUIRE(stats["unmapped"].size() == 1);
  CHECK(stats["unmapped"][0]["layer"] == "conv1");
  CHECK(stats["unmapped"][0]["dataflow"] == "ws");
  CHECK(stats["unmapped"][0]["reason"].get<std::string>().find("GLB words = 171161") !=
        std::string::npos);
  // The TOTAL is conv2's alone.
  REQUIRE(stats["totals"].size() == 1);
  CHECK(stats["totals"][0]["macs"] == stats["layers"][0]["macs"]);
  CHECK(stats["totals"][0]["energy"] == stats["layers"][0]["energy"]);
  CHECK(run.out.find("not mapped (left out of the rows and TOTALs above):") != std::string::npos);
  CHECK(test::readFile(out + "/layers.csv").find("conv1") == std::string::npos);
  CHECK_FALSE(std::filesystem::exists(out + "/mappings/conv1.ws.json"));
  // A run where everything maps has an empty list (the key is there: skip was asked for).
  const std::string all = (scratch.path() / "all").string();
  REQUIRE(test::runDfsim(
              "run --arch configs/arch/isca16/ws.json --network models/alexnet.json --dataflow "
              "ws --rules isca16 --batch 2 --layer conv3 --fast -q --unmappable skip --out '" +
                  all + "'",
              scratch.path())
              .code == 0);
  const nlohmann::json allStats = nlohmann::json::parse(test::readFile(all + "/stats.json"));
  CHECK(allStats["unmapped"].empty());
  CHECK(allStats["unmapped"].is_array());
}

TEST_CASE("paper mode's line buffer rules count a double buffered GLB as two tiles",
          "[isca16][cli]") {
  // tiny_4x4's GLB (1024 words) is double buffered: a tile may use 512. At batch 32 WS's
  // N t E F = 32 x 16 = 512 psums fit; at batch 64 (1024) they do not, and the search says so
  // rather than offering a mapping the GLB cannot hold.
  const test::TempDir scratch("unmappable");
  const std::string common =
      "run --arch configs/arch/tiny_4x4.json --network models/tiny_net.json --dataflow ws "
      "--rules isca16 --layer conv1 --fast -q --batch ";
  CHECK(test::runDfsim(common + "32", scratch.path()).code == 0);
  const test::Outcome big = test::runDfsim(common + "64", scratch.path());
  CHECK(big.code == 2);
  CHECK(big.err.find("= 1024 > GLB words per tile (double buffered) = 512") != std::string::npos);
}
