#include "dataflow/isca16_line_buffer.hpp"

#include <algorithm>
#include <initializer_list>
#include <utility>

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

/// The layer in the framework's symbols (per group), the windows in dfsim's terms.
struct LbLayer {
  std::int64_t N, M, C, E, F, R, S, G, U, Urows, spanR, spanS;
  explicit LbLayer(const Layer& l)
      : N(l.N),
        M(l.mPerGroup()),
        C(l.cPerGroup()),
        E(l.P),
        F(l.Q),
        R(l.R),
        S(l.S),
        G(l.groups),
        U(l.cols.stride),
        Urows(l.rows.stride),
        spanR(l.rows.span(l.R)),
        spanS(l.cols.span(l.S)) {}
  /// The ifmap columns a strip of f ofmap columns needs: the framework's w = U f + S - U.
  std::int64_t stripWidth(std::int64_t f) const { return U * (f - 1) + spanS; }
  /// The ifmap rows a tile of e ofmap rows needs: the framework's h = U e + R - U.
  std::int64_t tileHeight(std::int64_t e) const { return Urows * (e - 1) + spanR; }
};

/// What `d`'s line-buffer view keeps at the GLB and the RF (the line buffer keeps inputs).
PerTensor<bool> glbKeepsOf(Dataflow d) {
  return d == Dataflow::WS ? PerTensor<bool>{{false, false, true}}  // psums only
                           : PerTensor<bool>{{true, true, false}};  // OS_A, OS_B: psums to DRAM
}

PerTensor<bool> rfKeepsOf(Dataflow d) {
  return d == Dataflow::WS ? PerTensor<bool>{{true, false, false}}   // one weight
                           : PerTensor<bool>{{false, false, true}};  // OS_A, OS_B: one psum
}

std::string tooBig(const std::string& what, std::int64_t value, const std::string& bound,
                   std::int64_t limit) {
  return what + " = " + std::to_string(value) + " > " + bound + " = " + std::to_string(limit);
}

/// The words a tile may use in the partition of `view`'s storage entry `entry` (its only
/// partition): all of them, or half on a double-buffered level.
std::int64_t partitionWords(const ArchSpec& view, std::size_t entry) {
  const StorageLevelSpec& level = view.general.entries[entry].storage;
  if (level.partitions.empty()) return 0;
  // A double-buffered level holds two tiles: the one in use and the next one.
  const std::int64_t words = level.partitions.front().capacityWords;
  return level.doubleBuffered ? words / 2 : words;
}

/// How the framework's GLB capacity Q (partitionWords of entry 1) is named in a broken rule.
const char* glbWordsName(const ArchSpec& view) {
  return view.general.entries[1].storage.doubleBuffered ? "GLB words per tile (double buffered)"
                                                        : "GLB words";
}

}  // namespace

