#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace dfsim {

/// `dfsim evaluate`: the analytic model alone (no simulation) on any hierarchy: per selected
/// layer and mapping (a --mapping file in either form, or a --dataflow's default mapping on a
/// 4-level arch), the closed-form word accesses per level and tensor, the energy, and the
/// documented cycle estimate (marked as one). Prints a table, or with --json one JSON document,
/// to `out`. `args` are the arguments after "evaluate". Returns 0; throws InputError on bad
/// input (nothing is printed then).
int evaluateCommand(const std::vector<std::string>& args, std::ostream& out);
/// The usage text of `dfsim evaluate` (ends with a newline).
std::string evaluateUsage();

}  // namespace dfsim
