#include "dataflow/mapper_search.hpp"

#include <algorithm>
#include <string>
#include <vector>

#include "common/errors.hpp"
#include "dataflow/capacity_fit.hpp"
#include "dataflow/dataflow_rules.hpp"
#include "dataflow/default_mapper.hpp"
#include "energy/energy_breakdown.hpp"
#include "mapping/analytic_model.hpp"
#include "mapping/tile_math.hpp"

namespace dfsim {

namespace {

// How many of the most PE-hungry spatial choices and RF choices per spatial choice are kept;
// how many (spatial, RF) finalists at least get the full GLB enumeration, and how many
// candidates stage B may score before it stops taking further pairs (in their stage-A order);
// and a cap on GLB choices per finalist.
constexpr std::size_t kMaxSpatial = 12;
constexpr std::size_t kMaxRfPerSpatial = 400;
constexpr std::size_t kFinalists = 8;
constexpr std::int64_t kStageBBudget = 200000;
constexpr std::size_t kMaxGlbChoices = 4000;

/// Loop orders tried above the GLB (outermost first), from the projections of `shape`: finish
/// outputs (the dims outputs do not project, the reduction, innermost), keep weights (the dims
/// weights do not project innermost), keep inputs (the dims inputs do not project innermost).
/// Within each group the shape's order. For a conv: N G M P Q C R S, G M C R S N P Q and
/// N G C P Q R S M.
std::vector<std::vector<Dim>> dramOrders(const ProblemShape& shape) {
  std::vector<std::vector<Dim>> orders;
  for (Tensor kept : {Tensor::Outputs, Tensor::Weights, Tensor::Inputs}) {
    std::vector<Dim> order;
    for (bool relevant : {true, false}) {
      for (std::size_t i = 0; i < shape.numDims(); ++i) {
        const Dim d = ProblemShape::dimAt(i);
        if (isRelevant(shape, kept, d) == relevant) order.push_back(d);
      }
    }
    orders.push_back(std::move(order));
  }
  return orders;
}

std::vector<std::int64_t> divisorsUpTo(std::int64_t n, std::int64_t limit) {
  std::vector<std::int64_t> d;
  for (std::int64_t f = 1; f <= n && f <= limit; ++f) {
    if (n % f == 0) d.push_back(f);
  }
  return d;
}

/// Every way to give `dims` factors of `remaining` with a product <= `size` (one axis).
void axisChoices(const std::vector<Dim>& dims, std::int64_t size, Axis axis,
                 const DimExtents& remaining, const std::vector<Dim>& fullySpread,
                 std::vector<std::pair<std::vector<SpatialLoop>, DimExtents>>& out) {
  std::vector<SpatialLoop> loops;
  DimExtents left = remaining;
  auto dfs = [&](auto&& self, std::size_t i, std::int64_t used) -> void {
    if (i == dims.size()) {
      out.emplace_back(loops, left);
      return;
    }
    const Dim d = dims[i];
    const std::vector<std::int64_t> divs = divisorsUpTo(left[idx(d)], size / used);
    const bool forced = std::find(fullySpread.begin(), fullySpread.end(), d) != fullySpread.end();
    for (std::int64_t f : divs) {
      if (forced && f != divs.back()) continue;
      if (f > 1) loops.push_back({d, f, axis});
      left[idx(d)] /= f;
      self(self, i + 1, used * f);
      left[idx(d)] *= f;
      if (f > 1) loops.pop_back();
    }
  };
  dfs(dfs, 0, 1);
}

struct SpatialChoice {
  std::vector<SpatialLoop> loops;
  DimExtents remaining;
  std::int64_t pes = 1;
};

std::vector<SpatialChoice> spatialChoices(const DataflowRules& rules, const ArchSpec& arch,
                                          const DimExtents& full) {
  std::vector<SpatialChoice> all;
  for (int swap = 0; swap < (rules.fixedAxes ? 1 : 2); ++swap) {
    const Axis first = swap ? Axis::Cols : Axis::Rows;
    const Axis second = swap ? Axis::Rows : Axis::Cols;
    const std::int64_t firstSize = swap ? arch.cols : arch.rows;
    const std::int64_t secondSize = swap ? arch.rows : arch.cols;
    std::vector<std::pair<std::vector<SpatialLoop>, DimExtents>> a;
    axisChoices(rules.rowDims, firstSize, first, full, rules.fullySpread, a);
    for (const auto& [rowLoops, rowLeft] : a) {
      std::vector<std::pair<std::vector<SpatialLoop>, DimExtents>> b;
      axisChoices(rules.colDims, secondSize, second, rowLeft, rules.fullySpread, b);
      for (const auto& [colLoops, left] : b) {
        SpatialChoice c;
        c.loops.reserve(rowLoops.size() + colLoops.size());
        for (const SpatialLoop& l : rowLoops) c.loops.push_back(l);
        for (const SpatialLoop& l : colLoops) c.loops.push_back(l);
        c.remaining = left;
        for (const SpatialLoop& l : c.loops) c.pes *= l.bound;
        all.push_back(std::move(c));
      }
    }
  }
  std::stable_sort(all.begin(), all.end(),
                   [](const SpatialChoice& x, const SpatialChoice& y) { return x.pes > y.pes; });
  const std::int64_t best = all.empty() ? 1 : all.front().pes;
  std::vector<SpatialChoice> kept;
  for (SpatialChoice& c : all) {
    if (kept.size() == kMaxSpatial || 2 * c.pes < best) break;
    kept.push_back(std::move(c));
  }
  return kept;
}

struct Scored {
  Mapping mapping;
  double energy = 0.0;
  double cycles = 0.0;
  double score = 0.0;
  bool valid = false;
};

class Searcher {
 public:
  Searcher(const Layer& layer, const ProblemShape& shape, const ArchSpec& arch,
           const DataflowRules& rules, const EnergyTable& table, const SearchOptions& options,
           PerTensor<bool> rfKeeps, PerTensor<bool> glbKeeps)
      : layer_(layer),
        shape_(shape),
        dramOrders_(dramOrders(shape)),
        arch_(arch),
        rules_(rules),
        table_(table),
        options_(options),
        fit_{shape, arch, rfKeeps, glbKeeps} {}

