#include "io/json_file.hpp"

#include <algorithm>
#include <cstddef>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <vector>

#include "common/errors.hpp"

namespace dfsim {

namespace {

using nlohmann::json;

/// One open object or array while parsing, to name the JSON path of a duplicate key.
struct Frame {
  bool isObject = true;
  std::set<std::string> keys;  ///< keys seen so far (objects)
  std::string key;             ///< the key whose value is being parsed (objects)
  std::size_t elements = 0;    ///< elements started so far (arrays)
};

std::string framePath(const std::string& root, const std::vector<Frame>& frames) {
  std::string path = root;
  // The last frame is the object holding the duplicate: its own key is not part of the path.
  for (std::size_t i = 0; i + 1 < frames.size(); ++i) {
    const Frame& f = frames[i];
    if (f.isObject) {
      path += "." + f.key;
    } else {
      path += "[" + std::to_string(f.elements - 1) + "]";
    }
  }
  return path;
}

/// The parser's message without its "[json.exception.parse_error.N] parse error at line L,
/// column C: " prefix (we compute line and column ourselves).
std::string parserMessage(const std::string& what) {
  std::string msg = what;
  const std::size_t bracket = msg.find("] ");
  if (msg.rfind("[json.exception.", 0) == 0 && bracket != std::string::npos) {
    msg = msg.substr(bracket + 2);
  }
  if (msg.rfind("parse error", 0) == 0) {
    const std::size_t colon = msg.find(": ");
    if (colon != std::string::npos) msg = msg.substr(colon + 2);
  }
  return msg;
}

/// 1-based line and column of the byte at 1-based offset `byte` (the parser's position: the
/// last byte it read). Offsets past the end (end of input) point just after the last byte.
std::pair<std::size_t, std::size_t> lineColumn(const std::string& text, std::size_t byte) {
  const std::size_t pos = std::min(byte == 0 ? 0 : byte - 1, text.size());
  std::size_t line = 1;
  std::size_t lineStart = 0;
  for (std::size_t i = 0; i < pos; ++i) {
    if (text[i] == '\n') {
      ++line;
      lineStart = i + 1;
    }
  }
  return {line, pos - lineStart + 1};
}

}  // namespace

json parseJsonText(const std::string& text, const std::string& file, const std::string& root) {
  std::vector<Frame> frames;
  // Tracks the open containers; throws on a repeated key. Returning true keeps every value.
  const json::parser_callback_t track = [&](int /*depth*/, json::parse_event_t event,
                                            json& parsed) {
    switch (event) {
      case json::parse_event_t::object_start:
      case json::parse_event_t::array_start:
        if (!frames.empty() && !frames.back().isObject) ++frames.back().elements;
        frames.push_back(Frame{event == json::parse_event_t::object_start, {}, {}, 0});
        break;
      case json::parse_event_t::object_end:
      case json::parse_event_t::array_end:
        if (!frames.empty()) frames.pop_back();
        break;
      case json::parse_event_t::key: {
        Frame& f = frames.back();
        f.key = parsed.get<std::string>();
        if (!f.keys.insert(f.key).second) {
          throw InputError(file + ": " + framePath(root, frames) + "." + f.key + ": duplicate key");
        }
        break;
      }
      case json::parse_event_t::value:
        if (!frames.empty() && !frames.back().isObject) ++frames.back().elements;
        break;
    }
    return true;
  };
  try {
    return json::parse(text, track);
  } catch (const json::parse_error& e) {
    const auto [line, col] = lineColumn(text, e.byte);
    throw InputError(file + ":" + std::to_string(line) + ":" + std::to_string(col) +
                     ": JSON syntax error: " + parserMessage(e.what()));
  }
}

json loadJsonFile(const std::string& file, const std::string& root) {
  std::error_code ec;
  if (std::filesystem::is_directory(file, ec)) throw InputError(file + ": cannot open");
  std::ifstream in(file, std::ios::binary);
  if (!in) throw InputError(file + ": cannot open");
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) throw InputError(file + ": cannot open");
  return parseJsonText(text.str(), file, root);
}

}  // namespace dfsim
