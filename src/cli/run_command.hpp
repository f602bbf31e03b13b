#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace dfsim {

/// `dfsim run`: reads and validates everything (configs, --set, --layer, --batch, --out, the
/// mapping of every selected layer x dataflow), then simulates, prints the table to `out` and,
/// with --out, writes stats.json and layers.csv atomically. Progress lines go to `err` unless
/// --quiet. `args` are the arguments after "run". Returns the exit status (0); throws InputError
/// on bad input (before any simulation) and InternalError when --check finds a mismatch.
int runCommand(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

/// The usage text of `dfsim run` (ends with a newline).
std::string runUsage();

}  // namespace dfsim
