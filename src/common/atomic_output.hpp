#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace dfsim {

/// One run's result folder (`--out DIR`), replaced whole, in one step, by each run.
///
/// Contract:
/// - Names. With R the last part of DIR and H = R when R starts with '.', else ".R", every
///   name dfsim uses lives beside DIR in its parent P: `H.dfsim-lock` (the lock file),
///   `H.dfsim-tmp.<pid>` (the new result while it is written; after the swap, the previous
///   result while it is removed) and `H.dfsim-old.<pid>` (the previous result, fallback only).
///   A result folder holds exactly the staged files and the marker file `.dfsim-result`.
/// - `stage()` only records a file in memory.
/// - `prepare()` (call it before simulating; once) checks DIR and takes the lock:
///   1. A symbolic link DIR is followed: its target is replaced and the link kept; a dangling
///      link is refused. R and the names above must fit NAME_MAX.
///   2. Every existing part of DIR's path must be a folder. DIR itself must be missing, an
///      empty folder, or a dfsim result: a folder holding `.dfsim-result` (or, as written by
///      dfsim before the marker, regular files stats.json and layers.csv) and nothing but the
///      marker and `resultEntries`. Anything else (a user's folder, a mount point, the current
///      folder or one holding it) is refused: dfsim never deletes what it did not write.
///   3. The missing parents of DIR are created; the lock is taken with flock(LOCK_EX|LOCK_NB)
///      on `P/H.dfsim-lock` (the kernel releases it when the process dies, even by kill -9).
///      A lock held by another process is InputError(`<label> <dir>: another dfsim run (pid N)
///      is writing it`).
///   4. Holding the lock (and before the checks of DIR itself in 2), the leftovers of killed runs
///   (`H.dfsim-tmp.*`, `H.dfsim-old.*`) are
///      removed; when DIR is missing and a `H.dfsim-old.*` exists (a run killed inside the
///      fallback below), that previous result is first renamed back to DIR.
///   A refusal throws InputError(`<label> <dir>: ...`) and leaves nothing it created: no lock
///   file, no parent folder.
/// - `checkSpace(extraBytes, extraFiles)` (before simulating, after staging what is known):
///   refuses, with InputError, a result that cannot fit the free space of P's file system
///   (statvfs): the staged files plus `extraBytes` in `extraFiles` files not yet staged, each
///   rounded up to whole blocks. A rough lower bound: a file system that fills up later still
///   fails cleanly in commit(). Skipped when statvfs fails.
/// - `commit()` (after prepare(); once), numbered steps:
///   1. every staged file and the marker written to `P/H.dfsim-tmp.<pid>`;
///   2. the files and folders flushed to disk with one syncfs() of their file system (one
///      journal commit, not an fsync per file: those cost ~10 ms each on a virtual disk);
///   3. DIR missing: the folder renamed to DIR. DIR present: exchanged with DIR in one
///      renameat2(RENAME_EXCHANGE); where the file system refuses it (EINVAL, ENOSYS), the
///      fallback renames DIR to `P/H.dfsim-old.<pid>` (a kill now leaves DIR missing until the
///      next run restores the previous result, see prepare() step 4);
///   4. (fallback only) the new folder renamed to DIR;
///   5. P fsync'ed;
///   6. the previous result removed (best effort: what remains is a leftover for the next run);
///   7. the lock released and its file removed.
///   Any failure before step 3 removes the new folder, leaves DIR untouched and throws
///   InputError(`<label> <dir>: cannot write: <reason>`); so does a failure of step 4, after
///   renaming the previous result back. At every moment DIR is the previous complete result or
///   the new complete one, never a mix (in the fallback, also missing between steps 3 and 4).
/// - Test hooks, read once by commit(): DFSIM_TEST_KILL_AT_COMMIT_STEP=N raises SIGKILL right
///   after step N (DFSIM_TEST_STOP_AT_COMMIT_STEP=N raises SIGSTOP there: the process waits,
///   holding the lock, until SIGCONT); DFSIM_TEST_NO_RENAME_EXCHANGE (set) takes the fallback
///   of step 3.
/// - Destroyed without a successful commit(), it releases the lock and removes the lock file
///   and the parents prepare() created (when still empty). The content written is exactly the
///   staged bytes: no timestamps, no environment.
class OutputDir {
 public:
  /// `dir` is the target folder as the user gave it (it appears in error messages, prefixed by
  /// `label`, for example "--out"). `resultEntries` are the top-level names a result may hold
  /// (files or subfolders), besides the marker: only these may be staged.
  OutputDir(std::string dir, std::vector<std::string> resultEntries, std::string label = "--out");
  ~OutputDir();
  OutputDir(const OutputDir&) = delete;
  OutputDir& operator=(const OutputDir&) = delete;

  /// Records `contents` to be written as `dir/relativeName`. `relativeName` is a plain file name
  /// or `subfolder/name` (one level; no "." or ".." parts) whose first part is one of
  /// `resultEntries`; staging the same name twice replaces the first contents.
  /// Throws InternalError on an invalid name, InputError when a part exceeds NAME_MAX.
  void stage(const std::string& relativeName, std::string contents);

  /// Checks the folder and takes the lock, as described above. Throws InputError.
  void prepare();

  /// Refuses, with InputError, a result that cannot fit the free space (see above).
  void checkSpace(std::uintmax_t extraBytes, std::size_t extraFiles) const;

  /// Replaces the result folder by the staged files, as described above. Throws InputError.
  void commit();

  /// The target folder as given.
  const std::string& dir() const { return dir_; }

 private:
  enum class State { Fresh, Prepared, Done };

  [[noreturn]] void fail(const std::string& reason) const;
  [[noreturn]] void refuse(const std::string& reason) const;
  void lock();
  void removeLeftovers();
  void checkTarget() const;
  void release();

  std::string dir_;
  std::vector<std::string> entries_;
  std::string label_;
  std::vector<std::pair<std::string, std::string>> files_;  ///< name, contents; staging order
  State state_ = State::Fresh;
  std::filesystem::path target_;  ///< the folder replaced (absolute, a link resolved)
  std::filesystem::path parent_;  ///< target_'s parent
  std::string hidden_;            ///< H of the contract
  std::vector<std::filesystem::path> createdParents_;  ///< by prepare(), outermost first
  int lockFd_ = -1;
};

}  // namespace dfsim
