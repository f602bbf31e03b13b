#include "dataflow/isca16_line_buffer.hpp"

#include <algorithm>

#include "common/errors.hpp"
#include "dataflow/tiling.hpp"
#include "mapping/tile_math.hpp"

namespace dfsim {

namespace {

/// A storage entry of a hierarchy.
HierarchyEntry storageEntry(StorageLevelSpec s) {
  HierarchyEntry e;
  e.kind = HierarchyEntry::Kind::Storage;
  e.storage = std::move(s);
  return e;
}

/// WS's sizes in the framework's symbols (per group), the window along W in dfsim's terms.
struct WsLayer {
  std::int64_t N, M, C, E, F, R, S, G, U, spanS;
  explicit WsLayer(const Layer& l)
      : N(l.N),
        M(l.mPerGroup()),
        C(l.cPerGroup()),
        E(l.P),
        F(l.Q),
        R(l.R),
        S(l.S),
        G(l.groups),
        U(l.cols.stride),
        spanS(l.cols.span(l.S)) {}
  /// The ifmap columns a strip of f ofmap columns needs: the framework's w = U f + S - U.
  std::int64_t stripWidth(std::int64_t f) const { return U * (f - 1) + spanS; }
};

std::string tooBig(const std::string& what, std::int64_t value, const std::string& bound,
                   std::int64_t limit) {
  return what + " = " + std::to_string(value) + " > " + bound + " = " + std::to_string(limit);
}

/// The words of the partition of `view`'s storage entry `entry` (its only partition).
std::int64_t partitionWords(const ArchSpec& view, std::size_t entry) {
  const auto& parts = view.general.entries[entry].storage.partitions;
  return parts.empty() ? 0 : parts.front().capacityWords;
}

}  // namespace

bool isca16UsesLineBuffer(Dataflow d) {
  return d == Dataflow::WS;
}

ArchSpec isca16LineBufferView(const ArchSpec& arch, Dataflow d, const std::string& archPath) {
  if (!isca16UsesLineBuffer(d)) {
    throw InternalError(std::string("isca16LineBufferView: ") + dataflowName(d) +
                        " maps onto the 4-level view");
  }
  if (!arch.isFourLevel()) {
    throw InputError(archPath +
                     ": --rules isca16 maps onto the DRAM > GLB > array > RF "
                     "hierarchy of the paper; expected an arch of that form");
  }
  if (!arch.holds(Level::Glb, Tensor::Outputs)) {
    throw InputError(archPath + ": glb: expected a partition holding outputs (" + dataflowName(d) +
                     " keeps its psums in the GLB)");
  }
  if (!arch.holds(Level::Rf, Tensor::Weights)) {
    throw InputError(archPath + ": rf: expected a partition holding weights (" + dataflowName(d) +
                     " keeps one weight per PE)");
  }
  const std::int64_t glbWords = arch.capacityWords(Level::Glb, Tensor::Outputs);
  Hierarchy h;
  StorageLevelSpec dram;
  dram.name = arch.levelNames[idx(Level::Dram)];
  dram.offChip = true;
  dram.bytesPerCycle = arch.dram.bytesPerCycle;
  dram.latencyCycles = arch.dram.latencyCycles;
  h.entries.push_back(storageEntry(dram));
  StorageLevelSpec glb;
  glb.name = arch.levelNames[idx(Level::Glb)];
  glb.partitions = {StoragePartition{PerTensor<bool>{{false, false, true}}, glbWords}};
  glb.readWordsPerCycle = arch.glb.readWordsPerCycle;
  glb.writeWordsPerCycle = arch.glb.writeWordsPerCycle;
  glb.latencyCycles = arch.glb.latencyCycles;
  glb.doubleBuffered = arch.glb.doubleBuffered;
  glb.haloReuse = false;
  h.entries.push_back(storageEntry(glb));
  StorageLevelSpec line;
  line.name = kLineBufferName;
  line.partitions = {StoragePartition{PerTensor<bool>{{false, true, false}}, glbWords}};
  line.haloReuse = true;
  h.entries.push_back(storageEntry(line));
  HierarchyEntry noc;
  noc.kind = HierarchyEntry::Kind::FanOut;
  noc.fanOut.name = arch.levelNames[idx(Level::Noc)];
  noc.fanOut.rows = 1;
  noc.fanOut.cols = arch.rows * arch.cols;
  noc.fanOut.wordsPerCycle = arch.noc.wordsPerCycle;
  noc.fanOut.multicast = arch.noc.multicast;
  noc.fanOut.hopLatencyCycles = arch.noc.hopLatencyCycles;
  h.entries.push_back(noc);
  StorageLevelSpec rf;
  rf.name = arch.levelNames[idx(Level::Rf)];
  rf.partitions = arch.rf.partitions;
  rf.haloReuse = false;
  h.entries.push_back(storageEntry(rf));
  validateHierarchy(h);
  ArchSpec view;
  view.name = arch.name;
  view.wordBits = arch.wordBits;
  view.tensorBits = arch.tensorBits;
  view.clockMhz = arch.clockMhz;
  setHierarchy(view, h);
  return view;
}

EnergyTable isca16LineBufferTable(const EnergyTable& fourLevel, const ArchSpec& view) {
  EnergyTable t = fourLevel;
  const Hierarchy h = view.hierarchy();
  t.names.clear();
  for (std::size_t e = 0; e < h.size(); ++e) t.names.push_back(h.entries[e].name());
  // dram, glb as given; the line buffer free; the fan-out and the RF as given.
  t.perWord = {};
  t.perWord[0] = fourLevel.perWord[idx(Level::Dram)];
  t.perWord[1] = fourLevel.perWord[idx(Level::Glb)];
  t.perWord[2] = sameForAllTensors({0.0, 0.0});
  t.perWord[3] = fourLevel.perWord[idx(Level::Noc)];
  t.perWord[4] = fourLevel.perWord[idx(Level::Rf)];
  return t;
}

std::string isca16LineBufferProblem(const Layer& layer, const ArchSpec& view, Dataflow d,
                                    const Isca16Variables& v) {
  if (d != Dataflow::WS) return std::string("no line-buffer rules for ") + dataflowName(d);
  const WsLayer L(layer);
  for (std::int64_t x : {v.r, v.t, v.f}) {
    if (x < 1) return "every variable is at least 1";
  }
  if (v.m != 1 || v.n != 1 || v.e != 1 || v.p != 1 || v.q != 1) {
    return "WS has no variables but r, t and f (the others are 1)";
  }
  const std::int64_t J = view.general.instances(view.general.size() - 1);
  const std::int64_t Q = partitionWords(view, 1);
  if (v.r > L.C) return tooBig("r", v.r, "C", L.C);
  if (v.t > L.M) return tooBig("t", v.t, "M", L.M);
  if (v.f > L.F) return tooBig("f", v.f, "F", L.F);
  const std::int64_t pes = v.r * v.t * L.R * L.S;
  if (pes > J) return tooBig("r*t*R*S", pes, "PEs", J);
  const std::int64_t w = L.stripWidth(v.f);
  const std::int64_t glb = L.N * v.t * L.E * L.F + v.r * v.t * (w - L.S) * (L.R - 1);
  if (glb > Q) return tooBig("N*t*E*F + r*t*(w-S)*(R-1)", glb, "GLB words", Q);
  const ProblemShape shape = layer.shape();
  DimExtents ext;
  ext.fill(1);
  ext[idx(shape.dimByName("C"))] = v.r;
  ext[idx(shape.dimByName("M"))] = v.t;
  ext[idx(shape.dimByName("R"))] = L.R;
  ext[idx(shape.dimByName("S"))] = L.S;
  ext[idx(shape.dimByName("Q"))] = v.f;
  const std::int64_t line = tileWords(shape, Tensor::Inputs, clippedToLayer(shape, ext));
  const std::int64_t lineWords = partitionWords(view, 2);
  if (line > lineWords) return tooBig("the line buffer's tile", line, "its words", lineWords);
  return "";
}

LoopNest isca16LineBufferNest(const Layer& layer, Dataflow d, const Isca16Variables& v) {
  if (d != Dataflow::WS) {
    throw InternalError(std::string("isca16LineBufferNest: no line-buffer rules for ") +
                        dataflowName(d));
  }
  const WsLayer L(layer);
  const ProblemShape shape = layer.shape();
  auto dim = [&](const char* name) { return shape.dimByName(name); };
  LoopNest n;
  n.levels.resize(4);
  n.levels[1].keeps = PerTensor<bool>{{false, false, true}};
  n.levels[2].keeps = PerTensor<bool>{{false, true, false}};
  n.levels[3].keeps = PerTensor<bool>{{true, false, false}};
  auto temporal = [&](std::size_t level, const char* name, std::int64_t bound) {
    if (bound > 1) n.levels[level].temporal.push_back({dim(name), bound});
  };
  auto spatial = [&](const char* name, std::int64_t bound) {
    if (bound > 1) n.levels[2].spatial.push_back({dim(name), bound, Axis::Cols});
  };
  temporal(0, "G", L.G);
  temporal(0, "M", ceilDiv(L.M, v.t));
  temporal(0, "C", ceilDiv(L.C, v.r));
  temporal(1, "N", L.N);
  temporal(1, "Q", ceilDiv(L.F, v.f));
  temporal(1, "P", L.E);
  temporal(2, "Q", v.f);
  spatial("C", v.r);
  spatial("M", v.t);
  spatial("R", L.R);
  spatial("S", L.S);
  return n;
}

void forEachIsca16LineBufferCandidate(const Layer& layer, const ArchSpec& view, Dataflow d,
                                      const std::function<void(const Isca16Variables&)>& visit) {
  if (d != Dataflow::WS) return;
  const WsLayer L(layer);
  const std::int64_t J = view.general.instances(view.general.size() - 1);
  const std::int64_t window = L.R * L.S;
  if (window > J) return;
  for (std::int64_t t = std::min(L.M, J / window); t >= 1; --t) {
    for (std::int64_t r = std::min(L.C, J / (window * t)); r >= 1; --r) {
      for (std::int64_t f = L.F; f >= 1; --f) {
        Isca16Variables v;
        v.r = r;
        v.t = t;
        v.f = f;
        if (isca16LineBufferProblem(layer, view, d, v).empty()) visit(v);
      }
    }
  }
}

}  // namespace dfsim
