// Reads configs/energy/*.json into an EnergyTable (format: src/io/README.md).
#include <string>
#include <vector>

#include "io/json_file.hpp"
#include "io/readers.hpp"
#include "io/strict_object.hpp"

namespace dfsim {

namespace {
constexpr std::int64_t kMaxWordBits = 64;
}  // namespace

EnergyTable energyFromJson(const nlohmann::json& doc, const std::string& file) {
  const StrictObject root(
      doc, JsonPos(file, "energy"),
      {"name", "unit", "word_bits", "mac", "rf", "noc", "glb", "dram", "leakage_per_cycle"});
  const NumberSpec cost = nonNegativeNumber();
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
