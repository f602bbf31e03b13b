#include "io/json_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstring>
#include <set>
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

/// A SAX handler that builds the document, refuses a repeated key (InputError) and a
/// container nested deeper than kMaxJsonDepth (TooDeep), and records where the parser reports
/// a syntax error. Our own builder, not nlohmann's callback parser: that one scans the parent
/// container at the end of every object, which is quadratic in an array of objects (a network
/// of 100,000 layers took minutes).
class DomBuilder {
 public:
  DomBuilder(const std::string& file, const std::string& root) : file_(file), root_(root) {}

  json document;            ///< the parsed document, once sax_parse returned true
  std::size_t errorAt = 0;  ///< 1-based offset of a syntax error (0: none)
  std::string errorWhat;    ///< the parser's message of that error

  bool null() { return place(json(nullptr)); }
  bool boolean(bool v) { return place(json(v)); }
  bool number_integer(json::number_integer_t v) { return place(json(v)); }
  bool number_unsigned(json::number_unsigned_t v) { return place(json(v)); }
  bool number_float(json::number_float_t v, const json::string_t& /*text*/) {
    return place(json(v));
  }
  bool string(json::string_t& v) { return place(json(v)); }
  bool binary(json::binary_t& v) { return place(json::binary(v)); }
  bool start_object(std::size_t /*n*/) { return open(json::object(), true); }
  bool start_array(std::size_t /*n*/) { return open(json::array(), false); }
  bool key(json::string_t& k) {
    Frame& f = frames_.back();
    f.key = k;
    if (!f.keys.insert(f.key).second) {
      throw InputError(file_ + ": " + framePath(root_, frames_) + "." + f.key + ": duplicate key");
    }
    return true;
  }
  bool end_object() { return close(); }
  bool end_array() { return close(); }
  bool parse_error(std::size_t position, const std::string& /*token*/, const json::exception& e) {
    errorAt = position;
    errorWhat = e.what();
    return false;
  }

 private:
  /// Stores `v` as the next value of the innermost open container (or as the document).
  json* slot(json&& v) {
    if (open_.empty()) {
      document = std::move(v);
      return &document;
    }
    json& parent = *open_.back();
    if (parent.is_array()) {
      ++frames_.back().elements;
      auto& array = parent.get_ref<json::array_t&>();
      array.push_back(std::move(v));
      return &array.back();
    }
    json& value = parent.get_ref<json::object_t&>()[frames_.back().key];
    value = std::move(v);
    return &value;
  }
  bool place(json&& v) {
    slot(std::move(v));
    return true;
  }
  bool open(json&& container, bool isObject) {
    // Deeper documents are refused: reading, copying and printing a JSON value recurse once
    // per level. A container holds pointers only to open containers, which stay put: an
    // array grows only after its open last element has closed.
    if (open_.size() >= kMaxJsonDepth) throw TooDeep{};
    json* at = slot(std::move(container));
    open_.push_back(at);
    frames_.push_back(Frame{isObject, {}, {}, 0});
    return true;
  }
  bool close() {
    open_.pop_back();
    frames_.pop_back();
    return true;
  }

  const std::string& file_;
  const std::string& root_;
  std::vector<json*> open_;    ///< the open containers, outermost first
  std::vector<Frame> frames_;  ///< their keys and element counts, for error paths
};

/// Closes a file descriptor at scope exit.
struct FdCloser {
  explicit FdCloser(int f) : fd(f) {}
  int fd;
  ~FdCloser() { ::close(fd); }
  FdCloser(const FdCloser&) = delete;
  FdCloser& operator=(const FdCloser&) = delete;
};

/// What a file that is not a regular file is, for error messages ("a FIFO").
std::string fileTypeName(mode_t mode) {
  if (S_ISDIR(mode)) return "a folder";
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISSOCK(mode)) return "a socket";
  return "a file of unknown type";
}

