#pragma once

#include <string>
#include <vector>

#include "arch/arch_spec.hpp"
#include "dataflow/dataflow.hpp"
#include "io/mapping_io.hpp"
#include "workload/network.hpp"

namespace dfsim {

/// "ws, os_a, ..., all (os means os_a)": the --dataflow choices, from the registry.
std::string dataflowChoices();

/// The dataflows of a --dataflow value: "all", or a comma-separated list of registry names
/// (each once). Throws InputError naming the option and the choices otherwise.
std::vector<Dataflow> parseDataflows(const std::string& text);

/// The dataflow a paper-mode mapping file (one with "rules": "isca16") is of: the one its label
/// names. Throws InputError naming `path` when that label is not a dataflow paper mode has.
Dataflow paperDataflowOf(const MappingFile& f, const std::string& path);

/// The arch a mapping file runs on: `arch`, or for a file with "rules": "isca16" the
/// paper-mode view (isca16View) of the dataflow its label names. Throws InputError naming
/// `path` when that label is not a dataflow paper mode has.
ArchSpec archForMappingFile(const MappingFile& f, const ArchSpec& arch, const std::string& path,
                            const std::string& archPath);

/// The layers of `net` named by --layer `names` (all when empty), in the network's order.
/// Throws InputError naming a layer `net` does not have (and listing its layers).
std::vector<const Layer*> selectLayers(const Network& net, const std::vector<std::string>& names,
                                       const std::string& networkPath);

}  // namespace dfsim
