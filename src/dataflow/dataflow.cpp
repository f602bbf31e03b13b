#include "dataflow/dataflow.hpp"

#include <array>

namespace dfsim {

namespace {
constexpr std::array<const char*, 6> kNames = {"ws", "os_a", "os_b", "os_c", "nlr", "rs"};
}

const char* dataflowName(Dataflow d) {
  return kNames[static_cast<std::size_t>(d)];
}

bool parseDataflow(std::string_view s, Dataflow& out) {
  if (s == "os") {
    out = Dataflow::OS_A;
    return true;
  }
  for (std::size_t i = 0; i < kNames.size(); ++i) {
    if (s == kNames[i]) {
      out = static_cast<Dataflow>(i);
      return true;
    }
  }
  return false;
}

}  // namespace dfsim
