#include "dataflow/rule_set.hpp"

namespace dfsim {

const char* ruleSetName(RuleSet r) {
  return r == RuleSet::Isca16 ? "isca16" : "free";
}

bool parseRuleSet(std::string_view s, RuleSet& out) {
  if (s == "free") {
    out = RuleSet::Free;
    return true;
  }
  if (s == "isca16") {
    out = RuleSet::Isca16;
    return true;
  }
  return false;
}

}  // namespace dfsim
