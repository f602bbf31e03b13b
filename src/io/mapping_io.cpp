// Reads and writes mapping files (format: src/io/README.md "Mapping file").
#include "io/mapping_io.hpp"

#include <algorithm>
#include <array>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "io/json_file.hpp"
#include "io/strict_object.hpp"
#include "mapping/ragged_nest.hpp"
#include "workload/layer.hpp"

namespace dfsim {

namespace {

/// The dimension names of a file: those of `shape`.
struct DimNames {
  const ProblemShape& shape;
  std::string expected = "one of " + shape.dimNameList();

  Dim read(const nlohmann::json& v, const JsonPos& at) const {
    Dim d{};
    if (!v.is_string() || !shape.findDim(v.get<std::string>(), d)) at.failExpected(expected, v);
    return d;
  }
};

/// A loop's optional "tile" (the extent of one of its iterations, stated for a reader): where
/// it sits and what it says, checked once every loop is read. Any positive 64-bit value reads
/// (the writer states what the bounds imply, even for bounds validation will refuse).
struct StatedTile {
  std::size_t level = 0;  ///< 0 dram, 1 glb, 2 spatial, 3 rf
  std::size_t index = 0;
  std::int64_t tile = 0;
  JsonPos pos;
};

std::vector<Loop> readLoops(const StrictObject& root, const std::string& key, const DimNames& names,
                            std::size_t level, std::vector<StatedTile>& tiles) {
  std::vector<Loop> loops;
  const nlohmann::json* arr = root.find(key);
  if (arr == nullptr) return loops;
  const JsonPos at = root.pos(key);
  if (!arr->is_array()) at.failExpected("an array of {\"dim\", \"bound\"} loops", *arr);
  for (std::size_t i = 0; i < arr->size(); ++i) {
    const StrictObject loop((*arr)[i], at.index(i), {"dim", "bound", "tile"});
    loops.push_back({names.read(loop.require("dim", names.expected), loop.pos("dim")),
                     loop.getInt("bound", positiveInt())});
    if (loop.has("tile")) {
      tiles.push_back({level, i,
                       loop.getInt("tile", intInRange(1, std::numeric_limits<std::int64_t>::max())),
                       loop.pos("tile")});
    }
  }
  return loops;
}

std::vector<SpatialLoop> readSpatial(const StrictObject& root, const DimNames& names,
                                     std::vector<StatedTile>& tiles) {
  std::vector<SpatialLoop> loops;
  const nlohmann::json* arr = root.find("spatial");
  if (arr == nullptr) return loops;
  const JsonPos at = root.pos("spatial");
  if (!arr->is_array()) at.failExpected("an array of {\"dim\", \"bound\", \"axis\"} loops", *arr);
  for (std::size_t i = 0; i < arr->size(); ++i) {
    const StrictObject loop((*arr)[i], at.index(i), {"dim", "bound", "axis", "tile"});
    SpatialLoop l;
    l.dim = names.read(loop.require("dim", names.expected), loop.pos("dim"));
    l.bound = loop.getInt("bound", positiveInt());
    if (loop.has("tile")) {
      tiles.push_back({2, i,
                       loop.getInt("tile", intInRange(1, std::numeric_limits<std::int64_t>::max())),
                       loop.pos("tile")});
    }
    const std::string axis = loop.getString("axis");
    if (axis == "rows") {
      l.axis = Axis::Rows;
    } else if (axis == "cols") {
      l.axis = Axis::Cols;
    } else {
      loop.pos("axis").failExpected("\"rows\" or \"cols\"", axis);
    }
    loops.push_back(l);
  }
  return loops;
}

PerTensor<bool> readKeeps(const StrictObject& root, const std::string& key) {
  PerTensor<bool> keeps{};
  const nlohmann::json& arr = root.require(key, "an array of tensor names");
  const JsonPos at = root.pos(key);
  if (!arr.is_array()) at.failExpected("an array of tensor names", arr);
  for (std::size_t i = 0; i < arr.size(); ++i) {
    Tensor t{};
    if (!arr[i].is_string() || !parseTensor(arr[i].get<std::string>(), t)) {
      at.index(i).failExpected("one of weights, inputs, outputs", arr[i]);
    }
    if (keeps[t]) at.index(i).failExpected("a tensor listed once", arr[i]);
    keeps[t] = true;
  }
  return keeps;
}

/// An optional streamed-tiles object (README "Streamed tiles") at `key`: {tensor: the name of
/// the innermost level whose loops (and those of every level above it) refetch the tile}, each
/// name one of `above` (outermost first); the result counts the levels (README: 0 is none).
PerTensor<std::uint8_t> readStreamed(const StrictObject& root, const std::string& key,
                                     const std::vector<std::string>& above) {
  PerTensor<std::uint8_t> over{};
  if (!root.has(key)) return over;
  std::string names;
  for (const std::string& n : above) names += (names.empty() ? "\"" : ", \"") + n + "\"";
  const StrictObject obj(root.require(key, "an object"), root.pos(key),
                         {"weights", "inputs", "outputs"});
  for (Tensor t : kAllTensors) {
    const std::string tensor(tensorName(t));
    if (!obj.has(tensor)) continue;
    const std::string level = obj.getString(tensor);
    const auto it = std::find(above.begin(), above.end(), level);
    if (it == above.end()) {
      obj.pos(tensor).failExpected("the name of a level above this one (" + names + ")",
                                   nlohmann::json(level));
    }
    over[t] = static_cast<std::uint8_t>(it - above.begin() + 1);
  }
  return over;
}

/// The streamed-tiles object of `over` (names: the levels, outermost first); null when empty.
nlohmann::json streamedToJson(const PerTensor<std::uint8_t>& over,
                              const std::vector<std::string>& names) {
  nlohmann::json obj = nlohmann::json::object();
  for (Tensor t : kAllTensors) {
    if (over[t] != 0) obj[tensorName(t)] = names.at(over[t] - 1U);
  }
  return obj.empty() ? nlohmann::json() : obj;
}

nlohmann::json keepsToJson(const PerTensor<bool>& keeps) {
  nlohmann::json arr = nlohmann::json::array();
  for (Tensor t : kAllTensors) {
    if (keeps[t]) arr.push_back(std::string(tensorName(t)));
  }
  return arr;
}

/// The nominal tile of every loop of `m` per level (0 dram .. 3 rf), in file order.
std::array<std::vector<std::int64_t>, 4> nominalTiles(const Mapping& m) {
  const NestLoops nest = NestLoops::of(m);
  std::array<std::vector<std::int64_t>, 4> tiles;
  const std::array<std::size_t, 5> start = {0, nest.glb, nest.spatial, nest.rf, nest.loops.size()};
  for (std::size_t level = 0; level < 4; ++level) {
    for (std::size_t j = start[level]; j < start[level + 1]; ++j) {
      tiles[level].push_back(nest.loops[j].tile);
    }
  }
  return tiles;
}

/// A loop as JSON: its dim and bound, and its tile where the dimension is tiled raggedly.
nlohmann::json loopToJson(const ProblemShape& shape, const Mapping& m, Dim d, std::int64_t bound,
                          std::int64_t tile) {
  nlohmann::json j = {{"dim", std::string(shape.name(d))}, {"bound", bound}};
  if (isRaggedDim(shape, m, d)) j["tile"] = tile;
  return j;
}

nlohmann::json loopsToJson(const ProblemShape& shape, const Mapping& m,
                           const std::vector<Loop>& loops, const std::vector<std::int64_t>& tiles) {
  nlohmann::json arr = nlohmann::json::array();
  for (std::size_t i = 0; i < loops.size(); ++i) {
    arr.push_back(loopToJson(shape, m, loops[i].dim, loops[i].bound, tiles[i]));
  }
  return arr;
}

/// The nominal tile of every loop of `nest` in flat order (L0.temporal, L0.spatial, L1...):
/// the product of the bounds of the later loops over its dimension (saturating at 2^62: the
/// bounds are not validated yet).
std::vector<std::int64_t> flatTiles(const LoopNest& nest) {
  std::vector<std::pair<Dim, std::int64_t>> flat;
  for (const LevelLoops& l : nest.levels) {
    for (const Loop& x : l.temporal) flat.emplace_back(x.dim, x.bound);
    for (const SpatialLoop& x : l.spatial) flat.emplace_back(x.dim, x.bound);
  }
  constexpr std::int64_t kCap = std::int64_t{1} << 62;
  std::vector<std::int64_t> tiles(flat.size(), 1);
  std::array<std::int64_t, kMaxDims> inner{};
  inner.fill(1);
  for (std::size_t i = flat.size(); i-- > 0;) {
    const std::size_t d = idx(flat[i].first);
    tiles[i] = inner[d];
    inner[d] = flat[i].second > kCap / inner[d] ? kCap : inner[d] * flat[i].second;
  }
  return tiles;
}

/// Sets f.rules from the file's optional "rules" (free or isca16).
void readRules(const StrictObject& root, MappingFile& f) {
  if (!root.has("rules")) return;
  const std::string rules = root.getString("rules");
  if (!parseRuleSet(rules, f.rules)) {
    root.pos("rules").failExpected("\"free\" or \"isca16\"", nlohmann::json(rules));
  }
}

/// The general form: {"layer", "dataflow", "rules", "levels": [{"level", "temporal",
/// "spatial", "keeps"}]}.
MappingFile generalFromJson(const nlohmann::json& doc, const std::string& file,
                            const DimNames& names) {
  const StrictObject root(doc, JsonPos(file, "mapping"), {"layer", "dataflow", "rules", "levels"});
  MappingFile f;
  f.fourLevel = false;
  f.layer = root.getString("layer");
  if (root.has("dataflow")) f.label = root.getString("dataflow");
  readRules(root, f);
  const nlohmann::json& levels = root.require("levels", "an array of levels");
  const JsonPos at = root.pos("levels");
  if (!levels.is_array() || levels.size() < 2 || levels.size() > kMaxLevelEntries) {
    at.failExpected(
        "an array of 2 to " + std::to_string(kMaxLevelEntries) + " storage levels, outermost first",
        levels);
  }
  std::vector<StatedTile> stated;
  for (std::size_t k = 0; k < levels.size(); ++k) {
    const StrictObject level(levels[k], at.index(k),
                             {"level", "temporal", "spatial", "keeps", "streamed_over"});
    const std::string name = level.getString("level");
    for (const std::string& other : f.levelNames) {
      if (other == name) level.pos("level").failExpected("a level named once", name);
    }
    f.levelNames.push_back(name);
    LevelLoops l;
    // StatedTile.level counts loop lists in flat order: two per level (temporal, spatial).
    l.temporal = readLoops(level, "temporal", names, 2 * k, stated);
    std::vector<StatedTile> spatialTiles;
    l.spatial = readSpatial(level, names, spatialTiles);
    for (StatedTile& s : spatialTiles) s.level = 2 * k + 1;
    stated.insert(stated.end(), spatialTiles.begin(), spatialTiles.end());
    if (k == 0) {
      if (level.has("keeps")) {
        const PerTensor<bool> keeps = readKeeps(level, "keeps");
        if (!(keeps[Tensor::Weights] && keeps[Tensor::Inputs] && keeps[Tensor::Outputs])) {
          level.pos("keeps").failExpected("every tensor (the outermost level keeps them all)",
                                          levels[k].at("keeps"));
        }
      }
    } else {
      l.keeps = readKeeps(level, "keeps");
    }
    l.streamedOver =
        readStreamed(level, "streamed_over",
                     std::vector<std::string>(f.levelNames.begin(), f.levelNames.end() - 1));
    f.nest.levels.push_back(std::move(l));
  }
  if (!stated.empty()) {
    // Flat positions of each loop list's first loop.
    std::vector<std::size_t> start;
    std::size_t pos = 0;
    for (const LevelLoops& l : f.nest.levels) {
      start.push_back(pos);
      pos += l.temporal.size();
      start.push_back(pos);
      pos += l.spatial.size();
    }
    const std::vector<std::int64_t> tiles = flatTiles(f.nest);
    for (const StatedTile& s : stated) {
      const std::int64_t implied = tiles[start[s.level] + s.index];
      if (s.tile != implied) {
        s.pos.failExpected(std::to_string(implied) +
                               " (the product of the bounds of the loops inside it over its dim)",
                           nlohmann::json(s.tile));
      }
    }
  }
  f.fourLevel = fromLoopNest(f.nest, f.mapping);
  return f;
}

}  // namespace

MappingFile mappingFromJson(const nlohmann::json& doc, const std::string& file) {
  // Every layer today is a convolution, whose dimension names a default layer's shape gives.
  const ProblemShape conv = Layer().shape();
  const DimNames names{conv};
  if (doc.is_object() && doc.contains("levels")) return generalFromJson(doc, file, names);
  const StrictObject root(doc, JsonPos(file, "mapping"),
                          {"layer", "dataflow", "rules", "dram", "glb", "spatial", "rf",
                           "glb_keeps", "rf_keeps", "glb_streamed_over", "rf_streamed_over"});
  MappingFile f;
  f.layer = root.getString("layer");
  if (root.has("dataflow")) f.label = root.getString("dataflow");
  readRules(root, f);
  std::vector<StatedTile> stated;
  f.mapping.dramLoops = readLoops(root, "dram", names, 0, stated);
  f.mapping.glbLoops = readLoops(root, "glb", names, 1, stated);
  f.mapping.spatialLoops = readSpatial(root, names, stated);
  f.mapping.rfLoops = readLoops(root, "rf", names, 3, stated);
  // A stated tile must be the one the bounds imply (validateMapping later checks that the
  // tiles cover the layer): a file that says 7 where the loops inside make 8 is refused.
  if (!stated.empty()) {
    const std::array<std::vector<std::int64_t>, 4> tiles = nominalTiles(f.mapping);
    for (const StatedTile& s : stated) {
      const std::int64_t implied = tiles[s.level][s.index];
      if (s.tile != implied) {
        s.pos.failExpected(std::to_string(implied) +
                               " (the product of the bounds of the loops inside it over its dim)",
                           nlohmann::json(s.tile));
      }
    }
  }
  f.mapping.glbKeeps = readKeeps(root, "glb_keeps");
  f.mapping.rfKeeps = readKeeps(root, "rf_keeps");
  f.mapping.glbStreamedOver = readStreamed(root, "glb_streamed_over", {"dram"});
  f.mapping.rfStreamedOver = readStreamed(root, "rf_streamed_over", {"dram", "glb"});
  f.nest = toLoopNest(f.mapping);
  return f;
}

MappingFile readMappingFile(const std::string& path) {
  return mappingFromJson(loadJsonFile(path, "mapping"), path);
}

nlohmann::json mappingToJson(const ProblemShape& shape, const Mapping& m, const std::string& layer,
                             const std::string& label, RuleSet rules) {
  const std::array<std::vector<std::int64_t>, 4> tiles = nominalTiles(m);
  nlohmann::json spatial = nlohmann::json::array();
  for (std::size_t i = 0; i < m.spatialLoops.size(); ++i) {
    const SpatialLoop& l = m.spatialLoops[i];
    nlohmann::json j = loopToJson(shape, m, l.dim, l.bound, tiles[2][i]);
    j["axis"] = axisName(l.axis);
    spatial.push_back(std::move(j));
  }
  nlohmann::json out = {{"layer", layer},
                        {"dataflow", label},
                        {"dram", loopsToJson(shape, m, m.dramLoops, tiles[0])},
                        {"glb", loopsToJson(shape, m, m.glbLoops, tiles[1])},
                        {"spatial", spatial},
                        {"rf", loopsToJson(shape, m, m.rfLoops, tiles[3])},
                        {"glb_keeps", keepsToJson(m.glbKeeps)},
                        {"rf_keeps", keepsToJson(m.rfKeeps)}};
  const nlohmann::json glbStreamed = streamedToJson(m.glbStreamedOver, {"dram"});
  if (!glbStreamed.is_null()) out["glb_streamed_over"] = glbStreamed;
  const nlohmann::json rfStreamed = streamedToJson(m.rfStreamedOver, {"dram", "glb"});
  if (!rfStreamed.is_null()) out["rf_streamed_over"] = rfStreamed;
  if (rules != RuleSet::Free) out["rules"] = ruleSetName(rules);
  return out;
}

}  // namespace dfsim