  /// RF factor choices for the rule's RF dims, each fitting the RF.
  std::vector<std::pair<std::vector<Loop>, DimExtents>> rfChoices(const DimExtents& remaining) {
    std::vector<std::pair<std::vector<Loop>, DimExtents>> out;
    DimExtents ones;
    ones.fill(1);
    forEachFactorChoice(
        rules_.rfInnerFirst, ones, remaining, Level::Rf, false,
        [&] { return out.size() == kMaxRfPerSpatial; },
        [&](std::vector<Loop> loops, const DimExtents& left) {
          out.emplace_back(std::move(loops), left);
        });
    return out;
  }

  /// Scores every DRAM order for one full choice of spatial, RF and GLB loops.
  void scoreOrders(const std::vector<SpatialLoop>& spatial, const std::vector<Loop>& rf,
                   const std::vector<Loop>& glb, const DimExtents& left, Scored& best) {
    for (const std::vector<Dim>& order : dramOrders_) {
      Mapping m;
      m.rfKeeps = fit_.rfKeeps;
      m.glbKeeps = fit_.glbKeeps;
      m.spatialLoops = spatial;
      m.rfLoops = rf;
      m.glbLoops = glb;
      for (Dim d : order) {
        if (left[idx(d)] > 1) m.dramLoops.push_back({d, left[idx(d)]});
      }
      consider(std::move(m), best);
    }
  }

  /// The GLB loops (outermost first) grown greedily as the default mapper does.
  std::pair<std::vector<Loop>, DimExtents> greedyGlb(const DimExtents& arrayExt,
                                                     DimExtents left) const {
    DimExtents ext = arrayExt;
    std::vector<Loop> innerFirst;
    for (Dim d : rules_.glbInnerFirst) {
      const std::vector<std::int64_t> divs = divisorsUpTo(left[idx(d)], left[idx(d)]);
      for (auto it = divs.rbegin(); it != divs.rend(); ++it) {
        DimExtents e = ext;
        e[idx(d)] *= *it;
        if (*it == 1 || fit_.fits(Level::Glb, e)) {
          if (*it > 1) innerFirst.push_back({d, *it});
          ext = e;
          left[idx(d)] /= *it;
          break;
        }
      }
    }
    return {std::vector<Loop>(innerFirst.rbegin(), innerFirst.rend()), left};
  }

