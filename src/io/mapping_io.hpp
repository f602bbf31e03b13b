#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "dataflow/rule_set.hpp"
#include "mapping/loop_nest.hpp"
#include "mapping/mapping.hpp"

namespace dfsim {

/// A mapping as stored in a file: the layer it is for, a label for the reports (a dataflow name
/// or any name) and the loop nest.
///
/// Two forms (src/io/README.md "Mapping file"): the 4-level form (keys dram, glb, spatial, rf,
/// glb_keeps, rf_keeps) fills `mapping` and `nest` (its LoopNest); the general form ("levels":
/// one object per storage level, outermost first, each naming its level) fills `nest` and
/// `levelNames`, and also `mapping` when the nest has the 4-level shape (three storage levels,
/// spatial loops at the middle one only), so `dfsim run` takes it on a 4-level arch.
struct MappingFile {
  std::string layer;
  std::string label = "custom";
  Mapping mapping;
  LoopNest nest;
  /// The general form's storage level names, outermost first (empty for the 4-level form).
  std::vector<std::string> levelNames;
  /// Whether `mapping` holds the nest (the 4-level form, or a general one of that shape).
  bool fourLevel = true;
  /// The file's "rules" (default free): isca16 when the mapping was made by paper mode, which
  /// runs it on the isca16View of the dataflow its label names (the general form for a view
  /// with a line buffer).
  RuleSet rules = RuleSet::Free;
};

/// Reads a mapping file (format: src/io/README.md "Mapping file"). Strict like every reader:
/// unknown keys, bad dimension or tensor names, bounds < 1 are InputErrors naming the file and
/// the JSON path. Dimension names are those of a convolution's shape (Layer::shape(); every
/// layer today is one). Whether the mapping fits a layer and an arch is validateMapping's job.
MappingFile readMappingFile(const std::string& path);
/// The same checks on a parsed document; `file` names it in messages.
MappingFile mappingFromJson(const nlohmann::json& doc, const std::string& file);
/// `m` in the file format, its dimensions named as in `shape`, readable by readMappingFile
/// (every run writes one per layer x dataflow to <out>/mappings/). `rules` isca16 adds
/// "rules": "isca16" (free, the default, writes no key).
nlohmann::json mappingToJson(const ProblemShape& shape, const Mapping& m, const std::string& layer,
                             const std::string& label, RuleSet rules = RuleSet::Free);
/// `nest` in the general form, levels named `levelNames` (one per storage level, outermost
/// first), dimensions as in `shape`, every loop's tile stated where its dimension is ragged;
/// readable by readMappingFile. `rules` isca16 adds "rules": "isca16" (paper mode's nest on a
/// line-buffer view).
nlohmann::json loopNestToJson(const ProblemShape& shape, const LoopNest& nest,
                              const std::vector<std::string>& levelNames, const std::string& layer,
                              const std::string& label, RuleSet rules = RuleSet::Free);

}  // namespace dfsim
