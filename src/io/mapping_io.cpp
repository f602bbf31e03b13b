// Reads and writes mapping files (format: src/io/README.md "Mapping file").
#include "io/mapping_io.hpp"

#include <string>
#include <vector>

#include "io/json_file.hpp"
#include "io/strict_object.hpp"
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

std::vector<Loop> readLoops(const StrictObject& root, const std::string& key,
                            const DimNames& names) {
  std::vector<Loop> loops;
  const nlohmann::json* arr = root.find(key);
  if (arr == nullptr) return loops;
  const JsonPos at = root.pos(key);
  if (!arr->is_array()) at.failExpected("an array of {\"dim\", \"bound\"} loops", *arr);
  for (std::size_t i = 0; i < arr->size(); ++i) {
    const StrictObject loop((*arr)[i], at.index(i), {"dim", "bound"});
    loops.push_back({names.read(loop.require("dim", names.expected), loop.pos("dim")),
                     loop.getInt("bound", positiveInt())});
  }
  return loops;
}

std::vector<SpatialLoop> readSpatial(const StrictObject& root, const DimNames& names) {
  std::vector<SpatialLoop> loops;
  const nlohmann::json* arr = root.find("spatial");
  if (arr == nullptr) return loops;
  const JsonPos at = root.pos("spatial");
  if (!arr->is_array()) at.failExpected("an array of {\"dim\", \"bound\", \"axis\"} loops", *arr);
  for (std::size_t i = 0; i < arr->size(); ++i) {
    const StrictObject loop((*arr)[i], at.index(i), {"dim", "bound", "axis"});
    SpatialLoop l;
    l.dim = names.read(loop.require("dim", names.expected), loop.pos("dim"));
    l.bound = loop.getInt("bound", positiveInt());
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

nlohmann::json keepsToJson(const PerTensor<bool>& keeps) {
  nlohmann::json arr = nlohmann::json::array();
  for (Tensor t : kAllTensors) {
    if (keeps[t]) arr.push_back(std::string(tensorName(t)));
  }
  return arr;
}

nlohmann::json loopsToJson(const ProblemShape& shape, const std::vector<Loop>& loops) {
  nlohmann::json arr = nlohmann::json::array();
  for (const Loop& l : loops)
    arr.push_back({{"dim", std::string(shape.name(l.dim))}, {"bound", l.bound}});
  return arr;
}

}  // namespace

MappingFile mappingFromJson(const nlohmann::json& doc, const std::string& file) {
  // Every layer today is a convolution, whose dimension names a default layer's shape gives.
  const ProblemShape conv = Layer().shape();
  const DimNames names{conv};
  const StrictObject root(
      doc, JsonPos(file, "mapping"),
      {"layer", "dataflow", "dram", "glb", "spatial", "rf", "glb_keeps", "rf_keeps"});
  MappingFile f;
  f.layer = root.getString("layer");
  if (root.has("dataflow")) f.label = root.getString("dataflow");
  f.mapping.dramLoops = readLoops(root, "dram", names);
  f.mapping.glbLoops = readLoops(root, "glb", names);
  f.mapping.spatialLoops = readSpatial(root, names);
  f.mapping.rfLoops = readLoops(root, "rf", names);
  f.mapping.glbKeeps = readKeeps(root, "glb_keeps");
  f.mapping.rfKeeps = readKeeps(root, "rf_keeps");
  return f;
}

MappingFile readMappingFile(const std::string& path) {
  return mappingFromJson(loadJsonFile(path, "mapping"), path);
}

nlohmann::json mappingToJson(const ProblemShape& shape, const Mapping& m, const std::string& layer,
                             const std::string& label) {
  nlohmann::json spatial = nlohmann::json::array();
  for (const SpatialLoop& l : m.spatialLoops) {
    spatial.push_back(
        {{"dim", std::string(shape.name(l.dim))}, {"bound", l.bound}, {"axis", axisName(l.axis)}});
  }
  return {{"layer", layer},
          {"dataflow", label},
          {"dram", loopsToJson(shape, m.dramLoops)},
          {"glb", loopsToJson(shape, m.glbLoops)},
          {"spatial", spatial},
          {"rf", loopsToJson(shape, m.rfLoops)},
          {"glb_keeps", keepsToJson(m.glbKeeps)},
          {"rf_keeps", keepsToJson(m.rfKeeps)}};
}

}  // namespace dfsim