/// "an" before a vowel ("an arch file"), else "a".
const char* articleFor(const std::string& word) {
  return !word.empty() && std::string("aeiou").find(word.front()) != std::string::npos ? "an" : "a";
}

/// `bytes` as "16 MiB (16777216 bytes)" when a whole number of MiB, else "<n> bytes".
std::string sizeText(std::uint64_t bytes) {
  constexpr std::uint64_t kMiB = std::uint64_t{1} << 20;
  const std::string exact = std::to_string(bytes) + " bytes";
  if (bytes == 0 || bytes % kMiB != 0) return exact;
  return std::to_string(bytes / kMiB) + " MiB (" + exact + ")";
}

}  // namespace

json parseJsonText(const std::string& text, const std::string& file, const std::string& root) {
  const auto fail = [&](std::size_t byte, const std::string& what) {
    const auto [line, col] = lineColumn(text, byte);
    throw InputError(file + ":" + std::to_string(line) + ":" + std::to_string(col) + ": " + what);
  };
  DomBuilder builder(file, root);
  try {
    if (json::sax_parse(text, &builder)) return std::move(builder.document);
  } catch (const TooDeep&) {
    fail(tooDeepOffset(text),
         "JSON nested deeper than " + std::to_string(kMaxJsonDepth) + " levels");
  }
  fail(builder.errorAt, "JSON syntax error: " + parserMessage(builder.errorWhat));
  return json();  // not reached: fail() throws
}

std::uint64_t maxFileBytes(const std::string& root) {
  return root == "network" ? kMaxNetworkFileBytes : kMaxConfigFileBytes;
}

std::string readInputFile(const std::string& file, std::uint64_t maxBytes,
                          const std::string& kind) {
  // stat() first, so that a device or FIFO is never opened (opening one can block or have side
  // effects); then fstat() the open file, in case the name was replaced in between.
  struct stat st {};
  if (::stat(file.c_str(), &st) != 0) throw InputError(file + ": cannot open");
  if (!S_ISREG(st.st_mode)) {
    throw InputError(file + ": expected a regular file, got " + fileTypeName(st.st_mode));
  }
  const int fd = ::open(file.c_str(), O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
  if (fd < 0) throw InputError(file + ": cannot open");
  const FdCloser closer{fd};
  if (::fstat(fd, &st) != 0) throw InputError(file + ": cannot open");
  if (!S_ISREG(st.st_mode)) {
    throw InputError(file + ": expected a regular file, got " + fileTypeName(st.st_mode));
  }
  const std::string limit = "expected " + std::string(articleFor(kind)) + " " + kind +
                            " file of at most " + sizeText(maxBytes) + ", got ";
  const auto size = static_cast<std::uint64_t>(st.st_size);
  if (size > maxBytes) throw InputError(file + ": " + limit + std::to_string(size) + " bytes");
  // A regular file ignores O_NONBLOCK on Linux, but not every file system promises it.
  const int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0 || ::fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) != 0) {
    throw InputError(file + ": cannot read: " + std::strerror(errno));
  }

  // Read at most maxBytes + 1 bytes: the file may have grown since fstat, and some files
  // (/proc) report size 0.
  std::string text;
  text.resize(static_cast<std::size_t>(size) + 1);
  std::size_t have = 0;
  while (true) {
    if (have == text.size()) {
      if (have > maxBytes) break;
      text.resize(static_cast<std::size_t>(
          std::min<std::uint64_t>(std::max<std::uint64_t>(2 * text.size(), 4096), maxBytes + 1)));
    }
    const ssize_t n = ::read(fd, &text[have], text.size() - have);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw InputError(file + ": cannot read: " + std::strerror(errno));
    }
    if (n == 0) break;
    have += static_cast<std::size_t>(n);
  }
  if (have > maxBytes) throw InputError(file + ": " + limit + "more while reading it");
  text.resize(have);
  return text;
}

json loadJsonFile(const std::string& file, const std::string& root) {
  return parseJsonText(readInputFile(file, maxFileBytes(root), root), file, root);
}

}  // namespace dfsim
