#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "arch/arch_spec.hpp"
#include "common/access_counts.hpp"
#include "dataflow/dataflow.hpp"
#include "energy/energy_table.hpp"
#include "mapping/mapping.hpp"
#include "workload/layer.hpp"

namespace dfsim {

/// The mapping variables of the ISCA 2016 framework (`ominux/eyeriss-dataflow`, "ISCA final";
/// docs/design/isca16_framework.md), in its symbols: a dataflow uses some of them
/// (isca16VariableNames) and leaves the others at 1. Per group of a grouped layer (the
/// framework's C and M are per group).
struct Isca16Variables {
  std::int64_t m = 1;  ///< filters per GLB pass (RS: psums of m filters; OS_C, NLR: weights)
  std::int64_t n = 1;  ///< images per GLB pass (OS_C: images side by side on the array)
  std::int64_t e = 1;  ///< ofmap rows per GLB tile (NLR)
  std::int64_t f = 1;  ///< ofmap columns per GLB tile (RS: per PE set; NLR)
  std::int64_t p = 1;  ///< filters per PE (RS) or side by side on the array (OS_C, NLR)
  std::int64_t q = 1;  ///< channels per PE (RS) or reduced across the array (NLR)
  std::int64_t r = 1;  ///< channel groups on different PE sets (RS)
  std::int64_t t = 1;  ///< filter groups on different PE sets (RS)

