// The result folder of `dfsim run --out`: one atomic replacement per run (OutputDir), the lock
// against a second run, leftovers of killed runs, the checks made before simulating, and the
// file names derived from layer and dataflow labels. Most cases run the real binary.
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "common/atomic_output.hpp"
#include "common/errors.hpp"
#include "run_dfsim.hpp"
#include "temp_dir.hpp"

namespace fs = std::filesystem;
using dfsim::InputError;
using dfsim::InternalError;
using dfsim::OutputDir;
using dfsim::test::Outcome;
using dfsim::test::readFile;
using dfsim::test::runDfsim;
using dfsim::test::TempDir;
using dfsim::test::writeFile;

namespace {

const std::string kBase =
    "run --arch configs/arch/tiny_4x4.json --network models/tiny_net.json --fast -q ";
const std::string kOldRun = kBase + "--dataflow ws,rs";             ///< every layer, two dataflows
const std::string kNewRun = kBase + "--dataflow os --layer conv1";  ///< fewer layers

std::vector<std::string> resultEntries() {
  return {"stats.json", "layers.csv", "timing.json", "config.json", "mappings"};
}

/// The names in folder `dir`, sorted.
std::vector<std::string> entriesOf(const fs::path& dir) {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

/// Every entry under `dir` (relative name -> bytes, "(folder)" for folders); timing.json, which
/// holds wall times, only as "(timing)". Empty when `dir` is missing.
std::map<std::string, std::string> result(const fs::path& dir) {
  std::map<std::string, std::string> files;
  if (!fs::exists(dir)) return files;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    const std::string rel = fs::relative(e.path(), dir).string();
    files[rel] = e.is_directory()       ? "(folder)"
                 : rel == "timing.json" ? "(timing)"
                                        : readFile(e.path());
  }
  return files;
}

/// The result of `args` run into a fresh folder.
std::map<std::string, std::string> reference(const std::string& args) {
  const TempDir scratch("ref");
  const Outcome o =
      runDfsim(args + " --out '" + (scratch.path() / "R").string() + "'", scratch.path());
  REQUIRE(o.code == 0);
  return result(scratch.path() / "R");
}

/// The names in `dir` that start with `prefix`.
std::vector<fs::path> startingWith(const fs::path& dir, const std::string& prefix) {
  std::vector<fs::path> out;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.path().filename().string().rfind(prefix, 0) == 0) out.push_back(e.path());
  }
  return out;
}

/// Sets an environment variable for the scope (the dfsim children inherit it).
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const std::string& value) : name_(name) {
    ::setenv(name, value.c_str(), 1);
  }
  ~ScopedEnv() { ::unsetenv(name_); }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  const char* name_;
};

