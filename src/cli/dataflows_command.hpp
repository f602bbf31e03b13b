#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace dfsim {

/// `dfsim dataflows [--json]`: prints the dataflow registry (src/dataflow/dataflow.hpp), one
/// dataflow a line (`name  description`), or as a JSON array of {"name", "description"} objects
/// with --json, in the order `--dataflow all` runs them. Scripts read the list from here rather
/// than keeping copies. Returns 0; throws InputError on an unknown argument.
int dataflowsCommand(const std::vector<std::string>& args, std::ostream& out);

/// The usage text of `dfsim dataflows` (ends with a newline).
std::string dataflowsUsage();

}  // namespace dfsim
