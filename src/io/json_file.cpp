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

/// Thrown by the parser callback when a container opens deeper than kMaxJsonDepth.
struct TooDeep {};

/// 1-based offset of the first '[' or '{' outside strings nested deeper than kMaxJsonDepth
/// (text.size() if none). Only called once the parser has accepted the text up to there, so a
/// plain scan of brackets and strings is exact.
std::size_t tooDeepOffset(const std::string& text) {
  std::size_t depth = 0;
  bool inString = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (inString) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        inString = false;
      }
    } else if (c == '"') {
      inString = true;
    } else if (c == '[' || c == '{') {
      if (++depth > kMaxJsonDepth) return i + 1;
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return text.size();
}

/// A SAX handler that accepts everything and records where the parser reports an error. The
/// DOM parser throws some errors (a number too large for a double) without their position.
struct ErrorOffset {
  std::size_t offset = 0;
  bool null() { return true; }
  bool boolean(bool /*v*/) { return true; }
  bool number_integer(json::number_integer_t /*v*/) { return true; }
  bool number_unsigned(json::number_unsigned_t /*v*/) { return true; }
  bool number_float(json::number_float_t /*v*/, const json::string_t& /*text*/) { return true; }
  bool string(json::string_t& /*v*/) { return true; }
  bool binary(json::binary_t& /*v*/) { return true; }
  bool start_object(std::size_t /*n*/) { return true; }
  bool key(json::string_t& /*v*/) { return true; }
  bool end_object() { return true; }
  bool start_array(std::size_t /*n*/) { return true; }
  bool end_array() { return true; }
  bool parse_error(std::size_t position, const std::string& /*token*/,
                   const json::exception& /*e*/) {
    offset = position;
    return false;
  }
};

}  // namespace

json parseJsonText(const std::string& text, const std::string& file, const std::string& root) {
  std::vector<Frame> frames;
  // Tracks the open containers; throws on a repeated key. Returning true keeps every value.
  const json::parser_callback_t track = [&](int depth, json::parse_event_t event, json& parsed) {
    switch (event) {
      case json::parse_event_t::object_start:
      case json::parse_event_t::array_start:
        // `depth` counts the containers around this one. Deeper documents are refused: reading,
        // copying and printing a JSON value recurse once per level.
        if (static_cast<std::size_t>(depth) >= kMaxJsonDepth) throw TooDeep{};
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
  const auto fail = [&](std::size_t byte, const std::string& what) {
    const auto [line, col] = lineColumn(text, byte);
    throw InputError(file + ":" + std::to_string(line) + ":" + std::to_string(col) + ": " + what);
  };
  try {
    return json::parse(text, track);
  } catch (const json::parse_error& e) {
    fail(e.byte, "JSON syntax error: " + parserMessage(e.what()));
  } catch (const json::exception& e) {
    // A number out of the range of a double: find its position with a SAX parse.
    ErrorOffset at;
    json::sax_parse(text, &at);
    fail(at.offset, "JSON syntax error: " + parserMessage(e.what()));
  } catch (const TooDeep&) {
    fail(tooDeepOffset(text),
         "JSON nested deeper than " + std::to_string(kMaxJsonDepth) + " levels");
  }
  return json();  // not reached: fail() throws
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
