// The dfsim executable: subcommand dispatch, the mapping of errors to exit codes, and the one
// checked write of standard output.
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "cli/dataflows_command.hpp"
#include "cli/evaluate_command.hpp"
#include "cli/options.hpp"
#include "cli/run_command.hpp"
#include "cli/summary_command.hpp"
#include "common/errors.hpp"

// The SystemC library defines main(), which prints a copyright banner on stderr and then calls
// sc_main(). Declared here, not through <systemc>: only src/sim includes SystemC headers.
extern "C" int sc_main(int argc, char* argv[]);
namespace sc_core {
extern "C" int sc_elab_and_sim(int argc, char* argv[]);
}

namespace dfsim {
namespace {

/// Exit status when the reader of standard output left (EPIPE) before dfsim wrote all of it:
/// 128 + SIGPIPE, what a shell reports for a program stopped by a closed pipe. Everything else
/// (the --out results) was done first.
constexpr int kExitReaderLeft = 128 + SIGPIPE;

/// Opens a closed standard descriptor (0, 1 or 2) on /dev/null, read-only. No file dfsim opens
/// later can then take its number (the table would land in a result file), and a write to a
/// closed stdout still fails (EBADF) and is reported.
void guardStandardDescriptors() {
  for (int fd = 0; fd <= 2; ++fd) {
    if (::fcntl(fd, F_GETFD) != -1 || errno != EBADF) continue;
    const int got = ::open("/dev/null", O_RDONLY);  // the lowest free number: fd itself
    if (got > 2) ::close(got);
  }
}

/// Writes all of `text` to descriptor `fd`, retrying after a signal and waiting when the
/// descriptor is non-blocking and full. Returns 0, or the errno of the write that failed.
int writeAll(int fd, const std::string& text) {
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n >= 0) {
      done += static_cast<std::size_t>(n);
    } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
      pollfd ready{fd, POLLOUT, 0};
      ::poll(&ready, 1, -1);
    } else if (errno != EINTR) {
      return errno;
    }
  }
  return 0;
}

/// Writes `text` (everything a command printed) to standard output; returns the exit status:
/// `code` when the write succeeded, kExitReaderLeft when the reader left, else 1 with one line
/// on stderr.
int writeStdout(const std::string& text, int code) {
  const int error = writeAll(STDOUT_FILENO, text);
  if (error == 0) return code;
  if (error == EPIPE) return kExitReaderLeft;
  std::cerr << "dfsim: error: writing to standard output: " << std::strerror(error) << std::endl;
  return 1;
}

/// Runs the command line, printing to `out`; throws on any error.
int dispatch(const std::vector<std::string>& args, std::ostream& out) {
  if (args.empty()) throw InputError("missing command (see 'dfsim --help')");
  const std::string& cmd = args.front();
  const std::vector<std::string> rest(args.begin() + 1, args.end());
  const bool infoOption = cmd == "--help" || cmd == "-h" || cmd == "--version";
  if (infoOption && !rest.empty()) {
    throw InputError("unexpected argument '" + rest.front() + "' after " + cmd +
                     " (see 'dfsim --help')");
  }
  if (cmd == "--help" || cmd == "-h") {
    out << topUsage();
    return 0;
  }
  if (cmd == "--version") {
    out << "dfsim " << DFSIM_VERSION << '\n';
    return 0;
  }
  if (cmd == "run") return runCommand(rest, out, std::cerr);
  if (cmd == "summary") return summaryCommand(rest, out);
  if (cmd == "dataflows") return dataflowsCommand(rest, out);
  if (cmd == "evaluate") return evaluateCommand(rest, out);
  if (!cmd.empty() && cmd.front() == '-') {
    throw InputError("unrecognised option '" + cmd + "' (see 'dfsim --help')");
  }
  throw InputError("unknown command '" + cmd +
                   "'; expected run, evaluate, summary or dataflows (see 'dfsim --help')");
}

}  // namespace
}  // namespace dfsim

/// Our own entry point, so that the banner stays off a CLI's stderr (SystemC skips it when
/// SYSTEMC_DISABLE_COPYRIGHT_MESSAGE is set; a value the user set is kept). SIGPIPE is
/// ignored: a reader that leaves makes a write fail with EPIPE instead of killing dfsim before
/// its results are written.
int main(int argc, char* argv[]) {
  ::setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 0);
  std::signal(SIGPIPE, SIG_IGN);
  dfsim::guardStandardDescriptors();
  return sc_core::sc_elab_and_sim(argc, argv);
}

/// Exit status: 0 success, 2 bad input (InputError), 1 internal error or a failed write of
/// standard output, 141 the reader of standard output left. A command's output is held until it
/// is done (results committed), then written at once; on an error nothing is written to
/// stdout. Progress and error lines on stderr are best effort: a failed one changes nothing.
/// No exception escapes.
extern "C" int sc_main(int argc, char* argv[]) {
  std::ostringstream out;
  try {
    const std::vector<std::string> args(argv + 1, argv + argc);
    const int code = dfsim::dispatch(args, out);
    return dfsim::writeStdout(out.str(), code);
  } catch (const dfsim::InputError& e) {
    std::cerr << "dfsim: error: " << e.what() << std::endl;
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "dfsim: internal error: " << e.what() << std::endl;
    return 1;
  } catch (...) {
    std::cerr << "dfsim: internal error: unknown exception" << std::endl;
    return 1;
  }
}
