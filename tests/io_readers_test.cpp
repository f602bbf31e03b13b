// Tests of the strict JSON readers (src/io): shipped files, AlexNet figures, --set overrides and
// the exact one-line message of every kind of bad input.
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "common/errors.hpp"
#include "io/json_file.hpp"
#include "io/overrides.hpp"
#include "io/readers.hpp"

#include "temp_dir.hpp"

#ifndef DFSIM_SOURCE_DIR
#error "DFSIM_SOURCE_DIR must name the source tree (set by CMake)"
#endif

namespace dfsim {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

/// A path inside the source tree.
std::string sourcePath(const std::string& rel) {
  return std::string(DFSIM_SOURCE_DIR) + "/" + rel;
}

/// A fresh directory for one test's input files, removed when the test ends.
class TempDir : public dfsim::test::TempDir {
 public:
  TempDir() : dfsim::test::TempDir("io-test") {}
  /// Writes `doc` as indented JSON; returns its path.
  std::string write(const std::string& name, const json& doc) const {
    return writeText(name, doc.dump(2));
  }
};

/// The InputError message `f` throws, or "(no error)".
std::string errorOf(const std::function<void()>& f) {
  try {
    f();
  } catch (const InputError& e) {
    return e.what();
  }
  return "(no error)";
}

json baseArch() {
  return json::parse(R"({
    "name": "t", "word_bits": 16, "clock_mhz": 100,
    "pe_array": {"rows": 2, "cols": 3},
    "rf": {"words": 8},
    "glb": {"size_kib": 1},
    "dram": {"bytes_per_cycle": 4}
  })");
}

json baseNetwork() {
  return json::parse(R"({
    "name": "n",
    "layers": [{"name": "c1", "type": "conv", "C": 4, "M": 8, "H": 8, "W": 8, "R": 3, "S": 3}]
  })");
}

json baseEnergy() {
  return json::parse(R"({
    "name": "e", "unit": "pJ", "word_bits": 16, "mac": 1, "rf": {"read": 1, "write": 1},
    "noc": {"per_word": 2}, "glb": {"read": 6, "write": 6}, "dram": {"read": 200, "write": 200}
  })");
}

/// `message` with the file name `file` it starts with replaced by "FILE", so that
/// expectations do not depend on the temporary directory.
std::string relative(std::string message, const std::string& file) {
  if (message.rfind(file, 0) == 0) message.replace(0, file.size(), "FILE");
  return message;
}

/// The message readArch gives for `doc` written to a file, with the file called "FILE".
std::string archError(const TempDir& tmp, const json& doc) {
  const std::string file = tmp.write("arch.json", doc);
  return relative(errorOf([&] { readArch(file); }), file);
}

/// The message readNetwork gives for `doc` written to a file, with the file called "FILE".
std::string networkError(const TempDir& tmp, const json& doc) {
  const std::string file = tmp.write("net.json", doc);
  return relative(errorOf([&] { readNetwork(file); }), file);
}

/// The message readEnergy gives for `doc` written to a file, with the file called "FILE".
std::string energyError(const TempDir& tmp, const json& doc) {
  const std::string file = tmp.write("energy.json", doc);
  return relative(errorOf([&] { readEnergy(file); }), file);
}

}  // namespace

TEST_CASE("every shipped config and model loads and round-trips", "[io]") {
  const std::vector<std::string> arches = {"configs/arch/eyeriss.json",
                                           "configs/arch/tiny_4x4.json",
                                           "configs/arch/tiny_unlimited.json"};
  for (const std::string& rel : arches) {
    INFO(rel);
    const ArchSpec a = readArch(sourcePath(rel));
    CHECK(archToJson(archFromJson(archToJson(a), "dump")) == archToJson(a));
  }
  const std::vector<std::string> models = {"models/alexnet.json", "models/tiny_conv.json",
                                           "models/tiny_net.json"};
  for (const std::string& rel : models) {
    INFO(rel);
    const Network n = readNetwork(sourcePath(rel));
    CHECK(networkToJson(networkFromJson(networkToJson(n), "dump")) == networkToJson(n));
  }
  const std::vector<std::string> tables = {"configs/energy/isca16_normalized.json",
                                           "configs/energy/horowitz45nm_pj.json",
                                           "configs/energy/eyeriss_like_ert_pj.json"};
  for (const std::string& rel : tables) {
    INFO(rel);
    const EnergyTable t = readEnergy(sourcePath(rel));
    CHECK(t.wordBits == 16);
    CHECK(energyToJson(energyFromJson(energyToJson(t), "dump")) == energyToJson(t));
  }
}