/// Starts dfsim with `args` (one word each) in the source tree, stdout to `stdoutFd` (or a
/// file of `logs`) and stderr to a file of `logs`; returns its pid.
pid_t spawnDfsim(const std::vector<std::string>& args, const fs::path& logs, int stdoutFd = -1) {
  const std::string out = (logs / "spawn-stdout").string();
  const std::string err = (logs / "spawn-stderr").string();
  std::vector<std::string> words = {DFSIM_BINARY};
  words.insert(words.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& w : words) argv.push_back(w.data());
  argv.push_back(nullptr);
  const pid_t pid = ::fork();
  if (pid == 0) {
    if (::chdir(DFSIM_SOURCE_DIR) != 0) ::_exit(126);
    const int o = stdoutFd >= 0 ? stdoutFd : ::open(out.c_str(), O_WRONLY | O_CREAT, 0644);
    const int e = ::open(err.c_str(), O_WRONLY | O_CREAT, 0644);
    if (o < 0 || e < 0 || ::dup2(o, 1) < 0 || ::dup2(e, 2) < 0) ::_exit(126);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  return pid;
}

std::vector<std::string> words(const std::string& text) {
  std::vector<std::string> out;
  std::size_t at = 0;
  while (at < text.size()) {
    const std::size_t end = std::min(text.find(' ', at), text.size());
    if (end > at) out.push_back(text.substr(at, end - at));
    at = end + 1;
  }
  return out;
}

/// A tmpfs of `size` mounted on `dir` for the scope; mounted() is false when mount failed (not
/// root, or no permission), then the test skips.
class TmpfsMount {
 public:
  TmpfsMount(const fs::path& dir, const std::string& size) : dir_(dir) {
    fs::create_directories(dir);
    const std::string cmd =
        "mount -t tmpfs -o size=" + size + " tmpfs '" + dir.string() + "' 2>/dev/null";
    mounted_ = ::geteuid() == 0 && std::system(cmd.c_str()) == 0;
  }
  ~TmpfsMount() {
    if (mounted_) (void)std::system(("umount '" + dir_.string() + "'").c_str());
  }
  TmpfsMount(const TmpfsMount&) = delete;
  TmpfsMount& operator=(const TmpfsMount&) = delete;
  bool mounted() const { return mounted_; }

 private:
  fs::path dir_;
  bool mounted_ = false;
};

/// A network of two copies of tiny_net's conv1 named `a` and `b`.
std::string twoLayerNet(const TempDir& dir, const std::string& a, const std::string& b) {
  nlohmann::json net =
      nlohmann::json::parse(readFile(fs::path(DFSIM_SOURCE_DIR) / "models" / "tiny_net.json"));
  nlohmann::json conv = net["layers"][0];
  net["layers"] = nlohmann::json::array();
  conv["name"] = a;
  net["layers"].push_back(conv);
  conv["name"] = b;
  net["layers"].push_back(conv);
  return dir.writeText("net.json", net.dump(2));
}

std::string quoted(const fs::path& p) {
  return "'" + p.string() + "'";
}

}  // namespace

TEST_CASE("OutputDir replaces the whole folder and marks it as a result", "[output]") {
  const TempDir scratch("commit");
  const fs::path target = scratch.path() / "a" / "b" / "results";
  {
    OutputDir out(target.string(), resultEntries());
    out.prepare();
    out.stage("stats.json", "{}\n");
    out.stage("mappings/x.json", "1\n");
    CHECK_FALSE(fs::exists(target));  // staging touches nothing
    out.commit();
  }
  CHECK(entriesOf(target) == std::vector<std::string>{".dfsim-result", "mappings", "stats.json"});
  CHECK(readFile(target / "mappings" / "x.json") == "1\n");
  CHECK(entriesOf(scratch.path() / "a" / "b") == std::vector<std::string>{"results"});

  SECTION("a second commit holds only its own files") {
    OutputDir again(target.string(), resultEntries());
    again.prepare();
    again.stage("layers.csv", "layer\n");
    again.stage("layers.csv", "layer\nx\n");  // the last contents win
    again.commit();
    CHECK(entriesOf(target) == std::vector<std::string>{".dfsim-result", "layers.csv"});
    CHECK(readFile(target / "layers.csv") == "layer\nx\n");
    CHECK(entriesOf(scratch.path() / "a" / "b") == std::vector<std::string>{"results"});
  }

  SECTION("invalid names are bugs; a name longer than NAME_MAX is an input error") {
    OutputDir bad(target.string(), resultEntries());
    CHECK_THROWS_AS(bad.stage("../x", "1"), InternalError);
    CHECK_THROWS_AS(bad.stage("", "1"), InternalError);
    CHECK_THROWS_AS(bad.stage("notes.txt", "1"), InternalError);  // not a result entry
    CHECK_THROWS_AS(bad.stage("mappings/" + std::string(256, 'x'), "1"), InputError);
  }
}

