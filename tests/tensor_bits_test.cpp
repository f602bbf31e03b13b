// Per-tensor word widths (arch "tensor_bits"): the reader, the partitions' capacity in bits, and
// DRAM bytes per word.
#include <functional>
#include <string>

#include <catch2/catch.hpp>

#include "common/errors.hpp"
#include "dataflow/capacity_fit.hpp"
#include "dataflow/mapper_search.hpp"
#include "io/readers.hpp"
#include "mapping/analytic_model.hpp"
#include "mapping/validate_mapping.hpp"
#include "sim/simulate_layer.hpp"
#include "temp_dir.hpp"
#include "test_support.hpp"

using namespace dfsim;
using nlohmann::json;

namespace {

json eyerissDoc() {
  return json::parse(R"({"name": "e", "word_bits": 16, "clock_mhz": 200,
    "pe_array": {"rows": 12, "cols": 14},
    "rf": {"partitions": [{"tensors": ["weights"], "words": 224},
                          {"tensors": ["inputs"], "words": 12},
                          {"tensors": ["outputs"], "words": 24}]},
    "glb": {"partitions": [{"tensors": ["inputs", "outputs"], "size_kib": 100},
                           {"tensors": ["weights"], "size_kib": 8}]},
    "dram": {"bytes_per_cycle": 8}})");
}

