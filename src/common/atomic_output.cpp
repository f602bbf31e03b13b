#include "common/atomic_output.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "common/errors.hpp"

namespace dfsim {

namespace fs = std::filesystem;

namespace {

std::string errnoText(int err) {
  return std::strerror(err);
}

/// Writes all of `data` to `fd`, retrying on EINTR and short writes. Returns 0 or an errno.
int writeAll(int fd, const std::string& data) {
  const char* p = data.data();
  std::size_t left = data.size();
  while (left > 0) {
    const ssize_t n = ::write(fd, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    p += n;
    left -= static_cast<std::size_t>(n);
  }
  return 0;
}

/// Writes `data` to a new file at `path` and flushes it to disk. Returns 0 or an errno.
int writeFileDurably(const fs::path& path, const std::string& data) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
  if (fd < 0) return errno;
  int err = writeAll(fd, data);
  if (err == 0 && ::fsync(fd) != 0) err = errno;
  if (::close(fd) != 0 && err == 0) err = errno;
  return err;
}

/// Flushes a folder's entries (the renames) to disk. Best effort: some file systems refuse.
void syncFolder(const fs::path& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  (void)::fsync(fd);
  (void)::close(fd);
}

/// Temporary name of `name` for this process: hidden, and distinct per process so that two runs
/// writing the same folder never share a temporary.
std::string tempName(const std::string& name) {
  return "." + name + ".dfsim-tmp." + std::to_string(static_cast<long>(::getpid()));
}

/// Removes the temporaries it holds unless they were renamed into place.
class TempFiles {
 public:
  TempFiles() = default;
  TempFiles(const TempFiles&) = delete;
  TempFiles& operator=(const TempFiles&) = delete;
  ~TempFiles() {
    for (const fs::path& p : paths_) {
      std::error_code ec;
      fs::remove(p, ec);
    }
  }
  void add(fs::path p) { paths_.push_back(std::move(p)); }
  /// Forgets the first temporary (it has been renamed into place).
  void releaseFirst() { paths_.erase(paths_.begin()); }

 private:
  std::vector<fs::path> paths_;
};

}  // namespace

OutputDir::OutputDir(std::string dir, std::string label)
    : dir_(std::move(dir)), label_(std::move(label)) {}

void OutputDir::fail(const std::string& reason) const {
  throw InputError(label_ + " " + dir_ + ": cannot write: " + reason);
}

void OutputDir::stage(const std::string& relativeName, std::string contents) {
  // Plain names, or one level of subfolder ("mappings/conv1.rs.json"); never "." or "..".
  const std::size_t slash = relativeName.find('/');
  const std::string sub = slash == std::string::npos ? "" : relativeName.substr(0, slash);
  const std::string leaf =
      slash == std::string::npos ? relativeName : relativeName.substr(slash + 1);
  auto bad = [](const std::string& part) {
    return part.empty() || part == "." || part == ".." || part.find('/') != std::string::npos;
  };
  if (bad(leaf) || (slash != std::string::npos && bad(sub))) {
    throw InternalError("OutputDir::stage: invalid file name '" + relativeName + "'");
  }
  for (auto& f : files_) {
    if (f.first == relativeName) {
      f.second = std::move(contents);
      return;
    }
  }
  files_.emplace_back(relativeName, std::move(contents));
}

void OutputDir::checkWritable() const {
  if (dir_.empty()) fail("empty folder name");
  // 1. Find the deepest part of the path that exists: commit() will create the rest there.
  fs::path p(dir_);
  while (true) {
    std::error_code ec;
    const fs::file_status st = fs::status(p, ec);
    if (ec && st.type() != fs::file_type::not_found) fail(p.string() + ": " + ec.message());
    if (fs::exists(st)) {
      if (!fs::is_directory(st)) fail(p.string() + " exists and is not a folder");
      break;
    }
    fs::path parent = p.parent_path();
    if (parent.empty()) parent = ".";
    if (parent == p) fail(p.string() + ": no such folder");
    p = parent;
  }
  // 2. Probe it by creating (and removing) a file: access() lies on read-only mounts and ACLs.
  const fs::path probe = p / tempName("probe");
  const int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    const int err = errno;
    fail(p.string() + ": " + errnoText(err));
  }
  (void)::close(fd);
  std::error_code ec;
  fs::remove(probe, ec);
}

void OutputDir::commit() const {
  if (dir_.empty()) fail("empty folder name");
  const fs::path dir(dir_);

  // 1. The folder, parents too.
  std::error_code ec;
  const fs::file_status st = fs::status(dir, ec);
  if (fs::exists(st) && !fs::is_directory(st)) fail("exists and is not a folder");
  if (!fs::exists(st)) {
    fs::create_directories(dir, ec);
    if (ec) fail(ec.message());
  }

  // 2. Subfolders of staged names; no destination may be a folder: a rename over it would
  //    fail half way through.
  for (const auto& f : files_) {
    const fs::path sub = (dir / f.first).parent_path();
    if (!fs::exists(sub, ec)) {
      fs::create_directories(sub, ec);
      if (ec) fail(f.first + ": " + ec.message());
    }
    if (fs::is_directory(dir / f.first, ec)) fail(f.first + " is a folder");
  }

  // 3. Every file to a temporary, flushed; on failure the guard removes the temporaries.
  TempFiles temps;
  std::vector<fs::path> tempPaths;
  for (const auto& f : files_) {
    const fs::path name(f.first);
    const fs::path tmp = dir / name.parent_path() / tempName(name.filename().string());
    temps.add(tmp);
    tempPaths.push_back(tmp);
    const int err = writeFileDurably(tmp, f.second);
    if (err != 0) fail(f.first + ": " + errnoText(err));
  }

  // 4. Only now replace the previous results, one rename (atomic) per file.
  for (std::size_t i = 0; i < files_.size(); ++i) {
    const fs::path dest = dir / files_[i].first;
    if (::rename(tempPaths[i].c_str(), dest.c_str()) != 0) {
      const int err = errno;
      fail(files_[i].first + ": " + errnoText(err));
    }
    temps.releaseFirst();
  }
  syncFolder(dir);
}

}  // namespace dfsim