TEST_CASE("OutputDir refusals and unfinished runs leave nothing behind", "[output]") {
  const TempDir scratch("refuse");

  SECTION("prepared, then destroyed: no parents, no lock file") {
    {
      OutputDir out((scratch.path() / "x" / "y" / "R").string(), resultEntries());
      out.prepare();
      CHECK(fs::exists(scratch.path() / "x" / "y" / ".R.dfsim-lock"));
    }
    CHECK(entriesOf(scratch.path()).empty());
  }

  SECTION("a folder that is not a dfsim result") {
    fs::create_directories(scratch.path() / "R");
    writeFile(scratch.path() / "R" / "notes.txt", "mine");
    OutputDir out((scratch.path() / "R").string(), resultEntries());
    CHECK_THROWS_WITH(out.prepare(), Catch::Contains("not a dfsim result"));
    CHECK(entriesOf(scratch.path()) == std::vector<std::string>{"R"});
    CHECK(readFile(scratch.path() / "R" / "notes.txt") == "mine");
  }

  SECTION("a dfsim result holding a file dfsim does not write") {
    fs::create_directories(scratch.path() / "R");
    writeFile(scratch.path() / "R" / ".dfsim-result", "");
    writeFile(scratch.path() / "R" / "notes.txt", "mine");
    OutputDir out((scratch.path() / "R").string(), resultEntries());
    CHECK_THROWS_WITH(out.prepare(), Catch::Contains("holds notes.txt"));
    CHECK(entriesOf(scratch.path()) == std::vector<std::string>{"R"});
  }

  SECTION("a regular file, and a folder below one") {
    writeFile(scratch.path() / "plain", "keep me");
    OutputDir out((scratch.path() / "plain").string(), resultEntries());
    CHECK_THROWS_WITH(out.prepare(), "--out " + (scratch.path() / "plain").string() +
                                         ": cannot write: " + (scratch.path() / "plain").string() +
                                         " exists and is not a folder");
    OutputDir below((scratch.path() / "plain" / "sub").string(), resultEntries());
    CHECK_THROWS_AS(below.prepare(), InputError);
    CHECK(entriesOf(scratch.path()) == std::vector<std::string>{"plain"});
  }

  SECTION("a name too long for the temporary names beside it") {
    OutputDir out((scratch.path() / std::string(250, 'r')).string(), resultEntries());
    CHECK_THROWS_WITH(out.prepare(), Catch::Contains("folder name too long"));
    CHECK(entriesOf(scratch.path()).empty());
  }
}

TEST_CASE(
    "a kill at every commit step leaves the old or the new result, and the next run "
    "starts clean",
    "[output][cli]") {
  const auto oldResult = reference(kOldRun);
  const auto newResult = reference(kNewRun);
  REQUIRE(oldResult != newResult);
  const TempDir logs("kill-logs");

  enum class Case { Exchange, Fallback, Fresh };
  for (const Case c : {Case::Exchange, Case::Fallback, Case::Fresh}) {
    for (int n = 1; n <= 7; ++n) {
      const TempDir scratch("kill");
      const fs::path r = scratch.path() / "R";
      const std::string out = " --out " + quoted(r);
      if (c != Case::Fresh) REQUIRE(runDfsim(kOldRun + out, logs.path()).code == 0);
      const auto before = result(r);
      {
        const ScopedEnv kill("DFSIM_TEST_KILL_AT_COMMIT_STEP", std::to_string(n));
        const bool fallback = c == Case::Fallback;
        std::unique_ptr<ScopedEnv> noExchange;
        if (fallback)
          noExchange = std::make_unique<ScopedEnv>("DFSIM_TEST_NO_RENAME_EXCHANGE", "1");
        const Outcome o = runDfsim(kNewRun + out, logs.path());
        INFO("case " << static_cast<int>(c) << ", killed after step " << n);
        CHECK(o.code != 0);
        if (c == Case::Fallback && n == 3) {
          // Between the two renames: R is missing, the old result complete beside it.
          CHECK_FALSE(fs::exists(r));
          const auto olds = startingWith(scratch.path(), ".R.dfsim-old.");
          REQUIRE(olds.size() == 1);
          CHECK(result(olds.front()) == oldResult);
          // The next run puts it back before anything else (here killed after writing).
          const ScopedEnv killEarly("DFSIM_TEST_KILL_AT_COMMIT_STEP", "1");
          CHECK(runDfsim(kNewRun + out, logs.path()).code != 0);
          CHECK(result(r) == oldResult);
          CHECK(startingWith(scratch.path(), ".R.dfsim-old.").empty());
        } else if (n <= 2) {
          CHECK(result(r) == before);  // untouched: the old result, or still missing
        } else {
          CHECK(result(r) == newResult);
        }
      }
      // The next run removes the leftovers and succeeds.
      const Outcome next = runDfsim(kNewRun + out, logs.path());
      INFO("next run after case " << static_cast<int>(c) << ", step " << n << ": " << next.err);
      CHECK(next.code == 0);
      CHECK(result(r) == newResult);
      CHECK(entriesOf(scratch.path()) == std::vector<std::string>{"R"});
    }
  }
}

