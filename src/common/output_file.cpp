#include "common/output_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <system_error>

#include "common/errors.hpp"
#include "common/posix_io.hpp"

namespace dfsim {

namespace fs = std::filesystem;

namespace {

constexpr const char* kTmpInfix = ".dfsim-tmp.";

fs::path parentOf(const fs::path& p) {
  return p.has_parent_path() ? p.parent_path() : fs::path(".");
}

/// The temporary name of `p` for process `pid`.
fs::path tmpName(const fs::path& p, long pid) {
  return parentOf(p) / ("." + p.filename().string() + kTmpInfix + std::to_string(pid));
}

}  // namespace

OutputFile::OutputFile(std::string path, std::string label)
    : path_(std::move(path)), label_(std::move(label)) {}

void OutputFile::fail(const std::string& reason) const {
  throw InputError(label_ + " " + path_ + ": " + reason);
}

void OutputFile::check() const {
  if (path_.empty()) throw InputError(label_ + ": expected a file name, got \"\"");
  if (path_.back() == '/') fail("expected a file name, got a folder name");
  const fs::path p(path_);
  const std::string name = p.filename().string();
  if (name == "." || name == "..") fail("expected a file name, got a folder name");
  // The temporary name is the longest name used.
  if (name.size() + std::strlen(kTmpInfix) + 12 > NAME_MAX) {
    fail("the file name is too long (at most " +
         std::to_string(NAME_MAX - std::strlen(kTmpInfix) - 12) + " characters)");
  }
  const fs::path dir = parentOf(p);
  std::error_code ec;
  const fs::file_status ds = fs::status(dir, ec);
  if (!fs::exists(ds)) fail("its folder " + dir.string() + " does not exist");
  if (!fs::is_directory(ds)) fail(dir.string() + " is not a folder");
  if (::access(dir.c_str(), W_OK | X_OK) != 0) {
    fail("cannot write in " + dir.string() + ": " + std::strerror(errno));
  }
  const fs::file_status fsx = fs::symlink_status(p, ec);
  if (fs::exists(fsx) && !fs::is_regular_file(fsx)) {
    fail("exists and is not a regular file (dfsim replaces only files)");
  }
  // Leftovers of killed runs: temporary files of processes no longer alive.
  const std::string prefix = "." + name + kTmpInfix;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string n = it->path().filename().string();
    if (n.compare(0, prefix.size(), prefix) != 0) continue;
    const std::string digits = n.substr(prefix.size());
    if (digits.empty() || digits.size() > 10 ||
        digits.find_first_not_of("0123456789") != std::string::npos) {
      continue;
    }
    const long pid = std::stol(digits);
    if (pid > 0 && ::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH) {
      std::error_code rm;
      fs::remove(it->path(), rm);
    }
  }
}

void OutputFile::write(const std::string& contents) const {
  const fs::path p(path_);
  const fs::path tmp = tmpName(p, static_cast<long>(::getpid()));
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
  if (fd < 0) fail(std::string("cannot write: ") + std::strerror(errno));
  int err = writeAll(fd, contents);
  if (err == 0 && ::fsync(fd) != 0) err = errno;
  if (::close(fd) != 0 && err == 0) err = errno;
  if (err == 0 && std::rename(tmp.c_str(), p.c_str()) != 0) err = errno;
  if (err != 0) {
    ::unlink(tmp.c_str());
    fail(std::string("cannot write: ") + std::strerror(err));
  }
  const int dfd = ::open(parentOf(p).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    (void)::fsync(dfd);
    (void)::close(dfd);
  }
}

}  // namespace dfsim
