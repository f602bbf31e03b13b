// The edges of dfsim's input and output, through the real binary: input files that are not
// regular files (FIFO, device, socket, folder, a pipe as /dev/stdin) or are over their size cap,
// and standard output or error that fails (a closed pipe, /dev/full, a closed descriptor).
// dfsim runs under a small fork/exec harness with a deadline, so that a regression that blocks
// (a FIFO opened for reading) fails the test instead of hanging it.
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <functional>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "common/errors.hpp"
#include "io/json_file.hpp"
#include "temp_dir.hpp"

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

/// Where a standard descriptor of the child comes from.
struct Fd {
  enum Kind { File, Closed, Given } kind = File;
  int fd = -1;  ///< for Given: the descriptor to dup onto it (opened with O_CLOEXEC)
  static Fd closed() { return {Closed, -1}; }
  static Fd given(int fd) { return {Given, fd}; }
};

/// What one dfsim process did.
struct Result {
  int code = -1;   ///< exit status, or -1 when it did not exit normally
  int signal = 0;  ///< the signal that ended it, or 0
  bool timedOut = false;
  std::string out;  ///< stdout, when it went to a file
  std::string err;  ///< stderr, when it went to a file
};

/// Seconds a dfsim run may take before it is killed: a hang guard, not a timing assertion
/// (every run here takes well under a second, even with sanitizers).
constexpr int kDeadlineSeconds = 60;

/// Runs dfsim with `args` in the source tree. stdin is /dev/null unless given; stdout and
/// stderr go to files of `scratch` (returned), or are closed, or are the given descriptors.
/// `whileRunning` runs in the parent after the start (it may read a pipe and close it).
/// Outside sanitizer builds the child's address space is capped at 4 GiB, so that a
/// regression that reads without bound fails instead of exhausting the machine.
Result spawnDfsim(const std::vector<std::string>& args, const fs::path& scratch, Fd in = {},
                  Fd out = {}, Fd err = {}, const std::function<void()>& whileRunning = {}) {
  std::vector<std::string> words{DFSIM_BINARY};
  words.insert(words.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& w : words) argv.push_back(w.data());
  argv.push_back(nullptr);
  const std::string outPath = (scratch / "stdout").string();
  const std::string errPath = (scratch / "stderr").string();

  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    // The child: only async-signal-safe calls until exec.
    // Descriptors are closed last, so that no file opened here takes a closed one's number.
    const auto setUp = [](int target, const Fd& how, const char* path, int flags) {
      if (how.kind == Fd::Closed) return true;
      const int fd = how.kind == Fd::Given ? how.fd : ::open(path, flags | O_CLOEXEC, 0644);
      return fd >= 0 && ::dup2(fd, target) == target;
    };
    const auto closeIf = [](int target, const Fd& how) {
      return how.kind != Fd::Closed || ::close(target) == 0 || errno == EBADF;
    };
    bool ok = ::chdir(DFSIM_SOURCE_DIR) == 0;
    ok = ok && setUp(0, in, "/dev/null", O_RDONLY);
    ok = ok && setUp(1, out, outPath.c_str(), O_WRONLY | O_CREAT | O_TRUNC);
    ok = ok && setUp(2, err, errPath.c_str(), O_WRONLY | O_CREAT | O_TRUNC);
    ok = ok && closeIf(0, in) && closeIf(1, out) && closeIf(2, err);
#if !defined(__SANITIZE_ADDRESS__)
    const rlimit memory{rlim_t{4} << 30, rlim_t{4} << 30};
    ok = ok && ::setrlimit(RLIMIT_AS, &memory) == 0;
#endif
    if (ok) ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  if (whileRunning) whileRunning();
  Result r;
  int status = 0;
  const timespec tick{0, 10 * 1000 * 1000};
  for (int waited = 0;; ++waited) {
    const pid_t got = ::waitpid(pid, &status, WNOHANG);
    if (got == pid) break;
    if (got < 0 && errno != EINTR) throw std::runtime_error("waitpid failed");
    if (waited >= kDeadlineSeconds * 100) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      r.timedOut = true;
      break;
    }
    ::nanosleep(&tick, nullptr);
  }
  if (WIFEXITED(status)) r.code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) r.signal = WTERMSIG(status);
  if (out.kind == Fd::File) r.out = dfsim::test::readFile(outPath);
  if (err.kind == Fd::File) r.err = dfsim::test::readFile(errPath);
  return r;
}