TEST_CASE("a second run into a locked --out is refused and the first one completes",
          "[output][cli]") {
  const auto expected = reference(kOldRun);
  const TempDir scratch("concurrent");
  const TempDir logs("concurrent-logs");
  const fs::path r = scratch.path() / "R";
  REQUIRE(runDfsim(kNewRun + " --out " + quoted(r), logs.path()).code == 0);

  // The first run stops (holding the lock) after writing its files.
  pid_t first = 0;
  {
    const ScopedEnv stop("DFSIM_TEST_STOP_AT_COMMIT_STEP", "1");
    std::vector<std::string> args = words(kOldRun);
    args.push_back("--out");
    args.push_back(r.string());
    first = spawnDfsim(args, logs.path());
  }
  REQUIRE(first > 0);
  int status = 0;
  REQUIRE(::waitpid(first, &status, WUNTRACED) == first);
  REQUIRE(WIFSTOPPED(status));

  const Outcome second = runDfsim(kOldRun + " --out " + quoted(r), logs.path());
  CHECK(second.code == 2);
  CHECK(second.err == "dfsim: error: --out " + r.string() + ": another dfsim run (pid " +
                          std::to_string(first) + ") is writing it\n");
  CHECK(second.out.empty());

  ::kill(first, SIGCONT);
  REQUIRE(::waitpid(first, &status, 0) == first);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  CHECK(result(r) == expected);
  CHECK(entriesOf(scratch.path()) == std::vector<std::string>{"R"});
}

TEST_CASE("an --out folder holds only the files of the last run, and leftovers of killed runs go",
          "[output][cli]") {
  const TempDir scratch("only-last");
  const TempDir logs("only-last-logs");
  const fs::path r = scratch.path() / "R";
  const std::string out = " --out " + quoted(r);
  REQUIRE(runDfsim(kOldRun + out, logs.path()).code == 0);
  CHECK(entriesOf(r / "mappings").size() == 12);  // 3 layers x 2 dataflows x .json/.txt

  SECTION("a run with fewer layers leaves no earlier mapping files") {
    REQUIRE(runDfsim(kNewRun + out, logs.path()).code == 0);
    CHECK(entriesOf(r / "mappings") ==
          std::vector<std::string>{"conv1.os_a.json", "conv1.os_a.txt"});
  }

  SECTION("leftovers of killed runs and a stale lock are removed") {
    fs::create_directories(scratch.path() / ".R.dfsim-tmp.12345" / "mappings");
    writeFile(scratch.path() / ".R.dfsim-tmp.12345" / "stats.json", "half");
    fs::create_directories(scratch.path() / ".R.dfsim-old.999");
    writeFile(scratch.path() / ".R.dfsim-lock", "42\n");  // nobody holds it
    writeFile(scratch.path() / ".R.dfsim-tmp.notapid", "not ours");
    REQUIRE(runDfsim(kNewRun + out, logs.path()).code == 0);
    CHECK(entriesOf(scratch.path()) == std::vector<std::string>{".R.dfsim-tmp.notapid", "R"});
  }

  SECTION("an empty folder is taken; a link is followed and kept") {
    fs::create_directories(scratch.path() / "empty");
    CHECK(runDfsim(kNewRun + " --out " + quoted(scratch.path() / "empty"), logs.path()).code == 0);
    CHECK(fs::exists(scratch.path() / "empty" / "stats.json"));
    fs::create_symlink("R", scratch.path() / "link");
    REQUIRE(runDfsim(kNewRun + " --out " + quoted(scratch.path() / "link"), logs.path()).code == 0);
    CHECK(fs::is_symlink(scratch.path() / "link"));
    CHECK(entriesOf(r / "mappings").size() == 2);
    CHECK(entriesOf(scratch.path()) == std::vector<std::string>{"R", "empty", "link"});
  }
}

