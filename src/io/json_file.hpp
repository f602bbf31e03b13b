#pragma once

#include <cstddef>
#include <string>

#include <nlohmann/json.hpp>

namespace dfsim {

/// Deepest nesting of objects and arrays accepted in a document (the formats need 4): reading,
/// copying and printing a JSON value recurse once per level, so a deeper document could
/// overflow the stack.
inline constexpr std::size_t kMaxJsonDepth = 100;

/// Reads and parses the JSON file `file`. `root` names the document ("arch", "network",
/// "energy") and starts every JSON path in error messages. Strict: a key repeated within one
/// object is an error (nlohmann would silently keep the last one).
/// Throws InputError with one line:
///   `<file>: cannot open`
///   `<file>:<line>:<col>: JSON syntax error: <what the parser expected>` (1-based line and byte
///   column of the byte where parsing stopped)
///   `<file>:<line>:<col>: JSON nested deeper than 100 levels` (kMaxJsonDepth)
///   `<file>: <json path>: duplicate key`
nlohmann::json loadJsonFile(const std::string& file, const std::string& root);

/// Parses JSON `text` as loadJsonFile does; `file` only names the source in error messages.
nlohmann::json parseJsonText(const std::string& text, const std::string& file,
                             const std::string& root);

}  // namespace dfsim
