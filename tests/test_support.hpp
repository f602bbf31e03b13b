#pragma once
// Small builders shared by the tests: layers and architectures made in code, so that the
// simulator tests do not depend on the JSON readers.

#include <sstream>
#include <string>

#include "arch/arch_spec.hpp"
#include "common/access_counts.hpp"
#include "common/cycle_breakdown.hpp"
#include "mapping/loop_nest.hpp"
#include "mapping/mapping.hpp"
#include "workload/layer.hpp"

namespace dfsim::test {

/// How many random cases a property test runs: `full` in a normal build, `sanitized` in the
/// sanitized one (DFSIM_SANITIZE: about 8x slower). The sanitizers look for memory errors and
/// undefined behaviour on the code paths, which a few cases of each kind reach; the Release run
/// keeps the full count, so the default test set stays within its time budget.
inline int cases(int full, int sanitized) {
#ifdef DFSIM_SANITIZED
  (void)full;
  return sanitized;
#else
  (void)sanitized;
  return full;
#endif
}

/// The convolution's dimensions, looked up by name in a conv layer's shape (tests may name them;
/// src/mapping and src/sim may not).
namespace cd {
inline const Dim N = Layer().shape().dimByName("N");
inline const Dim G = Layer().shape().dimByName("G");
inline const Dim M = Layer().shape().dimByName("M");
inline const Dim C = Layer().shape().dimByName("C");
inline const Dim P = Layer().shape().dimByName("P");
inline const Dim Q = Layer().shape().dimByName("Q");
inline const Dim R = Layer().shape().dimByName("R");
inline const Dim S = Layer().shape().dimByName("S");
}  // namespace cd

/// Whether tensor `t` of a convolution is indexed by `d`, as a table written from the field's
/// definition (weights G M C R S; inputs all but M; outputs N G M P Q): a third derivation,
/// independent of the shape and of both sides' code.
inline bool convRelevant(Tensor t, Dim d) {
  switch (t) {
    case Tensor::Weights:
      return d == cd::G || d == cd::M || d == cd::C || d == cd::R || d == cd::S;
    case Tensor::Inputs:
      return d != cd::M;
    case Tensor::Outputs:
      return d == cd::N || d == cd::G || d == cd::M || d == cd::P || d == cd::Q;
  }
  return false;
}

/// The loop nest of `m` rendered with a convolution's dimension names.
inline std::string nest(const Mapping& m) {
  return renderLoopNest(Layer().shape(), m);
}

/// A compact rendering of a loop nest (per level: kept tensors, temporal loops, spatial loops
/// with their axis), for equality checks and messages.
inline std::string renderNest(const ProblemShape& s, const LoopNest& n) {
  std::ostringstream o;
  for (std::size_t k = 0; k < n.levels.size(); ++k) {
    const LevelLoops& l = n.levels[k];
    o << "L" << k << " keeps " << l.keeps[Tensor::Weights] << l.keeps[Tensor::Inputs]
      << l.keeps[Tensor::Outputs] << ":";
    for (const Loop& x : l.temporal) o << " " << s.name(x.dim) << x.bound;
    o << " |";
    for (const SpatialLoop& x : l.spatial) {
      o << " " << s.name(x.dim) << x.bound << (x.axis == Axis::Rows ? "r" : "c");
    }
    o << "\n";
  }
  return o.str();
}

/// A conv layer; P and Q derived from the input size.
inline Layer conv(const std::string& name, std::int64_t n, std::int64_t c, std::int64_t m,
                  std::int64_t hw, std::int64_t rs, std::int64_t stride = 1,
                  std::int64_t padding = 0, std::int64_t groups = 1) {
  Layer l;
  l.name = name;
  l.type = LayerType::Conv;
  l.N = n;
  l.C = c;
  l.M = m;
  l.H = l.W = hw;
  l.R = l.S = rs;
  l.setUniformWindow(stride, padding);
  l.groups = groups;
  l.P = l.Q = convOutputSize(hw, rs, stride, padding);
  return l;
}

/// A conv layer of an h x w input, an r x s filter and its own window per axis; P and Q derived.
inline Layer convWindow(const std::string& name, std::int64_t n, std::int64_t c, std::int64_t m,
                        std::int64_t h, std::int64_t w, std::int64_t r, std::int64_t s,
                        const WindowAxis& rows, const WindowAxis& cols, std::int64_t groups = 1) {
  Layer l = conv(name, n, c, m, 1, 1, 1, 0, groups);
  l.H = h;
  l.W = w;
  l.R = r;
  l.S = s;
  l.rows = rows;
  l.cols = cols;
  l.P = convOutputSize(h, r, rows);
  l.Q = convOutputSize(w, s, cols);
  return l;
}

/// An FC layer as a convolution whose filter covers the input.
inline Layer fc(const std::string& name, std::int64_t n, std::int64_t in, std::int64_t out) {
  Layer l = conv(name, n, in, out, 1, 1);
  l.type = LayerType::Fc;
  return l;
}

inline StoragePartition partition(bool w, bool i, bool o, std::int64_t words) {
  StoragePartition p;
  p.tensors[Tensor::Weights] = w;
  p.tensors[Tensor::Inputs] = i;
  p.tensors[Tensor::Outputs] = o;
  p.capacityWords = words;
  return p;
}

/// A rows x cols array with a shared RF of `rfWords` (0: none) and a shared GLB of `glbWords`.
/// `limited`: finite bandwidths and latencies; otherwise everything unlimited and instant.
inline ArchSpec arch(std::int64_t rows, std::int64_t cols, std::int64_t rfWords,
                     std::int64_t glbWords, bool limited) {
  ArchSpec a;
  a.name = "test";
  a.rows = rows;
  a.cols = cols;
  if (rfWords > 0) a.rf.partitions.push_back(partition(true, true, true, rfWords));
  a.glb.partitions.push_back(partition(true, true, true, glbWords));
  if (limited) {
    a.glb.readWordsPerCycle = 4;
    a.glb.writeWordsPerCycle = 2;
    a.glb.latencyCycles = 2;
    a.noc.wordsPerCycle = 3;
    a.noc.hopLatencyCycles = 1;
    a.dram.bytesPerCycle = 4;
    a.dram.latencyCycles = 10;
  }
  return a;
}

/// The Eyeriss chip's storage: RF 224/12/24 words, GLB 100 KiB inputs+outputs and 8 KiB weights.
inline ArchSpec eyerissLike() {
  ArchSpec a = arch(12, 14, 0, 0, true);
  a.rf.partitions = {partition(true, false, false, 224), partition(false, true, false, 12),
                     partition(false, false, true, 24)};
  a.glb.partitions = {partition(false, true, true, 100 * 512),
                      partition(true, false, false, 8 * 512)};
  a.glb.readWordsPerCycle = 16;
  a.glb.writeWordsPerCycle = 16;
  a.noc.wordsPerCycle = 16;
  a.dram.bytesPerCycle = 8;
  a.dram.latencyCycles = 100;
  return a;
}

/// Cycles as text (total and each cause), for comparisons with readable failures.
inline std::string describe(const CycleBreakdown& c) {
  std::ostringstream os;
  os << "total=" << c.total.count() << " compute=" << c.compute.count()
     << " stall_dram=" << c.stallDram.count() << " stall_glb=" << c.stallGlb.count()
     << " stall_noc=" << c.stallNoc.count();
  return os.str();
}

/// Counts as text, one level x tensor per line, for failure messages.
inline std::string describe(const AccessCounts& c) {
  std::ostringstream os;
  for (Level l : kAllLevels) {
    for (Tensor t : kAllTensors) {
      os << levelName(l) << "." << tensorName(t) << " r=" << c(l, t).reads
         << " w=" << c(l, t).writes << "\n";
    }
  }
  os << "macs=" << c.macs << "\n";
  return os.str();
}

}  // namespace dfsim::test