TEST_CASE("the --out folder is checked before simulating, and a refused run creates nothing",
          "[output][cli]") {
  const TempDir scratch("precheck");
  const TempDir logs("precheck-logs");
  // Not quiet: a refusal before simulating prints one line, no progress lines.
  const std::string run =
      "run --arch configs/arch/tiny_4x4.json --network models/tiny_net.json --dataflow rs ";
  const fs::path r = scratch.path() / "R";

  SECTION("a folder that is not a dfsim result") {
    fs::create_directories(r);
    writeFile(r / "notes.txt", "mine");
    const Outcome o = runDfsim(run + "--out " + quoted(r), logs.path());
    CHECK(o.code == 2);
    CHECK(o.err == "dfsim: error: --out " + r.string() +
                       ": not empty and not a dfsim result (no .dfsim-result file): dfsim "
                       "replaces its --out folder whole, so give a new or empty folder\n");
    CHECK(entriesOf(scratch.path()) == std::vector<std::string>{"R"});
    CHECK(entriesOf(r) == std::vector<std::string>{"notes.txt"});
  }

  SECTION("stats.json a folder: refused in a user's folder, replaced in a dfsim result") {
    fs::create_directories(r / "stats.json");
    writeFile(r / "stats.json" / "x", "mine");
    const Outcome o = runDfsim(run + "--out " + quoted(r), logs.path());
    CHECK(o.code == 2);
    CHECK(o.err.find("not a dfsim result") != std::string::npos);
    CHECK(std::count(o.err.begin(), o.err.end(), '\n') == 1);
    CHECK(readFile(r / "stats.json" / "x") == "mine");

    writeFile(r / ".dfsim-result", "");
    const Outcome again = runDfsim(run + "-q --out " + quoted(r), logs.path());
    CHECK(again.code == 0);
    CHECK(fs::is_regular_file(r / "stats.json"));
    CHECK(entriesOf(scratch.path()) == std::vector<std::string>{"R"});
  }

  SECTION("a dangling link") {
    fs::create_symlink("nowhere", scratch.path() / "link");
    const Outcome o = runDfsim(run + "--out " + quoted(scratch.path() / "link"), logs.path());
    CHECK(o.code == 2);
    CHECK(o.err == "dfsim: error: --out " + (scratch.path() / "link").string() +
                       ": is a symbolic link to a missing path\n");
    CHECK(entriesOf(scratch.path()) == std::vector<std::string>{"link"});
  }

  SECTION("a layer name too long for a file name, under missing parents") {
    const TempDir in("precheck-in");
    const std::string name(300, 'x');
    const std::string net = twoLayerNet(in, name, "b");
    const fs::path deep = scratch.path() / "p" / "q" / "R";
    const Outcome o = runDfsim("run --arch configs/arch/tiny_4x4.json --network " + net +
                                   " --dataflow rs --out " + quoted(deep),
                               logs.path());
    CHECK(o.code == 2);
    CHECK(o.err == "dfsim: error: " + net + ": layer " + name +
                       ": name too long for the file --out writes for it with rs (308 bytes, "
                       "the limit is 255)\n");
    CHECK(entriesOf(scratch.path()).empty());
  }
}

