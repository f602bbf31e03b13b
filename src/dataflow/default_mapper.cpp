#include "dataflow/default_mapper.hpp"

#include <algorithm>
#include <string>

#include "common/errors.hpp"
#include "dataflow/capacity_fit.hpp"
#include "dataflow/dataflow_rules.hpp"
#include "mapping/tile_math.hpp"

namespace dfsim {

namespace {

/// Largest divisor of `n` that is at most `limit` and satisfies `ok`.
template <typename Ok>
std::int64_t largestDivisor(std::int64_t n, std::int64_t limit, Ok ok) {
  for (std::int64_t f = std::min(n, limit); f > 1; --f) {
    if (n % f == 0 && ok(f)) return f;
  }
  return 1;
}

/// Spatial factors along one axis of `size` PEs over `dims`: the divisor choice that uses the
/// most PEs (on a tie, the one that gives earlier dims the larger factors).
std::vector<SpatialLoop> spread(const std::vector<Dim>& dims, Axis axis, std::int64_t size,
                                DimExtents& remaining, const std::vector<Dim>& fullySpread) {
  std::vector<std::int64_t> best(dims.size(), 1);
  std::int64_t bestUsed = 0;
  std::vector<std::int64_t> choice(dims.size(), 1);
  DimExtents left = remaining;
  // Depth-first over the divisors of each dim in priority order, largest first.
  auto search = [&](auto&& self, std::size_t i, std::int64_t used) -> void {
    if (i == dims.size()) {
      if (used > bestUsed) {
        bestUsed = used;
        best = choice;
      }
      return;
    }
    const std::int64_t n = left[idx(dims[i])];
    const bool forced =
        std::find(fullySpread.begin(), fullySpread.end(), dims[i]) != fullySpread.end();
    const std::int64_t largest = largestDivisor(n, size / used, [](std::int64_t) { return true; });
    for (std::int64_t f = std::min(n, size / used); f >= 1; --f) {
      if (n % f != 0 || (forced && f != largest)) continue;
      choice[i] = f;
      left[idx(dims[i])] /= f;
      self(self, i + 1, used * f);
      left[idx(dims[i])] *= f;
    }
    choice[i] = 1;
  };
  search(search, 0, 1);
  std::vector<SpatialLoop> loops;
  for (std::size_t i = 0; i < dims.size(); ++i) {
    if (best[i] > 1) {
      loops.push_back({dims[i], best[i], axis});
      remaining[idx(dims[i])] /= best[i];
    }
  }
  return loops;
}

std::int64_t pesOf(const std::vector<SpatialLoop>& loops) {
  std::int64_t p = 1;
  for (const SpatialLoop& l : loops) p *= l.bound;
  return p;
}

}  // namespace

Mapping defaultMapping(const Layer& layer, const ArchSpec& arch, Dataflow dataflow) {
  const std::string context =
      std::string("default ") + dataflowName(dataflow) + " mapping of layer " + layer.name;
  if (!layer.onArray()) throw InputError(context + ": the layer does not run on the PE array");
  const ProblemShape shape = layer.shape();
  const DataflowRules rules = rulesFor(dataflow, shape);
  Mapping m;
  for (Tensor t : kAllTensors) {
    m.rfKeeps[t] = rules.rfKeeps[t] && arch.holds(Level::Rf, t);
    m.glbKeeps[t] = arch.holds(Level::Glb, t);
  }
  const CapacityFit fit{shape, arch, m.rfKeeps, m.glbKeeps};

  DimExtents full;
  full.fill(1);
  for (std::size_t i = 0; i < shape.numDims(); ++i) full[i] = shape.size(ProblemShape::dimAt(i));

  // 1. Spatial: the rule's dims over rows and columns; also try them on the other axes and keep
  //    whichever uses more PEs (the first on a tie).
  DimExtents remaining = full;
  std::vector<SpatialLoop> spatial;
  {
    DimExtents r1 = full;
    std::vector<SpatialLoop> a =
        spread(rules.rowDims, Axis::Rows, arch.rows, r1, rules.fullySpread);
    for (const SpatialLoop& l :
         spread(rules.colDims, Axis::Cols, arch.cols, r1, rules.fullySpread)) {
      a.push_back(l);
    }
    DimExtents r2 = full;
    std::vector<SpatialLoop> b =
        spread(rules.colDims, Axis::Rows, arch.rows, r2, rules.fullySpread);
    for (const SpatialLoop& l :
         spread(rules.rowDims, Axis::Cols, arch.cols, r2, rules.fullySpread)) {
      b.push_back(l);
    }
    if (!rules.fixedAxes && pesOf(b) > pesOf(a)) {
      spatial = b;
      remaining = r2;
    } else {
      spatial = a;
      remaining = r1;
    }
  }

  // 2. RF loops: grow the rule's dims, innermost first, while the RF tiles fit.
  DimExtents rfExt;
  rfExt.fill(1);
  std::vector<Loop> rfInnerFirst;
  for (Dim d : rules.rfInnerFirst) {
    const std::int64_t f =
        largestDivisor(remaining[idx(d)], remaining[idx(d)], [&](std::int64_t x) {
          DimExtents e = rfExt;
          e[idx(d)] *= x;
          return fit.fits(Level::Rf, e);
        });
    if (f > 1) {
      rfExt[idx(d)] *= f;
      remaining[idx(d)] /= f;
      rfInnerFirst.push_back({d, f});
    }
  }

  // 3. The GLB must hold at least the array's tiles; if it cannot, shrink the RF loops (the
  //    outermost first), then the spatial factors (largest first), until it does.
  auto arrayExtents = [&]() { return withSpatial(spatial, rfExt); };
  auto nextSmaller = [](std::int64_t b) {
    return largestDivisor(b, b - 1, [](std::int64_t) { return true; });
  };
  while (!fit.fits(Level::Glb, arrayExtents())) {
    if (!rfInnerFirst.empty()) {
      Loop& l = rfInnerFirst.back();
      const std::int64_t f = nextSmaller(l.bound);
      remaining[idx(l.dim)] *= l.bound / f;
      rfExt[idx(l.dim)] = rfExt[idx(l.dim)] / l.bound * f;
      l.bound = f;
      if (f == 1) rfInnerFirst.pop_back();
      continue;
    }
    auto it = std::max_element(
        spatial.begin(), spatial.end(),
        [](const SpatialLoop& x, const SpatialLoop& y) { return x.bound < y.bound; });
    if (it != spatial.end() && it->bound > 1) {
      const std::int64_t f = nextSmaller(it->bound);
      remaining[idx(it->dim)] *= it->bound / f;
      it->bound = f;
      continue;
    }
    throw InputError(context +
                     ": the global buffer cannot hold even one word of every tensor it "
                     "keeps (check arch.glb sizes)");
  }
  spatial.erase(std::remove_if(spatial.begin(), spatial.end(),
                               [](const SpatialLoop& l) { return l.bound == 1; }),
                spatial.end());

  // 4. GLB loops: grow the rule's dims, innermost first, while the GLB tiles fit.
  DimExtents glbExt = arrayExtents();
  std::vector<Loop> glbInnerFirst;
  for (Dim d : rules.glbInnerFirst) {
    const std::int64_t f =
        largestDivisor(remaining[idx(d)], remaining[idx(d)], [&](std::int64_t x) {
          DimExtents e = glbExt;
          e[idx(d)] *= x;
          return fit.fits(Level::Glb, e);
        });
    if (f > 1) {
      glbExt[idx(d)] *= f;
      remaining[idx(d)] /= f;
      glbInnerFirst.push_back({d, f});
    }
  }

  // 5. What is left iterates at the DRAM level.
  for (Dim d : rules.dramOuterFirst) {
    if (remaining[idx(d)] > 1) m.dramLoops.push_back({d, remaining[idx(d)]});
  }
  m.glbLoops.assign(glbInnerFirst.rbegin(), glbInnerFirst.rend());
  m.spatialLoops = spatial;
  m.rfLoops.assign(rfInnerFirst.rbegin(), rfInnerFirst.rend());
  return m;
}

}  // namespace dfsim