/// A pipe whose ends close on exec (the child keeps only what is dup'd onto 0, 1, 2).
struct Pipe {
  int readEnd = -1;
  int writeEnd = -1;
  Pipe() {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe2 failed");
    readEnd = fds[0];
    writeEnd = fds[1];
  }
  ~Pipe() {
    closeRead();
    closeWrite();
  }
  Pipe(const Pipe&) = delete;
  Pipe& operator=(const Pipe&) = delete;
  void closeRead() {
    if (readEnd >= 0) ::close(readEnd);
    readEnd = -1;
  }
  void closeWrite() {
    if (writeEnd >= 0) ::close(writeEnd);
    writeEnd = -1;
  }
};

/// A network of `layers` small conv layers: with --dataflow all, a table of several KB.
std::string smallNetwork(int layers) {
  json net = {{"name", "edges"}, {"layers", json::array()}};
  for (int i = 0; i < layers; ++i) {
    net["layers"].push_back({{"name", "c" + std::to_string(i)},
                             {"type", "conv"},
                             {"C", 2},
                             {"M", 2},
                             {"H", 4},
                             {"W", 4},
                             {"R", 1},
                             {"S", 1}});
  }
  return net.dump(2);
}

/// Every file of a result folder but timing.json (wall times), relative name -> bytes.
std::map<std::string, std::string> results(const fs::path& dir) {
  std::map<std::string, std::string> files;
  if (!fs::exists(dir)) return files;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    const std::string rel = fs::relative(e.path(), dir).string();
    if (rel == "timing.json") continue;
    files[rel] = e.is_regular_file() ? dfsim::test::readFile(e.path()) : std::string("(folder)");
  }
  return files;
}

/// A run of the small network under every dataflow, its reference result (stdout to a file),
/// and the arguments to run it again into another folder.
struct RunFixture {
  dfsim::test::TempDir tmp{"io-edges"};
  std::string network = tmp.writeText("net.json", smallNetwork(12));
  std::vector<std::string> args(const std::string& outDir, bool quiet = true) const {
    std::vector<std::string> a{"run",       "--arch", "configs/arch/tiny_4x4.json",
                               "--network", network,  "--dataflow",
                               "all",       "--out",  outDir};
    if (quiet) a.push_back("--quiet");
    return a;
  }
  Result reference = spawnDfsim(args((tmp.path() / "reference").string()), tmp.path());
  std::map<std::string, std::string> referenceFiles = results(tmp.path() / "reference");
};

/// The one line dfsim prints for a failed write of standard output.
std::string stdoutError(const char* what) {
  return std::string("dfsim: error: writing to standard output: ") + what + "\n";
}

}  // namespace

