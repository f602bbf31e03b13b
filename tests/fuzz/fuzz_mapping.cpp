// libFuzzer harness: any bytes as a mapping file (what --mapping reads). The contract of
// fuzz_support.hpp, plus: the file and in-memory paths agree; a mapping read back from its own
// mappingToJson text is the same mapping; validateMapping against a fixed small conv layer and
// arch throws nothing but InputError; and a mapping it accepts gets analytic counts whose MACs
// are the layer's (the closed-form model must hold for every legal mapping, not just ours).
#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz_support.hpp"
#include "io/mapping_io.hpp"
#include "mapping/analytic_model.hpp"
#include "mapping/validate_mapping.hpp"

namespace {

using nlohmann::json;

// configs/arch/tiny_4x4.json and models/tiny_conv.json (the seeds are their mappings), small
// enough that any legal mapping scores fast.
const dfsim::ArchSpec& fixedArch() {
  static const dfsim::ArchSpec arch =
      dfsim::archFromJson(json::parse(R"({"name": "fuzz_4x4", "word_bits": 16, "clock_mhz": 200,
        "pe_array": {"rows": 4, "cols": 4}, "rf": {"words": 16},
        "glb": {"size_kib": 2, "banks": 1, "read_words_per_cycle": 4,
                "write_words_per_cycle": 4, "latency_cycles": 1, "double_buffered": true},
        "noc": {"words_per_cycle": 4, "multicast": true, "hop_latency_cycles": 1},
        "dram": {"bytes_per_cycle": 4, "latency_cycles": 10}})"),
                          "fuzz_arch.json");
  return arch;
}

const dfsim::Layer& fixedLayer() {
  static const dfsim::Network net = dfsim::networkFromJson(
      json::parse(R"({"name": "tiny_conv", "batch": 1, "layers": [{"name": "conv",
        "type": "conv", "C": 2, "M": 4, "H": 6, "W": 6, "R": 3, "S": 3}]})"),
      "fuzz_network.json");
  return net.layers.front();
}

json asJson(const dfsim::MappingFile& f) {
  return dfsim::mappingToJson(dfsim::Layer().shape(), f.mapping, f.layer, f.label);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using dfsim::fuzz::attempt;
  using dfsim::fuzz::finding;
  const std::string text = dfsim::fuzz::bytes(data, size);
  const std::string& path = dfsim::fuzz::memFile().write(text);
  const auto inMemory = attempt([&] {
    return asJson(dfsim::mappingFromJson(dfsim::parseJsonText(text, path, "mapping"), path));
  });
  const auto fromFile = attempt([&] { return asJson(dfsim::readMappingFile(path)); });
  if (inMemory.ok != fromFile.ok || inMemory.error != fromFile.error ||
      inMemory.value != fromFile.value) {
    finding("the file and in-memory paths disagree: '" + inMemory.error + "' vs '" +
            fromFile.error + "'");
  }
  if (!inMemory.ok) return 0;

  // What every run writes to <out>/mappings/ must read back as the same mapping.
  const dfsim::MappingFile m = dfsim::mappingFromJson(inMemory.value, "written.json");
  if (asJson(m) != inMemory.value) finding("a written mapping reads back differently");

  const auto checked = attempt([&] {
    dfsim::validateMapping(fixedLayer(), fixedArch(), m.mapping, path);
    return json(true);
  });
  if (!checked.ok) return 0;
  const dfsim::AccessCounts counts =
      dfsim::analyticCounts(fixedLayer().shape(), fixedArch(), m.mapping);
  if (counts.macs != fixedLayer().macs()) {
    finding("analytic MACs " + std::to_string(counts.macs) + " of a legal mapping, expected " +
            std::to_string(fixedLayer().macs()));
  }
  return 0;
}
