// The dfsim executable: subcommand dispatch and the mapping of errors to exit codes.
#include <cstdlib>
#include <exception>
#include <iostream>
#include <string>
#include <vector>

#include "cli/dataflows_command.hpp"
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

/// Runs the command line; throws on any error.
int dispatch(const std::vector<std::string>& args) {
  if (args.empty()) throw InputError("missing command (see 'dfsim --help')");
  const std::string& cmd = args.front();
  const std::vector<std::string> rest(args.begin() + 1, args.end());
  const bool infoOption = cmd == "--help" || cmd == "-h" || cmd == "--version";
  if (infoOption && !rest.empty()) {
    throw InputError("unexpected argument '" + rest.front() + "' after " + cmd +
                     " (see 'dfsim --help')");
  }
  if (cmd == "--help" || cmd == "-h") {
    std::cout << topUsage();
    return 0;
  }
  if (cmd == "--version") {
    std::cout << "dfsim " << DFSIM_VERSION << '\n';
    return 0;
  }
  if (cmd == "run") return runCommand(rest, std::cout, std::cerr);
  if (cmd == "summary") return summaryCommand(rest, std::cout);
  if (cmd == "dataflows") return dataflowsCommand(rest, std::cout);
  if (!cmd.empty() && cmd.front() == '-') {
    throw InputError("unrecognised option '" + cmd + "' (see 'dfsim --help')");
  }
  throw InputError("unknown command '" + cmd +
                   "'; expected run, summary or dataflows (see 'dfsim --help')");
}

}  // namespace
}  // namespace dfsim

/// Our own entry point, so that the banner stays off a CLI's stderr (SystemC skips it when
/// SYSTEMC_DISABLE_COPYRIGHT_MESSAGE is set; a value the user set is kept).
int main(int argc, char* argv[]) {
  ::setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 0);
  return sc_core::sc_elab_and_sim(argc, argv);
}

/// Exit status: 0 success, 2 bad input (InputError), 1 internal error. No exception escapes.
extern "C" int sc_main(int argc, char* argv[]) {
  try {
    const std::vector<std::string> args(argv + 1, argv + argc);
    return dfsim::dispatch(args);
  } catch (const dfsim::InputError& e) {
    std::cout.flush();
    std::cerr << "dfsim: error: " << e.what() << std::endl;
    return 2;
  } catch (const std::exception& e) {
    std::cout.flush();
    std::cerr << "dfsim: internal error: " << e.what() << std::endl;
    return 1;
  } catch (...) {
    std::cout.flush();
    std::cerr << "dfsim: internal error: unknown exception" << std::endl;
    return 1;
  }
}
