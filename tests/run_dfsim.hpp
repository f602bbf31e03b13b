#pragma once
// Running the dfsim binary from the tests that check its command line (cli_test,
// bad_inputs_test). DFSIM_SOURCE_DIR and DFSIM_BINARY come from CMake.

#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "temp_dir.hpp"

namespace dfsim::test {

/// What one dfsim process did.
struct Outcome {
  int code = -1;  ///< exit status, or -1 when dfsim did not exit normally
  std::string out;
  std::string err;
};

/// Runs `dfsim <args>` in the source tree (so that configs/, models/ and the default energy
/// table resolve), capturing stdout and stderr in files of folder `scratch`. `args` is shell
/// text: quote paths with spaces.
inline Outcome runDfsim(const std::string& args, const std::filesystem::path& scratch) {
  const std::filesystem::path out = scratch / "stdout";
  const std::filesystem::path err = scratch / "stderr";
  const std::string cmd = std::string("cd '") + DFSIM_SOURCE_DIR + "' && '" + DFSIM_BINARY + "' " +
                          args + " >'" + out.string() + "' 2>'" + err.string() + "'";
  const int status = std::system(cmd.c_str());
  Outcome o;
  o.code = (status != -1 && WIFEXITED(status)) ? WEXITSTATUS(status) : -1;
  o.out = readFile(out);
  o.err = readFile(err);
  return o;
}

}  // namespace dfsim::test
