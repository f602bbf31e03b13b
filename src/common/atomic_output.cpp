#include "common/atomic_output.hpp"

#include <fcntl.h>
#include <stdio.h>  // renameat2 and RENAME_EXCHANGE (glibc >= 2.28)
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <set>
#include <system_error>

#include "common/errors.hpp"
#include "common/posix_io.hpp"

namespace dfsim {

namespace fs = std::filesystem;

namespace {

constexpr const char* kMarkerName = ".dfsim-result";
constexpr const char* kMarkerText =
    "dfsim result folder: the next dfsim run --out into it replaces it whole\n";
constexpr const char* kLockSuffix = ".dfsim-lock";
constexpr const char* kTmpInfix = ".dfsim-tmp.";
constexpr const char* kOldInfix = ".dfsim-old.";
constexpr std::size_t kPidDigits = 10;  ///< digits of the largest pid (a 32-bit int)
constexpr int kLockAttempts = 100;      ///< retries when the lock file is replaced under us
constexpr const char* kKillStepVar = "DFSIM_TEST_KILL_AT_COMMIT_STEP";
constexpr const char* kStopStepVar = "DFSIM_TEST_STOP_AT_COMMIT_STEP";
constexpr const char* kNoExchangeVar = "DFSIM_TEST_NO_RENAME_EXCHANGE";

std::string errnoText(int err) {
  return std::strerror(err);
}

std::string pidText() {
  return std::to_string(static_cast<long>(::getpid()));
}

/// Writes `data` to a new file at `path` (flushed to disk later, by syncFileSystemOf). Returns 0
/// or an errno.
int writeNewFile(const fs::path& path, const std::string& data) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
  if (fd < 0) return errno;
  int err = writeAll(fd, data);
  if (::close(fd) != 0 && err == 0) err = errno;
  return err;
}

/// Flushes everything written to the file system holding `dir` (file data and folder entries)
/// in one call: one journal commit instead of one fsync per file, which costs ~10 ms each on a
/// virtual disk (a result of a few hundred mapping files would take seconds). Returns 0 or the
/// errno of a write-back error (Linux reports those since 5.8).
int syncFileSystemOf(const fs::path& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return errno;
  int err = ::syncfs(fd) != 0 ? errno : 0;
  if (::close(fd) != 0 && err == 0) err = errno;
  return err;
}

/// Flushes a folder's entries to disk. Best effort: some file systems refuse.
void syncFolder(const fs::path& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  (void)::fsync(fd);
  (void)::close(fd);
}

/// Swaps the entries `a` and `b` in one step. Returns 0 or an errno (EINVAL or ENOSYS where the
/// file system or the kernel cannot).
int renameExchange(const fs::path& a, const fs::path& b) {
#if defined(__linux__) && defined(RENAME_EXCHANGE)
  if (::renameat2(AT_FDCWD, a.c_str(), AT_FDCWD, b.c_str(), RENAME_EXCHANGE) == 0) return 0;
  return errno;
#elif defined(__linux__) && defined(SYS_renameat2)
  constexpr unsigned kRenameExchange = 1u << 1;  // RENAME_EXCHANGE of <linux/fs.h>
  if (::syscall(SYS_renameat2, AT_FDCWD, a.c_str(), AT_FDCWD, b.c_str(), kRenameExchange) == 0) {
    return 0;
  }
  return errno;
#else
  (void)a;
  (void)b;
  return ENOSYS;
#endif
}

/// The commit step named by environment variable `var` (a test hook), 0 for none.
int stepFromEnvironment(const char* var) {
  const char* v = std::getenv(var);
  if (v == nullptr) return 0;
  char* end = nullptr;
  const long n = std::strtol(v, &end, 10);
  return (end != v && *end == '\0' && n > 0 && n < 100) ? static_cast<int>(n) : 0;
}

/// Whether `name` is `prefix` followed by one or more digits.
bool isPrefixAndDigits(const std::string& name, const std::string& prefix) {
  if (name.size() <= prefix.size() || name.compare(0, prefix.size(), prefix) != 0) return false;
  return std::all_of(name.begin() + static_cast<std::ptrdiff_t>(prefix.size()), name.end(),
                     [](char c) { return c >= '0' && c <= '9'; });
}

/// Whether `p` is a regular file (not following a symbolic link).
bool isRegularFile(const fs::path& p) {
  std::error_code ec;
  return fs::symlink_status(p, ec).type() == fs::file_type::regular;
}

/// The largest file name in folder `dir` (pathconf), NAME_MAX when it cannot be asked.
std::size_t nameMax(const fs::path& dir) {
  const long n = ::pathconf(dir.c_str(), _PC_NAME_MAX);
  return n > 0 ? static_cast<std::size_t>(n) : static_cast<std::size_t>(NAME_MAX);
}

/// Removes `p` and everything below it. Returns an error message, "" on success.
std::string removeTree(const fs::path& p) {
  std::error_code ec;
  fs::remove_all(p, ec);
  return ec ? p.string() + ": " + ec.message() : std::string();
}

/// Removes the folder it holds (the new result being written) unless released.
class TempFolder {
 public:
  explicit TempFolder(fs::path p) : path_(std::move(p)) {}
  TempFolder(const TempFolder&) = delete;
  TempFolder& operator=(const TempFolder&) = delete;
  ~TempFolder() {
    if (!path_.empty()) (void)removeTree(path_);
  }
  void release() { path_.clear(); }

