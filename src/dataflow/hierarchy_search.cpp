#include "dataflow/hierarchy_search.hpp"

#include <algorithm>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "arch/hierarchy.hpp"
#include "common/errors.hpp"
#include "dataflow/default_mapper.hpp"
#include "dataflow/finalist_board.hpp"
#include "dataflow/hierarchy_mapper.hpp"
#include "dataflow/hierarchy_parts.hpp"
#include "dataflow/mapper_search.hpp"
#include "dataflow/nest_score.hpp"
#include "mapping/tile_math.hpp"
#include "mapping/validate_loop_nest.hpp"

namespace dfsim {

namespace {

/// At most this many outer spatial choices (the most instances first, then the enumeration
/// order) get a 4-level search of their sub-layer, unless the search is exhaustive.
constexpr std::size_t kMaxOuterChoices = 6;

/// The 4-level table the innermost part's search scores with, from `table` (resolved for `h`):
/// the parent's costs as the GLB, the fan-out between as the NoC (0 when there is none), the
/// innermost level as the RF, and as DRAM the entries a sub-mapping's DRAM fills come through
/// (the level that takes its DRAM loops and the fan-outs between it and the parent; nothing
/// when the parent is DRAM itself, whose stand-in GLB then prices its reads and writes).
EnergyTable innerTable(const EnergyTable& table, const Hierarchy& h, const HierarchyParts& p) {
  EnergyTable t = table;
  t.names.clear();
  t.perWord = {};
  for (Tensor x : kAllTensors) {
    AccessCost dram;
    if (p.parent > 0) {
      for (std::size_t e = p.storage[p.dramLevel()]; e < p.storage[p.parent]; ++e) {
        if (e == p.storage[p.dramLevel()] || !h.isStorage(e)) {
          dram.read += table.cost(e, x).read;
          dram.write += table.cost(e, x).write;
        }
      }
    }
    t.cost(Level::Dram, x) = dram;
    t.cost(Level::Glb, x) = table.cost(p.storage[p.parent], x);
    if (p.innerFanOut < h.size()) t.cost(Level::Noc, x) = table.cost(p.innerFanOut, x);
    t.cost(Level::Rf, x) = table.cost(p.storage[p.inner], x);
  }
  return t;
}

/// The loop orders tried at the levels above the innermost part (outermost first), from the
/// projections of `shape`: as composed (empty), then finish outputs, keep weights, keep inputs
/// (the dimensions the tensor does not project innermost; within each group the shape's order),
/// the three orders searchMapping tries above the GLB.
std::vector<std::vector<Dim>> outerOrders(const ProblemShape& shape) {
  std::vector<std::vector<Dim>> orders(1);
  for (std::vector<Dim>& order : stationaryOrders(shape)) orders.push_back(std::move(order));
  return orders;
}

/// `n` with the temporal loops of its levels above `parent` stably sorted by the position of
/// their dimension in `order` (an empty order leaves them).
LoopNest reordered(LoopNest n, std::size_t parent, const std::vector<Dim>& order) {
  if (order.empty()) return n;
  std::vector<std::size_t> rank(order.size());
  for (std::size_t i = 0; i < order.size(); ++i) rank[idx(order[i])] = i;
  for (std::size_t k = 0; k < parent; ++k) {
    std::stable_sort(
        n.levels[k].temporal.begin(), n.levels[k].temporal.end(),
        [&](const Loop& a, const Loop& b) { return rank[idx(a.dim)] < rank[idx(b.dim)]; });
  }
  return n;
}

/// `m` with its RF loops shrunk so that the innermost extent of every dimension divides the
/// FULL layer's (a sub-mapping's RF factors divide the sub-layer's sizes, which the ragged rules
/// do not ask of the full layer's): per dimension whose extent does not, its first RF loop gets
/// the largest bound that makes it divide, and its first GLB loop (a new innermost one when
/// there is none) grows so that the GLB's loops cover what they covered before. Returns false
/// when nothing changed or no bound helps.
bool withDividingRf(Mapping& m, const ProblemShape& shape) {
  bool changed = false;
  for (std::size_t i = 0; i < shape.numDims(); ++i) {
    const Dim d = ProblemShape::dimAt(i);
    const std::int64_t full = shape.size(d);
    auto product = [&](auto& loops, auto*& first) {
      std::int64_t p = 1;
      for (auto& l : loops) {
        if (idx(l.dim) != i) continue;
        if (first == nullptr) {
          first = &l;
        } else {
          p *= l.bound;
        }
      }
      return p;
    };
    Loop* rf = nullptr;
    const std::int64_t rfOthers = product(m.rfLoops, rf);
    if (rf == nullptr || full % (rf->bound * rfOthers) == 0) continue;
    if (full % rfOthers != 0) return false;
    std::int64_t b = rf->bound;
    while (b > 1 && full % (b * rfOthers) != 0) --b;
    SpatialLoop* sp = nullptr;
    const std::int64_t spOthers = product(m.spatialLoops, sp);
    const std::int64_t spatialAll = sp != nullptr ? spOthers * sp->bound : 1;
    Loop* glb = nullptr;
    const std::int64_t glbOthers = product(m.glbLoops, glb);
    const std::int64_t glbAll = glb != nullptr ? glbOthers * glb->bound : 1;
    const std::int64_t covered = rf->bound * rfOthers * spatialAll * glbAll;
    rf->bound = b;
    const std::int64_t need = ceilDiv(covered, b * rfOthers * spatialAll * glbOthers);
    if (glb != nullptr) {
      glb->bound = need;
    } else if (need > 1) {
      m.glbLoops.push_back({d, need});
    }
    changed = true;
  }
  return changed;
}

/// A key that tells nests apart (loops, axes and keeps), to score each one once.
std::vector<std::int64_t> keyOf(const LoopNest& n) {
  std::vector<std::int64_t> k;
  for (const LevelLoops& l : n.levels) {
    k.push_back(-1);
    for (Tensor t : kAllTensors) k.push_back(l.keeps[t] ? 1 : 0);
    for (const Loop& x : l.temporal) {
      k.push_back(static_cast<std::int64_t>(idx(x.dim)));
      k.push_back(x.bound);
    }
    k.push_back(-2);
    for (const SpatialLoop& x : l.spatial) {
      k.push_back(static_cast<std::int64_t>(idx(x.dim)));
      k.push_back(x.bound);
      k.push_back(x.axis == Axis::Rows ? 0 : 1);
    }
  }
  return k;
}

/// The best nest so far and its scores.
struct Best {
  bool valid = false;
  LoopNest nest;
  double energy = 0.0;
  double cycles = 0.0;
  double score = 0.0;
};

}  // namespace

NestSearchResult searchLoopNest(const Layer& layer, const ArchSpec& arch, Dataflow dataflow,
                                const EnergyTable& table, const SearchOptions& options) {
  if (arch.isFourLevel()) {
    SearchResult r = searchMapping(layer, arch, dataflow, table, options);
    NestSearchResult out{toLoopNest(r.mapping), r.energy, r.cycles, r.stats, 0, {}};
    for (const Mapping& m : r.finalists) out.finalists.push_back(toLoopNest(m));
    return out;
  }
  const std::string context =
      std::string("search ") + dataflowName(dataflow) + " loop nest of layer " + layer.name;
  if (!layer.onArray()) throw InputError(context + ": the layer does not run on the PE array");
  const Hierarchy h = arch.hierarchy();
  const HierarchyParts p = partsOf(h);
  const ProblemShape shape = layer.shape();
  const DimExtents full = dimSizes(shape);
  const ArchSpec inner = innerArch(arch, h, p);
  const EnergyTable subTable = innerTable(table, h, p);
  const std::vector<std::vector<Dim>> orders = outerOrders(shape);

  NestSearchResult r;
  Best best;
  std::set<std::vector<std::int64_t>> seen;
  std::string lastProblem = "no candidate";
  FinalistBoard<LoopNest> board(options.objective, options.finalists);
  SearchOptions subOptions = options;  // the sub-layers' searches pick their winner only
  subOptions.finalists = 1;
  // Validates and scores one candidate (each distinct nest once).
  auto consider = [&](const LoopNest& n) {
    if (!seen.insert(keyOf(n)).second) return;
    if (!innerExtentDivides(n, shape)) return;
    try {
      validateLoopNest(shape, arch, h, n, context);
    } catch (const InputError& e) {
      lastProblem = e.what();
      return;
    }
    ++r.stats.tried;
    const NestScore s = scoreLoopNest(shape, arch, h, n, table);
    const double energy = s.energy.total;
    const double cycles = s.cycles.cycles;
    double score = energy;
    if (options.objective == Objective::Cycles) score = cycles;
    if (options.objective == Objective::Edp) score = energy * cycles;
    board.offer(n, energy, cycles, [&] {
      std::string text;
      for (std::int64_t v : keyOf(n)) text += std::to_string(v) + ",";
      return text;
    });
    if (!best.valid || score < best.score || (score == best.score && cycles < best.cycles)) {
      best = {true, n, energy, cycles, score};
    }
  };

  // 1. The default nest first: the search never does worse, and wins ties with it.
  try {
    consider(defaultLoopNest(layer, arch, dataflow, options.tiling));
  } catch (const InputError& e) {
    lastProblem = e.what();
  }

  // 2. The outer choices worth a search: at least half the most instances, the most first.
  std::vector<std::pair<std::int64_t, OuterChoice>> choices;
  std::int64_t most = 1;
  for (OuterChoice& c :
       outerChoices(h, p, outerSpatialDims(dataflow, shape), full, options.tiling)) {
    std::int64_t n = 1;
    for (const auto& loops : c) {
      for (const SpatialLoop& l : loops) n *= l.bound;
    }
    most = std::max(most, n);
    choices.emplace_back(n, std::move(c));
  }
  choices.erase(std::remove_if(choices.begin(), choices.end(),
                               [&](const auto& c) { return 2 * c.first < most; }),
                choices.end());
  std::stable_sort(choices.begin(), choices.end(),
                   [](const auto& a, const auto& b) { return a.first > b.first; });
  if (!options.exhaustive && choices.size() > kMaxOuterChoices) choices.resize(kMaxOuterChoices);

  // 3. Per choice: the sub-layer's 4-level search and default mappings (memoised by split),
  //    every placement of their DRAM loops, every outer loop order.
  std::map<std::vector<std::int64_t>, std::vector<Mapping>> memo;
  std::vector<Tiling> innerTilings = {options.tiling};
  if (options.tiling == Tiling::Ragged) innerTilings.push_back(Tiling::Perfect);
  for (const auto& [instances, choice] : choices) {
    const DimExtents split = splitOf(choice);
    const std::vector<std::int64_t> key(split.begin(), split.end());
    auto it = memo.find(key);
    if (it == memo.end()) {
      const Layer sub = subLayer(layer, shape, split);
      std::vector<Mapping> ms;
      try {
        SearchResult found = searchMapping(sub, inner, dataflow, subTable, subOptions);
        r.subSearchTried += found.stats.tried;
        ms.push_back(std::move(found.mapping));
      } catch (const InputError& e) {
        lastProblem = e.what();
      }
      for (Tiling t : innerTilings) {
        try {
          ms.push_back(defaultMapping(sub, inner, dataflow, t));
        } catch (const InputError& e) {
          lastProblem = e.what();
        }
      }
      // Each with RF loops that divide the full layer where they do not (their nests would
      // fail the ragged rules).
      for (std::size_t i = 0, n = ms.size(); i < n; ++i) {
        Mapping fixed = ms[i];
        if (withDividingRf(fixed, shape)) ms.push_back(std::move(fixed));
      }
      it = memo.emplace(key, std::move(ms)).first;
    }
    for (const Mapping& m : it->second) {
      const std::size_t lastAtDram = p.dramLevel() > 0 ? m.dramLoops.size() : 0;
      for (std::size_t atDram = 0; atDram <= lastAtDram; ++atDram) {
        const LoopNest n = composeNest(m, choice, h, p, shape, p.dramLevel(), atDram);
        for (const std::vector<Dim>& order : orders) consider(reordered(n, p.parent, order));
      }
    }
  }

  if (!best.valid) {
    throw InputError(context + ": no legal loop nest (last problem: " + lastProblem + ")");
  }
  r.nest = std::move(best.nest);
  r.energy = best.energy;
  r.cycles = best.cycles;
  if (board.active()) r.finalists = board.finalists();
  return r;
}

}  // namespace dfsim
