#include "io/overrides.hpp"

#include <array>
#include <cctype>
#include <string_view>

#include "common/errors.hpp"
#include "io/json_file.hpp"
#include "io/strict_object.hpp"

namespace dfsim {

namespace {

using nlohmann::json;

constexpr std::array<std::string_view, 3> kDocuments = {"arch", "network", "energy"};

/// Splits a dotted path into components. `a.b[2].c` is accepted as a synonym of `a.b.2.c`, so a
/// JSON path copied from an error message works too.
std::vector<std::string> splitPath(const std::string& path) {
  // Normalise "[" to "." and drop "]": "b[2].c" -> "b.2.c", "b[2][3]" -> "b.2.3".
  std::string dotted;
  for (std::size_t i = 0; i < path.size(); ++i) {
    const char c = path[i];
    if (c == '[') {
      dotted += '.';
    } else if (c == ']') {
      // A ']' followed by '.' or '[' already ends the component.
      const bool followed = i + 1 < path.size() && (path[i + 1] == '.' || path[i + 1] == '[');
      if (!followed && i + 1 < path.size()) dotted += '.';
    } else {
      dotted += c;
    }
  }
  std::vector<std::string> parts(1);
  for (char c : dotted) {
    if (c == '.') {
      parts.emplace_back();
    } else {
      parts.back() += c;
    }
  }
  return parts;
}

bool isIndex(const std::string& s) {
  if (s.empty() || s.size() > 18) return false;
  for (char c : s) {
    if (std::isdigit(static_cast<unsigned char>(c)) == 0) return false;
  }
  return true;
}

std::string keysOf(const json& obj) {
  std::string out;
  for (const auto& item : obj.items()) {
    if (!out.empty()) out += ", ";
    out += item.key();
  }
  return out.empty() ? "(none)" : out;
}

/// The override's value: JSON when it parses, else the raw text as a string. `head` starts the
/// message of a value nested deeper than kMaxJsonDepth (see loadJsonFile).
json overrideValue(const std::string& text, const std::string& head) {
  const json::parser_callback_t limitDepth = [&](int depth, json::parse_event_t event, json&) {
    const bool opens =
        event == json::parse_event_t::object_start || event == json::parse_event_t::array_start;
    if (opens && static_cast<std::size_t>(depth) >= kMaxJsonDepth) {
      throw InputError(head + "expected a value nested at most " + std::to_string(kMaxJsonDepth) +
                       " levels deep");
    }
    return true;
  };
  json v = json::parse(text, limitDepth, /*allow_exceptions=*/false);
  return v.is_discarded() ? json(text) : v;
}

/// Whether `text` is valid UTF-8 (a JSON string holding it can be printed).
bool isUtf8(const std::string& text) {
  try {
    (void)json(text).dump();
  } catch (const json::type_error&) {
    return false;
  }
  return true;
}

}  // namespace

Override parseOverride(const std::string& text) {
  const std::string head = "--set " + text + ": expected key.path=value";
  const std::size_t eq = text.find('=');
  if (eq == std::string::npos) throw InputError(head + ", got no '='");
  // A raw value becomes a JSON string, and the results are written as JSON: it must be UTF-8.
  if (!isUtf8(text)) throw InputError(head + " in UTF-8, got other bytes");
  Override o{text.substr(0, eq), text.substr(eq + 1)};
  const std::vector<std::string> parts = splitPath(o.path);
  bool known = false;
  for (std::string_view d : kDocuments) known = known || parts.front() == d;
  if (!known || parts.size() < 2) {
    throw InputError(head + " with the path starting with arch., network. or energy.");
  }
  for (const std::string& p : parts) {
    if (p.empty()) throw InputError(head + ", got an empty path component");
  }
  return o;
}

void applyOverrides(json& doc, const std::string& document,
                    const std::vector<Override>& overrides) {
  for (const Override& o : overrides) {
    const std::vector<std::string> parts = splitPath(o.path);
    if (parts.front() != document || parts.size() < 2) continue;
    const std::string head = "--set " + o.path + "=" + o.value + ": ";
    const json value = overrideValue(o.value, head);

    // Walk to the parent of the last component; every step but the last must exist.
    json* node = &doc;
    std::string where = document;
    for (std::size_t i = 1; i < parts.size(); ++i) {
      const std::string& part = parts[i];
      const bool last = i + 1 == parts.size();
      if (node->is_object()) {
        if (last) {
          (*node)[part] = value;
          break;
        }
        const auto it = node->find(part);
        if (it == node->end()) {
          throw InputError(head + where + "." + part +
                           ": no such key; keys here: " + keysOf(*node));
        }
        node = &*it;
        where += "." + part;
      } else if (node->is_array()) {
        if (node->empty()) throw InputError(head + where + ": the array is empty");
        const std::string range = "0.." + std::to_string(node->size() - 1);
        if (!isIndex(part) || std::stoull(part) >= node->size()) {
          throw InputError(head + where + ": expected an array index in " + range + ", got \"" +
                           part + "\"");
        }
        const std::size_t index = std::stoull(part);
        if (last) {
          (*node)[index] = value;
          break;
        }
        node = &(*node)[index];
        where += "[" + part + "]";
      } else {
        throw InputError(head + where + ": expected an object or array to descend into, got " +
                         describeJson(*node));
      }
    }
  }
}

}  // namespace dfsim
