#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

namespace dfsim {

/// Deepest nesting of objects and arrays accepted in a document (the formats need 4): reading,
/// copying and printing a JSON value recurse once per level, so a deeper document could
/// overflow the stack.
inline constexpr std::size_t kMaxJsonDepth = 100;

/// Largest network file read: 16 MiB (models/ holds files of at most 12 KB; 16 MiB is about
/// 140,000 conv layers). The parsed document takes a multiple of the file's size: measured 13x
/// for a file of conv layers, 37x (0.6 GiB) for the worst case, an array of empty objects; the
/// cap keeps the peak below 1 GiB. See src/io/README.md.
inline constexpr std::uint64_t kMaxNetworkFileBytes = std::uint64_t{16} << 20;

/// Largest arch, energy or mapping file read: 1 MiB (the formats need a few KB).
inline constexpr std::uint64_t kMaxConfigFileBytes = std::uint64_t{1} << 20;

/// The size cap of the document named `root`: kMaxNetworkFileBytes for "network",
/// kMaxConfigFileBytes for every other ("arch", "energy", "mapping").
std::uint64_t maxFileBytes(const std::string& root);

/// The bytes of file `file`, which must be a regular file of at most `maxBytes` bytes; `kind`
/// ("network") names what it is in the size message. A FIFO, device, socket or folder is
/// refused after a stat(), without being opened; the file is then opened non-blocking and
/// checked again with fstat(). At most `maxBytes` + 1 bytes are read, so a file that grows or
/// reports size 0 (/proc) is still bounded. Throws InputError with one line:
///   `<file>: cannot open`
///   `<file>: expected a regular file, got a FIFO` (or a folder, a character device, a block
///   device, a socket)
///   `<file>: expected a <kind> file of at most 16 MiB (16777216 bytes), got <n> bytes`
///   `<file>: expected a <kind> file of at most ..., got more while reading it`
///   `<file>: cannot read: <strerror>`
std::string readInputFile(const std::string& file, std::uint64_t maxBytes, const std::string& kind);

/// Reads and parses the JSON file `file` (readInputFile, capped by maxFileBytes(root)). `root`
/// names the document ("arch", "network", "energy") and starts every JSON path in error messages.
/// Strict: a key repeated within one object is an error (nlohmann would silently keep the last
/// one). Throws InputError with one line: readInputFile's, or
///   `<file>:<line>:<col>: JSON syntax error: <what the parser expected>` (1-based line and byte
///   column of the byte where parsing stopped)
///   `<file>:<line>:<col>: JSON nested deeper than 100 levels` (kMaxJsonDepth)
///   `<file>: <json path>: duplicate key`
nlohmann::json loadJsonFile(const std::string& file, const std::string& root);

/// Parses JSON `text` as loadJsonFile does; `file` only names the source in error messages.
nlohmann::json parseJsonText(const std::string& text, const std::string& file,
                             const std::string& root);

}  // namespace dfsim
