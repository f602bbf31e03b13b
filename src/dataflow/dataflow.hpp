#pragma once

#include <cstdint>
#include <string_view>

namespace dfsim {

/// The dataflows of the Eyeriss taxonomy. OS has three variants (ISCA 2016 §VI-A).
enum class Dataflow : std::uint8_t { WS, OS_A, OS_B, OS_C, NLR, RS };

/// Name used on the CLI and in reports: "ws", "os_a", "os_b", "os_c", "nlr", "rs".
const char* dataflowName(Dataflow d);
/// Parses a CLI name ("os" means os_a). Returns false for an unknown name.
bool parseDataflow(std::string_view s, Dataflow& out);

}  // namespace dfsim