TEST_CASE("the eyeriss preset matches the chip", "[io]") {
  const ArchSpec a = readArch(sourcePath("configs/arch/eyeriss.json"));
  CHECK(a.name == "eyeriss");
  CHECK(a.rows == 12);
  CHECK(a.cols == 14);
  CHECK(a.peCount() == 168);
  CHECK(a.wordBits == 16);
  CHECK(a.clockMhz == 200.0);
  CHECK(a.capacityWords(Level::Rf, Tensor::Weights) == 224);
  CHECK(a.capacityWords(Level::Rf, Tensor::Inputs) == 12);
  CHECK(a.capacityWords(Level::Rf, Tensor::Outputs) == 24);
  // 100 KiB = 25 banks x 512 x 64 bit = 51,200 16-bit words; 8 KiB = 4,096 words.
  CHECK(a.capacityWords(Level::Glb, Tensor::Inputs) == 51200);
  CHECK(a.capacityWords(Level::Glb, Tensor::Outputs) == 51200);
  CHECK(a.capacityWords(Level::Glb, Tensor::Weights) == 4096);
  REQUIRE(a.glb.partitions.size() == 2);
  CHECK(a.glb.partitions[0].tensors[Tensor::Inputs]);
  CHECK(a.glb.partitions[0].tensors[Tensor::Outputs]);
  CHECK_FALSE(a.glb.partitions[0].tensors[Tensor::Weights]);
  CHECK(archToJson(a)["levels"][1].count("banks") == 0);  // read, informational, not kept
  CHECK(a.glb.readWordsPerCycle == 16);
  CHECK(a.glb.writeWordsPerCycle == 16);
  CHECK(a.glb.latencyCycles == 2);
  CHECK(a.glb.doubleBuffered);
  CHECK(a.noc.wordsPerCycle == 16);
  CHECK(a.noc.multicast);
  CHECK(a.noc.hopLatencyCycles == 1);
  CHECK(a.dram.bytesPerCycle == 8);
  CHECK(a.dram.latencyCycles == 100);
}

TEST_CASE("the tiny presets", "[io]") {
  const ArchSpec t = readArch(sourcePath("configs/arch/tiny_4x4.json"));
  CHECK(t.peCount() == 16);
  for (Tensor x : kAllTensors) {
    CHECK(t.capacityWords(Level::Rf, x) == 16);
    CHECK(t.capacityWords(Level::Glb, x) == 1024);
  }
  CHECK(t.glb.readWordsPerCycle == 4);
  CHECK(t.noc.wordsPerCycle == 4);
  CHECK(t.dram.bytesPerCycle == 4);
  CHECK(t.dram.latencyCycles == 10);

  const ArchSpec u = readArch(sourcePath("configs/arch/tiny_unlimited.json"));
  CHECK(u.capacityWords(Level::Rf, Tensor::Weights) == 64);
  CHECK(u.capacityWords(Level::Glb, Tensor::Inputs) == 32768);
  CHECK(u.glb.readWordsPerCycle == kUnlimited);
  CHECK(u.glb.writeWordsPerCycle == kUnlimited);
  CHECK(u.noc.wordsPerCycle == kUnlimited);
  CHECK(u.dram.bytesPerCycle == kUnlimited);
  CHECK(u.glb.latencyCycles == 0);
  CHECK(u.noc.hopLatencyCycles == 0);
  CHECK(u.dram.latencyCycles == 0);
}

