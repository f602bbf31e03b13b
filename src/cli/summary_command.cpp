#include "cli/summary_command.hpp"

#include <sstream>

#include <boost/program_options.hpp>

#include "cli/options.hpp"
#include "common/errors.hpp"
#include "io/readers.hpp"
#include "report/summary_table.hpp"

namespace dfsim {

namespace po = boost::program_options;

namespace {

po::options_description summaryOptions() {
  po::options_description d("Options", kUsageWidth, kUsageWidth / 2);
  auto opt = d.add_options();
  opt("help,h", "print this help and exit");
  opt("network", po::value<std::string>()->value_name("FILE"), "network file (JSON); required");
  opt("batch", po::value<std::string>()->value_name("N"),
      "batch size of every layer (default: as in the network file)");
  opt("set", po::value<std::vector<std::string>>()->value_name("KEY=VALUE"),
      "override one network value before validation, e.g. network.layers.0.stride=2; "
      "repeatable");
  return d;
}

}  // namespace

std::string summaryUsage() {
  std::ostringstream os;
  os << "Usage: dfsim summary --network FILE [options]\n"
        "\n"
        "Prints each layer's shape, weights and MACs, and CONV, FC and all-layer totals.\n"
        "\n"
     << summaryOptions();
  return trimLineEnds(os.str());
}

int summaryCommand(const std::vector<std::string>& args, std::ostream& out) {
  const po::variables_map vm = parseCommandLine(args, summaryOptions(), "summary");
  if (vm.count("help")) {
    out << summaryUsage();
    return 0;
  }
  if (!vm.count("network")) {
    throw InputError("summary: missing --network (see 'dfsim summary --help')");
  }
  std::int64_t batch = 0;
  if (vm.count("batch")) batch = parsePositiveInt(vm["batch"].as<std::string>(), "--batch");
  std::vector<Override> overrides;
  if (vm.count("set")) overrides = parseOverrides(vm["set"].as<std::vector<std::string>>());
  for (const Override& o : overrides) {
    if (o.path.rfind("network.", 0) != 0) {
      throw InputError("--set " + o.path + "=" + o.value +
                       ": summary reads only the network; use a network.* key");
    }
  }
  const Network net = readNetwork(vm["network"].as<std::string>(), overrides, batch);
  printSummary(out, net);
  return 0;
}

}  // namespace dfsim
