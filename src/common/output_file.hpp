#pragma once

#include <filesystem>
#include <string>

namespace dfsim {

/// One output file (`dfsim run --trace FILE`), replaced in one step.
///
/// Contract:
/// - `check()` (before simulating) refuses, with InputError(`<label> <path>: ...`), a path
///   that cannot be written: empty, ending in '/', a file name longer than NAME_MAX, a parent
///   that is missing or not a folder or not writable, or a path that exists and is not a
///   regular file (a folder, a link, a device: dfsim replaces only files). It removes the
///   leftovers of killed runs beside it (`.<name>.dfsim-tmp.<pid>` of a pid no longer alive).
/// - `write(contents)` writes the bytes to `.<name>.dfsim-tmp.<pid>` in the same folder,
///   flushes it (fsync), renames it over the path and flushes the folder. On any failure the
///   temporary file is removed, the path keeps what it held, and it throws
///   InputError(`<label> <path>: cannot write: <reason>`). Readers see the old file or the new
///   one, never a part; of two runs writing one path, the later rename wins whole.
class OutputFile {
 public:
  OutputFile(std::string path, std::string label);

  /// See the contract. Throws InputError.
  void check() const;
  /// See the contract. Throws InputError.
  void write(const std::string& contents) const;

  const std::string& path() const { return path_; }

 private:
  [[noreturn]] void fail(const std::string& reason) const;

  std::string path_;
  std::string label_;
};

}  // namespace dfsim