bool isca16UsesLineBuffer(Dataflow d) {
  return d == Dataflow::WS || d == Dataflow::OS_A || d == Dataflow::OS_B;
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
  const PerTensor<bool> glbKeeps = glbKeepsOf(d);
  const PerTensor<bool> rfKeeps = rfKeepsOf(d);
  for (Tensor t : kAllTensors) {
    if (glbKeeps[t] && !arch.holds(Level::Glb, t)) {
      throw InputError(archPath + ": glb: expected a partition holding " +
                       std::string(tensorName(t)) + " (" + dataflowName(d) + " keeps them there)");
    }
    if (rfKeeps[t] && !arch.holds(Level::Rf, t)) {
      throw InputError(archPath + ": rf: expected a partition holding " +
                       std::string(tensorName(t)) + " (" + dataflowName(d) + " keeps them there)");
    }
  }
  const Tensor glbTensor = d == Dataflow::WS ? Tensor::Outputs : Tensor::Inputs;
  const std::int64_t glbWords = arch.capacityWords(Level::Glb, glbTensor);
  Hierarchy h;
  StorageLevelSpec dram;
  dram.name = arch.levelNames[idx(Level::Dram)];
  dram.offChip = true;
  dram.bytesPerCycle = arch.dram.bytesPerCycle;
  dram.latencyCycles = arch.dram.latencyCycles;
  dram.dramTiming = arch.dram.timing;
  h.entries.push_back(storageEntry(dram));
  StorageLevelSpec glb;
  glb.name = arch.levelNames[idx(Level::Glb)];
  glb.partitions = {StoragePartition{glbKeeps, glbWords}};
  glb.readWordsPerCycle = arch.glb.readWordsPerCycle;
  glb.writeWordsPerCycle = arch.glb.writeWordsPerCycle;
  glb.latencyCycles = arch.glb.latencyCycles;
  glb.doubleBuffered = arch.glb.doubleBuffered;
  glb.haloReuse = false;
  h.entries.push_back(storageEntry(glb));
  StorageLevelSpec line;
  line.name = kLineBufferName;
  line.partitions = {StoragePartition{PerTensor<bool>{{false, true, false}}, glbWords}};
  line.haloReuse = d == Dataflow::WS;  // WS's delay line slides down E; OS_A's holds a channel
  h.entries.push_back(storageEntry(line));
  HierarchyEntry noc;
  noc.kind = HierarchyEntry::Kind::FanOut;
  noc.fanOut.name = arch.levelNames[idx(Level::Noc)];
  noc.fanOut.rows = 1;
  noc.fanOut.cols = arch.rows * arch.cols;
  noc.fanOut.wordsPerCycle = arch.noc.wordsPerCycle;
  noc.fanOut.multicast = arch.noc.multicast;
  noc.fanOut.hopLatencyCycles = arch.noc.hopLatencyCycles;
  noc.fanOut.network = arch.noc.network;
  // WS: each filter row's psums leave the array on their own, through the row-delay buffer in
  // the framework's GLB (R ceil(C/r) GLB visits per output), so the array does not reduce R.
  if (d == Dataflow::WS) noc.fanOut.unreducedDims = {"R"};
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

namespace {

/// The words of the line buffer's tile of inputs with the loop extents `ext` (others 1).
std::int64_t lineTileWords(const Layer& layer,
                           std::initializer_list<std::pair<const char*, std::int64_t>> ext) {
  const ProblemShape shape = layer.shape();
  DimExtents e;
  e.fill(1);
  for (const auto& [name, n] : ext) e[idx(shape.dimByName(name))] = n;
  return tileWords(shape, Tensor::Inputs, clippedToLayer(shape, e));
}

/// One upper bound of a rule: `what` = value must be at most `bound` = limit.
struct UpperBound {
  const char* what;
  std::int64_t value;
  const char* bound;
  std::int64_t limit;
};

/// The first of `bounds` that is exceeded, as tooBig says it; empty when none is.
std::string firstExceeded(std::initializer_list<UpperBound> bounds) {
  for (const UpperBound& b : bounds) {
    if (b.value > b.limit) return tooBig(b.what, b.value, b.bound, b.limit);
  }
  return "";
}

/// Empty when the line buffer's tile of the extents `ext` fits its partition in `view`.
std::string lineProblem(const Layer& layer, const ArchSpec& view,
                        std::initializer_list<std::pair<const char*, std::int64_t>> ext) {
  return firstExceeded({{"the line buffer's tile", lineTileWords(layer, ext), "its words",
                         partitionWords(view, 2)}});
}

std::string wsProblem(const Layer& layer, const ArchSpec& view, const Isca16Variables& v) {
  const LbLayer L(layer);
  if (v.m != 1 || v.n != 1 || v.e != 1 || v.p != 1 || v.q != 1) {
    return "WS has no variables but r, t and f (the others are 1)";
  }
  const std::int64_t J = view.general.instances(view.general.size() - 1);
  const std::int64_t Q = partitionWords(view, 1);
  const std::int64_t w = L.stripWidth(v.f);
  const std::string broken = firstExceeded(
      {{"r", v.r, "C", L.C},
       {"t", v.t, "M", L.M},
       {"f", v.f, "F", L.F},
       {"r*t*R*S", v.r * v.t * L.R * L.S, "PEs", J},
       {"N*t*E*F + r*t*(w-S)*(R-1)", L.N * v.t * L.E * L.F + v.r * v.t * (w - L.S) * (L.R - 1),
        glbWordsName(view), Q}});
  if (!broken.empty()) return broken;
  return lineProblem(layer, view, {{"C", v.r}, {"M", v.t}, {"R", L.R}, {"S", L.S}, {"Q", v.f}});
}

std::string osAProblem(const Layer& layer, const ArchSpec& view, const Isca16Variables& v) {
  const LbLayer L(layer);
  if (v.p != 1 || v.q != 1 || v.r != 1 || v.t != 1) {
    return "OS_A has no variables but m, n, e and f (the others are 1)";
  }
  const std::int64_t J = view.general.instances(view.general.size() - 1);
  const std::int64_t Q = partitionWords(view, 1);
  const std::string broken =
      firstExceeded({{"m", v.m, "M", L.M},
                     {"n", v.n, "N", L.N},
                     {"e", v.e, "E", L.E},
                     {"f", v.f, "F", L.F},
                     {"n*e*f", v.n * v.e * v.f, "PEs", J},
                     {"m*C*R*S + n*C*h*w",
                      v.m * L.C * L.R * L.S + v.n * L.C * L.tileHeight(v.e) * L.stripWidth(v.f),
                      glbWordsName(view), Q}});
  if (!broken.empty()) return broken;
  return lineProblem(layer, view, {{"N", v.n}, {"P", v.e}, {"Q", v.f}, {"R", L.R}, {"S", L.S}});
}

/// OS_B's GLB factor over its ceil(M/p) filter passes that gives m filters a GLB pass (m a
/// multiple of p, or M).
std::int64_t osBGlbPasses(const LbLayer& L, const Isca16Variables& v) {
  return v.m == L.M ? ceilDiv(L.M, v.p) : v.m / v.p;
}

std::string osBProblem(const Layer& layer, const ArchSpec& view, const Isca16Variables& v) {
  const LbLayer L(layer);
  if (v.e != 1 || v.q != 1 || v.r != 1 || v.t != 1) {
    return "OS_B has no variables but m, n, p and f (the others are 1)";
  }
  const std::int64_t J = view.general.instances(view.general.size() - 1);
  const std::int64_t Q = partitionWords(view, 1);
  const std::string outOfRange = firstExceeded(
      {{"m", v.m, "M", L.M}, {"n", v.n, "N", L.N}, {"p", v.p, "m", v.m}, {"f", v.f, "F", L.F}});
  if (!outOfRange.empty()) return outOfRange;
  if (v.m % v.p != 0 && v.m != L.M) {
    return "m = " + std::to_string(v.m) + " is neither a multiple of p = " + std::to_string(v.p) +
           " nor M (dfsim's GLB tile holds whole array passes)";
  }
  const std::string broken = firstExceeded(
      {{"p*n*f", v.p * v.n * v.f, "PEs", J},
       {"m*C*R*S + n*C*R*w", v.m * L.C * L.R * L.S + v.n * L.C * L.spanR * L.stripWidth(v.f),
        glbWordsName(view), Q}});
  if (!broken.empty()) return broken;
  return lineProblem(layer, view, {{"N", v.n}, {"M", v.p}, {"Q", v.f}, {"R", L.R}, {"S", L.S}});
}

}  // namespace

std::string isca16LineBufferProblem(const Layer& layer, const ArchSpec& view, Dataflow d,
                                    const Isca16Variables& v) {
  for (std::int64_t x : {v.m, v.n, v.e, v.f, v.p, v.q, v.r, v.t}) {
    if (x < 1) return "every variable is at least 1";
  }
  switch (d) {
    case Dataflow::WS:
      return wsProblem(layer, view, v);
    case Dataflow::OS_A:
      return osAProblem(layer, view, v);
    case Dataflow::OS_B:
      return osBProblem(layer, view, v);
    default:
      return std::string("no line-buffer rules for ") + dataflowName(d);
  }
}

LoopNest isca16LineBufferNest(const Layer& layer, Dataflow d, const Isca16Variables& v) {
  if (!isca16UsesLineBuffer(d)) {
    throw InternalError(std::string("isca16LineBufferNest: no line-buffer rules for ") +
                        dataflowName(d));
  }
  const LbLayer L(layer);
  const ProblemShape shape = layer.shape();
  auto dim = [&](const char* name) { return shape.dimByName(name); };
  LoopNest n;
  n.levels.resize(4);
  n.levels[1].keeps = glbKeepsOf(d);
  n.levels[2].keeps = PerTensor<bool>{{false, true, false}};
  n.levels[3].keeps = rfKeepsOf(d);
  // OS_A and OS_B stream the GLB's ifmap tiles (README "Streamed tiles"): every DRAM
  // iteration reloads its tile, as the framework counts, even when it is the same one.
  if (d != Dataflow::WS) n.levels[1].streamedOver[Tensor::Inputs] = 1;
  auto temporal = [&](std::size_t level, const char* name, std::int64_t bound) {
    if (bound > 1) n.levels[level].temporal.push_back({dim(name), bound});
  };
  auto spatial = [&](const char* name, std::int64_t bound) {
    if (bound > 1) n.levels[2].spatial.push_back({dim(name), bound, Axis::Cols});
  };
  temporal(0, "G", L.G);
  if (d == Dataflow::WS) {
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
  } else if (d == Dataflow::OS_B) {
    const std::int64_t g = osBGlbPasses(L, v);
    temporal(0, "M", ceilDiv(ceilDiv(L.M, v.p), g));
    temporal(0, "N", ceilDiv(L.N, v.n));
    temporal(0, "P", L.E);
    temporal(0, "Q", ceilDiv(L.F, v.f));
    temporal(1, "M", g);
    temporal(1, "C", L.C);
    temporal(2, "R", L.R);
    temporal(2, "S", L.S);
    spatial("M", v.p);
    spatial("N", v.n);
    spatial("Q", v.f);
  } else {  // OS_A
    temporal(0, "M", ceilDiv(L.M, v.m));
    temporal(0, "N", ceilDiv(L.N, v.n));
    temporal(0, "P", ceilDiv(L.E, v.e));
    temporal(0, "Q", ceilDiv(L.F, v.f));
    temporal(1, "M", v.m);
    temporal(1, "C", L.C);
    temporal(2, "R", L.R);
    temporal(2, "S", L.S);
    spatial("N", v.n);
    spatial("P", v.e);
    spatial("Q", v.f);
  }
  return n;
}

void forEachIsca16LineBufferCandidate(const Layer& layer, const ArchSpec& view, Dataflow d,
                                      const std::function<void(const Isca16Variables&)>& visit) {
  const LbLayer L(layer);
  const std::int64_t J = view.general.instances(view.general.size() - 1);
  if (d == Dataflow::WS) {
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
    return;
  }
  const std::int64_t Q = partitionWords(view, 1);
  const std::int64_t filterWords = L.C * L.R * L.S;
  if (d == Dataflow::OS_B) {
    for (std::int64_t p = std::min(L.M, J); p >= 1; --p) {
      const std::int64_t passes = ceilDiv(L.M, p);
      for (std::int64_t n = std::min(L.N, J / p); n >= 1; --n) {
        for (std::int64_t f = std::min(L.F, J / (p * n)); f >= 1; --f) {
          const std::int64_t tile = n * L.C * L.spanR * L.stripWidth(f);
          if (tile >= Q) continue;
          // The most filter passes a GLB pass holds, then the fewest that give its DRAM count.
          const std::int64_t gMax = std::min(passes, (Q - tile) / (filterWords * p));
          if (gMax < 1) continue;
          const std::int64_t g = ceilDiv(passes, ceilDiv(passes, gMax));
          Isca16Variables v;
          v.p = p;
          v.n = n;
          v.f = f;
          v.m = g == passes ? L.M : g * p;
          if (isca16LineBufferProblem(layer, view, d, v).empty()) visit(v);
        }
      }
    }
    return;
  }
  if (d != Dataflow::OS_A) return;
  for (std::int64_t n = std::min(L.N, J); n >= 1; --n) {
    for (std::int64_t e = std::min(L.E, J / n); e >= 1; --e) {
      for (std::int64_t f = std::min(L.F, J / (n * e)); f >= 1; --f) {
        // The largest m the GLB leaves room for, then the smallest m with its pass count.
        const std::int64_t tile = n * L.C * L.tileHeight(e) * L.stripWidth(f);
        if (tile >= Q) continue;
        const std::int64_t mMax = std::min(L.M, (Q - tile) / filterWords);
        if (mMax < 1) continue;
        Isca16Variables v;
        v.n = n;
        v.e = e;
        v.f = f;
        v.m = ceilDiv(L.M, ceilDiv(L.M, mMax));
        if (isca16LineBufferProblem(layer, view, d, v).empty()) visit(v);
      }
    }
  }
}

}  // namespace dfsim