 private:
  fs::path path_;
};

}  // namespace

OutputDir::OutputDir(std::string dir, std::vector<std::string> resultEntries, std::string label)
    : dir_(std::move(dir)), entries_(std::move(resultEntries)), label_(std::move(label)) {}

OutputDir::~OutputDir() {
  release();
}

void OutputDir::fail(const std::string& reason) const {
  throw InputError(label_ + " " + dir_ + ": cannot write: " + reason);
}

void OutputDir::refuse(const std::string& reason) const {
  throw InputError(label_ + " " + dir_ + ": " + reason);
}

void OutputDir::stage(const std::string& relativeName, std::string contents) {
  // Plain names, or one level of subfolder ("mappings/conv1.rs.json"); never "." or "..".
  const std::size_t slash = relativeName.find('/');
  const std::string top = slash == std::string::npos ? relativeName : relativeName.substr(0, slash);
  const std::string leaf =
      slash == std::string::npos ? relativeName : relativeName.substr(slash + 1);
  auto bad = [](const std::string& part) {
    return part.empty() || part == "." || part == ".." || part.find('/') != std::string::npos;
  };
  if (bad(leaf) || (slash != std::string::npos && bad(top)) ||
      std::find(entries_.begin(), entries_.end(), top) == entries_.end()) {
    throw InternalError("OutputDir::stage: invalid file name '" + relativeName + "'");
  }
  if (leaf.size() > static_cast<std::size_t>(NAME_MAX)) {
    fail("file name longer than " + std::to_string(NAME_MAX) + " bytes: " + relativeName);
  }
  for (auto& f : files_) {
    if (f.first == relativeName) {
      f.second = std::move(contents);
      return;
    }
  }
  files_.emplace_back(relativeName, std::move(contents));
}

