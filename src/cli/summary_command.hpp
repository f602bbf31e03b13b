#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace dfsim {

/// `dfsim summary`: reads a network (with --batch and network.* --set overrides) and prints its
/// layer shapes, weights and MACs to `out`. `args` are the arguments after "summary". Returns
/// the exit status (0); throws InputError on bad input.
int summaryCommand(const std::vector<std::string>& args, std::ostream& out);

/// The usage text of `dfsim summary` (ends with a newline).
std::string summaryUsage();

}  // namespace dfsim
