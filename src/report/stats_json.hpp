#pragma once

#include <nlohmann/json.hpp>

#include "report/layer_stats.hpp"

namespace dfsim {

/// `counts` as stats.json's "accesses": {unit: "words", <level>: {<tensor>: {reads, writes}}}
/// for every entry named in `levels` (outermost first; counts indexed by entry).
nlohmann::json accessesJson(const AccessCounts& counts, const std::vector<std::string>& levels);
/// `e` as stats.json's "energy": {unit, total, mac, leakage, by_level, by_tensor,
/// by_level_tensor}, levels named by `levels`.
nlohmann::json energyJson(const EnergyBreakdown& e, const std::string& unit,
                          const std::vector<std::string>& levels);

/// The machine-readable result of a run (written as stats.json). Layout:
///
///   run:    {dfsim_version, network, arch, clock_mhz, energy_table: {name, unit}}
///   layers: one object per layer x dataflow, in run order:
///           {name, type, dataflow, batch, macs,
///            cycles: {total, compute, stall_dram, stall_glb, stall_noc},
///            active_pes, total_pes, utilization (fraction in [0, 1]),
///            accesses: {unit: "words", dram|glb|noc|rf: {weights|inputs|outputs: {reads,
///            writes}}}, energy: {unit, total, mac, leakage, by_level: {dram, glb, noc, rf},
///                     by_tensor: {weights, inputs, outputs}},
///            check ("passed" | "not run"), mapping (loop-nest text)}
///   totals: one object per dataflow (first-appearance order), from totalFor():
///           {dataflow, batch, macs, cycles, active_pes_mean (MAC-weighted), total_pes,
///            utilization, accesses, energy, check}
///   unmapped: with `dfsim run --unmappable skip` only: [{layer, dataflow, reason}], the layers
///             the rules could not map (no row in layers, not in totals)
///
/// Deterministic: the same RunStats gives the same JSON (no wall time, no timestamps, no
/// environment). Keys are sorted (nlohmann::json's object order).
nlohmann::json statsToJson(const RunStats& run);

/// The dataflows of `run`'s simulated layers (not "-"), in order of first appearance.
std::vector<std::string> dataflowsOf(const RunStats& run);

}  // namespace dfsim