namespace dfsim {

nlohmann::json loopNestToJson(const ProblemShape& shape, const LoopNest& nest,
                              const std::vector<std::string>& levelNames, const std::string& layer,
                              const std::string& label, RuleSet rules) {
  const std::vector<std::int64_t> tiles = flatTiles(nest);
  // A dimension is ragged when its loops' bounds multiply past its size.
  std::array<std::int64_t, kMaxDims> product{};
  product.fill(1);
  for (const LevelLoops& l : nest.levels) {
    for (const Loop& x : l.temporal) product[idx(x.dim)] *= x.bound;
    for (const SpatialLoop& x : l.spatial) product[idx(x.dim)] *= x.bound;
  }
  const auto loopJson = [&](Dim d, std::int64_t bound, std::int64_t tile) {
    nlohmann::json j = {{"dim", std::string(shape.name(d))}, {"bound", bound}};
    if (product[idx(d)] != shape.size(d)) j["tile"] = tile;
    return j;
  };
  nlohmann::json levels = nlohmann::json::array();
  std::size_t pos = 0;
  for (std::size_t k = 0; k < nest.levels.size(); ++k) {
    const LevelLoops& l = nest.levels[k];
    nlohmann::json temporal = nlohmann::json::array();
    for (const Loop& x : l.temporal) temporal.push_back(loopJson(x.dim, x.bound, tiles[pos++]));
    nlohmann::json spatial = nlohmann::json::array();
    for (const SpatialLoop& x : l.spatial) {
      nlohmann::json j = loopJson(x.dim, x.bound, tiles[pos++]);
      j["axis"] = axisName(x.axis);
      spatial.push_back(std::move(j));
    }
    nlohmann::json level = {{"level", levelNames.at(k)}, {"temporal", temporal}};
    if (!spatial.empty()) level["spatial"] = spatial;
    if (k > 0) level["keeps"] = keepsToJson(l.keeps);  // the outermost keeps everything
    const nlohmann::json streamed = streamedToJson(l.streamedOver, levelNames);
    if (!streamed.is_null()) level["streamed_over"] = streamed;
    levels.push_back(std::move(level));
  }
  nlohmann::json out = {{"layer", layer}, {"dataflow", label}};
  if (rules != RuleSet::Free) out["rules"] = ruleSetName(rules);
  out["levels"] = levels;
  return out;
}

}  // namespace dfsim