TEST_CASE("AlexNet MACs and weights equal ISCA16 Table II", "[io]") {
  const Network net = readNetwork(sourcePath("models/alexnet.json"));
  struct Expect {
    const char* name;
    std::int64_t macs;
    std::int64_t weights;
    std::int64_t outSize;
  };
  const std::vector<Expect> expected = {
      {"conv1", 105415200, 34848, 55},  {"pool1", 0, 0, 27},
      {"conv2", 223948800, 307200, 27}, {"pool2", 0, 0, 13},
      {"conv3", 149520384, 884736, 13}, {"conv4", 112140288, 663552, 13},
      {"conv5", 74760192, 442368, 13},  {"pool5", 0, 0, 6},
      {"fc1", 37748736, 37748736, 1},   {"fc2", 16777216, 16777216, 1},
      {"fc3", 4096000, 4096000, 1},
  };
  REQUIRE(net.layers.size() == expected.size());
  std::int64_t convMacs = 0;
  std::int64_t convWeights = 0;
  std::int64_t allMacs = 0;
  std::int64_t allWeights = 0;
  for (std::size_t i = 0; i < expected.size(); ++i) {
    const Layer& l = net.layers[i];
    INFO(l.name);
    CHECK(l.name == expected[i].name);
    CHECK(l.N == 1);
    CHECK(l.macs() == expected[i].macs);
    CHECK(l.weightCount() == expected[i].weights);
    CHECK(l.P == expected[i].outSize);
    CHECK(l.Q == expected[i].outSize);
    if (l.type == LayerType::Conv) {
      convMacs += l.macs();
      convWeights += l.weightCount();
    }
    allMacs += l.macs();
    allWeights += l.weightCount();
  }
  CHECK(convMacs == 665784864);
  CHECK(convWeights == 2332704);
  CHECK(allMacs == 724406816);
  CHECK(allWeights == 2332704 + 37748736 + 16777216 + 4096000);

  // Table II's padded H and per-group C.
  CHECK(net.layers[0].paddedH() == 227);
  CHECK(net.layers[2].paddedH() == 31);
  CHECK(net.layers[2].cPerGroup() == 48);
  CHECK(net.layers[4].paddedH() == 15);
  CHECK(net.layers[5].cPerGroup() == 192);
  CHECK(net.layers[6].cPerGroup() == 192);
  // Pools take their input from the layer before.
  CHECK(net.layers[1].C == 96);
  CHECK(net.layers[1].H == 55);
  CHECK(net.layers[7].C == 256);
  CHECK(net.layers[7].H == 13);
  // FC1 sees the 256x6x6 pool5 output as a 6x6 filter.
  CHECK(net.layers[8].C == 256);
  CHECK(net.layers[8].R == 6);
  CHECK(net.layers[8].H == 6);
  CHECK(net.layers[9].C == 4096);
  CHECK(net.layers[9].R == 1);
}

TEST_CASE("small models and the batch override", "[io]") {
  const Network tc = readNetwork(sourcePath("models/tiny_conv.json"));
  REQUIRE(tc.layers.size() == 1);
  CHECK(tc.layers[0].macs() == 1152);

  const Network tn = readNetwork(sourcePath("models/tiny_net.json"));
  REQUIRE(tn.layers.size() == 4);
  for (const Layer& l : tn.layers) CHECK(l.N == 2);
  CHECK(tn.layers[0].P == 4);
  CHECK(tn.layers[0].macs() == 3456);
  // conv2 is given by its output: H = (P-1)*stride + R - 2*padding = 4.
  CHECK(tn.layers[1].H == 4);
  CHECK(tn.layers[1].groups == 2);
  CHECK(tn.layers[1].macs() == 2304);
  CHECK(tn.layers[2].type == LayerType::Pool);
  CHECK(tn.layers[2].S == 2);
  CHECK(tn.layers[2].rows.stride == 2);
  CHECK(tn.layers[2].cols.stride == 2);
  CHECK(tn.layers[2].C == 4);
  CHECK(tn.layers[2].P == 2);
  CHECK(tn.layers[3].macs() == 320);

  const Network big = readNetwork(sourcePath("models/tiny_net.json"), {}, 16);
  for (const Layer& l : big.layers) CHECK(l.N == 16);
  CHECK(big.layers[0].macs() == 3456 * 8);
}

TEST_CASE("defaults, shared and fractional capacities, documentation keys", "[io]") {
  TempDir tmp;
  json doc = baseArch();
  doc["notes"] = "documentation";
  doc["glb"]["description"] = "also allowed";
  doc["glb"]["size_kib"] = 0.5;
  doc["rf"]["words"] = 0;
  const ArchSpec a = readArch(tmp.write("a.json", doc));
  CHECK(a.rf.partitions.empty());
  CHECK_FALSE(a.holds(Level::Rf, Tensor::Weights));
  CHECK(a.capacityWords(Level::Glb, Tensor::Weights) == 256);
  CHECK(a.glb.readWordsPerCycle == kUnlimited);
  CHECK(a.glb.writeWordsPerCycle == kUnlimited);
  CHECK(a.glb.latencyCycles == 0);
  CHECK(a.glb.doubleBuffered);
  CHECK(a.noc.wordsPerCycle == kUnlimited);
  CHECK(a.noc.multicast);
  CHECK(a.noc.hopLatencyCycles == 0);
  CHECK(a.dram.latencyCycles == 0);
  // Sliding-window reuse is on unless a level says otherwise (README "Halo reuse").
  CHECK(a.glb.haloReuse);
  CHECK(a.rf.haloReuse);
  doc["rf"]["halo_reuse"] = false;
  const ArchSpec off = readArch(tmp.write("off.json", doc));
  CHECK(off.glb.haloReuse);
  CHECK_FALSE(off.rf.haloReuse);
  doc["rf"].erase("halo_reuse");

  // A tensor in no partition bypasses the level.
  doc["glb"].erase("size_kib");
  doc["glb"]["partitions"] = json::parse(R"([{"tensors": ["inputs"], "size_kib": 1,
                                              "notes": "inputs only"}])");
  const ArchSpec b = readArch(tmp.write("b.json", doc));
  CHECK(b.capacityWords(Level::Glb, Tensor::Inputs) == 512);
  CHECK_FALSE(b.holds(Level::Glb, Tensor::Weights));
  CHECK_FALSE(b.holds(Level::Glb, Tensor::Outputs));

  json net = baseNetwork();
  net["layers"][0].erase("H");
  net["layers"][0].erase("W");
  net["layers"][0]["P"] = 6;
  net["layers"][0]["Q"] = 5;
  net["layers"].push_back(json::parse(R"({"name": "fc", "type": "fc", "in_features": 240,
                                          "out_features": 10, "description": "no in_shape"})"));
  const Network n = readNetwork(tmp.write("n.json", net));
  CHECK(n.layers[0].H == 8);
  CHECK(n.layers[0].W == 7);
  CHECK(n.layers[1].C == 240);
  CHECK(n.layers[1].H == 1);
  CHECK(n.layers[1].R == 1);
  CHECK(n.layers[1].M == 10);
  CHECK(n.layers[1].macs() == 2400);

  json e = baseEnergy();
  const EnergyTable t = readEnergy(tmp.write("e.json", e));
  CHECK(t.leakagePerCycle == 0.0);
  CHECK(t.cost(Level::Dram, Tensor::Outputs).write == 200.0);
}

