#include "report/summary_table.hpp"

#include <string>
#include <vector>

#include "report/number_format.hpp"
#include "report/text_table.hpp"

namespace dfsim {

std::string shapeText(const Layer& l) {
  return "C" + std::to_string(l.C) + " H" + std::to_string(l.H) + "x" + std::to_string(l.W) +
         " -> M" + std::to_string(l.M) + " P" + std::to_string(l.P) + "x" + std::to_string(l.Q) +
         ", R" + std::to_string(l.R) + "x" + std::to_string(l.S) + " /" + std::to_string(l.stride) +
         " pad" + std::to_string(l.padding) + " g" + std::to_string(l.groups);
}

void printSummary(std::ostream& os, const Network& net) {
  using Align = TextTable::Align;
  TextTable t;
  t.addColumn("layer", Align::Left);
  t.addColumn("type", Align::Left);
  t.addColumn("N", Align::Right);
  t.addColumn("shape", Align::Left);
  t.addColumn("weights", Align::Right);
  t.addColumn("MACs", Align::Right);

  std::int64_t convWeights = 0, convMacs = 0, fcWeights = 0, fcMacs = 0, allWeights = 0,
               allMacs = 0;
  for (const Layer& l : net.layers) {
    const std::int64_t w = l.weightCount();
    const std::int64_t m = l.macs();
    t.addRow({l.name, layerTypeName(l.type), std::to_string(l.N), shapeText(l), withThousands(w),
              withThousands(m)});
    if (l.type == LayerType::Conv) {
      convWeights += w;
      convMacs += m;
    } else if (l.type == LayerType::Fc) {
      fcWeights += w;
      fcMacs += m;
    }
    allWeights += w;
    allMacs += m;
  }
  t.addRule();
  t.addRow({"CONV total", "", "", "", withThousands(convWeights), withThousands(convMacs)});
  t.addRow({"FC total", "", "", "", withThousands(fcWeights), withThousands(fcMacs)});
  t.addRow({"All layers", "", "", "", withThousands(allWeights), withThousands(allMacs)});

  os << "network " << net.name << ": " << net.layers.size() << " layers\n\n";
  t.print(os);
}

}  // namespace dfsim
