// The ISCA 2016 equal-area presets (configs/arch/isca16/*.json, 256 PEs): each one holds the
// storage of the paper's table (shared/reference/eyeriss.md section 4) and runs its own dataflow
// on tiny layers with outputs checked and simulated counts equal to the analytic model.

#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "dataflow/default_mapper.hpp"
#include "io/readers.hpp"
#include "mapping/analytic_model.hpp"
#include "mapping/validate_mapping.hpp"
#include "sim/simulate_layer.hpp"
#include "test_support.hpp"

#ifndef DFSIM_SOURCE_DIR
#error "DFSIM_SOURCE_DIR must name the source tree (set by CMake)"
#endif

using namespace dfsim;

namespace {

struct Preset {
  const char* file;
  Dataflow dataflow;
  std::int64_t rfBytesPerPe;  ///< the paper's table
  double glbKib;              ///< the paper's table
};

const std::vector<Preset>& presets() {
  static const std::vector<Preset> kPresets = {
      {"rs", Dataflow::RS, 512, 128.0},    {"ws", Dataflow::WS, 2, 334.3},
      {"os_a", Dataflow::OS_A, 98, 243.9}, {"os_b", Dataflow::OS_B, 10, 303.8},
      {"os_c", Dataflow::OS_C, 2, 334.3},  {"nlr", Dataflow::NLR, 0, 338.3},
  };
  return kPresets;
}

ArchSpec readPreset(const Preset& p) {
  return readArch(std::string(DFSIM_SOURCE_DIR) + "/configs/arch/isca16/" + p.file + ".json");
}

/// Maps `layer` with the preset's dataflow, simulates it with the functional check and compares
/// with the analytic model; with unlimited bandwidth and no latency, cycles = MACs / active PEs
/// (a perfect tiling: every PE computes at every step).
SimResult runChecked(const Layer& layer, const ArchSpec& arch, Dataflow df) {
  INFO("layer " << layer.name << ", dataflow " << dataflowName(df) << ", arch " << arch.name);
  Mapping m;
  REQUIRE_NOTHROW(m = defaultMapping(layer, arch, df, Tiling::Perfect));
  INFO(test::nest(m));
  REQUIRE_NOTHROW(validateMapping(layer, arch, m, "isca16 preset test"));
  SimOptions opt;
  opt.check = true;
  const SimResult r = simulateLayer(layer, arch, m, opt);
  CHECK(r.checked);
  CHECK(r.counts == analyticCounts(layer.shape(), arch, m));
  CHECK(r.counts.macs == layer.macs());
  CHECK(layer.macs() % m.activePes() == 0);
  CHECK(r.cycles.total.count() == static_cast<std::uint64_t>(layer.macs() / m.activePes()));
  return r;
}

}  // namespace

TEST_CASE("isca16 presets: storage of the ISCA 2016 table, 256 PEs, no bandwidth limits",
          "[dataflow][presets]") {
  for (const Preset& p : presets()) {
    INFO("preset " << p.file);
    const ArchSpec a = readPreset(p);
    CHECK(a.name == std::string("isca16_") + p.file);
    CHECK(a.rows == 16);
    CHECK(a.cols == 16);
    CHECK(a.wordBits == 16);
    CHECK(a.clockMhz == 200.0);
    std::int64_t rfWords = 0;
    for (const StoragePartition& part : a.rf.partitions) rfWords += part.capacityWords;
    CHECK(rfWords * 2 == p.rfBytesPerPe);
    REQUIRE(a.glb.partitions.size() == 1);
    CHECK(a.glb.partitions[0].capacityWords ==
          static_cast<std::int64_t>(std::floor(p.glbKib * 1024.0 / 2.0)));
    for (Tensor t : kAllTensors) CHECK(a.glb.partitions[0].tensors[t]);
    CHECK(a.glb.readWordsPerCycle == kUnlimited);
    CHECK(a.glb.writeWordsPerCycle == kUnlimited);
    CHECK(a.glb.latencyCycles == 0);
    CHECK(a.noc.wordsPerCycle == kUnlimited);
    CHECK(a.noc.hopLatencyCycles == 0);
    CHECK(a.dram.bytesPerCycle == kUnlimited);
    CHECK(a.dram.latencyCycles == 0);
  }
  // The RF holds what each dataflow keeps there.
  const auto rfOf = [](const char* file, Tensor t) {
    for (const Preset& p : presets()) {
      if (std::string(p.file) == file) return readPreset(p).capacityWords(Level::Rf, t);
    }
    return std::int64_t{-1};
  };
  CHECK(rfOf("ws", Tensor::Weights) == 1);
  CHECK(rfOf("ws", Tensor::Inputs) == 0);
  CHECK(rfOf("os_a", Tensor::Inputs) == 48);
  CHECK(rfOf("os_a", Tensor::Outputs) == 1);
  CHECK(rfOf("os_b", Tensor::Outputs) == 1);
  CHECK(rfOf("os_c", Tensor::Outputs) == 1);
  CHECK(rfOf("os_c", Tensor::Inputs) == 0);
  CHECK(rfOf("rs", Tensor::Weights) == 256);
  CHECK(rfOf("nlr", Tensor::Outputs) == 0);
}

TEST_CASE("isca16 presets: a tiny conv and a tiny FC under each preset's own dataflow",
          "[dataflow][presets]") {
  const Layer conv = test::conv("tiny_conv", 1, 4, 8, 7, 3, 1, 1);
  const Layer fc = test::fc("tiny_fc", 4, 32, 16);
  for (const Preset& p : presets()) {
    const ArchSpec a = readPreset(p);
    runChecked(conv, a, p.dataflow);
    runChecked(fc, a, p.dataflow);
  }
}

TEST_CASE("isca16 RS preset: an AlexNet-CONV3-shaped layer, scaled down", "[dataflow][presets]") {
  // CONV3 is C=256, M=384, H=13 (15 padded), R=3, pad 1; here C and M are cut to 16.
  const Layer layer = test::conv("conv3_small", 1, 16, 16, 13, 3, 1, 1);
  const ArchSpec a = readPreset(presets()[0]);
  REQUIRE(a.name == "isca16_rs");
  const SimResult r = runChecked(layer, a, Dataflow::RS);
  CHECK(r.activePes <= 256);
  CHECK(r.counts(Level::Dram, Tensor::Outputs).writes == layer.tensorWords()[Tensor::Outputs]);
}