TEST_CASE("set overrides", "[io]") {
  TempDir tmp;
  const std::string archFile = tmp.write("a.json", baseArch());
  const std::vector<Override> sets = {
      parseOverride("arch.glb.read_words_per_cycle=8"),
      parseOverride("arch.dram.bytes_per_cycle=unlimited"),
      parseOverride("arch.pe_array.rows=4"),
      parseOverride("arch.name=\"renamed\""),
      parseOverride("network.layers.0.stride=5"),  // another document: ignored by readArch
  };
  const ArchSpec a = readArch(archFile, sets);
  CHECK(a.glb.readWordsPerCycle == 8);
  CHECK(a.dram.bytesPerCycle == kUnlimited);
  CHECK(a.rows == 4);
  CHECK(a.name == "renamed");

  const std::string netFile = tmp.write("n.json", baseNetwork());
  const Network n = readNetwork(
      netFile, {parseOverride("network.layers.0.stride=2"),
                parseOverride("network.layers[0].padding=1"), parseOverride("network.batch=3")});
  CHECK(n.layers[0].rows == WindowAxis{2, 1, 1, 1});
  CHECK(n.layers[0].cols == WindowAxis{2, 1, 1, 1});
  CHECK(n.layers[0].P == 4);
  CHECK(n.layers[0].N == 3);

  const Override o = parseOverride("energy.rf.read=0.5");
  CHECK(o.path == "energy.rf.read");
  CHECK(o.value == "0.5");
  const EnergyTable t = readEnergy(tmp.write("e.json", baseEnergy()), {o});
  CHECK(t.cost(Level::Rf, Tensor::Weights).read == 0.5);
  CHECK(t.cost(Level::Rf, Tensor::Outputs).read == 0.5);
}

TEST_CASE("JSON syntax and file errors", "[io]") {
  TempDir tmp;
  std::string f = tmp.writeText("comma.json", "{\n  \"name\": \"x\"\n  \"word_bits\": 16\n}\n");
  CHECK(relative(errorOf([&] { readArch(f); }), f) ==
        "FILE:3:13: JSON syntax error: syntax error while parsing object - unexpected string "
        "literal; expected '}'");

  f = tmp.writeText("trailing.json", "{\"name\": \"x\",}");
  CHECK(relative(errorOf([&] { readEnergy(f); }), f) ==
        "FILE:1:14: JSON syntax error: syntax error while parsing object key - unexpected '}'; "
        "expected string literal");

  f = tmp.writeText("empty.json", "");
  CHECK(relative(errorOf([&] { readNetwork(f); }), f) ==
        "FILE:1:1: JSON syntax error: syntax error while parsing value - unexpected end of "
        "input; expected '[', '{', or a literal");

  const std::string missing = tmp.writeText("x", "") + ".does-not-exist.json";
  CHECK(errorOf([&] { readArch(missing); }) == missing + ": cannot open");

  f = tmp.writeText("dup.json", R"({"name": "n", "layers": [{"name": "a", "R": 1, "R": 2}]})");
  CHECK(relative(errorOf([&] { readNetwork(f); }), f) ==
        "FILE: network.layers[0].R: duplicate key");
}