void OutputDir::prepare() {
  if (state_ != State::Fresh) throw InternalError("OutputDir::prepare: called twice");
  if (dir_.empty()) fail("empty folder name");

  // 1. DIR as given, without a trailing '/': every existing part of it must be a folder; the
  //    missing ones are created below, outermost first.
  fs::path user = fs::path(dir_).lexically_normal();
  if (user.filename().empty() && user.has_relative_path()) user = user.parent_path();
  std::vector<fs::path> missing;
  fs::path existing = user;
  while (true) {
    std::error_code ec;
    const fs::file_status st = fs::status(existing, ec);
    if (ec && st.type() != fs::file_type::not_found) fail(existing.string() + ": " + ec.message());
    if (fs::exists(st)) {
      if (!fs::is_directory(st)) fail(existing.string() + " exists and is not a folder");
      break;
    }
    missing.insert(missing.begin(), existing);
    fs::path parent = existing.parent_path();
    if (parent.empty()) parent = ".";
    if (parent == existing) fail(existing.string() + ": no such folder");
    existing = parent;
  }
  if (!missing.empty()) missing.pop_back();  // DIR itself is made by commit()

  // 2. The folder replaced: DIR, or the target of a link DIR.
  std::error_code ec;
  if (fs::is_symlink(fs::symlink_status(user, ec))) {
    if (!fs::exists(fs::status(user, ec))) refuse("is a symbolic link to a missing path");
    target_ = fs::canonical(user, ec);
    if (ec) fail(ec.message());
  } else {
    target_ = fs::absolute(user, ec).lexically_normal();
    if (ec) fail(ec.message());
  }
  while (target_ != target_.root_path() &&
         (target_.filename().empty() || target_.filename() == ".")) {
    target_ = target_.parent_path();
  }
  if (target_ == target_.root_path()) refuse("dfsim cannot replace a root folder");
  parent_ = target_.parent_path();
  const std::string name = target_.filename().string();
  hidden_ = name.front() == '.' ? name : "." + name;

  // 3. Names: R, and the longest name made from it.
  const std::size_t maxName = nameMax(existing);
  const std::size_t longest = hidden_.size() + std::strlen(kTmpInfix) + kPidDigits;
  if (longest > maxName) {
    const std::size_t room = maxName - (longest - name.size());
    refuse("folder name too long: dfsim needs room for its temporary names beside it (at most " +
           std::to_string(room) + " characters, got " + std::to_string(name.size()) + ")");
  }

  // 4. The missing parents, then the lock; on a refusal from here on, undo both.
  for (const fs::path& p : missing) {
    if (::mkdir(p.c_str(), 0777) != 0) {
      const int err = errno;
      if (err == EEXIST) continue;  // made by someone else meanwhile: not ours to remove
      release();
      fail(existing.string() + ": " + errnoText(err));
    }
    createdParents_.push_back(p);
  }
  try {
    lock();
    removeLeftovers();
    checkTarget();
  } catch (...) {
    release();
    throw;
  }
  state_ = State::Prepared;
}

void OutputDir::lock() {
  const fs::path path = parent_ / (hidden_ + kLockSuffix);
  for (int attempt = 0; attempt < kLockAttempts; ++attempt) {
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0666);
    if (fd < 0) {
      const int err = errno;
      fail(parent_.string() + ": " + errnoText(err));
    }
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
      const int err = errno;
      if (err != EWOULDBLOCK && err != EINTR) {
        (void)::close(fd);
        fail(path.string() + ": " + errnoText(err));
      }
      char buf[32] = {};
      const ssize_t n = ::pread(fd, buf, sizeof buf - 1, 0);
      (void)::close(fd);
      const long pid = n > 0 ? std::strtol(buf, nullptr, 10) : 0;
      refuse(std::string("another dfsim run") +
             (pid > 0 ? " (pid " + std::to_string(pid) + ")" : "") + " is writing it");
    }
    // The holder before us may have removed the file after we opened it: then the lock is on a
    // file nobody else sees, and we try again with the file now at `path`.
    struct stat held {};
    struct stat now {};
    if (::fstat(fd, &held) == 0 && ::stat(path.c_str(), &now) == 0 && held.st_dev == now.st_dev &&
        held.st_ino == now.st_ino) {
      lockFd_ = fd;
      const std::string pid = pidText() + "\n";
      if (::ftruncate(fd, 0) == 0) (void)writeAll(fd, pid);
      return;
    }
    (void)::close(fd);
  }
  fail(path.string() + ": the lock file keeps changing");
}

