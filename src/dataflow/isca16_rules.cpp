#include "dataflow/isca16_rules.hpp"

#include <algorithm>
#include <vector>

#include "common/errors.hpp"
#include "dataflow/capacity_fit.hpp"
#include "dataflow/isca16_line_buffer.hpp"
#include "dataflow/tiling.hpp"
#include "mapping/tile_math.hpp"

namespace dfsim {

namespace {

/// The dimensions of the convolution's shape (Layer::shape) the paper nests use.
struct ConvDims {
  Dim N, G, M, C, P, Q, R, S;
};

/// Every on-array layer has the convolution's shape, whose dimensions do not depend on the
/// sizes: they are looked up once (a search builds a nest per candidate).
const ConvDims& convDims() {
  static const ConvDims dims = [] {
    const ProblemShape conv = Layer().shape();
    return ConvDims{conv.dimByName("N"), conv.dimByName("G"), conv.dimByName("M"),
                    conv.dimByName("C"), conv.dimByName("P"), conv.dimByName("Q"),
                    conv.dimByName("R"), conv.dimByName("S")};
  }();
  return dims;
}

/// The layer in the framework's symbols (per group), with dfsim's dimensions beside them.
struct PaperLayer {
  std::int64_t N, M, C, E, F, R, S, G;
  Dim dN, dG, dM, dC, dP, dQ, dR, dS;
  explicit PaperLayer(const Layer& l)
      : N(l.N), M(l.mPerGroup()), C(l.cPerGroup()), E(l.P), F(l.Q), R(l.R), S(l.S), G(l.groups) {
    const ConvDims& d = convDims();
    dN = d.N;
    dG = d.G;
    dM = d.M;
    dC = d.C;
    dP = d.P;
    dQ = d.Q;
    dR = d.R;
    dS = d.S;
  }
};

/// What the rules keep at the GLB and the RF.
PerTensor<bool> glbKeepsOf(Dataflow d) {
  switch (d) {
    case Dataflow::RS:
      return PerTensor<bool>{{false, true, true}};  // weights go from DRAM to the RFs
    case Dataflow::OS_C:
      return PerTensor<bool>{{true, true, false}};  // psums go from the PE to DRAM
    default:
      return PerTensor<bool>{{true, true, true}};
  }
}

PerTensor<bool> rfKeepsOf(Dataflow d) {
  switch (d) {
    case Dataflow::RS:
      return PerTensor<bool>{{true, true, true}};
    case Dataflow::OS_C:
      return PerTensor<bool>{{false, false, true}};
    default:
      return PerTensor<bool>{{false, false, false}};  // NLR: no RF, a psum latch
  }
}

/// Empty when `view` has a partition for every tensor `d` keeps at the GLB and the RF;
/// otherwise what is missing.
std::string keepsProblem(const ArchSpec& view, Dataflow d) {
  for (Tensor t : kAllTensors) {
    for (Level l : {Level::Glb, Level::Rf}) {
      const bool kept = (l == Level::Glb ? glbKeepsOf(d) : rfKeepsOf(d))[t];
      if (kept && !view.holds(l, t)) {
        return std::string("the ") + (l == Level::Glb ? "GLB" : "RF") + " holds no " +
               std::string(tensorName(t)) + " (" + dataflowName(d) + " keeps them there)";
      }
    }
  }
  return "";
}

/// Array passes of the filters: ceil(M / (filters one pass covers)).
std::int64_t filterPasses(const PaperLayer& L, Dataflow d, const Isca16Variables& v) {
  return d == Dataflow::RS ? ceilDiv(ceilDiv(L.M, v.p), v.t) : ceilDiv(L.M, v.p);
}

/// The GLB's factor over the filter passes that gives m filters per GLB pass.
std::int64_t glbFilterFactor(const PaperLayer& L, Dataflow d, const Isca16Variables& v) {
  const std::int64_t passes = filterPasses(L, d, v);
  if (v.m == L.M) return passes;
  const std::int64_t perPass = d == Dataflow::RS ? v.p * v.t : v.p;
  return v.m / perPass;
}

/// The extents of the tile each level holds: inside the GLB (its loops, the array's and the
/// RF's) and inside the RF.
struct TileExtents {
  DimExtents glb;
  DimExtents rf;
};

TileExtents tileExtents(const PaperLayer& L, Dataflow d, const Isca16Variables& v) {
  TileExtents x;
  x.glb.fill(1);
  x.rf.fill(1);
  const std::int64_t g = glbFilterFactor(L, d, v);
  auto set = [](DimExtents& e, Dim dim, std::int64_t n) { e[idx(dim)] = n; };
  switch (d) {
    case Dataflow::RS:
      set(x.rf, L.dM, v.p);
      set(x.rf, L.dC, v.q);
      set(x.rf, L.dR, L.R);
      set(x.glb, L.dM, g * v.t * v.p);
      set(x.glb, L.dN, v.n);
      set(x.glb, L.dP, L.E);
      set(x.glb, L.dS, L.S);
      set(x.glb, L.dQ, v.f);
      set(x.glb, L.dC, v.r * v.q);
      set(x.glb, L.dR, L.R);
      break;
    case Dataflow::OS_C:
      set(x.rf, L.dC, L.C);
      set(x.rf, L.dR, L.R);
      set(x.rf, L.dS, L.S);
      x.glb = x.rf;
      set(x.glb, L.dN, v.n);
      set(x.glb, L.dM, g * v.p);
      break;
    default:  // NLR
      set(x.glb, L.dM, g * v.p);
      set(x.glb, L.dN, v.n);
      set(x.glb, L.dP, v.e);
      set(x.glb, L.dQ, v.f);
      set(x.glb, L.dR, L.R);
      set(x.glb, L.dS, L.S);
      set(x.glb, L.dC, v.q);
      break;
  }
  return x;
}

/// Representatives of the tile counts of a dimension of `size`: the smallest v in [1, size] for
/// each distinct ceil(size / v), ascending.
std::vector<std::int64_t> countRepresentatives(std::int64_t size) {
  std::vector<std::int64_t> reps;
  std::int64_t v = 1;
  while (v <= size) {
    reps.push_back(v);
    const std::int64_t c = ceilDiv(size, v);
    if (c == 1) break;
    v = ceilDiv(size, c - 1);  // the smallest v' with ceil(size / v') <= c - 1
  }
  return reps;
}

std::vector<std::int64_t> divisorsOf(std::int64_t n) {
  std::vector<std::int64_t> out;
  for (std::int64_t k = 1; k <= n; ++k) {
    if (n % k == 0) out.push_back(k);
  }
  return out;
}

std::string tooBig(const std::string& what, std::int64_t value, const std::string& bound,
                   std::int64_t limit) {
  return what + " = " + std::to_string(value) + " > " + bound + " = " + std::to_string(limit);
}

}  // namespace

bool isca16Built(Dataflow d) {
  return isca16UsesLineBuffer(d) || d == Dataflow::RS || d == Dataflow::OS_C || d == Dataflow::NLR;
}

std::string isca16VariableNames(Dataflow d) {
  switch (d) {
    case Dataflow::WS:
      return "r t f";
    case Dataflow::OS_A:
      return "m n e f";
    case Dataflow::OS_B:
      return "m n p f";
    case Dataflow::OS_C:
      return "m n p";
    case Dataflow::NLR:
      return "n m p q e f";
    case Dataflow::RS:
      return "m n f p q r t";
  }
  return "";
}

std::vector<std::pair<std::string, std::int64_t>> isca16VariableList(Dataflow d,
                                                                     const Isca16Variables& v) {
  std::vector<std::pair<std::string, std::int64_t>> out;
  for (char c : isca16VariableNames(d)) {
    if (c == ' ') continue;
    const std::int64_t value = c == 'm'   ? v.m
                               : c == 'n' ? v.n
                               : c == 'e' ? v.e
                               : c == 'f' ? v.f
                               : c == 'p' ? v.p
                               : c == 'q' ? v.q
                               : c == 'r' ? v.r
                                          : v.t;
    out.emplace_back(std::string(1, c), value);
  }
  return out;
}

std::string renderIsca16Variables(Dataflow d, const Isca16Variables& v) {
  std::string out;
  for (const auto& [name, value] : isca16VariableList(d, v)) {
    out += (out.empty() ? "" : " ") + name + "=" + std::to_string(value);
  }
  return out;
}

EnergyTable isca16Table(const EnergyTable& fourLevel, const ArchSpec& view, Dataflow d) {
  if (isca16UsesLineBuffer(d)) return isca16LineBufferTable(fourLevel, view);
  EnergyTable t = fourLevel;
  if (d == Dataflow::NLR) t.cost(Level::Noc, Tensor::Weights) = AccessCost{0.0, 0.0};
  return t;
}

ArchSpec isca16View(const ArchSpec& arch, Dataflow d, const std::string& archPath) {
  if (!isca16Built(d)) {
    throw InputError(std::string("--rules isca16: no paper rules for ") + dataflowName(d));
  }
  if (isca16UsesLineBuffer(d)) return isca16LineBufferView(arch, d, archPath);
  if (!arch.isFourLevel()) {
    throw InputError(archPath +
                     ": --rules isca16 maps onto the DRAM > GLB > array > RF "
                     "hierarchy of the paper; expected an arch of that form");
  }
  ArchSpec view = arch;
  view.cols = arch.rows * arch.cols;
  view.rows = 1;
  view.glb.haloReuse = false;
  view.rf.haloReuse = d == Dataflow::RS;
  return view;
}

std::string isca16Problem(const Layer& layer, const ArchSpec& view, Dataflow d,
                          const Isca16Variables& v) {
  if (isca16UsesLineBuffer(d)) return isca16LineBufferProblem(layer, view, d, v);
  const PaperLayer L(layer);
  const std::int64_t J = view.peCount();
  for (std::int64_t x : {v.m, v.n, v.e, v.f, v.p, v.q, v.r, v.t}) {
    if (x < 1) return "every variable is at least 1";
  }
  const PerTensor<bool> glbKeeps = glbKeepsOf(d);
  const PerTensor<bool> rfKeeps = rfKeepsOf(d);
  if (const std::string k = keepsProblem(view, d); !k.empty()) return k;
  const std::string perPassName = d == Dataflow::RS ? "p*t" : "p";
  const std::int64_t perPass = d == Dataflow::RS ? v.p * v.t : v.p;
  if (v.m > L.M) return tooBig("m", v.m, "M", L.M);
  if (v.n > L.N) return tooBig("n", v.n, "N", L.N);
  if (v.p > L.M) return tooBig("p", v.p, "M", L.M);
  if (perPass > v.m) return tooBig(perPassName, perPass, "m", v.m);
  if (v.m % perPass != 0 && v.m != L.M) {
    return "m = " + std::to_string(v.m) + " is neither a multiple of " + perPassName + " = " +
           std::to_string(perPass) + " nor M (dfsim's GLB tile holds whole array passes)";
  }
  switch (d) {
    case Dataflow::RS:
      if (v.f > L.F) return tooBig("f", v.f, "F", L.F);
      if (v.q > L.C) return tooBig("q", v.q, "C", L.C);
      if (v.q * v.r > L.C) return tooBig("q*r", v.q * v.r, "C", L.C);
      if (L.M % v.p != 0) return "p does not divide M (an RF factor of a ragged nest must)";
      if (L.C % v.q != 0) return "q does not divide C (an RF factor of a ragged nest must)";
      if (L.S * v.f * v.r * v.t > J) return tooBig("S*f*r*t", L.S * v.f * v.r * v.t, "PEs", J);
      break;
    case Dataflow::OS_C:
      if (v.n * v.p > J) return tooBig("n*p", v.n * v.p, "PEs", J);
      break;
    case Dataflow::NLR:
      if (v.q > L.C) return tooBig("q", v.q, "C", L.C);
      if (v.e > L.E) return tooBig("e", v.e, "E", L.E);
      if (v.f > L.F) return tooBig("f", v.f, "F", L.F);
      if (v.p * v.q > J) return tooBig("p*q", v.p * v.q, "PEs", J);
      break;
    default:
      return std::string("no paper rules for ") + dataflowName(d);
  }
  const ProblemShape shape = layer.shape();
  const CapacityFit fit{shape, view, rfKeeps, glbKeeps};
  const TileExtents x = tileExtents(L, d, v);
  if (d != Dataflow::NLR && !fit.fits(Level::Rf, x.rf)) return "the RF tiles do not fit the RF";
  if (!fit.fits(Level::Glb, x.glb)) return "the GLB tiles do not fit the GLB";
  return "";
}

Mapping isca16Mapping(const Layer& layer, Dataflow d, const Isca16Variables& v) {
  Mapping m;
  isca16MappingInto(layer, d, v, m);
  return m;
}

void isca16MappingInto(const Layer& layer, Dataflow d, const Isca16Variables& v, Mapping& m) {
  const PaperLayer L(layer);
  m.dramLoops.clear();
  m.glbLoops.clear();
  m.spatialLoops.clear();
  m.rfLoops.clear();
  m.glbKeeps = glbKeepsOf(d);
  m.rfKeeps = rfKeepsOf(d);
  // The framework's tiles are streamed (README "Streamed tiles"): each iteration of the loops
  // outside a tile reloads it, even when no loop over its dimensions moved (a layer with one
  // ifmap strip and one channel pass still reads the ifmap once per pass of the filters).
  m.glbStreamedOver = PerTensor<std::uint8_t>{};
  m.rfStreamedOver = PerTensor<std::uint8_t>{};
  switch (d) {
    case Dataflow::RS:
      m.glbStreamedOver[Tensor::Inputs] = 1;  // the GLB's ifmap, every DRAM pass
      m.rfStreamedOver[Tensor::Inputs] = 2;   // a PE's ifmap window, every array pass
      m.rfStreamedOver[Tensor::Weights] = 1;  // a PE's filter rows, every DRAM pass
      break;
    case Dataflow::OS_C:
      m.glbStreamedOver[Tensor::Inputs] = 1;
      break;
    default:  // NLR
      m.glbStreamedOver[Tensor::Inputs] = 1;
      m.glbStreamedOver[Tensor::Weights] = 1;
      break;
  }
  const std::int64_t g = glbFilterFactor(L, d, v);
  const std::int64_t filterDramPasses = ceilDiv(filterPasses(L, d, v), g);
  auto dram = [&](Dim dim, std::int64_t b) {
    if (b > 1) m.dramLoops.push_back({dim, b});
  };
  auto glb = [&](Dim dim, std::int64_t b) {
    if (b > 1) m.glbLoops.push_back({dim, b});
  };
  auto spatial = [&](Dim dim, std::int64_t b) {
    if (b > 1) m.spatialLoops.push_back({dim, b, Axis::Cols});
  };
  auto rf = [&](Dim dim, std::int64_t b) {
    if (b > 1) m.rfLoops.push_back({dim, b});
  };
  dram(L.dG, L.G);
  switch (d) {
    case Dataflow::RS:
      // DRAM: images, filters, ofmap strips (each pass of filters streams every strip of the
      // ifmaps again, as the framework counts: ceil(M/m) ifmap reads even when a GLB pass
      // holds every channel), then channels innermost (psums stay in the GLB while they pass).
      dram(L.dN, ceilDiv(L.N, v.n));
      dram(L.dM, filterDramPasses);
      dram(L.dQ, ceilDiv(L.F, v.f));
      dram(L.dC, ceilDiv(ceilDiv(L.C, v.q), v.r));
      // GLB: the array passes of the m filters, the n images, the E ofmap rows (the PE's
      // ifmap window slides down them).
      glb(L.dM, g);
      glb(L.dN, v.n);
      glb(L.dP, L.E);
      // Array: a PE set of S filter columns x f ofmap columns, r channel and t filter groups.
      spatial(L.dS, L.S);
      spatial(L.dQ, v.f);
      spatial(L.dC, v.r);
      spatial(L.dM, v.t);
      // RF: p filters, q channels, a filter column of R weights.
      rf(L.dM, v.p);
      rf(L.dC, v.q);
      rf(L.dR, L.R);
      break;
    case Dataflow::OS_C:
      // DRAM: filters (weights read once), images, then every ofmap pixel.
      dram(L.dM, filterDramPasses);
      dram(L.dN, ceilDiv(L.N, v.n));
      dram(L.dP, L.E);
      dram(L.dQ, L.F);
      glb(L.dM, g);
      spatial(L.dN, v.n);
      spatial(L.dM, v.p);
      rf(L.dC, L.C);
      rf(L.dR, L.R);
      rf(L.dS, L.S);
      break;
    default:  // NLR
      dram(L.dM, filterDramPasses);
      dram(L.dN, ceilDiv(L.N, v.n));
      dram(L.dP, ceilDiv(L.E, v.e));
      dram(L.dQ, ceilDiv(L.F, v.f));
      dram(L.dC, ceilDiv(L.C, v.q));
      glb(L.dM, g);
      glb(L.dN, v.n);
      glb(L.dP, v.e);
      glb(L.dQ, v.f);
      glb(L.dR, L.R);
      glb(L.dS, L.S);
      spatial(L.dM, v.p);
      spatial(L.dC, v.q);
      break;
  }
}

bool isca16SameArrayLoops(Dataflow d, const Isca16Variables& a, const Isca16Variables& b) {
  switch (d) {
    case Dataflow::RS:
      return a.f == b.f && a.p == b.p && a.q == b.q && a.r == b.r && a.t == b.t;
    case Dataflow::OS_C:
      return a.n == b.n && a.p == b.p;
    default:
      return a.p == b.p && a.q == b.q;
  }
}

AccessCounts isca16GroupBound(const Layer& layer, Dataflow d, AccessCounts counts,
                              const PerTensor<std::int64_t>& footprint) {
  for (Tensor t : {Tensor::Weights, Tensor::Inputs}) {
    auto cut = [&](std::int64_t& n) { n = std::min(n, footprint[t]); };
    cut(counts(Level::Dram, t).reads);
    cut(counts(Level::Glb, t).writes);
    const bool intoRfVaries = d == Dataflow::RS && (t == Tensor::Weights || layer.P == 1);
    if (intoRfVaries) {
      cut(counts(Level::Glb, t).reads);
      cut(counts(Level::Noc, t).reads);
      cut(counts(Level::Rf, t).writes);
    }
  }
  return counts;
}

void forEachIsca16Candidate(const Layer& layer, const ArchSpec& view, Dataflow d, bool everyM,
                            const std::function<void(const Isca16Variables&)>& visit) {
  if (isca16UsesLineBuffer(d)) {
    forEachIsca16LineBufferCandidate(layer, view, d, visit);
    return;
  }
  const PaperLayer L(layer);
  const std::int64_t J = view.peCount();
  const ProblemShape shape = layer.shape();
  const CapacityFit fit{shape, view, rfKeepsOf(d), glbKeepsOf(d)};
  if (!keepsProblem(view, d).empty()) return;  // no assignment can meet the rules
  const std::vector<std::int64_t> nReps = countRepresentatives(L.N);
  // countRepresentatives of each count of array passes of the filters (at most M), each made
  // once: they are asked for once per assignment of the other variables.
  std::vector<std::vector<std::int64_t>> passReps(static_cast<std::size_t>(L.M) + 1);
  auto repsOf = [&](std::int64_t passes) -> const std::vector<std::int64_t>& {
    std::vector<std::int64_t>& r = passReps.at(static_cast<std::size_t>(passes));
    if (r.empty()) r = countRepresentatives(passes);
    return r;
  };
  // Visits `v` with the m of each filter-pass count of `passes` array passes of `perPass`
  // filters, the fewest DRAM passes first (each the smallest GLB factor giving that count),
  // that fits the GLB (only the first unless everyM); false when none fits.
  auto visitMs = [&](Isca16Variables v, std::int64_t passes, std::int64_t perPass) {
    bool any = false;
    const std::vector<std::int64_t>& reps = repsOf(passes);
    for (auto it = reps.rbegin(); it != reps.rend(); ++it) {
      v.m = std::min(*it * perPass, L.M);
      if (!fit.fits(Level::Glb, tileExtents(L, d, v).glb)) continue;
      any = true;
      visit(v);
      if (!everyM) break;
    }
    return any;
  };
  Isca16Variables v;
  switch (d) {
    case Dataflow::RS: {
      std::vector<std::pair<std::int64_t, std::int64_t>> rfPairs;  // (p, q) whose tiles fit
      for (std::int64_t q : divisorsOf(L.C)) {
        for (std::int64_t p : divisorsOf(L.M)) {
          v.p = p;
          v.q = q;
          if (fit.fits(Level::Rf, tileExtents(L, d, v).rf)) rfPairs.emplace_back(p, q);
        }
      }
      for (std::int64_t f = 1; f <= L.F && L.S * f <= J; ++f) {
        for (const auto& [p, q] : rfPairs) {
          // The most PE sets first: good candidates early let the search's bound prune more.
          const std::int64_t rMax = std::min(L.C / q, J / (L.S * f));
          for (std::int64_t r = rMax; r >= 1; --r) {
            const std::int64_t tMax = std::min(L.M / p, J / (L.S * f * r));
            for (std::int64_t t = tMax; t >= 1; --t) {
              v = Isca16Variables{};
              v.f = f;
              v.p = p;
              v.q = q;
              v.r = r;
              v.t = t;
              const std::int64_t passes = filterPasses(L, d, v);
              for (std::int64_t n : nReps) {
                v.n = n;
                if (!visitMs(v, passes, p * t)) break;  // a larger n fits no better
              }
            }
          }
        }
      }
      break;
    }
    case Dataflow::OS_C: {
      for (std::int64_t p = 1; p <= L.M && p <= J; ++p) {
        for (std::int64_t n = 1; n <= L.N && n * p <= J; ++n) {
          v = Isca16Variables{};
          v.p = p;
          v.n = n;
          if (!visitMs(v, ceilDiv(L.M, p), p)) break;
        }
      }
      break;
    }
    case Dataflow::NLR: {
      const std::vector<std::int64_t> eReps = countRepresentatives(L.E);
      const std::vector<std::int64_t> fReps = countRepresentatives(L.F);
      for (std::int64_t p = 1; p <= L.M && p <= J; ++p) {
        for (std::int64_t q = 1; q <= L.C && p * q <= J; ++q) {
          for (std::int64_t e : eReps) {
            for (std::int64_t f : fReps) {
              for (std::int64_t n : nReps) {
                v = Isca16Variables{};
                v.p = p;
                v.q = q;
                v.e = e;
                v.f = f;
                v.n = n;
                if (!visitMs(v, ceilDiv(L.M, p), p)) break;
              }
            }
          }
        }
      }
      break;
    }
    default:
      break;
  }
}

}  // namespace dfsim
