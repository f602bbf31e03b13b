#pragma once
// Files and scratch folders for the tests that write inputs or read outputs.

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>

namespace dfsim::test {

/// The bytes of file `p` ("" when it cannot be read).
inline std::string readFile(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

/// Writes `text` to file `p`, replacing it.
inline void writeFile(const std::filesystem::path& p, const std::string& text) {
  std::ofstream(p, std::ios::binary) << text;
}

/// A fresh folder of its own (mkdtemp, named after `tag`), removed with everything in it at scope
/// exit, even when a test made it read-only.
class TempDir {
 public:
  explicit TempDir(const std::string& tag = "test") {
    std::string pattern =
        (std::filesystem::temp_directory_path() / ("dfsim-" + tag + "-XXXXXX")).string();
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::permissions(path_, std::filesystem::perms::owner_all,
                                 std::filesystem::perm_options::add, ec);
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  /// The folder.
  const std::filesystem::path& path() const { return path_; }
  /// Writes `text` to `name` in the folder; returns the file's path.
  std::string writeText(const std::string& name, const std::string& text) const {
    const std::string p = (path_ / name).string();
    writeFile(p, text);
    return p;
  }

 private:
  std::filesystem::path path_;
};

}  // namespace dfsim::test
