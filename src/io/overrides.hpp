#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace dfsim {

/// One `--set key.path=value` from the command line. `path` starts with the document it edits:
/// "arch.", "network." or "energy." (e.g. `arch.glb.read_words_per_cycle=8`,
/// `network.layers.0.stride=2`). `value` is parsed as JSON when it parses, else taken as a string.
struct Override {
  std::string path;   ///< dotted path including the document prefix
  std::string value;  ///< raw text after '='
};

/// Parses "key.path=value". Throws InputError (`--set <text>: expected key.path=value ...`) on a
/// missing '=', an empty path, an unknown document prefix or text that is not UTF-8.
Override parseOverride(const std::string& text);

/// Applies the overrides whose prefix is `document` ("arch", "network", "energy") to `doc`.
/// Every path component but the last must exist; the last may be new (the strict reader then
/// rejects it if it is not a valid key). Array elements are addressed by index. Throws InputError
/// naming the override when a path does not exist in `doc`, or when the value is JSON nested
/// deeper than kMaxJsonDepth.
void applyOverrides(nlohmann::json& doc, const std::string& document,
                    const std::vector<Override>& overrides);

}  // namespace dfsim
