#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace dfsim {

/// The dataflows of the Eyeriss taxonomy. OS has three variants (ISCA 2016 §VI-A).
enum class Dataflow : std::uint8_t { WS, OS_A, OS_B, OS_C, NLR, RS };

/// One entry of the dataflow registry: the one list of dataflows that the CLI, the reports and
/// the scripts (through `dfsim dataflows --json`) read.
struct DataflowInfo {
  Dataflow id = Dataflow::WS;
  const char* name = "";         ///< name on the CLI and in reports, e.g. "os_a"
  const char* description = "";  ///< one line: what the dataflow keeps where
};

/// Number of dataflows in the registry.
inline constexpr std::size_t kNumDataflows = 6;

/// The registry, in the order `--dataflow all` runs them (also the order of the enum).
const std::array<DataflowInfo, kNumDataflows>& dataflowRegistry();

/// Name used on the CLI and in reports: "ws", "os_a", "os_b", "os_c", "nlr", "rs".
const char* dataflowName(Dataflow d);
/// Parses a CLI name ("os" means os_a). Returns false for an unknown name.
bool parseDataflow(std::string_view s, Dataflow& out);

}  // namespace dfsim