TEST_CASE("file names from layer and dataflow labels are unique", "[output][cli]") {
  const TempDir scratch("names");
  const TempDir logs("names-logs");
  const fs::path r = scratch.path() / "R";

  SECTION("two layer names that sanitise to one file name") {
    const std::string net = twoLayerNet(scratch, "a/b", "a_b");
    const Outcome o = runDfsim("run --arch configs/arch/tiny_4x4.json --network " + net +
                                   " --dataflow ws,rs --out " + quoted(r),
                               logs.path());
    CHECK(o.code == 2);
    CHECK(o.err == "dfsim: error: --out " + r.string() +
                       ": layer \"a/b\" (ws) and layer \"a_b\" (ws) would both write "
                       "mappings/a_b.ws.json; rename one of them\n");
    CHECK_FALSE(fs::exists(r));
    // Without --out no file is written: nothing collides.
    CHECK(runDfsim(
              "run --arch configs/arch/tiny_4x4.json --network " + net + " --dataflow ws --fast -q",
              logs.path())
              .code == 0);
  }

  SECTION("a --mapping labelled like a --dataflow run, or like another --mapping") {
    const fs::path first = scratch.path() / "first";
    REQUIRE(
        runDfsim(kBase + "--dataflow rs --layer conv1 --out " + quoted(first), logs.path()).code ==
        0);
    const std::string saved = (first / "mappings" / "conv1.rs.json").string();
    const Outcome o = runDfsim(kBase + "--dataflow ws,rs --mapping " + saved, logs.path());
    CHECK(o.code == 2);
    CHECK(o.err == "dfsim: error: " + saved +
                       ": mapping.dataflow: \"rs\" is also run on layer conv1 by --dataflow; give "
                       "this mapping another label\n");

    const std::string copy = (scratch.path() / "copy.json").string();
    fs::copy_file(saved, copy);
    const Outcome twice =
        runDfsim(kBase + "--dataflow ws --mapping " + saved + " --mapping " + copy, logs.path());
    CHECK(twice.code == 2);
    CHECK(twice.err == "dfsim: error: " + copy + ": mapping.dataflow: \"rs\" also labels " + saved +
                           " for layer conv1; give one another label\n");

    // rs on other layers only: one row per label and layer, accepted.
    CHECK(runDfsim(kBase + "--dataflow rs --layer conv2 --mapping " + saved, logs.path()).code ==
          0);
  }
}

TEST_CASE("the results are committed before the table: a closed stdout cannot lose them",
          "[output][cli]") {
  const auto expected = reference(kOldRun);
  const TempDir scratch("pipe");
  const TempDir logs("pipe-logs");
  const fs::path r = scratch.path() / "R";
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  ::close(fds[0]);  // nobody reads: the first write of the table gets SIGPIPE or EPIPE
  std::vector<std::string> args = words(kOldRun);
  args.push_back("--out");
  args.push_back(r.string());
  const pid_t pid = spawnDfsim(args, logs.path(), fds[1]);
  ::close(fds[1]);
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  CHECK(result(r) == expected);
  CHECK(entriesOf(scratch.path()) == std::vector<std::string>{"R"});
}

TEST_CASE("a file system too small for the results: one line, earlier results intact",
          "[output][cli][root]") {
  const TempDir scratch("tmpfs");
  const TempDir logs("tmpfs-logs");
  const fs::path mnt = scratch.path() / "mnt";
  const TmpfsMount mount(mnt, "64k");
  if (!mount.mounted()) {
    WARN("skipped: mounting a tmpfs needs root (mount -t tmpfs failed)");
    return;
  }
  const fs::path r = mnt / "R";
  const std::string out = " --out " + quoted(r);
  REQUIRE(runDfsim(kNewRun + out, logs.path()).code == 0);
  const auto before = result(r);

  SECTION("refused before simulating when the estimate does not fit") {
    const Outcome o = runDfsim(
        "run --arch configs/arch/tiny_4x4.json --network models/tiny_net.json --dataflow all" + out,
        logs.path());
    CHECK(o.code == 2);
    CHECK(o.err.rfind(
              "dfsim: error: --out " + r.string() + ": cannot write: the results need at least ",
              0) == 0);
    CHECK(std::count(o.err.begin(), o.err.end(), '\n') == 1);
    CHECK(o.out.empty());
  }

  SECTION("a write that runs out of space (past the estimate) fails cleanly") {
    OutputDir dir(r.string(), resultEntries());
    dir.prepare();
    dir.stage("stats.json", std::string(128 * 1024, 'x'));
    CHECK_THROWS_WITH(dir.checkSpace(0, 0), Catch::Contains("the results need at least"));
    CHECK_THROWS_WITH(dir.commit(), Catch::Contains("No space left on device"));
  }
  CHECK(result(r) == before);
  CHECK(entriesOf(mnt) == std::vector<std::string>{"R"});
}