TEST_CASE("architecture validation errors", "[io]") {
  TempDir tmp;
  json d = baseArch();
  d["glb"]["sise_kib"] = 100;
  CHECK(archError(tmp, d) ==
        "FILE: arch.glb.sise_kib: unknown key; valid keys: banks, double_buffered, "
        "halo_reuse, latency_cycles, partitions, read_words_per_cycle, size_kib, "
        "write_words_per_cycle");

  d = baseArch();
  d["word_bits"] = "16";
  CHECK(archError(tmp, d) == "FILE: arch.word_bits: expected an integer in 1..64, got \"16\"");

  d = baseArch();
  d["word_bits"] = 65;
  CHECK(archError(tmp, d) == "FILE: arch.word_bits: expected an integer in 1..64, got 65");

  d = baseArch();
  d["pe_array"]["rows"] = 3.0;
  CHECK(archError(tmp, d) == "FILE: arch.pe_array.rows: expected a positive integer, got 3.0");

  d = baseArch();
  d["pe_array"].erase("rows");
  CHECK(archError(tmp, d) ==
        "FILE: arch.pe_array.rows: missing required key (expected a positive integer)");

  d = baseArch();
  d["pe_array"] = {{"rows", 300}, {"cols", 300}};
  CHECK(archError(tmp, d) ==
        "FILE: arch.pe_array: expected at most 65536 PEs (rows*cols), got "
        "{\"cols\":300,\"rows\":300}");

  d = baseArch();
  d["glb"]["size_kib"] = -3;
  CHECK(archError(tmp, d) == "FILE: arch.glb.size_kib: expected a number >= 0, got -3");

  d = baseArch();
  d["noc"] = {{"words_per_cycle", "unlimted"}};
  CHECK(archError(tmp, d) ==
        "FILE: arch.noc.words_per_cycle: expected a positive integer or "
        "\"unlimited\", got \"unlimted\"");

  d = baseArch();
  d["glb"]["read_words_per_cycle"] = 0;
  CHECK(archError(tmp, d) ==
        "FILE: arch.glb.read_words_per_cycle: expected a positive "
        "integer or \"unlimited\", got 0");

  d = baseArch();
  d["dram"].erase("bytes_per_cycle");
  CHECK(archError(tmp, d) ==
        "FILE: arch.dram.bytes_per_cycle: missing required key (expected "
        "a positive integer or \"unlimited\")");

  d = baseArch();
  d["rf"]["partitions"] = json::array();
  CHECK(archError(tmp, d) ==
        "FILE: arch.rf: expected either \"words\" or \"partitions\", got both");

  d = baseArch();
  d["rf"] = json::parse(R"({"partitions": [{"tensors": ["weights"], "words": 4},
                                            {"tensors": ["inputs", "weights"], "words": 4}]})");
  CHECK(archError(tmp, d) ==
        "FILE: arch.rf.partitions[1].tensors[1]: expected a tensor "
        "listed once in arch.rf.partitions, got \"weights\"");

  d = baseArch();
  d["glb"] = json::parse(R"({"partitions": [{"tensors": ["weight"], "size_kib": 4}]})");
  CHECK(archError(tmp, d) ==
        "FILE: arch.glb.partitions[0].tensors[0]: expected one of "
        "\"weights\", \"inputs\", \"outputs\", got \"weight\"");

  d = baseArch();
  d["glb"] = json::parse(R"({"partitions": [{"tensors": ["inputs"], "words": 4}]})");
  CHECK(archError(tmp, d) ==
        "FILE: arch.glb.partitions[0].words: unknown key; valid keys: size_kib, tensors");

  d = baseArch();
  d["glb"]["size_kib"] = 0.001;
  CHECK(archError(tmp, d) ==
        "FILE: arch.glb.size_kib: expected 0 or at least one 16-bit word, got 0.001");

  d = baseArch();
  d["glb"]["latency_cycles"] = -1;
  CHECK(archError(tmp, d) == "FILE: arch.glb.latency_cycles: expected an integer >= 0, got -1");

  d = baseArch();
  d["noc"] = {{"multicast", "yes"}};
  CHECK(archError(tmp, d) == "FILE: arch.noc.multicast: expected true or false, got \"yes\"");

  d = baseArch();
  d["rf"] = 8;
  CHECK(archError(tmp, d) == "FILE: arch.rf: expected an object, got 8");

  d = baseArch();
  d["notes"] = 1;
  CHECK(archError(tmp, d) == "FILE: arch.notes: expected a string, got 1");

  d = json::array({1, 2});
  CHECK(archError(tmp, d) == "FILE: arch: expected an object, got [1,2]");
}

