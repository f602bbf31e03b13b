// Reads configs/energy/*.json into an EnergyTable (format: src/io/README.md).
#include <string>
#include <vector>

#include "io/json_file.hpp"
#include "io/readers.hpp"
#include "io/strict_object.hpp"

namespace dfsim {

namespace {
constexpr std::int64_t kMaxWordBits = 64;
/// Largest cost of one action accepted (in the table's unit). Every count and cycle count of a
/// run is below 2^63 (validateMapping bounds cycles by 2^62), so one cost times one count is
/// below 1e15 * 9.3e18 < 1e34, a layer's energy (some 30 such terms) below 1e36, a sum over
/// any number of rows dfsim can simulate and an energy-delay product (times < 2^63 cycles) far
/// below the largest double: no energy, per-MAC figure or EDP can become infinite.
constexpr double kMaxCost = 1e15;
}  // namespace

EnergyTable energyFromJson(const nlohmann::json& doc, const std::string& file) {
  const StrictObject root(
      doc, JsonPos(file, "energy"),
      {"name", "unit", "word_bits", "mac", "rf", "noc", "glb", "dram", "leakage_per_cycle"});
  const NumberSpec cost{0.0, true, kMaxCost, "a number >= 0", "a number in [0, 1e15]"};
  EnergyTable t;
  t.name = root.getString("name");
  t.unit = root.getString("unit");
  t.wordBits = root.getInt("word_bits", intInRange(1, kMaxWordBits));
  t.macPerOp = root.getNumber("mac", cost);
  const StrictObject rf = root.getObject("rf", {"read", "write"});
  t.rfReadPerWord = rf.getNumber("read", cost);
  t.rfWritePerWord = rf.getNumber("write", cost);
  const StrictObject noc = root.getObject("noc", {"per_word"});
  t.nocPerWord = noc.getNumber("per_word", cost);
  const StrictObject glb = root.getObject("glb", {"read", "write"});
  t.glbReadPerWord = glb.getNumber("read", cost);
  t.glbWritePerWord = glb.getNumber("write", cost);
  const StrictObject dram = root.getObject("dram", {"read", "write"});
  t.dramReadPerWord = dram.getNumber("read", cost);
  t.dramWritePerWord = dram.getNumber("write", cost);
  t.leakagePerCycle = root.getNumber("leakage_per_cycle", cost, 0.0);
  return t;
}

EnergyTable readEnergy(const std::string& path, const std::vector<Override>& overrides) {
  nlohmann::json doc = loadJsonFile(path, "energy");
  applyOverrides(doc, "energy", overrides);
  return energyFromJson(doc, path);
}

nlohmann::json energyToJson(const EnergyTable& t) {
  return {{"name", t.name},
          {"unit", t.unit},
          {"word_bits", t.wordBits},
          {"mac", t.macPerOp},
          {"rf", {{"read", t.rfReadPerWord}, {"write", t.rfWritePerWord}}},
          {"noc", {{"per_word", t.nocPerWord}}},
          {"glb", {{"read", t.glbReadPerWord}, {"write", t.glbWritePerWord}}},
          {"dram", {{"read", t.dramReadPerWord}, {"write", t.dramWritePerWord}}},
          {"leakage_per_cycle", t.leakagePerCycle}};
}

}  // namespace dfsim
