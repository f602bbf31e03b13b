#include "report/summary_table.hpp"

#include <string>
#include <vector>

#include "report/number_format.hpp"
#include "report/text_table.hpp"

namespace dfsim {

namespace {

/// "2" when both axes agree, else "2x1" (rows x cols).
std::string perAxis(std::int64_t rows, std::int64_t cols) {
  return rows == cols ? std::to_string(rows) : std::to_string(rows) + "x" + std::to_string(cols);
}

/// The window's stride, padding and dilation: " /2 pad1", " /2x1 pad1x3 d2",
/// " /1 pad0,1,0,1" (top, bottom, left, right when a side differs from its opposite).
std::string windowText(const Layer& l) {
  const WindowAxis& r = l.rows;
  const WindowAxis& c = l.cols;
  std::string pad;
  if (r.padBefore == r.padAfter && c.padBefore == c.padAfter) {
    pad = perAxis(r.padBefore, c.padBefore);
  } else {
    pad = std::to_string(r.padBefore) + "," + std::to_string(r.padAfter) + "," +
          std::to_string(c.padBefore) + "," + std::to_string(c.padAfter);
  }
  std::string text = " /" + perAxis(r.stride, c.stride) + " pad" + pad;
  if (r.dilation != 1 || c.dilation != 1) text += " d" + perAxis(r.dilation, c.dilation);
  return text;
}

}  // namespace

std::string shapeText(const Layer& l) {
  return "C" + std::to_string(l.C) + " H" + std::to_string(l.H) + "x" + std::to_string(l.W) +
         " -> M" + std::to_string(l.M) + " P" + std::to_string(l.P) + "x" + std::to_string(l.Q) +
         ", R" + std::to_string(l.R) + "x" + std::to_string(l.S) + windowText(l) + " g" +
         std::to_string(l.groups);
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