  /// Every GLB factor choice over the rule's GLB dims that fits (capped), outermost first.
  void allGlb(const DimExtents& arrayExt, const DimExtents& remaining,
              const std::vector<SpatialLoop>& spatial, const std::vector<Loop>& rf, Scored& best) {
    std::size_t choices = 0;
    forEachFactorChoice(
        rules_.glbInnerFirst, arrayExt, remaining, Level::Glb, true,
        [&] { return !options_.exhaustive && choices == kMaxGlbChoices; },
        [&](std::vector<Loop> loops, const DimExtents& left) {
          ++choices;
          scoreOrders(spatial, rf, loops, left, best);
        });
  }

  /// Calls leaf(loops outermost first, what is left of each dim) for every choice of one factor
  /// per dim of `dims` (innermost first) dividing what is left of it, such that `ext` times the
  /// factors chosen so far fits `level` (a factor of 1 always counts as fitting when
  /// `oneFits`). Descends no further once stop() is true.
  template <typename Stop, typename Leaf>
  void forEachFactorChoice(const std::vector<Dim>& dims, DimExtents ext, DimExtents left,
                           Level level, bool oneFits, Stop&& stop, Leaf&& leaf) {
    std::vector<Loop> innerFirst;
    auto dfs = [&](auto&& self, std::size_t i) -> void {
      if (stop()) return;
      if (i == dims.size()) {
        leaf(std::vector<Loop>(innerFirst.rbegin(), innerFirst.rend()), left);
        return;
      }
      const Dim d = dims[i];
      const std::int64_t n = left[idx(d)];
      for (std::int64_t f : divisorsUpTo(n, n)) {
        ext[idx(d)] *= f;
        if ((oneFits && f == 1) || fit_.fits(level, ext)) {
          if (f > 1) innerFirst.push_back({d, f});
          left[idx(d)] /= f;
          self(self, i + 1);
          left[idx(d)] *= f;
          if (f > 1) innerFirst.pop_back();
        }
        ext[idx(d)] /= f;
      }
    };
    dfs(dfs, 0);
  }

  /// Scores `m` and keeps it in `best` when it wins.
  void consider(Mapping m, Scored& best) {
    ++stats_.tried;
    const AccessCounts counts = analyticCounts(shape_, arch_, m);
    const double cycles = estimateCycles(layer_, arch_, m, counts);
    const double energy =
        computeEnergy(counts, Cycle(static_cast<std::uint64_t>(cycles)), table_).total;
    double score = energy;
    if (options_.objective == Objective::Cycles) score = cycles;
    if (options_.objective == Objective::Edp) score = energy * cycles;
    if (!best.valid || score < best.score || (score == best.score && cycles < best.cycles)) {
      best.mapping = std::move(m);
      best.energy = energy;
      best.cycles = cycles;
      best.score = score;
      best.valid = true;
    }
  }

  const CapacityFit& fit() const { return fit_; }
  const SearchStats& stats() const { return stats_; }