TEST_CASE("an input that is not a regular file is refused at once, without reading it",
          "[cli][io-edges]") {
  const dfsim::test::TempDir tmp("io-edges");
  const std::string dir = tmp.path().string();
  const std::string fifo = dir + "/fifo.json";
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  const std::string socketPath = dir + "/socket.json";
  const int sock = ::socket(AF_UNIX, SOCK_STREAM, 0);
  REQUIRE(sock >= 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  REQUIRE(socketPath.size() < sizeof(addr.sun_path));
  std::strcpy(addr.sun_path, socketPath.c_str());
  REQUIRE(::bind(sock, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) == 0);

  const std::string arch = "configs/arch/tiny_4x4.json";
  const std::string net = "models/tiny_net.json";
  struct Case {
    std::vector<std::string> args;
    std::string message;  ///< after "dfsim: error: "
  };
  const std::vector<Case> cases = {
      {{"summary", "--network", fifo}, fifo + ": expected a regular file, got a FIFO"},
      {{"run", "--arch", fifo, "--network", net, "--dataflow", "rs"},
       fifo + ": expected a regular file, got a FIFO"},
      {{"run", "--arch", arch, "--network", net, "--energy", fifo, "--dump-config"},
       fifo + ": expected a regular file, got a FIFO"},
      {{"run", "--arch", arch, "--network", net, "--mapping", fifo},
       fifo + ": expected a regular file, got a FIFO"},
      {{"summary", "--network", "/dev/zero"},
       "/dev/zero: expected a regular file, got a character device"},
      {{"run", "--arch", arch, "--network", "/dev/urandom", "--dataflow", "rs"},
       "/dev/urandom: expected a regular file, got a character device"},
      {{"run", "--arch", dir, "--network", net, "--dataflow", "rs"},
       dir + ": expected a regular file, got a folder"},
      {{"run", "--arch", arch, "--network", net, "--mapping", socketPath},
       socketPath + ": expected a regular file, got a socket"},
  };
  for (const Case& c : cases) {
    const dfsim::test::TempDir scratch("io-edges");
    const Result r = spawnDfsim(c.args, scratch.path());
    INFO("args: " << c.args[0] << " ... " << c.args.back());
    CHECK_FALSE(r.timedOut);
    CHECK(r.code == 2);
    CHECK(r.err == "dfsim: error: " + c.message + "\n");
    CHECK(r.out.empty());
  }

  // /dev/stdin as a pipe that stays open: today's reader would wait for its end.
  Pipe in;
  const dfsim::test::TempDir scratch("io-edges");
  const Result r =
      spawnDfsim({"summary", "--network", "/dev/stdin"}, scratch.path(), Fd::given(in.readEnd));
  CHECK_FALSE(r.timedOut);
  CHECK(r.code == 2);
  CHECK(r.err == "dfsim: error: /dev/stdin: expected a regular file, got a FIFO\n");
  ::close(sock);
}

TEST_CASE("an input file over its size cap is refused before it is read", "[cli][io-edges]") {
  const dfsim::test::TempDir tmp("io-edges");
  const auto sparse = [&](const std::string& name, std::uint64_t bytes) {
    const std::string p = tmp.writeText(name, "");
    REQUIRE(::truncate(p.c_str(), static_cast<off_t>(bytes)) == 0);
    return p;
  };
  const std::string bigNet = sparse("big_net.json", dfsim::kMaxNetworkFileBytes + 1);
  const std::string bigArch = sparse("big_arch.json", dfsim::kMaxConfigFileBytes + 1);
  const std::string atCap = sparse("at_cap.json", dfsim::kMaxNetworkFileBytes);
  REQUIRE(dfsim::kMaxNetworkFileBytes == std::uint64_t{16} << 20);
  REQUIRE(dfsim::kMaxConfigFileBytes == std::uint64_t{1} << 20);

  const dfsim::test::TempDir scratch("io-edges");
  Result r = spawnDfsim({"summary", "--network", bigNet}, scratch.path());
  CHECK(r.code == 2);
  CHECK(r.err == "dfsim: error: " + bigNet +
                     ": expected a network file of at most 16 MiB (16777216 bytes), got "
                     "16777217 bytes\n");
  r = spawnDfsim(
      {"run", "--arch", bigArch, "--network", "models/tiny_net.json", "--dataflow", "rs"},
      scratch.path());
  CHECK(r.code == 2);
  CHECK(r.err == "dfsim: error: " + bigArch +
                     ": expected an arch file of at most 1 MiB (1048576 bytes), got 1048577 "
                     "bytes\n");
  // At the cap the file is read (and its NUL bytes are a syntax error, not a size error).
  r = spawnDfsim({"summary", "--network", atCap}, scratch.path());
  CHECK(r.code == 2);
  CHECK(r.err.rfind("dfsim: error: " + atCap + ":1:1: JSON syntax error: ", 0) == 0);
}

TEST_CASE("readInputFile reads at most its cap + 1 bytes when fstat cannot tell the size",
          "[io][io-edges]") {
  // /proc files report size 0; /proc/self/maps is longer than 16 bytes.
  try {
    dfsim::readInputFile("/proc/self/maps", 16, "network");
    FAIL("no error");
  } catch (const dfsim::InputError& e) {
    CHECK(std::string(e.what()) ==
          "/proc/self/maps: expected a network file of at most 16 bytes, got more while reading "
          "it");
  }
  CHECK(dfsim::readInputFile("/proc/self/status", 1 << 20, "network").find("Name:") == 0);
}

TEST_CASE("a reader that leaves stdout does not cost the results", "[cli][io-edges]") {
  RunFixture f;
  REQUIRE(f.reference.code == 0);
  REQUIRE(f.reference.err.empty());
  REQUIRE(f.referenceFiles.count("stats.json") == 1);
  constexpr int kPipeBytes = 4096;
  REQUIRE(f.reference.out.size() > 2 * kPipeBytes);  // the table cannot fit in the pipe

  SECTION("no reader at all (dfsim ... | true)") {
    const fs::path out = f.tmp.path() / "R";
    Pipe p;
    p.closeRead();
    const Result r = spawnDfsim(f.args(out.string()), f.tmp.path(), {}, Fd::given(p.writeEnd));
    CHECK(r.signal == 0);
    CHECK(r.code == 141);
    CHECK(r.err.empty());
    CHECK(results(out) == f.referenceFiles);
  }
  SECTION("a reader of one line (dfsim ... | head -n 1)") {
    const fs::path out = f.tmp.path() / "R";
    Pipe p;
    REQUIRE(::fcntl(p.writeEnd, F_SETPIPE_SZ, kPipeBytes) >= kPipeBytes);
    std::string first;
    const auto headOne = [&] {
      p.closeWrite();
      char c = 0;
      while (::read(p.readEnd, &c, 1) == 1 && c != '\n') first += c;
      p.closeRead();
    };
    const Result r =
        spawnDfsim(f.args(out.string()), f.tmp.path(), {}, Fd::given(p.writeEnd), {}, headOne);
    CHECK(first == f.reference.out.substr(0, f.reference.out.find('\n')));
    CHECK(r.signal == 0);
    CHECK(r.code == 141);
    CHECK(r.err.empty());
    CHECK(results(out) == f.referenceFiles);
  }
}

TEST_CASE("a failed stderr does not stop a run", "[cli][io-edges]") {
  RunFixture f;
  REQUIRE(f.reference.code == 0);
  const fs::path out = f.tmp.path() / "R";
  SECTION("stderr a pipe without a reader (progress lines fail with EPIPE)") {
    Pipe p;
    p.closeRead();
    const Result r =
        spawnDfsim(f.args(out.string(), false), f.tmp.path(), {}, {}, Fd::given(p.writeEnd));
    CHECK(r.signal == 0);
    CHECK(r.code == 0);
    CHECK(r.out == f.reference.out);
    CHECK(results(out) == f.referenceFiles);
  }
  SECTION("stderr closed") {
    const Result r = spawnDfsim(f.args(out.string(), false), f.tmp.path(), {}, {}, Fd::closed());
    CHECK(r.code == 0);
    CHECK(r.out == f.reference.out);
    CHECK(results(out) == f.referenceFiles);
  }
}

TEST_CASE("a failed write of stdout exits 1 with one line", "[cli][io-edges]") {
  RunFixture f;
  REQUIRE(f.reference.code == 0);
  const std::vector<std::vector<std::string>> commands = {
      f.args((f.tmp.path() / "R").string()),
      {"run", "--arch", "configs/arch/tiny_4x4.json", "--network", f.network, "--dump-config"},
      {"summary", "--network", "models/alexnet.json"},
      {"--help"},
      {"run", "--help"},
      {"--version"},
  };
  for (const auto& args : commands) {
    INFO("args: " << args[0] << " ... " << args.back());
    const int full = ::open("/dev/full", O_WRONLY | O_CLOEXEC);
    REQUIRE(full >= 0);
    fs::remove_all(f.tmp.path() / "R");
    Result r = spawnDfsim(args, f.tmp.path(), {}, Fd::given(full));
    ::close(full);
    CHECK(r.code == 1);
    CHECK(r.err == stdoutError("No space left on device"));
    // A run commits its results before it writes the table.
    const bool writesResults = std::find(args.begin(), args.end(), "--out") != args.end();
    if (writesResults) CHECK(results(f.tmp.path() / "R") == f.referenceFiles);

    fs::remove_all(f.tmp.path() / "R");
    r = spawnDfsim(args, f.tmp.path(), {}, Fd::closed());
    CHECK(r.code == 1);
    CHECK(r.err == stdoutError("Bad file descriptor"));
    // No file of the run took the closed stdout's descriptor number.
    if (writesResults) CHECK(results(f.tmp.path() / "R") == f.referenceFiles);
  }
}
