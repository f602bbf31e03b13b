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
/// (WS's systolic delay line, OS_A's and OS_B's shift registers) rather than reading them from
/// a buffer for every MAC: they map
/// onto a hierarchy with one more level than the preset, a line buffer of inputs only between
/// the level the ifmaps come from and the array's fan-out (docs/design/paper_mode.md "The line
/// buffer"). Its reads fan out to the PEs (the framework's array count, one per MAC) and, with
/// halo reuse, it keeps the rows the next ofmap row needs, so the source reads each word once
/// per pass (WS: DRAM once per group of t filters; OS_A: the GLB once per filter; OS_B: the
/// GLB once per pass of p filters). Built: WS, OS_A, OS_B.

/// Name of the line-buffer level in the view (reports call it so).
inline constexpr const char* kLineBufferName = "line_buffer";

/// Whether paper mode maps `d` onto the line-buffer view (isca16LineBufferView) rather than the
/// 4-level one (isca16View): WS, OS_A and OS_B.
bool isca16UsesLineBuffer(Dataflow d);

/// The view paper mode maps `d` (isca16UsesLineBuffer) onto, from the 4-level `arch`: entries
/// dram, glb, line_buffer, the fan-out, rf (the arch's names but the new level's), outermost
/// first. DRAM, the fan-out's ports and the RF are `arch`'s, the fan-out flat (1 x rows*cols:
/// the framework bounds only the product of the spatial factors). The GLB keeps what `d`
/// keeps there (WS: psums only; OS_A, OS_B: weights and ifmaps) in one partition of the arch's GLB
/// words, with its ports, latency and double buffering, no halo reuse; the line buffer inputs
/// only (that capacity too: WS's row-delay term is part of the GLB's in the framework, whose
/// sum isca16LineBufferProblem checks), unlimited ports, no latency, halo reuse for WS (the
/// delay line slides down the ofmap rows), none for OS_A and OS_B (one channel of the GLB's
/// tile at a time); the RF its partitions, halo reuse off. Throws InputError naming `archPath` when
/// `arch` is not the 4-level instance or its GLB or RF holds no partition for a tensor `d`
/// keeps there.
ArchSpec isca16LineBufferView(const ArchSpec& arch, Dataflow d, const std::string& archPath);

/// `fourLevel` (an energy table resolved for the 4-level arch the view was made from) in the
/// view's entry order, the line buffer's reads and writes priced 0: the framework charges the
/// delay line nothing (its ifmap traffic is the array's, one transfer per MAC, which the
/// fan-out carries) and never charges a fill.
EnergyTable isca16LineBufferTable(const EnergyTable& fourLevel, const ArchSpec& view);

/// Empty when `v` is a legal assignment of `d`'s variables (WS: r, t, f; OS_A: m, n, e, f;
/// OS_B: m, n, p, f; the others 1) for `layer` on `view` (an isca16LineBufferView); otherwise the
/// first rule it breaks, e.g. "r*t*R*S = 270 > PEs = 256". The framework's rules (w = U (f - 1) +
/// S, h = U (e - 1) + R): WS r <= C, t <= M, f <= F, r t R S <= J, N t E F + r t (w - S)(R - 1) <=
/// Q words; OS_A m <= M, n <= N, e <= E, f <= F, n e f <= J, m C R S + n C h w <= Q words; OS_B m
/// <= M, n <= N, p <= m, f <= F, p n f <= J, m C R S + n C R w <= Q words; plus dfsim's: the line
/// buffer's tile fits it, and OS_B's m is a multiple of p or M (its GLB tile holds whole array
/// passes).
std::string isca16LineBufferProblem(const Layer& layer, const ArchSpec& view, Dataflow d,
                                    const Isca16Variables& v);

/// The loop nest of `d` with variables `v` on the line-buffer view (README "Paper mode"). WS:
/// DRAM: groups, filters by t, channels by r (each weight loaded into its PE once); GLB: the
/// images, the ofmap strips of f columns, the E ofmap rows (the line buffer slides down them);
/// line buffer: the f columns of a strip, spatially r channels x t filters x R x S (one weight
/// per PE); RF: nothing (one MAC per step). OS_A: DRAM: groups, filters by m, images by n,
/// ofmap rows by e, columns by f (each GLB tile fetched whole: the framework's 2-D halo
/// factors); GLB: the m filters, then the C channels (a filter's pass sends each word of the
/// tile once, a channel at a time, to the line buffer); line buffer: R, S, spatially
/// n x e x f (one ofmap pixel per PE); RF: the psum. OS_B: DRAM: groups, the GLB passes of m
/// filters, images by n, every ofmap row (a GLB tile of R ifmap rows: no vertical reuse),
/// columns by f; GLB: the m/p array passes, then C; line buffer: R, S, spatially p filters x
/// n x f; RF: the psum. Contract: isca16LineBufferProblem is empty.
LoopNest isca16LineBufferNest(const Layer& layer, Dataflow d, const Isca16Variables& v);

/// Calls `visit` with every legal assignment of `d`'s variables for `layer` on `view`, in a
/// fixed order (WS: t, then r, from the most PEs down, then f from F down; OS_A: n, e, f from
/// the most PEs down; OS_B: p, n, f likewise). Every f (and OS_A's n, e, OS_B's n) is visited:
/// dfsim's counts depend on them through both the tile counts and the tiles' extents. OS_A's m:
/// only the smallest m with the fewest filter passes that fits the GLB, OS_B's likewise among the
/// multiples of p (fewer passes lower the DRAM ifmap reads and change no other count).
void forEachIsca16LineBufferCandidate(const Layer& layer, const ArchSpec& view, Dataflow d,
                                      const std::function<void(const Isca16Variables&)>& visit);

}  // namespace dfsim
