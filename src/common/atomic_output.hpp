#pragma once

#include <string>
#include <utility>
#include <vector>

namespace dfsim {

/// A set of result files for one output folder, written all together or not at all.
///
/// Contract:
/// - `stage()` only records a file in memory; nothing touches the disk until `commit()`.
/// - `checkWritable()` probes, without leaving anything behind and without creating the folder,
///   that `commit()` will be able to create the folder (parents too) and files in it. Call it
///   before a long computation so that a bad `--out` fails in a second, not after an hour.
/// - `commit()` creates the folder (and parents) if missing, writes every staged file to a
///   temporary name in that folder, flushes each to disk, and only then renames each one over
///   its final name. On any failure before the renames it removes its temporaries, leaves any
///   previous results untouched and throws InputError(`<label> <dir>: cannot write: <reason>`).
///   (A rename failing after others succeeded is not undone; every destination is checked
///   before the first rename, so this needs a concurrent change of the folder.)
/// - The content written is exactly the staged bytes: no timestamps, no environment.
class OutputDir {
 public:
  /// `dir` is the target folder as the user gave it (it appears in error messages, prefixed by
  /// `label`, for example "--out").
  explicit OutputDir(std::string dir, std::string label = "--out");

  /// Records `contents` to be written as `dir/relativeName`. `relativeName` is a plain file name
  /// or `subfolder/name` (one level; no "." or ".." parts); staging the same name twice
  /// replaces the first contents.
  /// Throws InternalError on an invalid name.
  void stage(const std::string& relativeName, std::string contents);

  /// Throws InputError when the folder cannot be created or written. Leaves no trace on disk.
  void checkWritable() const;

  /// Writes all staged files atomically as described above. Throws InputError on failure.
  void commit() const;

  /// The target folder as given.
  const std::string& dir() const { return dir_; }

 private:
  [[noreturn]] void fail(const std::string& reason) const;

  std::string dir_;
  std::string label_;
  std::vector<std::pair<std::string, std::string>> files_;  ///< name, contents; staging order
};

}  // namespace dfsim
