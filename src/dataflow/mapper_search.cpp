#include "dataflow/mapper_search.hpp"

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "common/errors.hpp"
#include "dataflow/capacity_fit.hpp"
#include "dataflow/dataflow_rules.hpp"
#include "dataflow/default_mapper.hpp"
#include "dataflow/finalist_board.hpp"
#include "energy/energy_breakdown.hpp"
#include "mapping/analytic_model.hpp"
#include "mapping/ragged_nest.hpp"
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

/// estimateCycles with the layer's shape and the mapping's nonEmptySteps given (the search
/// scores several DRAM orders of one factor choice, which share them).
double cycleEstimate(const ArchSpec& arch, const Mapping& m, const AccessCounts& c,
                     std::int64_t steps) {
  auto at = [&](std::int64_t words, std::int64_t perCycle) {
    return perCycle == kUnlimited ? 0.0
                                  : static_cast<double>(words) / static_cast<double>(perCycle);
  };
  std::int64_t dramBytes = 0;  // each tensor's words at its width
  std::int64_t glbReads = 0;
  std::int64_t glbWrites = 0;
  std::int64_t nocWords = 0;  // a network per tensor: the largest tensor's words
  const bool perTensor = arch.noc.network == NetworkKind::PerTensor;
  for (Tensor t : kAllTensors) {
    dramBytes += (c(Level::Dram, t).reads + c(Level::Dram, t).writes) * arch.dramBytesPerWord(t);
    glbReads += c(Level::Glb, t).reads;
    glbWrites += c(Level::Glb, t).writes;
    const std::int64_t words = c(Level::Glb, t).reads + c(Level::Glb, t).writes;
    nocWords = perTensor ? std::max(nocWords, words) : nocWords + words;
  }
  // Empty array steps (beyond a ragged edge) take no time; every active PE runs every RF
  // iteration (the RF tile divides each dimension).
  const double compute = static_cast<double>(steps * m.rfIterations());
  const double dramCycles = at(dramBytes, arch.dram.bytesPerCycle);
  const double glbCycles = std::max(at(glbReads, arch.glb.readWordsPerCycle),
                                    at(glbWrites, arch.glb.writeWordsPerCycle));
  const double nocCycles = at(nocWords, arch.noc.wordsPerCycle);
  return std::max({compute, dramCycles, glbCycles, nocCycles}) +
         static_cast<double>(arch.dram.latencyCycles);
}

