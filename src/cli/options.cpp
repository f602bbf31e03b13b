#include "cli/options.hpp"

#include <charconv>

#include "common/errors.hpp"

namespace dfsim {

namespace po = boost::program_options;

po::variables_map parseCommandLine(const std::vector<std::string>& args,
                                   const po::options_description& desc,
                                   const std::string& command) {
  // Prefix guessing ("--arc" for "--arch") would let a typo change meaning as options are added.
  const int style = po::command_line_style::default_style & ~po::command_line_style::allow_guessing;
  // No positional arguments: without an (empty) description of them, Boost would silently drop
  // a stray word such as the file in `--dataflow rs extra.json`.
  const po::positional_options_description noPositional;
  po::variables_map vm;
  try {
    po::store(
        po::command_line_parser(args).options(desc).positional(noPositional).style(style).run(),
        vm);
    po::notify(vm);
  } catch (const po::error& e) {
    throw InputError(command + ": " + e.what() + " (see 'dfsim " + command + " --help')");
  }
  return vm;
}

std::int64_t parsePositiveInt(const std::string& text, const std::string& option) {
  std::int64_t v = 0;
  const char* end = text.data() + text.size();
  const auto r = std::from_chars(text.data(), end, v);
  if (text.empty() || r.ec != std::errc() || r.ptr != end || v <= 0) {
    throw InputError(option + ": expected a positive integer, got \"" + text + "\"");
  }
  return v;
}

std::uint64_t parseUnsignedInt(const std::string& text, const std::string& option) {
  std::uint64_t v = 0;
  const char* end = text.data() + text.size();
  const auto r = std::from_chars(text.data(), end, v);
  if (text.empty() || r.ec != std::errc() || r.ptr != end) {
    throw InputError(option + ": expected a non-negative integer, got \"" + text + "\"");
  }
  return v;
}

std::vector<Override> parseOverrides(const std::vector<std::string>& texts) {
  std::vector<Override> out;
  out.reserve(texts.size());
  for (const std::string& t : texts) out.push_back(parseOverride(t));
  return out;
}

std::string trimLineEnds(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (c == '\n') {
      while (!out.empty() && out.back() == ' ') out.pop_back();
    }
    out.push_back(c);
  }
  return out;
}

std::string topUsage() {
  return "Usage: dfsim <command> [options]\n"
         "\n"
         "Simulates DNN layers on a spatial accelerator (PE array, register files, global\n"
         "buffer, array network, DRAM) under the WS, OS, NLR and RS dataflows, and reports\n"
         "cycles, word accesses per level and energy.\n"
         "\n"
         "Commands:\n"
         "  run        simulate layers of a network on an architecture\n"
         "  evaluate   the analytic model alone (any hierarchy): counts, energy, estimated\n"
         "             cycles, nothing simulated\n"
         "  summary    print a network's layer shapes, weights and MACs\n"
         "  dataflows  list the dataflows (--json for scripts)\n"
         "\n"
         "Options:\n"
         "  -h [ --help ]  print this help and exit\n"
         "  --version      print the version and exit\n"
         "\n"
         "Run 'dfsim <command> --help' for the options of a command.\n"
         "Exit status: 0 success, 2 bad input (files, options, mappings), 1 internal error.\n";
}

}  // namespace dfsim