void OutputDir::removeLeftovers() {
  const std::string tmpPrefix = hidden_ + kTmpInfix;
  const std::string oldPrefix = hidden_ + kOldInfix;
  std::vector<fs::path> tmps;
  std::vector<fs::path> olds;
  std::error_code ec;
  for (fs::directory_iterator it(parent_, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string n = it->path().filename().string();
    if (isPrefixAndDigits(n, tmpPrefix)) tmps.push_back(it->path());
    if (isPrefixAndDigits(n, oldPrefix)) olds.push_back(it->path());
  }
  if (ec) fail(parent_.string() + ": " + ec.message());
  // A run killed between the two renames of the fallback: its previous result goes back.
  if (!olds.empty() && !fs::exists(fs::symlink_status(target_, ec))) {
    if (::rename(olds.front().c_str(), target_.c_str()) != 0) {
      const int err = errno;
      fail(olds.front().string() + ": " + errnoText(err));
    }
    olds.erase(olds.begin());
  }
  for (const auto* group : {&tmps, &olds}) {
    for (const fs::path& p : *group) {
      const std::string err = removeTree(p);
      if (!err.empty()) fail("cannot remove the leftover " + err);
    }
  }
}

void OutputDir::checkTarget() const {
  struct stat st {};
  if (::lstat(target_.c_str(), &st) != 0) {
    const int err = errno;
    if (err == ENOENT) return;
    fail(target_.string() + ": " + errnoText(err));
  }
  if (S_ISLNK(st.st_mode)) refuse("is a symbolic link to a missing path");
  if (!S_ISDIR(st.st_mode)) fail(dir_ + " exists and is not a folder");
  struct stat up {};
  if (::stat(parent_.c_str(), &up) == 0 && up.st_dev != st.st_dev) {
    refuse("is a mount point: dfsim replaces its --out folder whole, so give a folder inside it");
  }
  std::error_code ec;
  const fs::path cwd = fs::current_path(ec);
  const fs::path real = ec ? fs::path() : fs::canonical(target_, ec);
  if (!ec) {
    const auto [end, unused] = std::mismatch(real.begin(), real.end(), cwd.begin(), cwd.end());
    (void)unused;
    if (end == real.end()) {
      refuse(
          "is the current folder or holds it: dfsim replaces its --out folder whole, so run "
          "it from elsewhere");
    }
  }
  std::vector<std::string> names;
  for (fs::directory_iterator it(target_, ec), end; !ec && it != end; it.increment(ec)) {
    names.push_back(it->path().filename().string());
  }
  if (ec) fail(target_.string() + ": " + ec.message());
  if (names.empty()) return;
  std::sort(names.begin(), names.end());
  const bool marked = isRegularFile(target_ / kMarkerName);
  const bool legacy =
      isRegularFile(target_ / "stats.json") && isRegularFile(target_ / "layers.csv");
  if (!marked && !legacy) {
    refuse(std::string("not empty and not a dfsim result (no ") + kMarkerName +
           " file): dfsim replaces its --out folder whole, so give a new or empty folder");
  }
  for (const std::string& n : names) {
    if (n != kMarkerName && std::find(entries_.begin(), entries_.end(), n) == entries_.end()) {
      refuse("holds " + n +
             ", which dfsim does not write: dfsim replaces its --out folder whole, so move " + n +
             " or give another folder");
    }
  }
  // The previous result is removed after the swap: every folder of it must let us.
  if (::access(target_.c_str(), W_OK | X_OK) != 0) {
    const int err = errno;
    fail(target_.string() + ": " + errnoText(err));
  }
  for (fs::recursive_directory_iterator it(target_, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->is_directory(ec) && !it->is_symlink(ec) &&
        ::access(it->path().c_str(), W_OK | X_OK) != 0) {
      const int err = errno;
      fail(it->path().string() + ": " + errnoText(err));
    }
  }
}

void OutputDir::checkSpace(std::uintmax_t extraBytes, std::size_t extraFiles) const {
  if (state_ != State::Prepared) throw InternalError("OutputDir::checkSpace: before prepare()");
  struct statvfs vfs {};
  if (::statvfs(parent_.c_str(), &vfs) != 0) return;
  const std::uintmax_t block = vfs.f_frsize > 0 ? vfs.f_frsize : vfs.f_bsize;
  if (block == 0) return;
  auto blocks = [&](std::uintmax_t bytes) { return (bytes + block - 1) / block; };
  std::uintmax_t need = blocks(std::strlen(kMarkerText)) + blocks(extraBytes);
  std::set<std::string> subfolders;
  for (const auto& f : files_) {
    need += blocks(f.second.size());
    const std::size_t slash = f.first.find('/');
    if (slash != std::string::npos) subfolders.insert(f.first.substr(0, slash));
  }
  // Root may use the blocks reserved for it.
  const std::uintmax_t freeBlocks = ::geteuid() == 0 ? vfs.f_bfree : vfs.f_bavail;
  if (need > freeBlocks) {
    fail("the results need at least " + std::to_string(need * block) + " bytes and " +
         parent_.string() + " has " + std::to_string(freeBlocks * block) + " free");
  }
  const std::uintmax_t inodes = files_.size() + 1 + extraFiles + 1 + subfolders.size();
  if (vfs.f_files > 0 && inodes > vfs.f_favail) {
    fail("the results need " + std::to_string(inodes) + " files and " + parent_.string() +
         " has room for " + std::to_string(vfs.f_favail));
  }
}

void OutputDir::commit() {
  if (state_ != State::Prepared) throw InternalError("OutputDir::commit: before prepare()");
  const int killStep = stepFromEnvironment(kKillStepVar);
  const int stopStep = stepFromEnvironment(kStopStepVar);
  const bool exchange = std::getenv(kNoExchangeVar) == nullptr;
  auto step = [killStep, stopStep](int n) {
    if (n == killStep) (void)::raise(SIGKILL);
    if (n == stopStep) (void)::raise(SIGSTOP);
  };
  const fs::path tmp = parent_ / (hidden_ + kTmpInfix + pidText());
  const fs::path old = parent_ / (hidden_ + kOldInfix + pidText());

  // 1. Every file into a fresh folder; on failure the guard removes the folder.
  if (::mkdir(tmp.c_str(), 0777) != 0) {
    const int err = errno;
    fail(tmp.string() + ": " + errnoText(err));
  }
  TempFolder guard(tmp);
  std::set<std::string> subfolders;
  for (const auto& f : files_) {
    const std::size_t slash = f.first.find('/');
    if (slash == std::string::npos) continue;
    const std::string sub = f.first.substr(0, slash);
    if (subfolders.insert(sub).second && ::mkdir((tmp / sub).c_str(), 0777) != 0) {
      const int err = errno;
      fail(sub + ": " + errnoText(err));
    }
  }
  if (const int err = writeNewFile(tmp / kMarkerName, kMarkerText)) {
    fail(std::string(kMarkerName) + ": " + errnoText(err));
  }
  for (const auto& f : files_) {
    if (const int err = writeNewFile(tmp / f.first, f.second)) {
      fail(f.first + ": " + errnoText(err));
    }
  }
  step(1);

  // 2. The files' data and the folders' entries, to disk, before anything is renamed.
  if (const int err = syncFileSystemOf(tmp)) fail(tmp.string() + ": " + errnoText(err));
  step(2);

  // 3-4. The swap.
  fs::path previous;  ///< where the previous result is now, empty when there was none
  struct stat st {};
  if (::lstat(target_.c_str(), &st) != 0) {
    if (::rename(tmp.c_str(), target_.c_str()) != 0) {
      const int err = errno;
      fail(errnoText(err));
    }
    guard.release();
    step(3);
    step(4);
  } else {
    const int err = exchange ? renameExchange(tmp, target_) : EINVAL;
    if (err == 0) {
      guard.release();
      previous = tmp;
      step(3);
      step(4);
    } else if (err == EINVAL || err == ENOSYS) {
      // Fallback: two renames. Between them DIR is missing and the previous result complete
      // under `old`; prepare() of the next run puts it back if we die here.
      if (::rename(target_.c_str(), old.c_str()) != 0) {
        const int e = errno;
        fail(errnoText(e));
      }
      step(3);
      if (::rename(tmp.c_str(), target_.c_str()) != 0) {
        const int e = errno;
        (void)::rename(old.c_str(), target_.c_str());
        fail(errnoText(e));
      }
      guard.release();
      previous = old;
      step(4);
    } else {
      fail(errnoText(err));
    }
  }

  // 5. The parent's entries.
  syncFolder(parent_);
  step(5);

  // 6. The previous result; what cannot be removed is a leftover for the next run.
  if (!previous.empty()) (void)removeTree(previous);
  step(6);

  // 7. The lock.
  state_ = State::Done;
  release();
  step(7);
}

void OutputDir::release() {
  if (lockFd_ >= 0) {
    // Removed while still held, so that no run can lock a file that is about to vanish.
    (void)::unlink((parent_ / (hidden_ + kLockSuffix)).c_str());
    (void)::close(lockFd_);
    lockFd_ = -1;
  }
  if (state_ != State::Done) {
    for (auto it = createdParents_.rbegin(); it != createdParents_.rend(); ++it) {
      if (::rmdir(it->c_str()) != 0) break;  // no longer empty: keep it and its parents
    }
  }
  createdParents_.clear();
}

}  // namespace dfsim
