#pragma once

#include <cstdint>
#include <string_view>

namespace dfsim {

/// Which mapping space a dataflow's name stands for (`dfsim run --rules`).
/// - Free: the dataflow constrains the PE array (dataflow_rules) and the mappers choose the
///   levels above it freely (the default).
/// - Isca16: the dataflow as the ISCA 2016 comparison's framework defines it: what every level
///   keeps, where every loop sits, the framework's mapping variables and constraints
///   (isca16_rules.hpp; docs/design/paper_mode.md).
enum class RuleSet : std::uint8_t { Free, Isca16 };

/// "free" or "isca16".
const char* ruleSetName(RuleSet r);

/// Parses a rule-set name; false when unknown.
bool parseRuleSet(std::string_view s, RuleSet& out);

}  // namespace dfsim