TEST_CASE("network validation errors", "[io]") {
  TempDir tmp;
  json d = baseNetwork();
  d["layers"].push_back(json::parse(
      R"({"name": "c2", "type": "conv", "C": 96, "M": 256, "H": 8, "W": 8, "R": 3, "S": 3,
          "groups": 5})"));
  CHECK(networkError(tmp, d) ==
        "FILE: network.layers[1].groups: expected a divisor of C=96 and M=256, got 5");

  d = baseNetwork();
  d["layers"][0]["P"] = 7;
  CHECK(networkError(tmp, d) ==
        "FILE: network.layers[0].P: expected 6 (from H=8, R=3, "
        "stride=1, padding=0), got 7");

  d = baseNetwork();
  d["layers"].push_back(d["layers"][0]);
  CHECK(networkError(tmp, d) ==
        "FILE: network.layers[1].name: expected a name not used by an "
        "earlier layer, got \"c1\"");

  d = baseNetwork();
  d["layers"][0]["name"] = "";
  CHECK(networkError(tmp, d) ==
        "FILE: network.layers[0].name: expected a non-empty string, got \"\"");

  d = baseNetwork();
  d["layers"] = json::parse(R"([{"name": "p", "type": "pool", "R": 2}])");
  CHECK(networkError(tmp, d) ==
        "FILE: network.layers[0].C: missing required key (expected a "
        "positive integer; a pool layer with no previous layer "
        "must give C, H and W)");

  d = baseNetwork();
  d["layers"] = json::parse(
      R"([{"name": "fc1", "type": "fc", "in_features": 9216, "out_features": 4096,
           "in_shape": [256, 6, 5]}])");
  CHECK(networkError(tmp, d) ==
        "FILE: network.layers[0].in_shape: expected [C, H, W] whose "
        "product is in_features=9216, got [256,6,5]");

  d = baseNetwork();
  d["layers"][0]["in_shape"] = json::array({256, 36});
  d["layers"][0] = json::parse(
      R"({"name": "fc1", "type": "fc", "in_features": 9216, "out_features": 4096,
          "in_shape": [256, 36]})");
  CHECK(networkError(tmp, d) ==
        "FILE: network.layers[0].in_shape: expected an array [C, H, W] "
        "of 3 positive integers, got [256,36]");

  d = baseNetwork();
  d["layers"][0]["R"] = 11;
  CHECK(networkError(tmp, d) ==
        "FILE: network.layers[0].R: expected at most the padded input "
        "height H+padding=8, got 11");

  d = baseNetwork();
  d["layers"][0]["padding"] = 1;
  d["layers"][0]["S"] = 11;
  CHECK(networkError(tmp, d) ==
        "FILE: network.layers[0].S: expected at most the padded input "
        "width W+padding=10, got 11");

  d = baseNetwork();
  d["layers"][0].erase("H");
  CHECK(networkError(tmp, d) ==
        "FILE: network.layers[0].H: missing required key (expected a "
        "positive integer, or P for the output height)");

  d = baseNetwork();
  d["layers"][0].erase("H");
  d["layers"][0]["P"] = 1;
  d["layers"][0]["padding"] = 2;
  CHECK(networkError(tmp, d) ==
        "FILE: network.layers[0].padding: expected padding that leaves "
        "an input height of at least 1 (H = (P-1)*stride + R - "
        "padding = -1), got 2");

  d = baseNetwork();
  d["layers"][0]["type"] = "cnv";
  CHECK(networkError(tmp, d) ==
        "FILE: network.layers[0].type: expected one of \"conv\", "
        "\"fc\", \"pool\", got \"cnv\"");

  d = baseNetwork();
  d["layers"][0]["type"] = 3;
  CHECK(networkError(tmp, d) ==
        "FILE: network.layers[0].type: expected one of \"conv\", \"fc\", \"pool\", got 3");

  d = baseNetwork();
  d["layers"][0].erase("type");
  CHECK(networkError(tmp, d) ==
        "FILE: network.layers[0].type: missing required key (expected "
        "one of \"conv\", \"fc\", \"pool\")");

  d = baseNetwork();
  d["layers"][0]["in_features"] = 3;
  CHECK(networkError(tmp, d) ==
        "FILE: network.layers[0].in_features: unknown key; valid keys: "
        "C, H, M, N, P, Q, R, S, W, dilation, groups, name, padding, "
        "stride, type");

  d = baseNetwork();
  d["layers"][0]["stride"] = 0;
  CHECK(networkError(tmp, d) ==
        "FILE: network.layers[0].stride: expected a positive integer, got 0");

  d = baseNetwork();
  d["layers"] = json::array();
  CHECK(networkError(tmp, d) ==
        "FILE: network.layers: expected a non-empty array of layers, got []");

  d = baseNetwork();
  d["layers"][0] = json::parse(R"({"name": "huge", "type": "fc", "in_features": 1048576,
                                   "out_features": 1048576, "N": 2})");
  CHECK(networkError(tmp, d) ==
        "FILE: network.layers[0]: expected a layer of at most 2^40 "
        "MACs, got 2199023255552 MACs");

  d = baseNetwork();
  d["layers"][0]["C"] = 2000000000000;
  CHECK(networkError(tmp, d) ==
        "FILE: network.layers[0].C: expected a positive integer <= 2^40, got 2000000000000");

  d = baseNetwork();
  d["batch"] = -2;
  CHECK(networkError(tmp, d) == "FILE: network.batch: expected a positive integer, got -2");
}

