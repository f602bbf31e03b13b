#include "cli/dataflows_command.hpp"

#include <algorithm>
#include <cstring>

#include <nlohmann/json.hpp>

#include "common/errors.hpp"
#include "dataflow/dataflow.hpp"
#include "dataflow/isca16_rules.hpp"
#include "dataflow/rule_set.hpp"

namespace dfsim {

std::string dataflowsUsage() {
  return "Usage: dfsim dataflows [--json]\n"
         "\n"
         "Lists the dataflows that 'dfsim run --dataflow' takes, in the order 'all' runs them\n"
         "('os' is also accepted and means os_a).\n"
         "\n"
         "Options:\n"
         "  -h [ --help ]  print this help and exit\n"
         "  --json         print a JSON array of {\"name\", \"description\", \"rules\"}\n"
         "                 objects (rules: the --rules sets that have the dataflow)\n";
}

int dataflowsCommand(const std::vector<std::string>& args, std::ostream& out) {
  bool json = false;
  for (const std::string& a : args) {
    if (a == "--help" || a == "-h") {
      out << dataflowsUsage();
      return 0;
    }
    if (a != "--json") {
      throw InputError("dataflows: unexpected argument '" + a + "' (see 'dfsim dataflows --help')");
    }
    json = true;
  }
  const auto& registry = dataflowRegistry();
  if (json) {
    nlohmann::json list = nlohmann::json::array();
    for (const DataflowInfo& d : registry) {
      nlohmann::json rules = nlohmann::json::array({ruleSetName(RuleSet::Free)});
      if (isca16Built(d.id)) rules.push_back(ruleSetName(RuleSet::Isca16));
      list.push_back({{"name", d.name}, {"description", d.description}, {"rules", rules}});
    }
    out << list.dump(2) << '\n';
    return 0;
  }
  std::size_t width = 0;
  for (const DataflowInfo& d : registry) width = std::max(width, std::strlen(d.name));
  for (const DataflowInfo& d : registry) {
    out << d.name << std::string(width + 2 - std::strlen(d.name), ' ') << d.description << '\n';
  }
  return 0;
}

}  // namespace dfsim