 private:
  const Layer& layer_;
  const ProblemShape& shape_;
  const std::vector<std::vector<Dim>> dramOrders_;
  const ArchSpec& arch_;
  const DataflowRules& rules_;
  const EnergyTable& table_;
  const SearchOptions& options_;
  CapacityFit fit_;
  SearchStats stats_;
};

}  // namespace

const char* objectiveName(Objective o) {
  switch (o) {
    case Objective::Energy:
      return "energy";
    case Objective::Cycles:
      return "cycles";
    case Objective::Edp:
      return "edp";
  }
  return "?";
}

bool parseObjective(std::string_view s, Objective& out) {
  for (Objective o : {Objective::Energy, Objective::Cycles, Objective::Edp}) {
    if (s == objectiveName(o)) {
      out = o;
      return true;
    }
  }
  return false;
}

double estimateCycles(const Layer& layer, const ArchSpec& arch, const Mapping& m,
                      const AccessCounts& c) {
  (void)layer;
  auto at = [&](std::int64_t words, std::int64_t perCycle) {
    return perCycle == kUnlimited ? 0.0
                                  : static_cast<double>(words) / static_cast<double>(perCycle);
  };
  std::int64_t dram = 0;
  std::int64_t glbReads = 0;
  std::int64_t glbWrites = 0;
  std::int64_t nocWords = 0;
  for (Tensor t : kAllTensors) {
    dram += c(Level::Dram, t).reads + c(Level::Dram, t).writes;
    glbReads += c(Level::Glb, t).reads;
    glbWrites += c(Level::Glb, t).writes;
    nocWords += c(Level::Glb, t).reads + c(Level::Glb, t).writes;
  }
  const std::int64_t bytesPerWord = (arch.wordBits + 7) / 8;
  const double compute = static_cast<double>(m.arraySteps() * m.rfIterations());
  const double dramCycles = at(dram * bytesPerWord, arch.dram.bytesPerCycle);
  const double glbCycles = std::max(at(glbReads, arch.glb.readWordsPerCycle),
                                    at(glbWrites, arch.glb.writeWordsPerCycle));
  const double nocCycles = at(nocWords, arch.noc.wordsPerCycle);
  return std::max({compute, dramCycles, glbCycles, nocCycles}) +
         static_cast<double>(arch.dram.latencyCycles);
}

SearchResult searchMapping(const Layer& layer, const ArchSpec& arch, Dataflow dataflow,
                           const EnergyTable& table, const SearchOptions& options) {
  const ProblemShape shape = layer.shape();
  const DataflowRules rules = rulesFor(dataflow, shape);
  PerTensor<bool> rfKeeps;
  PerTensor<bool> glbKeeps;
  for (Tensor t : kAllTensors) {
    rfKeeps[t] = rules.rfKeeps[t] && arch.holds(Level::Rf, t);
    glbKeeps[t] = arch.holds(Level::Glb, t);
  }
  Searcher searcher(layer, shape, arch, rules, table, options, rfKeeps, glbKeeps);
  DimExtents full;
  full.fill(1);
  for (std::size_t i = 0; i < shape.numDims(); ++i) full[i] = shape.size(ProblemShape::dimAt(i));

  // 1. Stage A: every (spatial, RF) choice with greedy GLB loops, every DRAM order.
  struct Pair {
    std::vector<SpatialLoop> spatial;
    std::vector<Loop> rf;
    DimExtents arrayExt;
    DimExtents left;
    Scored best;
  };
  std::vector<Pair> pairs;
  for (const SpatialChoice& sc : spatialChoices(rules, arch, full)) {
    for (auto& [rf, left] : searcher.rfChoices(sc.remaining)) {
      const DimExtents arrayExt = withSpatial(sc.loops, extentsOf(rf));
      if (!searcher.fit().fits(Level::Glb, arrayExt)) continue;
      Pair p{sc.loops, rf, arrayExt, left, {}};
      const auto [glb, glbLeft] = searcher.greedyGlb(arrayExt, left);
      searcher.scoreOrders(sc.loops, rf, glb, glbLeft, p.best);
      pairs.push_back(std::move(p));
    }
  }
  if (pairs.empty()) {
    // Nothing fits unshrunk: the default mapper knows how to shrink (or says why it cannot).
    SearchResult r;
    r.mapping = defaultMapping(layer, arch, dataflow);
    const AccessCounts counts = analyticCounts(shape, arch, r.mapping);
    r.cycles = estimateCycles(layer, arch, r.mapping, counts);
    r.energy = computeEnergy(counts, Cycle(static_cast<std::uint64_t>(r.cycles)), table).total;
    r.stats = searcher.stats();
    ++r.stats.tried;
    return r;
  }

  // 2. Stage B: the best (spatial, RF) pairs get every GLB choice.
  std::vector<std::size_t> order(pairs.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return pairs[a].best.score < pairs[b].best.score;
  });
  Scored best;
  const std::int64_t triedInStageA = searcher.stats().tried;
  for (std::size_t i = 0; i < order.size(); ++i) {
    Pair& p = pairs[order[i]];
    if (!best.valid || p.best.score < best.score ||
        (p.best.score == best.score && p.best.cycles < best.cycles)) {
      best = p.best;
    }
    const bool withinBudget = searcher.stats().tried - triedInStageA < kStageBBudget;
    if (options.exhaustive || i < kFinalists || withinBudget) {
      searcher.allGlb(p.arrayExt, p.left, p.spatial, p.rf, best);
    }
  }
  SearchResult r;
  r.mapping = std::move(best.mapping);
  r.energy = best.energy;
  r.cycles = best.cycles;
  r.stats = searcher.stats();
  return r;
}

}  // namespace dfsim
