// Shared by the libFuzzer harnesses of tests/fuzz (built with -DDFSIM_FUZZ=ON, run by
// scripts/fuzz). The contract they enforce: any input either yields a value or throws
// dfsim::InputError with a one-line message (main() prints it as the one line of a failed run).
// Any other exception, a crash, a leak, undefined behaviour or a hang is a finding: the harness
// prints it and aborts, and libFuzzer saves the input.
//
// Two further oracles, cheap enough to run on every input:
// - the same bytes read from a file (readArch / readNetwork / readEnergy) give the same value or
//   the same message as the in-memory path (parseJsonText + *FromJson);
// - a value read back from its *ToJson text (what --dump-config prints) is the same value.
#pragma once

#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <functional>
#include <string>
#include <typeinfo>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/errors.hpp"
#include "io/json_file.hpp"
#include "io/overrides.hpp"
#include "io/readers.hpp"

namespace dfsim::fuzz {

using nlohmann::json;

/// Reports a broken contract and aborts, so that libFuzzer records the input as a crash.
[[noreturn]] inline void finding(const std::string& what) {
  std::fprintf(stderr, "dfsim fuzz finding: %s\n", what.c_str());
  std::abort();
}

/// What reading one input gave: the value (as its *ToJson document) or the InputError message.
struct Outcome {
  bool ok = false;
  json value;
  std::string error;
};

/// Runs `read`; InputError is an accepted outcome, any other exception a finding.
inline Outcome attempt(const std::function<json()>& read) {
  Outcome o;
  try {
    o.value = read();
    o.ok = true;
  } catch (const InputError& e) {
    o.error = e.what();
    // main() prints the message as the one line of a failed run.
    if (o.error.empty()) finding("InputError with an empty message");
    if (o.error.find_first_of("\n\r") != std::string::npos) {
      finding("InputError message of more than one line: " + o.error);
    }
  } catch (const std::exception& e) {
    finding(std::string("exception other than InputError: ") + typeid(e).name() + ": " + e.what());
  } catch (...) {
    finding("exception not derived from std::exception");
  }
  return o;
}

/// One document format: its root name and its reader, writer and file reader.
struct Format {
  const char* root;  ///< "arch", "network", "energy"
  /// *FromJson then *ToJson.
  std::function<json(const json& doc, const std::string& file)> fromJson;
  /// read* (file, overrides) then *ToJson.
  std::function<json(const std::string& path, const std::vector<Override>& overrides)> readFile;
};

inline const Format& archFormat() {
  static const Format f{
      "arch",
      [](const json& d, const std::string& file) { return archToJson(archFromJson(d, file)); },
      [](const std::string& p, const std::vector<Override>& o) {
        return archToJson(readArch(p, o));
      }};
  return f;
}

inline const Format& networkFormat() {
  static const Format f{"network",
                        [](const json& d, const std::string& file) {
                          return networkToJson(networkFromJson(d, file));
                        },
                        [](const std::string& p, const std::vector<Override>& o) {
                          return networkToJson(readNetwork(p, o));
                        }};
  return f;
}

inline const Format& energyFormat() {
  static const Format f{
      "energy",
      [](const json& d, const std::string& file) { return energyToJson(energyFromJson(d, file)); },
      [](const std::string& p, const std::vector<Override>& o) {
        return energyToJson(readEnergy(p, o));
      }};
  return f;
}

/// An in-memory file (memfd) that the normal read path opens as /proc/self/fd/N: nothing is
/// written to disk and nothing is left behind.
class MemFile {
 public:
  MemFile() : fd_(::memfd_create("dfsim-fuzz", 0)) {
    if (fd_ < 0) finding("memfd_create failed");
    path_ = "/proc/self/fd/" + std::to_string(fd_);
  }
  MemFile(const MemFile&) = delete;
  MemFile& operator=(const MemFile&) = delete;
  ~MemFile() { ::close(fd_); }

  /// Replaces the contents with `text`; returns the path to open.
  const std::string& write(const std::string& text) {
    if (::ftruncate(fd_, 0) != 0) finding("ftruncate failed");
    std::size_t done = 0;
    while (done < text.size()) {
      const ssize_t n =
          ::pwrite(fd_, text.data() + done, text.size() - done, static_cast<off_t>(done));
      if (n <= 0) finding("pwrite failed");
      done += static_cast<std::size_t>(n);
    }
    return path_;
  }

 private:
  int fd_;
  std::string path_;
};

inline MemFile& memFile() {
  static MemFile f;
  return f;
}

/// Checks that the in-memory path and the file path agree, and that a value read back from its
/// own JSON text is the same value.
inline void checkDocument(const Format& format, const std::string& text,
                          const std::vector<Override>& overrides) {
  const std::string& path = memFile().write(text);
  const Outcome inMemory = attempt([&] {
    json doc = parseJsonText(text, path, format.root);
    applyOverrides(doc, format.root, overrides);
    return format.fromJson(doc, path);
  });
  const Outcome fromFile = attempt([&] { return format.readFile(path, overrides); });
  if (inMemory.ok != fromFile.ok || inMemory.error != fromFile.error ||
      inMemory.value != fromFile.value) {
    finding("the file and in-memory paths disagree: '" + inMemory.error + "' vs '" +
            fromFile.error + "'");
  }
  if (!inMemory.ok) return;

  // What --dump-config prints must read back as the same value.
  const Outcome again = attempt([&] {
    const std::string dumped = inMemory.value.dump(2);
    return format.fromJson(parseJsonText(dumped, "dumped.json", format.root), "dumped.json");
  });
  if (!again.ok) finding("the resolved value does not read back: " + again.error);
  if (again.value != inMemory.value) {
    finding("the resolved value reads back differently: " + inMemory.value.dump() + " vs " +
            again.value.dump());
  }
}

/// The fuzzer's bytes as a string (they may hold any byte, including NUL).
inline std::string bytes(const std::uint8_t* data, std::size_t size) {
  return std::string(reinterpret_cast<const char*>(data), size);
}

}  // namespace dfsim::fuzz
