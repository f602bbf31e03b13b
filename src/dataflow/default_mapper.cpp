#include "dataflow/default_mapper.hpp"

#include <algorithm>
#include <string>
#include <vector>

#include "common/errors.hpp"
#include "dataflow/capacity_fit.hpp"
#include "dataflow/dataflow_rules.hpp"
#include "dataflow/tiling.hpp"
#include "mapping/tile_math.hpp"

namespace dfsim {

namespace {

/// The largest of splitFactors(n, n, tiling) that satisfies `ok` (1 when none above 1 does).
template <typename Ok>
std::int64_t largestFactor(std::int64_t n, Tiling tiling, Ok ok) {
  const std::vector<std::int64_t> fs = splitFactors(n, n, tiling);
  for (auto it = fs.rbegin(); it != fs.rend() && *it > 1; ++it) {
    if (ok(*it)) return *it;
  }
  return 1;
}

/// Spatial factors along one axis of `size` PEs over `dims`, inside the spatial loops `outer`
/// already chosen: the choice among splitFactors of the counts `remaining` that uses the most
/// PEs and keeps the spatial loops legal (on a tie, the one that gives earlier dims the larger
/// factors). `remaining` becomes the counts left (ceil of each count over its factor).
std::vector<SpatialLoop> spread(const std::vector<Dim>& dims, Axis axis, std::int64_t size,
                                DimExtents& remaining, const std::vector<Dim>& fullySpread,
                                Tiling tiling, const std::vector<SpatialLoop>& outer,
                                const DimExtents& full) {
  std::vector<std::int64_t> best(dims.size(), 1);
  std::int64_t bestUsed = 0;
  std::vector<std::int64_t> choice(dims.size(), 1);
  DimExtents left = remaining;
  DimExtents ones;
  ones.fill(1);
  auto legal = [&] {
    std::vector<SpatialLoop> loops = outer;
    for (std::size_t i = 0; i < dims.size(); ++i) {
      if (choice[i] > 1) loops.push_back({dims[i], choice[i], axis});
    }
    return spatialLegal(loops, ones, full);
  };
  // Depth-first over the factors of each dim in priority order, largest first.
  auto search = [&](auto&& self, std::size_t i, std::int64_t used) -> void {
    if (i == dims.size()) {
      if (used > bestUsed && (tiling == Tiling::Perfect || legal())) {
        bestUsed = used;
        best = choice;
      }
      return;
    }
    const std::int64_t n = left[idx(dims[i])];
    const bool forced =
        std::find(fullySpread.begin(), fullySpread.end(), dims[i]) != fullySpread.end();
    const std::vector<std::int64_t> fs = splitFactors(n, size / used, tiling);
    for (auto it = fs.rbegin(); it != fs.rend(); ++it) {
      if (forced && *it != fs.back()) continue;
      choice[i] = *it;
      left[idx(dims[i])] = ceilDiv(n, *it);
      self(self, i + 1, used * *it);
      left[idx(dims[i])] = n;
    }
    choice[i] = 1;
  };
  search(search, 0, 1);
  std::vector<SpatialLoop> loops;
  for (std::size_t i = 0; i < dims.size(); ++i) {
    if (best[i] > 1) {
      loops.push_back({dims[i], best[i], axis});
      remaining[idx(dims[i])] = ceilDiv(remaining[idx(dims[i])], best[i]);
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

Mapping defaultMapping(const Layer& layer, const ArchSpec& arch, Dataflow dataflow, Tiling tiling) {
  const std::string context =
      std::string("default ") + dataflowName(dataflow) + " mapping of layer " + layer.name;
  if (!layer.onArray()) throw InputError(context + ": the layer does not run on the PE array");
  const ProblemShape shape = layer.shape();
  const DataflowRules rules = rulesFor(dataflow, shape);
  const bool ragged = tiling == Tiling::Ragged;
  Mapping m;
  for (Tensor t : kAllTensors) {
    m.rfKeeps[t] = rules.rfKeeps[t] && arch.holds(Level::Rf, t);
    m.glbKeeps[t] = arch.holds(Level::Glb, t);
  }
  const CapacityFit fit{shape, arch, m.rfKeeps, m.glbKeeps};

  const DimExtents full = dimSizes(shape);

  // 1. Spatial: the rule's dims over rows and columns; also try them on the other axes and keep
  //    whichever uses more PEs (the first on a tie). Ragged: a factor may leave a smaller last
  //    tile (997 over 12 rows: 84 tiles, the last of 1).
  DimExtents remaining = full;
  std::vector<SpatialLoop> spatial;
  {
    DimExtents r1 = full;
    std::vector<SpatialLoop> a =
        spread(rules.rowDims, Axis::Rows, arch.rows, r1, rules.fullySpread, tiling, {}, full);
    for (const SpatialLoop& l :
         spread(rules.colDims, Axis::Cols, arch.cols, r1, rules.fullySpread, tiling, a, full)) {
      a.push_back(l);
    }
    DimExtents r2 = full;
    std::vector<SpatialLoop> b =
        spread(rules.colDims, Axis::Rows, arch.rows, r2, rules.fullySpread, tiling, {}, full);
    for (const SpatialLoop& l :
         spread(rules.rowDims, Axis::Cols, arch.cols, r2, rules.fullySpread, tiling, b, full)) {
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

  // 2. RF loops: grow the rule's dims, innermost first, while the RF tiles fit. Perfect: factors
  //    of what the spatial loops leave. Ragged: factors of the whole dim (the RF tile must divide
  //    it) that keep the spatial loops legal.
  DimExtents rfExt;
  rfExt.fill(1);
  std::vector<Loop> rfInnerFirst;
  for (Dim d : rules.rfInnerFirst) {
    const std::int64_t n = ragged ? full[idx(d)] / rfExt[idx(d)] : remaining[idx(d)];
    const std::int64_t f = largestFactor(n, Tiling::Perfect, [&](std::int64_t x) {
      DimExtents e = rfExt;
      e[idx(d)] *= x;
      return fit.fits(Level::Rf, e) && (!ragged || spatialLegal(spatial, e, full));
    });
    if (f > 1) {
      rfExt[idx(d)] *= f;
      rfInnerFirst.push_back({d, f});
    }
  }

  // 3. The GLB must hold at least the array's tiles; if it cannot, shrink the RF loops (the
  //    outermost first), then the spatial factors (largest first), until it does. A smaller
  //    factor keeps every loop legal; Perfect shrinks to a divisor, Ragged by one.
  auto arrayExtents = [&]() { return withSpatial(spatial, rfExt); };
  auto nextSmaller = [](std::int64_t b) {
    return largestFactor(b, Tiling::Perfect, [&](std::int64_t x) { return x < b; });
  };
  while (!fit.fits(Level::Glb, arrayExtents())) {
    if (!rfInnerFirst.empty()) {
      Loop& l = rfInnerFirst.back();
      const std::int64_t f = nextSmaller(l.bound);
      rfExt[idx(l.dim)] = rfExt[idx(l.dim)] / l.bound * f;
      l.bound = f;
      if (f == 1) rfInnerFirst.pop_back();
      continue;
    }
    auto it = std::max_element(
        spatial.begin(), spatial.end(),
        [](const SpatialLoop& x, const SpatialLoop& y) { return x.bound < y.bound; });
    if (it != spatial.end() && it->bound > 1) {
      it->bound = ragged ? it->bound - 1 : nextSmaller(it->bound);
      continue;
    }
    throw InputError(context +
                     ": the global buffer cannot hold even one word of every tensor it "
                     "keeps (check arch.glb sizes)");
  }
  spatial.erase(std::remove_if(spatial.begin(), spatial.end(),
                               [](const SpatialLoop& l) { return l.bound == 1; }),
                spatial.end());

  // 4. GLB loops: grow the rule's dims, innermost first, while the GLB tiles fit, over the
  //    counts of array tiles (Perfect: exact quotients; Ragged: the ceil, so the last GLB tile
  //    may be smaller too).
  DimExtents glbExt = arrayExtents();
  for (std::size_t i = 0; i < remaining.size(); ++i) remaining[i] = ceilDiv(full[i], glbExt[i]);
  std::vector<Loop> glbInnerFirst;
  for (Dim d : rules.glbInnerFirst) {
    const std::int64_t n = remaining[idx(d)];
    const std::int64_t f = largestFactor(n, tiling, [&](std::int64_t x) {
      DimExtents e = glbExt;
      e[idx(d)] *= x;
      return fit.fits(Level::Glb, e);
    });
    if (f > 1) {
      glbExt[idx(d)] *= f;
      remaining[idx(d)] = ceilDiv(n, f);
      glbInnerFirst.push_back({d, f});
    }
  }

  // 5. What is left iterates at the DRAM level (Ragged: the ceil, so the outermost loop over
  //    each dim covers it).
  for (Dim d : rules.dramOuterFirst) {
    if (remaining[idx(d)] > 1) m.dramLoops.push_back({d, remaining[idx(d)]});
  }
  m.glbLoops.assign(glbInnerFirst.rbegin(), glbInnerFirst.rend());
  m.spatialLoops = spatial;
  m.rfLoops.assign(rfInnerFirst.rbegin(), rfInnerFirst.rend());
  return m;
}

}  // namespace dfsim
