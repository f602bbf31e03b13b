#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "mapping/mapping.hpp"

namespace dfsim {

/// A mapping as stored in a file: the layer it is for, a label for the reports (a dataflow name
/// or any name) and the loop nest.
struct MappingFile {
  std::string layer;
  std::string label = "custom";
  Mapping mapping;
};

/// Reads a mapping file (format: src/io/README.md "Mapping file"). Strict like every reader:
/// unknown keys, bad dimension or tensor names, bounds < 1 are InputErrors naming the file and
/// the JSON path. Dimension names are those of a convolution's shape (Layer::shape(); every
/// layer today is one). Whether the mapping fits a layer and an arch is validateMapping's job.
MappingFile readMappingFile(const std::string& path);
/// The same checks on a parsed document; `file` names it in messages.
MappingFile mappingFromJson(const nlohmann::json& doc, const std::string& file);
/// `m` in the file format, its dimensions named as in `shape`, readable by readMappingFile
/// (every run writes one per layer x dataflow to <out>/mappings/).
nlohmann::json mappingToJson(const ProblemShape& shape, const Mapping& m, const std::string& layer,
                             const std::string& label);

}  // namespace dfsim