std::string errorOf(const std::function<void()>& f) {
  try {
    f();
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("tensor_bits gives each tensor its own word width, and missing ones take word_bits",
          "[io][precision]") {
  json doc = eyerissDoc();
  const ArchSpec same = archFromJson(doc, "a.json");
  for (Tensor t : kAllTensors) CHECK(same.bitsOf(t) == 16);
  CHECK(archToJson(same)["tensor_bits"] ==
        json({{"weights", 16}, {"inputs", 16}, {"outputs", 16}}));
  doc["tensor_bits"] = {{"weights", 8}, {"inputs", 8}};
  const ArchSpec int8 = archFromJson(doc, "a.json");
  CHECK(int8.bitsOf(Tensor::Weights) == 8);
  CHECK(int8.bitsOf(Tensor::Inputs) == 8);
  CHECK(int8.bitsOf(Tensor::Outputs) == 16);
  CHECK(int8.dramBytesPerWord(Tensor::Weights) == 1);
  CHECK(int8.dramBytesPerWord(Tensor::Outputs) == 2);
  // The dump states every width and reads back the same.
  CHECK(archToJson(archFromJson(archToJson(int8), "dump")) == archToJson(int8));
  doc["tensor_bits"] = {{"weights", 0}};
  CHECK(errorOf([&] { archFromJson(doc, "a.json"); }) ==
        "a.json: arch.tensor_bits.weights: expected an integer in 1..64, got 0");
  doc["tensor_bits"] = {{"psums", 32}};
  CHECK(errorOf([&] { archFromJson(doc, "a.json"); }).find("arch.tensor_bits.psums") !=
        std::string::npos);
}

TEST_CASE("a partition holds as many words of a tensor as its bits allow", "[precision]") {
  // 300 weights of a 3x... RF tile: more than 224 16-bit words, fewer than 448 8-bit ones.
  const Layer l = test::conv("c", 1, 4, 25, 5, 3);  // M 25, C 4, R = S = 3, P = Q = 3
  Mapping m;
  m.dramLoops = {{test::cd::P, 3}, {test::cd::Q, 3}};
  m.rfLoops = {{test::cd::M, 25}, {test::cd::C, 4}, {test::cd::R, 3}};
  m.spatialLoops = {{test::cd::S, 3, Axis::Cols}};
  m.rfKeeps = {{true, false, false}};
  json doc = eyerissDoc();
  const ArchSpec wide = archFromJson(doc, "a.json");
  CHECK(errorOf([&] { validateMapping(l, wide, m, "m.json"); }) ==
        "m.json: rf tile of weights needs 300 words but its partition holds 224");
  doc["tensor_bits"] = {{"weights", 8}};
  const ArchSpec narrow = archFromJson(doc, "a.json");
  CHECK_NOTHROW(validateMapping(l, narrow, m, "m.json"));
  doc["tensor_bits"] = {{"weights", 12}};
  const ArchSpec twelve = archFromJson(doc, "a.json");
  CHECK(errorOf([&] { validateMapping(l, twelve, m, "m.json"); }) ==
        "m.json: rf tile of weights needs 3600 bits (300 12-bit weights) but its partition "
        "holds 3584 (224 16-bit words)");
}

TEST_CASE("narrower words take fewer DRAM bytes and fit where wider ones do not", "[precision]") {
  // The RF mapping of the previous case, simulated: it runs only where weights are 8 bits wide.
  const Layer l = test::conv("c", 1, 4, 25, 5, 3);
  Mapping m;
  m.dramLoops = {{test::cd::P, 3}, {test::cd::Q, 3}};
  m.rfLoops = {{test::cd::M, 25}, {test::cd::C, 4}, {test::cd::R, 3}};
  m.spatialLoops = {{test::cd::S, 3, Axis::Cols}};
  m.rfKeeps = {{true, false, false}};
  for (bool viaGlb : {true, false}) {
    INFO((viaGlb ? "through the GLB" : "the GLB bypassing inputs and outputs"));
    json doc = eyerissDoc();
    doc["dram"]["bytes_per_cycle"] = 1;  // DRAM-bound
    doc["dram"]["latency_cycles"] = 0;
    if (!viaGlb) doc["glb"]["partitions"] = {{{"tensors", {"weights"}}, {"size_kib", 8}}};
    doc["tensor_bits"] = {{"weights", 8}, {"inputs", 16}, {"outputs", 16}};
    const ArchSpec w8 = archFromJson(doc, "a.json");
    doc["tensor_bits"] = {{"weights", 8}, {"inputs", 8}, {"outputs", 8}};
    const ArchSpec all8 = archFromJson(doc, "a.json");
    m.glbKeeps = {{true, viaGlb, viaGlb}};
    SimOptions opt;
    opt.check = true;
    const SimResult a = simulateLayer(l, w8, m, opt);
    const SimResult b = simulateLayer(l, all8, m, opt);
    CHECK(a.checked);
    CHECK(b.checked);
    // Words are words: the counts do not depend on the widths, and equal the analytic model.
    CHECK(a.counts == analyticCounts(l.shape(), w8, m));
    CHECK(b.counts == a.counts);
    // DRAM carries each tensor's words at its width: 1 byte per cycle makes the time follow.
    std::int64_t bytesA = 0;
    std::int64_t bytesB = 0;
    for (Tensor t : kAllTensors) {
      const std::int64_t words = a.counts(Level::Dram, t).reads + a.counts(Level::Dram, t).writes;
      bytesA += words * w8.dramBytesPerWord(t);
      bytesB += words * all8.dramBytesPerWord(t);
    }
    REQUIRE(bytesB < bytesA);
    CHECK(a.cycles.total.count() >= static_cast<std::uint64_t>(bytesA));
    CHECK(b.cycles.total.count() >= static_cast<std::uint64_t>(bytesB));
    CHECK(b.cycles.total < a.cycles.total);
  }
}

TEST_CASE("the mappers count a partition in bits too", "[precision][mapper]") {
  const Layer l = test::conv("c", 1, 4, 25, 5, 3);
  const ProblemShape shape = l.shape();
  json doc = eyerissDoc();
  const ArchSpec wide = archFromJson(doc, "a.json");
  doc["tensor_bits"] = {{"weights", 8}};
  const ArchSpec narrow = archFromJson(doc, "a.json");
  DimExtents ext;
  ext.fill(1);
  ext[idx(test::cd::M)] = 25;
  ext[idx(test::cd::C)] = 4;
  ext[idx(test::cd::R)] = 3;  // 300 weights
  const PerTensor<bool> weightsOnly{{true, false, false}};
  CHECK_FALSE(CapacityFit{shape, wide, weightsOnly, weightsOnly}.fits(Level::Rf, ext));
  CHECK(CapacityFit{shape, narrow, weightsOnly, weightsOnly}.fits(Level::Rf, ext));
  // The cycle estimate charges DRAM each tensor's bytes.
  Mapping m;
  m.dramLoops = {{test::cd::M, 25}, {test::cd::C, 4}, {test::cd::R, 3},
                 {test::cd::S, 3},  {test::cd::P, 3}, {test::cd::Q, 3}};
  doc["dram"]["bytes_per_cycle"] = 1;
  doc.erase("tensor_bits");
  const ArchSpec slow16 = archFromJson(doc, "a.json");
  doc["tensor_bits"] = {{"weights", 8}, {"inputs", 8}, {"outputs", 8}};
  const ArchSpec slow8 = archFromJson(doc, "a.json");
  const AccessCounts c = analyticCounts(shape, slow16, m);
  CHECK(estimateCycles(l, slow8, m, c) < estimateCycles(l, slow16, m, c));
}