TEST_CASE("energy table validation errors", "[io]") {
  TempDir tmp;
  json d = baseEnergy();
  d["glb"]["read"] = -6;
  CHECK(energyError(tmp, d) == "FILE: energy.glb.read: expected a number >= 0, got -6");

  d = baseEnergy();
  d.erase("dram");
  CHECK(energyError(tmp, d) == "FILE: energy.dram: missing required key (expected an object)");

  d = baseEnergy();
  d["noc"]["per_hop"] = 1;
  CHECK(energyError(tmp, d) ==
        "FILE: energy.noc.per_hop: unknown key; valid keys: inputs, outputs, per_word, weights");
}

TEST_CASE("set errors", "[io]") {
  CHECK(errorOf([] { parseOverride("arch.glb.banks"); }) ==
        "--set arch.glb.banks: expected key.path=value, got no '='");
  CHECK(errorOf([] { parseOverride("archx.glb.banks=2"); }) ==
        "--set archx.glb.banks=2: expected key.path=value with the path starting with arch., "
        "network. or energy.");
  CHECK(errorOf([] { parseOverride("arch=2"); }) ==
        "--set arch=2: expected key.path=value with the path starting with arch., network. or "
        "energy.");
  CHECK(errorOf([] { parseOverride("arch.glb..banks=2"); }) ==
        "--set arch.glb..banks=2: expected key.path=value, got an empty path component");

  TempDir tmp;
  const std::string archFile = tmp.write("a.json", baseArch());
  CHECK(errorOf([&] { readArch(archFile, {parseOverride("arch.glbx.banks=4")}); }) ==
        "--set arch.glbx.banks=4: arch.glbx: no such key; keys here: clock_mhz, dram, glb, name, "
        "pe_array, rf, word_bits");
  CHECK(errorOf([&] { readArch(archFile, {parseOverride("arch.word_bits.x=1")}); }) ==
        "--set arch.word_bits.x=1: arch.word_bits: expected an object or array to descend into, "
        "got 16");
  // A new last component is added, and the strict reader then rejects it.
  CHECK(errorOf([&] { readArch(archFile, {parseOverride("arch.glb.bank=4")}); }) ==
        archFile +
            ": arch.glb.bank: unknown key; valid keys: banks, double_buffered, halo_reuse, "
            "latency_cycles, "
            "partitions, read_words_per_cycle, size_kib, write_words_per_cycle");
  // A value that is not JSON is a string.
  CHECK(errorOf([&] { readArch(archFile, {parseOverride("arch.dram.bytes_per_cycle=fast")}); }) ==
        archFile +
            ": arch.dram.bytes_per_cycle: expected a positive integer or \"unlimited\", got "
            "\"fast\"");

  const std::string netFile = tmp.write("n.json", baseNetwork());
  CHECK(errorOf([&] { readNetwork(netFile, {parseOverride("network.layers.3.stride=2")}); }) ==
        "--set network.layers.3.stride=2: network.layers: expected an array index in 0..0, got "
        "\"3\"");
  CHECK(errorOf([&] { readNetwork(netFile, {parseOverride("network.layers.x.stride=2")}); }) ==
        "--set network.layers.x.stride=2: network.layers: expected an array index in 0..0, got "
        "\"x\"");
}

