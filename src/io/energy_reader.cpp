// Reads configs/energy/*.json into an EnergyTable (format: src/io/README.md).
#include <array>
#include <string>
#include <vector>

#include "io/json_file.hpp"
#include "io/readers.hpp"
#include "io/strict_object.hpp"

namespace dfsim {

namespace {

using nlohmann::json;

constexpr std::int64_t kMaxWordBits = 64;
/// Largest cost of one action accepted (in the table's unit). Every count and cycle count of a
/// run is below 2^63 (validateMapping bounds cycles by 2^62), so one cost times one count is
/// below 1e15 * 9.3e18 < 1e34, a layer's energy (some 30 such terms) below 1e36, a sum over
/// any number of rows dfsim can simulate and an energy-delay product (times < 2^63 cycles) far
/// below the largest double: no energy, per-MAC figure or EDP can become infinite.
constexpr double kMaxCost = 1e15;

const NumberSpec& costSpec() {
  static const NumberSpec spec{0.0, true, kMaxCost, "a number >= 0", "a number in [0, 1e15]"};
  return spec;
}

/// How one level is written in the file: its key and the names of its two actions (read and
/// write; the NoC has one, `per_word`, which prices both).
struct LevelFormat {
  std::string key;
  std::vector<std::string> actions;
};

const std::array<LevelFormat, kNumLevels>& levelFormats() {
  static const std::array<LevelFormat, kNumLevels> formats = {
      LevelFormat{"dram", {"read", "write"}}, LevelFormat{"glb", {"read", "write"}},
      LevelFormat{"noc", {"per_word"}}, LevelFormat{"rf", {"read", "write"}}};
  return formats;
}

/// Action `a` (0 = read, 1 = write) of `c`.
double& actionOf(AccessCost& c, std::size_t a) {
  return a == 0 ? c.read : c.write;
}
double actionOf(const AccessCost& c, std::size_t a) {
  return a == 0 ? c.read : c.write;
}

/// Reads one level: `{"read", "write", "weights": {"read", "write"}, "inputs": ..., "outputs":
/// ...}`. A tensor's action defaults to the level's; the level's is required only where some
/// tensor does not give its own.
PerTensor<AccessCost> readLevel(const StrictObject& root, const LevelFormat& f) {
  const std::string& key = f.key;
  std::vector<std::string> valid = f.actions;
  for (Tensor t : kAllTensors) valid.emplace_back(tensorName(t));
  const StrictObject level = root.getObject(key, valid);
  PerTensor<AccessCost> out;
  for (std::size_t a = 0; a < f.actions.size(); ++a) {
    const std::string& action = f.actions[a];
    bool anyTensor = false;
    for (Tensor t : kAllTensors) anyTensor = anyTensor || level.has(std::string(tensorName(t)));
    // A level without per-tensor costs reads (and fails) as before they existed.
    if (!anyTensor) (void)level.require(action, costSpec().what);
    const bool hasDefault = level.has(action);
    const double fallback = hasDefault ? level.getNumber(action, costSpec()) : 0.0;
    for (Tensor t : kAllTensors) {
      const std::string tensor(tensorName(t));
      double v = fallback;
      if (level.has(tensor)) {
        const StrictObject per(level.require(tensor, "an object"), level.pos(tensor), f.actions);
        if (per.has(action)) {
          v = per.getNumber(action, costSpec());
        } else if (!hasDefault) {
          per.pos(action).failMissing(costSpec().whatMax + ", or " + level.pos(action).path() +
                                      " as the default of every tensor");
        }
      } else if (!hasDefault) {
        level.pos(action).failMissing(costSpec().whatMax + "; it may be left out only where " +
                                      "weights, inputs and outputs each give their own " + action);
      }
      actionOf(out[t], a) = v;
      if (f.actions.size() == 1) out[t].write = v;  // the NoC's one cost prices both ways
    }
  }
  return out;
}

/// The value most tensors share (ties: the first tensor's), written as the level's default.
double commonValue(const std::array<double, kNumTensors>& v) {
  if (v[1] == v[2] && v[0] != v[1]) return v[1];
  return v[0];
}

/// One level as written by `energyToJson`: the level's default per action and, per tensor, only
/// the actions whose cost differs from it. A table with one cost per level dumps as before.
json levelJson(const PerTensor<AccessCost>& costs, const LevelFormat& f) {
  json out = json::object();
  for (std::size_t a = 0; a < f.actions.size(); ++a) {
    std::array<double, kNumTensors> v{};
    for (Tensor t : kAllTensors) v[idx(t)] = actionOf(costs[t], a);
    const double common = commonValue(v);
    out[f.actions[a]] = common;
    for (Tensor t : kAllTensors) {
      if (v[idx(t)] != common) out[std::string(tensorName(t))][f.actions[a]] = v[idx(t)];
    }
  }
  return out;
}

/// Splits a `--set` path on dots (`energy.rf.weights.read`); brackets are not split, so a path
/// written with them is left to applyOverrides as it is.
std::vector<std::string> dottedParts(const std::string& path) {
  std::vector<std::string> parts(1);
  for (char c : path) {
    if (c == '.') {
      parts.emplace_back();
    } else {
      parts.back() += c;
    }
  }
  return parts;
}

/// `--set energy.<level>.<tensor>.<action>=v` on a table whose level gives no costs for that
/// tensor: adds the empty tensor object first (meaning "all actions from the level", so the
/// table is unchanged), because applyOverrides only creates the last component of a path.
void addTensorObjectsFor(json& doc, const std::vector<Override>& overrides) {
  if (!doc.is_object()) return;
  for (const Override& o : overrides) {
    const std::vector<std::string> parts = dottedParts(o.path);
    Tensor t{};
    // energy.<level>.<tensor>.<action>, or energy.levels.<level>.<tensor>.<action>
    const std::size_t k = parts.size() >= 2 && parts[1] == "levels" ? 2 : 1;
    if (parts.size() < k + 3 || parts[0] != "energy" || !parseTensor(parts[k + 1], t)) continue;
    json* parent = &doc;
    if (k == 2) {
      const auto levels = doc.find("levels");
      if (levels == doc.end() || !levels->is_object()) continue;
      parent = &*levels;
    }
    const auto level = parent->find(parts[k]);
    if (level == parent->end() || !level->is_object() || level->contains(parts[k + 1])) continue;
    (*level)[parts[k + 1]] = json::object();
  }
}

/// The general form's "levels": {name: costs}, one entry per level name (in name order). A
/// level prices its reads and writes ("read", "write") or both at once ("per_word", as a
/// network is priced), with per-tensor costs as in the 4-level form.
void readGeneralLevels(const StrictObject& root, EnergyTable& t) {
  const nlohmann::json& levels = root.require("levels", "an object of {name: costs}");
  const JsonPos at = root.pos("levels");
  if (!levels.is_object() || levels.empty()) {
    at.failExpected("a non-empty object of {level name: costs}", levels);
  }
  if (levels.size() > kMaxLevelEntries) {
    at.failExpected("at most " + std::to_string(kMaxLevelEntries) + " levels", levels);
  }
  std::vector<std::string> keys;
  for (auto it = levels.begin(); it != levels.end(); ++it) keys.push_back(it.key());
  const StrictObject all(levels, at, keys);
  t.perWord = {};
  for (std::size_t e = 0; e < keys.size(); ++e) {
    const nlohmann::json& one = levels.at(keys[e]);
    const bool network = one.is_object() && one.contains("per_word");
    const LevelFormat f{keys[e], network ? std::vector<std::string>{"per_word"}
                                         : std::vector<std::string>{"read", "write"}};
    t.perWord[e] = readLevel(all, f);
    t.names.push_back(keys[e]);
  }
}

}  // namespace

EnergyTable energyFromJson(const json& doc, const std::string& file) {
  const bool general = doc.is_object() && doc.contains("levels");
  const std::vector<std::string> common = {"name", "unit", "word_bits", "mac", "leakage_per_cycle"};
  std::vector<std::string> keys = common;
  for (const char* k : general ? std::vector<const char*>{"levels"}
                               : std::vector<const char*>{"rf", "noc", "glb", "dram"}) {
    keys.emplace_back(k);
  }
  const StrictObject root(doc, JsonPos(file, "energy"), keys);
  EnergyTable t;
  t.name = root.getString("name");
  t.unit = root.getString("unit");
  t.wordBits = root.getInt("word_bits", intInRange(1, kMaxWordBits));
  t.macPerOp = root.getNumber("mac", costSpec());
  if (general) {
    readGeneralLevels(root, t);
  } else {
    // Read in the file's old order (rf, noc, glb, dram), so the first error reported is the
    // same.
    for (Level l : {Level::Rf, Level::Noc, Level::Glb, Level::Dram}) {
      t.perWord[idx(l)] = readLevel(root, levelFormats()[idx(l)]);
    }
  }
  t.leakagePerCycle = root.getNumber("leakage_per_cycle", costSpec(), 0.0);
  return t;
}

EnergyTable readEnergy(const std::string& path, const std::vector<Override>& overrides) {
  json doc = loadJsonFile(path, "energy");
  addTensorObjectsFor(doc, overrides);
  applyOverrides(doc, "energy", overrides);
  return energyFromJson(doc, path);
}

json energyToJson(const EnergyTable& t) {
  json j = {{"name", t.name},
            {"unit", t.unit},
            {"word_bits", t.wordBits},
            {"mac", t.macPerOp},
            {"leakage_per_cycle", t.leakagePerCycle}};
  if (t.fourLevelForm()) {
    for (const LevelFormat& f : levelFormats()) {
      j[f.key] = levelJson(t.perWord[&f - levelFormats().data()], f);
    }
    return j;
  }
  json levels = json::object();
  for (std::size_t e = 0; e < t.names.size(); ++e) {
    const PerTensor<AccessCost>& c = t.perWord[e];
    bool sameBothWays = true;
    for (Tensor x : kAllTensors) sameBothWays = sameBothWays && c[x].read == c[x].write;
    const LevelFormat f{t.names[e], sameBothWays ? std::vector<std::string>{"per_word"}
                                                 : std::vector<std::string>{"read", "write"}};
    levels[t.names[e]] = levelJson(c, f);
  }
  j["levels"] = levels;
  return j;
}

}  // namespace dfsim
