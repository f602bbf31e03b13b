#pragma once

#include <stdexcept>
#include <string>

namespace dfsim {

/// A problem with what the user gave us (a file, a JSON value, a CLI option, a mapping that does
/// not fit). main() prints `what()` on one line and exits with code 2. The message names the
/// file, the JSON path and what was expected, e.g.
/// `configs/arch/x.json: arch.glb.size_kib: expected a positive number, got -3`.
class InputError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// A broken invariant inside dfsim (a bug, or a functional mismatch found by --check).
/// main() maps it to exit code 1.
class InternalError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace dfsim
