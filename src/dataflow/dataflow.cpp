#include "dataflow/dataflow.hpp"

namespace dfsim {

const std::array<DataflowInfo, kNumDataflows>& dataflowRegistry() {
  static const std::array<DataflowInfo, kNumDataflows> kRegistry = {{
      {Dataflow::WS, "ws",
       "weight stationary: weights kept in the RF, inputs streamed and multicast, psums reduced "
       "across PE rows"},
      {Dataflow::OS_A, "os_a",
       "output stationary SOC-MOP: one channel's output pixels over the array, psums and an "
       "ifmap window in the RF"},
      {Dataflow::OS_B, "os_b",
       "output stationary MOC-MOP: output channels over rows, output pixels over columns, psums "
       "in the RF"},
      {Dataflow::OS_C, "os_c",
       "output stationary MOC-SOP: one output pixel of many channels (and images) over the "
       "array, psums in the RF"},
      {Dataflow::NLR, "nlr",
       "no local reuse: no RF, every operand of every MAC comes from the global buffer"},
      {Dataflow::RS, "rs",
       "row stationary: filter rows over PE rows, ofmap rows over columns; a filter row, an "
       "ifmap window and a psum row in each RF"},
  }};
  return kRegistry;
}

const char* dataflowName(Dataflow d) {
  return dataflowRegistry()[static_cast<std::size_t>(d)].name;
}

bool parseDataflow(std::string_view s, Dataflow& out) {
  if (s == "os") {
    out = Dataflow::OS_A;
    return true;
  }
  for (const DataflowInfo& info : dataflowRegistry()) {
    if (s == info.name) {
      out = info.id;
      return true;
    }
  }
  return false;
}

}  // namespace dfsim