/// Every way to give `dims` factors of the counts `remaining` with a product <= `size` (one
/// axis), each factor one of splitFactors(count, ..., tiling).
void axisChoices(const std::vector<Dim>& dims, std::int64_t size, Axis axis,
                 const DimExtents& remaining, const std::vector<Dim>& fullySpread, Tiling tiling,
                 std::vector<std::pair<std::vector<SpatialLoop>, DimExtents>>& out) {
  std::vector<SpatialLoop> loops;
  DimExtents left = remaining;
  auto dfs = [&](auto&& self, std::size_t i, std::int64_t used) -> void {
    if (i == dims.size()) {
      out.emplace_back(loops, left);
      return;
    }
    const Dim d = dims[i];
    const std::int64_t n = left[idx(d)];
    const std::vector<std::int64_t> divs = splitFactors(n, size / used, tiling);
    const bool forced = std::find(fullySpread.begin(), fullySpread.end(), d) != fullySpread.end();
    for (std::int64_t f : divs) {
      if (forced && f != divs.back()) continue;
      if (f > 1) loops.push_back({d, f, axis});
      left[idx(d)] = ceilDiv(n, f);
      self(self, i + 1, used * f);
      left[idx(d)] = n;
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

/// The spatial choices of `rules` on `arch` (both axis roles unless fixed), legal under the
/// ragged rules, the most PE-hungry first (at most kMaxSpatial, none below half the best).
std::vector<SpatialChoice> spatialChoices(const DataflowRules& rules, const ArchSpec& arch,
                                          const DimExtents& full, Tiling tiling) {
  DimExtents ones;
  ones.fill(1);
  std::vector<SpatialChoice> all;
  for (int swap = 0; swap < (rules.fixedAxes ? 1 : 2); ++swap) {
    const Axis first = swap ? Axis::Cols : Axis::Rows;
    const Axis second = swap ? Axis::Rows : Axis::Cols;
    const std::int64_t firstSize = swap ? arch.cols : arch.rows;
    const std::int64_t secondSize = swap ? arch.rows : arch.cols;
    std::vector<std::pair<std::vector<SpatialLoop>, DimExtents>> a;
    axisChoices(rules.rowDims, firstSize, first, full, rules.fullySpread, tiling, a);
    for (const auto& [rowLoops, rowLeft] : a) {
      std::vector<std::pair<std::vector<SpatialLoop>, DimExtents>> b;
      axisChoices(rules.colDims, secondSize, second, rowLeft, rules.fullySpread, tiling, b);
      for (const auto& [colLoops, left] : b) {
        SpatialChoice c;
        c.loops.reserve(rowLoops.size() + colLoops.size());
        for (const SpatialLoop& l : rowLoops) c.loops.push_back(l);
        for (const SpatialLoop& l : colLoops) c.loops.push_back(l);
        // Two loops over one dimension (one per axis): the counts above gave each its factor,
        // the nest order decides whether the outer one has an iteration always beyond the
        // edge. (A perfect choice always passes.)
        if (!spatialLegal(c.loops, ones, full)) continue;
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

/// `arch` with halo reuse off at every level.
ArchSpec withoutHalo(ArchSpec arch) {
  arch.glb.haloReuse = false;
  arch.rf.haloReuse = false;
  return arch;
}

/// Turns the counts of `m` without halo savings into a lower bound of its counts with the halo
/// reuse of `arch`. Halo reuse only shortens the transfers of weights and inputs into a level
/// that has it (entering the RF: its writes, the NoC's reads and the parent's reads; entering
/// the GLB: its writes and DRAM's reads; analytic_model.cpp), and none of those can fall below
/// `footprint[t]`, the words of t that some MAC reads: each of them enters the level at least
/// once. So each of those counts becomes min(count, footprint).
void boundHaloTransfers(const ArchSpec& arch, const Mapping& m,
                        const PerTensor<std::int64_t>& footprint, AccessCounts& c) {
  for (Tensor t : {Tensor::Weights, Tensor::Inputs}) {
    const std::int64_t least = footprint[t];
    auto bound = [least](std::int64_t& count) { count = std::min(count, least); };
    if (arch.rf.haloReuse && m.rfKeeps[t]) {
      bound(c(Level::Rf, t).writes);
      bound(c(Level::Noc, t).reads);
      bound(c(m.glbKeeps[t] ? Level::Glb : Level::Dram, t).reads);
    }
    if (arch.glb.haloReuse && m.glbKeeps[t]) {
      bound(c(Level::Glb, t).writes);
      bound(c(Level::Dram, t).reads);
    }
  }
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
  Searcher(const ProblemShape& shape, const ArchSpec& arch, const DataflowRules& rules,
           const EnergyTable& table, const SearchOptions& options, PerTensor<bool> rfKeeps,
           PerTensor<bool> glbKeeps)
      : shape_(shape),
        full_(dimSizes(shape)),
        dramOrders_(stationaryOrders(shape)),
        arch_(arch),
        rules_(rules),
        table_(table),
        options_(options),
        fit_{shape, arch, rfKeeps, glbKeeps},
        halo_(options.boundHalo && (arch.glb.haloReuse || arch.rf.haloReuse)),
        archNoHalo_(withoutHalo(arch)),
        board_(options.objective, options.finalists) {
    for (Tensor t : kAllTensors) footprint_[t] = tileWords(shape, t, full_);
  }

  /// RF factor choices for the rule's RF dims under spatial choice `sc`, each fitting the RF,
  /// with the counts of array tiles left per dim. Perfect: factors of what the spatial loops
  /// leave. Ragged: factors of the full dims (the RF tile divides each dim) that keep the
  /// spatial loops legal.
  std::vector<std::pair<std::vector<Loop>, DimExtents>> rfChoices(const SpatialChoice& sc) {
    std::vector<std::pair<std::vector<Loop>, DimExtents>> out;
    DimExtents ones;
    ones.fill(1);
    const bool ragged = options_.tiling == Tiling::Ragged;
    const DimExtents spatialExt = withSpatial(sc.loops, ones);
    forEachFactorChoice(
        rules_.rfInnerFirst, ones, ragged ? full_ : sc.remaining, Level::Rf, false, Tiling::Perfect,
        [&](const DimExtents& ext) { return !ragged || spatialLegal(sc.loops, ext, full_); },
        [&] { return out.size() == kMaxRfPerSpatial; },
        [&](std::vector<Loop> loops, const DimExtents& left) {
          if (!ragged) {
            out.emplace_back(std::move(loops), left);
            return;
          }
          const DimExtents rfExt = extentsOf(loops);
          DimExtents counts;
          for (std::size_t i = 0; i < counts.size(); ++i) {
            counts[i] = ceilDiv(full_[i], spatialExt[i] * rfExt[i]);
          }
          out.emplace_back(std::move(loops), counts);
        });
    return out;
  }

  /// Starts scoring the candidates of new spatial and RF loops (the analytic model's memo keeps
  /// what they share).
  void newPair() { memo_.clear(); }

  /// Scores every DRAM order for one full choice of spatial, RF and GLB loops. Contract: the
  /// spatial and RF loops are those of the last newPair().
  /// With `prune`, a candidate whose lower bound (consider) cannot beat `best` is counted but
  /// not scored exactly: the winner is the same as without.
  void scoreOrders(const std::vector<SpatialLoop>& spatial, const std::vector<Loop>& rf,
                   const std::vector<Loop>& glb, const DimExtents& left, Scored& best, bool prune) {
    // One scratch mapping for every order (no allocation per candidate once it has grown).
    scratch_.rfKeeps = fit_.rfKeeps;
    scratch_.glbKeeps = fit_.glbKeeps;
    scratch_.spatialLoops = spatial;
    scratch_.rfLoops = rf;
    scratch_.glbLoops = glb;
    std::int64_t steps = 0;  // the same for every order: the DRAM loops' bounds do not change
    memo_.newOuterLoops();   // the orders form one outer group of the analytic model's memo
    for (const std::vector<Dim>& order : dramOrders_) {
      scratch_.dramLoops.clear();
      for (Dim d : order) {
        if (left[idx(d)] > 1) scratch_.dramLoops.push_back({d, left[idx(d)]});
      }
      consider(scratch_, best, steps, prune);
    }
  }

  /// splitFactors(n, n, tiling), memoised (the enumeration asks for the same counts again and
  /// again). The reference stays valid while the searcher lives (node-based map).
  const std::vector<std::int64_t>& factorsOf(std::int64_t n, Tiling tiling) {
    std::map<std::int64_t, std::vector<std::int64_t>>& memo =
        tiling == Tiling::Perfect ? perfectFactors_ : raggedFactors_;
    auto it = memo.find(n);
    if (it == memo.end()) it = memo.emplace(n, splitFactors(n, n, tiling)).first;
    return it->second;
  }

  /// The GLB loops (outermost first) grown greedily as the default mapper does, over the
  /// counts `left` of array tiles.
  std::pair<std::vector<Loop>, DimExtents> greedyGlb(const DimExtents& arrayExt, DimExtents left) {
    DimExtents ext = arrayExt;
    std::vector<Loop> innerFirst;
    for (Dim d : rules_.glbInnerFirst) {
      const std::int64_t n = left[idx(d)];
      const std::vector<std::int64_t>& divs = factorsOf(n, options_.tiling);
      for (auto it = divs.rbegin(); it != divs.rend(); ++it) {
        DimExtents e = ext;
        e[idx(d)] *= *it;
        if (*it == 1 || fit_.fits(Level::Glb, e)) {
          if (*it > 1) innerFirst.push_back({d, *it});
          ext = e;
          left[idx(d)] = ceilDiv(n, *it);
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
    newPair();
    forEachFactorChoice(
        rules_.glbInnerFirst, arrayExt, remaining, Level::Glb, true, options_.tiling,
        [](const DimExtents&) { return true; },
        [&] { return !options_.exhaustive && choices == kMaxGlbChoices; },
        [&](std::vector<Loop> loops, const DimExtents& left) {
          ++choices;
          scoreOrders(spatial, rf, loops, left, best, true);
        });
  }

  /// Calls leaf(loops outermost first, what is left of each count) for every choice of one
  /// factor per dim of `dims` (innermost first), each one of splitFactors(what is left of its
  /// count, ..., tiling) (what is left becomes the ceil of the count over the factor), such that
  /// `ext` times the factors chosen so far fits `level` (a factor of 1 always counts as fitting
  /// when `oneFits`) and satisfies legal(). Descends no further once stop() is true.
  template <typename Legal, typename Stop, typename Leaf>
  void forEachFactorChoice(const std::vector<Dim>& dims, DimExtents ext, DimExtents left,
                           Level level, bool oneFits, Tiling tiling, Legal&& legal, Stop&& stop,
                           Leaf&& leaf) {
    std::vector<Loop> innerFirst;
    auto dfs = [&](auto&& self, std::size_t i) -> void {
      if (stop()) return;
      if (i == dims.size()) {
        leaf(std::vector<Loop>(innerFirst.rbegin(), innerFirst.rend()), left);
        return;
      }
      const Dim d = dims[i];
      const std::int64_t n = left[idx(d)];
      for (std::int64_t f : factorsOf(n, tiling)) {
        ext[idx(d)] *= f;
        if (((oneFits && f == 1) || fit_.fits(level, ext)) && legal(ext)) {
          if (f > 1) innerFirst.push_back({d, f});
          left[idx(d)] = ceilDiv(n, f);
          self(self, i + 1);
          left[idx(d)] = n;
          if (f > 1) innerFirst.pop_back();
        }
        ext[idx(d)] /= f;
      }
    };
    dfs(dfs, 0);
  }

  /// Scores `m` (one of the group of memo_; `steps`: its nonEmptySteps, the same for the group,
  /// or 0, then set from the memo's loop table) and keeps a copy in `best` when it wins. With
  /// `prune` and halo reuse somewhere, a lower bound comes first (boundHaloTransfers): when it is
  /// above best's score, `m` cannot win and its halo savings are never computed.
  void consider(const Mapping& m, Scored& best, std::int64_t& steps, bool prune) {
    ++stats_.tried;
    if (prune && halo_ && best.valid) {
      AccessCounts bound = analyticCounts(shape_, archNoHalo_, m, memo_);
      if (steps == 0) steps = nonEmptySteps(shape_, memo_.table());
      boundHaloTransfers(arch_, m, footprint_, bound);
      const Priced least = scoreOf(bound, m, steps);
      if (least.score > best.score && !board_.couldEnter(least.energy, least.cycles)) {
        ++stats_.pruned;
        return;
      }
    }
    const AccessCounts counts = analyticCounts(shape_, arch_, m, memo_);
    if (steps == 0) steps = nonEmptySteps(shape_, memo_.table());
    const Priced p = scoreOf(counts, m, steps);
    board_.offer(m, p.energy, p.cycles, [&] { return renderLoopNest(shape_, m); });
    if (!best.valid || p.score < best.score || (p.score == best.score && p.cycles < best.cycles)) {
      best.mapping = m;
      best.energy = p.energy;
      best.cycles = p.cycles;
      best.score = p.score;
      best.valid = true;
    }
  }

  /// A candidate's cycle estimate, energy and objective score.
  struct Priced {
    double cycles = 0.0;
    double energy = 0.0;
    double score = 0.0;
  };

  /// `m` priced from counts `c`. Each figure is non-decreasing in every count: the costs are
  /// >= 0, and the estimate is a maximum of sums of counts.
  Priced scoreOf(const AccessCounts& c, const Mapping& m, std::int64_t steps) const {
    Priced p;
    p.cycles = cycleEstimate(arch_, m, c, steps);
    p.energy = energyTotal(c, Cycle(static_cast<std::uint64_t>(p.cycles)), table_);
    p.score = p.energy;
    if (options_.objective == Objective::Cycles) p.score = p.cycles;
    if (options_.objective == Objective::Edp) p.score = p.energy * p.cycles;
    return p;
  }

  const CapacityFit& fit() const { return fit_; }
  const FinalistBoard<Mapping>& board() const { return board_; }
  const SearchStats& stats() const { return stats_; }
  const DimExtents& full() const { return full_; }

 private:
  const ProblemShape& shape_;
  const DimExtents full_;
  const std::vector<std::vector<Dim>> dramOrders_;
  const ArchSpec& arch_;
  const DataflowRules& rules_;
  const EnergyTable& table_;
  const SearchOptions& options_;
  CapacityFit fit_;
  SearchStats stats_;
  Mapping scratch_;
  CountsMemo memo_;
  const bool halo_;            ///< some level of arch_ has halo reuse, and options_.boundHalo
  const ArchSpec archNoHalo_;  ///< arch_ with no halo reuse (the lower bound's counts)
  PerTensor<std::int64_t> footprint_;  ///< per tensor, the words some MAC reads
  std::map<std::int64_t, std::vector<std::int64_t>> perfectFactors_;
  std::map<std::int64_t, std::vector<std::int64_t>> raggedFactors_;
  FinalistBoard<Mapping> board_;  ///< the finalists (inactive unless options_.finalists > 1)
};

}  // namespace

std::vector<std::vector<Dim>> stationaryOrders(const ProblemShape& shape) {
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
  return cycleEstimate(arch, m, c, nonEmptySteps(layer.shape(), m));
}

double estimateCycles(const ArchSpec& arch, const Mapping& m, const AccessCounts& counts,
                      std::int64_t steps) {
  return cycleEstimate(arch, m, counts, steps);
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
  Searcher searcher(shape, arch, rules, table, options, rfKeeps, glbKeeps);
  const DimExtents& full = searcher.full();

  // 1. Stage A: every (spatial, RF) choice with greedy GLB loops, every DRAM order.
  struct Pair {
    std::vector<SpatialLoop> spatial;
    std::vector<Loop> rf;
    DimExtents arrayExt;
    DimExtents left;
    Scored best;
  };
  std::vector<Pair> pairs;
  for (const SpatialChoice& sc : spatialChoices(rules, arch, full, options.tiling)) {
    for (auto& [rf, left] : searcher.rfChoices(sc)) {
      const DimExtents arrayExt = withSpatial(sc.loops, extentsOf(rf));
      if (!searcher.fit().fits(Level::Glb, arrayExt)) continue;
      Pair p{sc.loops, rf, arrayExt, left, {}};
      const auto [glb, glbLeft] = searcher.greedyGlb(arrayExt, left);
      searcher.newPair();
      searcher.scoreOrders(sc.loops, rf, glb, glbLeft, p.best, false);
      pairs.push_back(std::move(p));
    }
  }
  if (pairs.empty()) {
    // Nothing fits unshrunk: the default mapper knows how to shrink (or says why it cannot).
    SearchResult r;
    r.mapping = defaultMapping(layer, arch, dataflow, options.tiling);
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
  if (searcher.board().active()) r.finalists = searcher.board().finalists();
  return r;
}

}  // namespace dfsim