  bool operator==(const Isca16Variables& o) const {
    return m == o.m && n == o.n && e == o.e && f == o.f && p == o.p && q == o.q && r == o.r &&
           t == o.t;
  }
};

/// Whether `--rules isca16` has the rules of `d`: RS, OS_C and NLR map onto the 4-level
/// hierarchy as the framework defines them, WS, OS_A and OS_B onto it with a line buffer of
/// inputs added (isca16_line_buffer.hpp: the framework's systolic delay line and shift
/// registers). All six.
bool isca16Built(Dataflow d);

/// The framework's variables of `d`, in its order, space-separated ("m n f p q r t" for RS).
std::string isca16VariableNames(Dataflow d);

/// The variables of `d` with their values, in isca16VariableNames order.
std::vector<std::pair<std::string, std::int64_t>> isca16VariableList(Dataflow d,
                                                                     const Isca16Variables& v);

/// "m=16 n=4 f=13 p=4 q=2 r=1 t=4": the variables of `d` with their values.
std::string renderIsca16Variables(Dataflow d, const Isca16Variables& v);

/// The arch paper mode maps `d` onto: `arch` with its rows x cols PEs seen as one row (the
/// framework has J PEs and no 2-D shape: logical PE sets fold onto the physical array, as the
/// chip folds them, so only the product of the spatial factors is bounded) and the halo
/// reuse the framework's counts have: RS keeps its ifmap window in the RF as it slides down the
/// ofmap (RF on) and refetches strip halos from DRAM (GLB off); OS_C and NLR reuse no window
/// (both off). Everything else (capacities, widths, ports) is `arch`'s. For WS, OS_A and OS_B
/// (isca16UsesLineBuffer) the view is isca16LineBufferView, not a 4-level arch. Throws
/// InputError naming `archPath` when `arch` is not the 4-level instance or `d` is not built.
ArchSpec isca16View(const ArchSpec& arch, Dataflow d, const std::string& archPath);

/// The table paper mode prices `d` with on `view` (isca16View(arch, d, ...)), from
/// `fourLevel` (the run's table, resolved for the 4-level arch the view was made from): on a
/// line-buffer view isca16LineBufferTable; for NLR the NoC's weight deliveries priced 0, as
/// the framework charges NLR's weights no array access (every MAC's weight is one GLB read, the
/// array traffic it counts is the ifmaps' and the psums'); else `fourLevel`. The counts stay
/// what moves: the NoC still carries NLR's weights (the oracle's named difference [nlr-w]).
EnergyTable isca16Table(const EnergyTable& fourLevel, const ArchSpec& view, Dataflow d);

/// Empty when `v` is a legal assignment of `d`'s variables for `layer` on `view` (an
/// isca16View): the framework's bounds and constraints (capacities as dfsim's validation
/// checks them: each partition's tiles in bits), plus what dfsim's loop nest needs (named
/// differences: RS's p divides M and q divides C, the RF factors of a ragged nest; m is a
/// multiple of the filters one array pass covers, p*t for RS and p otherwise, or M).
/// Otherwise the first violated rule, e.g. "S*f*r*t = 264 > 256 PEs". WS's rules:
/// isca16LineBufferProblem (`view` its line-buffer view).
std::string isca16Problem(const Layer& layer, const ArchSpec& view, Dataflow d,
                          const Isca16Variables& v);

/// The loop nest of `d` with variables `v` (README "Paper mode" lists each dataflow's nest).
/// Contract: isca16Problem(layer, view, d, v) is empty and `d` maps onto the 4-level view
/// (not isca16UsesLineBuffer: isca16LineBufferNest builds those).
Mapping isca16Mapping(const Layer& layer, Dataflow d, const Isca16Variables& v);

/// isca16Mapping(layer, d, v) written into `m` (every field set; its loop lists' storage is
/// reused, so a search that builds one candidate after another allocates nothing). Same
/// contract.
void isca16MappingInto(const Layer& layer, Dataflow d, const Isca16Variables& v, Mapping& m);

/// Whether assignments `a` and `b` of `d`'s variables give the same spatial and RF loops (and
/// keeps): they differ only in the GLB and DRAM loops (RS: same f, p, q, r, t; OS_C: same n, p;
/// NLR: same p, q). forEachIsca16Candidate visits such assignments one after another.
bool isca16SameArrayLoops(Dataflow d, const Isca16Variables& a, const Isca16Variables& b);

/// A lower bound of the counts of every assignment of `d`'s variables with the same spatial
/// and RF loops as one whose counts are `counts` (isca16SameArrayLoops) on the same view:
/// `counts` with the transfers the GLB and DRAM loops can change cut to
/// `footprint[t]`, the words of tensor t some MAC reads, each of which makes every move at
/// least once. Those transfers are the weights' and inputs' DRAM reads and GLB writes and, for
/// RS, the weights' NoC deliveries and RF writes (they come from DRAM) and, when an image has
/// one ofmap row (E = 1: n then decides whether a PE's ifmap window outlives a pass of the
/// filters), the inputs' GLB reads, NoC deliveries and RF writes. Everything else (the MAC
/// accesses, every psum count, the other GLB->array transfers) follows from the spatial and RF
/// loops, the keeps and the channel passes, which the group shares: the paper nests put every
/// GLB and DRAM loop those counts could see at the same place whatever their bounds.
AccessCounts isca16GroupBound(const Layer& layer, Dataflow d, AccessCounts counts,
                              const PerTensor<std::int64_t>& footprint);

/// Calls `visit` with every legal assignment of `d`'s variables for `layer` on `view`, in a
/// fixed order. Values of a variable that only tiles time at the GLB (RS and NLR's n, e, f;
/// every dataflow's m) and that give the same tile count (ceil(N/n), ...) are visited once, at
/// the smallest such value, which fits whenever a larger one does: the framework's objective
/// depends on them only through those counts and the capacities, and so do dfsim's counts (a
/// ragged nest's counts depend on a tiling only through its tile counts and extents). Unless
/// `everyM`, only the largest m that fits is visited for each assignment of the others: fewer
/// DRAM passes of the filters lower every count that m changes, and change no other. WS:
/// forEachIsca16LineBufferCandidate.
void forEachIsca16Candidate(const Layer& layer, const ArchSpec& view, Dataflow d, bool everyM,
                            const std::function<void(const Isca16Variables&)>& visit);

}  // namespace dfsim
