#pragma once

#include <string>
#include <vector>

#include "report/layer_stats.hpp"

namespace dfsim {

/// The CSV columns, in order: layer, type, dataflow, batch, macs, cycles, cycles_compute,
/// cycles_stall_dram, cycles_stall_glb, cycles_stall_noc, active_pes, total_pes, utilization,
/// energy_total, energy_mac, energy_<level> per level, energy_leakage, energy_weights,
/// energy_inputs, energy_outputs, then <level>_<tensor>_<reads|writes> per level, tensor in
/// (weights, inputs, outputs); `levels` are the arch's entries by name, outermost first (the
/// 4-level instance: dram, glb, noc, rf: energy_dram, ..., dram_weights_reads, ...).
std::vector<std::string> layersCsvColumns(const std::vector<std::string>& levels = {"dram", "glb",
                                                                                    "noc", "rf"});

/// The layers of a run as CSV (written as layers.csv): the header, then one row per
/// layer x dataflow in run order. Integers print plainly, doubles as "%.10g"; utilization is a
/// fraction in [0, 1]; energy is in the run's energy unit; accesses are in words. Fields are
/// quoted per RFC 4180 when they hold a comma, a quote or a line break. Lines end with "\n".
/// Deterministic: the same RunStats gives the same bytes.
std::string layersCsv(const RunStats& run);

}  // namespace dfsim
