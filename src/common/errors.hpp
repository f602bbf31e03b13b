#pragma once

#include <stdexcept>
#include <string>

namespace dfsim {

/// A problem with what the user gave us (a file, a JSON value, a CLI option, a mapping that does
/// not fit). main() prints `what()` on one line and exits with code 2. The message names the
/// file, the JSON path and what was expected, e.g.
/// `configs/arch/x.json: arch.glb.size_kib: expected a positive number, got -3`.
/// The message is always one line: control characters that came with the input (a JSON key
/// "a\nb", a --set text) are shown as escapes (`\n`, `\r`, `\t`, `\xNN`).
class InputError : public std::runtime_error {
 public:
  explicit InputError(const std::string& message) : std::runtime_error(oneLine(message)) {}

 private:
  static std::string oneLine(const std::string& message) {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    out.reserve(message.size());
    for (const char c : message) {
      const auto u = static_cast<unsigned char>(c);
      if (c == '\n') {
        out += "\\n";
      } else if (c == '\r') {
        out += "\\r";
      } else if (c == '\t') {
        out += "\\t";
      } else if (u < 0x20 || u == 0x7f) {
        out += {'\\', 'x', kHex[u >> 4], kHex[u & 0xf]};
      } else {
        out += c;
      }
    }
    return out;
  }
};

/// A layer that the chosen rules cannot map onto the hardware at all: no assignment of the
/// mapping variables is legal (e.g. paper mode's WS, whose GLB must hold a whole batch's psum
/// planes of its filters). An InputError (exit 2) unless `dfsim run --unmappable skip` asked to
/// record such layers and go on; the message names the layer, the rules and the constraint.
class UnmappableLayer : public InputError {
 public:
  using InputError::InputError;
};

/// A broken invariant inside dfsim (a bug, or a functional mismatch found by --check).
/// main() maps it to exit code 1.
class InternalError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace dfsim
