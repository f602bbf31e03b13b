#pragma once

#include <functional>
#include <string>

#include "arch/arch_spec.hpp"
#include "dataflow/dataflow.hpp"
#include "dataflow/isca16_rules.hpp"
#include "energy/energy_table.hpp"
#include "mapping/loop_nest.hpp"
#include "workload/layer.hpp"

namespace dfsim {

/// The paper rules of the dataflows whose ifmaps the ISCA 2016 framework moves between PEs
/// (WS's systolic delay line) rather than reading them from a buffer for every MAC: they map
/// onto a hierarchy with one more level than the preset, a line buffer of inputs only between
/// the level the ifmaps come from and the array's fan-out (docs/design/paper_mode.md "The line
/// buffer"). Its reads fan out to the PEs (the framework's array count, one per MAC) and, with
/// halo reuse, it keeps the rows the next ofmap row needs, so the source reads each word once
/// per pass. Built: WS.

/// Name of the line-buffer level in the view (reports call it so).
inline constexpr const char* kLineBufferName = "line_buffer";

/// Whether paper mode maps `d` onto the line-buffer view (isca16LineBufferView) rather than the
/// 4-level one (isca16View): WS.
bool isca16UsesLineBuffer(Dataflow d);

/// The view paper mode maps `d` (isca16UsesLineBuffer) onto, from the 4-level `arch`: entries
/// dram, glb, line_buffer, the fan-out, rf (the arch's names but the new level's), outermost
/// first. DRAM, the fan-out's ports and the RF are `arch`'s, the fan-out flat (1 x rows*cols:
/// the framework bounds only the product of the spatial factors); WS's GLB keeps psums only
/// (one partition of the arch's GLB words, its ports, latency and double buffering), its line
/// buffer inputs only (that capacity too, the framework's row-delay term being part of the
/// GLB's: isca16LineBufferProblem checks the framework's sum), unlimited ports, no latency,
/// halo reuse on; the RF its partitions, halo reuse off. Throws InputError naming `archPath`
/// when `arch` is not the 4-level instance, its GLB holds no psums or its RF no weights.
ArchSpec isca16LineBufferView(const ArchSpec& arch, Dataflow d, const std::string& archPath);

/// `fourLevel` (an energy table resolved for the 4-level arch the view was made from) in the
/// view's entry order, the line buffer's reads and writes priced 0: the framework charges the
/// delay line nothing (its ifmap traffic is the array's, one transfer per MAC, which the
/// fan-out carries) and never charges a fill.
EnergyTable isca16LineBufferTable(const EnergyTable& fourLevel, const ArchSpec& view);

/// Empty when `v` is a legal assignment of `d`'s variables (WS: r, t, f; the others 1) for
/// `layer` on `view` (an isca16LineBufferView); otherwise the first rule it breaks, e.g.
/// "r*t*R*S = 270 > PEs = 256". WS's rules are the framework's: r <= C, t <= M, f <= F,
/// r t R S <= J, N t E F + r t (w - S)(R - 1) <= Q words (w = U (f - 1) + S), plus dfsim's:
/// the line buffer's tile of r channels x R rows x w columns fits it.
std::string isca16LineBufferProblem(const Layer& layer, const ArchSpec& view, Dataflow d,
                                    const Isca16Variables& v);

/// The loop nest of `d` with variables `v` on the line-buffer view (README "Paper mode"). WS:
/// DRAM: groups, filters by t, channels by r (each weight loaded into its PE once); GLB: the
/// images, the ofmap strips of f columns, the E ofmap rows (the line buffer slides down them);
/// line buffer: the f columns of a strip, spatially r channels x t filters x R x S (one weight
/// per PE); RF: nothing (one MAC per step). Contract: isca16LineBufferProblem is empty.
LoopNest isca16LineBufferNest(const Layer& layer, Dataflow d, const Isca16Variables& v);

/// Calls `visit` with every legal assignment of `d`'s variables for `layer` on `view`, in a
/// fixed order (WS: t, then r, from the most PEs down, then f from F down). Every f is visited:
/// dfsim's counts depend on f through both the strip count and the strips' widths.
void forEachIsca16LineBufferCandidate(const Layer& layer, const ArchSpec& view, Dataflow d,
                                      const std::function<void(const Isca16Variables&)>& visit);

}  // namespace dfsim