TEST_CASE("conv windows per axis: stride, dilation and padding forms", "[io]") {
  TempDir tmp;
  auto read = [&](const std::string& keys) {
    const json d = json::parse(R"({"name": "n", "layers": [{"name": "c", "type": "conv", "C": 2,
        "M": 3, "H": 11, "W": 10, "R": 3, "S": 2, )" +
                               keys + "}]}");
    return readNetwork(tmp.write("net.json", d)).layers[0];
  };
  // one number: both axes (and every side)
  Layer l = read(R"("stride": 2, "padding": 1)");
  CHECK(l.rows == WindowAxis{2, 1, 1, 1});
  CHECK(l.cols == WindowAxis{2, 1, 1, 1});
  CHECK(l.P == 6);  // (11 + 2 - 3) / 2 + 1
  CHECK(l.Q == 6);  // (10 + 2 - 2) / 2 + 1
  // [rows, cols]
  l = read(R"("stride": [2, 1], "padding": [0, 3], "dilation": [1, 4])");
  CHECK(l.rows == WindowAxis{2, 1, 0, 0});
  CHECK(l.cols == WindowAxis{1, 4, 3, 3});
  CHECK(l.P == 5);   // (11 - 3) / 2 + 1
  CHECK(l.Q == 12);  // 10 + 6 - (4 * 1 + 1) + 1
  CHECK(l.paddedW() == 16);
  // [top, bottom, left, right]; a dilation of both axes; the sizes from P and Q alone
  const json d = json::parse(R"({"name": "n", "layers": [{"name": "c", "type": "conv", "C": 2,
      "M": 3, "P": 4, "Q": 5, "R": 3, "S": 3, "padding": [0, 1, 2, 0], "dilation": 2}]})");
  l = readNetwork(tmp.write("net.json", d)).layers[0];
  CHECK(l.rows == WindowAxis{1, 2, 0, 1});
  CHECK(l.cols == WindowAxis{1, 2, 2, 0});
  CHECK(l.H == 7);  // (4 - 1) + 2 * 2 + 1 - 1
  CHECK(l.W == 7);  // (5 - 1) + 5 - 2
  CHECK(l.shape().coef(Tensor::Inputs, 3, l.shape().dimByName("R")) == 2);
  // the dump writes the shortest form and reads back the same layer
  const Network net = readNetwork(tmp.write("net.json", d));
  const json dumped = networkToJson(net);
  CHECK(dumped["layers"][0]["padding"] == json::array({0, 1, 2, 0}));
  CHECK(dumped["layers"][0]["dilation"] == 2);
  const Layer back = networkFromJson(dumped, "dump").layers[0];
  CHECK(back.rows == l.rows);
  CHECK(back.cols == l.cols);
  CHECK(networkToJson(readNetwork(tmp.write(
            "n2.json",
            json::parse(
                R"({"name": "n", "layers": [{"name": "c", "type": "conv", "C": 1, "M": 1, "H": 5,
                "W": 5, "R": 3, "S": 3, "padding": [1, 1]}]})"))))["layers"][0]["padding"] == 1);
}

TEST_CASE("conv window errors name the key and what was expected", "[io]") {
  TempDir tmp;
  auto err = [&](const std::string& keys) {
    const json d = json::parse(R"({"name": "n", "layers": [{"name": "c", "type": "conv", "C": 2,
        "M": 3, "H": 11, "W": 10, "R": 3, "S": 3, )" +
                               keys + "}]}");
    return networkError(tmp, d);
  };
  CHECK(err(R"("stride": [2, 1, 1])") ==
        "FILE: network.layers[0].stride: expected a positive integer or [rows, cols] of 2, got "
        "[2,1,1]");
  CHECK(err(R"("padding": [1, 2, 3])") ==
        "FILE: network.layers[0].padding: expected an integer >= 0, [rows, cols] of 2 or [top, "
        "bottom, left, right] of 4, got [1,2,3]");
  CHECK(err(R"("padding": [1, -1])") ==
        "FILE: network.layers[0].padding[1]: expected an integer >= 0, got -1");
  CHECK(err(R"("dilation": [1, 0])") ==
        "FILE: network.layers[0].dilation[1]: expected a positive integer, got 0");
  CHECK(err(R"("stride": [1, 2], "dilation": 2)") ==
        "FILE: network.layers[0].dilation: expected 1 along an axis whose stride is above 1 "
        "(cols: stride 2; dfsim's closed-form tile counts cover a strided window or a dilated "
        "one, not both), got 2");
  CHECK(err(R"("dilation": 6)") ==
        "FILE: network.layers[0].R: expected at most the padded input height H+padding=11 as "
        "its span (dilation 6: 13 rows), got 3");
  // pooling takes no dilation
  const json pool = json::parse(R"({"name": "n", "layers": [{"name": "p", "type": "pool",
      "C": 2, "H": 8, "W": 8, "R": 2, "dilation": 2}]})");
  CHECK(networkError(tmp, pool) ==
        "FILE: network.layers[0].dilation: unknown key; valid keys: C, H, N, R, S, W, name, "
        "padding, stride, type");
}

}  // namespace dfsim
