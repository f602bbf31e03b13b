#include "dataflow/dataflow_rules.hpp"

namespace dfsim {

namespace {
PerTensor<bool> keep(bool weights, bool inputs, bool outputs) {
  PerTensor<bool> k;
  k[Tensor::Weights] = weights;
  k[Tensor::Inputs] = inputs;
  k[Tensor::Outputs] = outputs;
  return k;
}

/// The convolution's dimensions, looked up by name in the shape.
struct ConvDims {
  Dim N, G, M, C, P, Q, R, S;
  explicit ConvDims(const ProblemShape& s)
      : N(s.dimByName("N")),
        G(s.dimByName("G")),
        M(s.dimByName("M")),
        C(s.dimByName("C")),
        P(s.dimByName("P")),
        Q(s.dimByName("Q")),
        R(s.dimByName("R")),
        S(s.dimByName("S")) {}
};
}  // namespace

DataflowRules rulesFor(Dataflow d, const ProblemShape& shape) {
  const ConvDims D(shape);
  DataflowRules r;
  // Above the array every dataflow finishes an output's reduction before moving on (C, R, S
  // innermost), so outputs leave the GLB complete; the mapper of issue 5 searches other orders.
  r.dramOuterFirst = {D.N, D.G, D.M, D.P, D.Q, D.C, D.R, D.S};
  switch (d) {
    case Dataflow::WS:
      // A weight per PE (R x S block, channels, filters side by side); ifmap pixels streamed and
      // multicast; psums reduced across rows, streaming through each PE's psum latch.
      r.rowDims = {D.R, D.S, D.C};
      r.colDims = {D.M, D.C};
      r.rfKeeps = keep(true, false, false);
      r.rfInnerFirst = {D.Q, D.P, D.N};
      r.glbInnerFirst = {D.Q, D.P, D.N, D.C, D.M, D.G, D.S, D.R};
      break;
    case Dataflow::OS_A:
      // SOC-MOP: output pixels of one channel over the array; each PE accumulates its psum in
      // place and keeps an ifmap window; weights broadcast.
      r.rowDims = {D.P};
      r.colDims = {D.Q};
      r.rfKeeps = keep(false, true, true);
      r.rfInnerFirst = {D.S, D.R, D.C};
      r.glbInnerFirst = {D.S, D.R, D.C, D.Q, D.P, D.M, D.N, D.G};
      break;
    case Dataflow::OS_B:
      // MOC-MOP: output channels over rows, output pixels over columns; psums in place.
      r.rowDims = {D.M};
      r.colDims = {D.Q, D.P};
      r.rfKeeps = keep(false, false, true);
      r.rfInnerFirst = {D.S, D.R, D.C};
      r.glbInnerFirst = {D.S, D.R, D.C, D.Q, D.P, D.M, D.N, D.G};
      break;
    case Dataflow::OS_C:
      // MOC-SOP: one pixel of many channels (and batch images) over the array; psums in place.
      r.rowDims = {D.M};
      r.colDims = {D.N, D.M};
      r.rfKeeps = keep(false, false, true);
      r.rfInnerFirst = {D.S, D.R, D.C};
      r.glbInnerFirst = {D.S, D.R, D.C, D.M, D.N, D.Q, D.P, D.G};
      break;
    case Dataflow::NLR:
      // No RF: every operand of every MAC comes from the GLB (the loops inside a PE only
      // sequence its MACs; nothing is kept between them); ifmaps multicast along rows, weights
      // unicast, psums reduced across the array.
      r.rowDims = {D.C, D.S, D.R};
      r.colDims = {D.M};
      r.rfKeeps = keep(false, false, false);
      r.rfInnerFirst = {D.Q, D.P, D.N};
      r.glbInnerFirst = {D.Q, D.P, D.N, D.S, D.R, D.C, D.M, D.G};
      break;
    case Dataflow::RS:
      // Row stationary: filter rows over array rows, ofmap rows over columns (a logical R x E
      // set), replicated over channels (rows) and filters (columns); each PE runs 1-D row
      // convolutions with a filter row, an ifmap window and a psum row in its RF.
      r.rowDims = {D.R, D.C};
      r.colDims = {D.P, D.M, D.N};
      r.fullySpread = {D.R};
      r.fixedAxes = true;
      r.rfKeeps = keep(true, true, true);
      r.rfInnerFirst = {D.S, D.Q, D.M, D.C};
      r.glbInnerFirst = {D.C, D.S, D.R, D.Q, D.M, D.P, D.N, D.G};
      break;
  }
  return r;
}

}  // namespace dfsim
