#pragma once

#include <ostream>

#include "report/layer_stats.hpp"

namespace dfsim {

/// Prints a run for a human: a title line; one row per layer x dataflow (layer, dataflow, MACs,
/// cycles, utilisation %, active PEs, word accesses at DRAM / GLB / NoC / RF summed over the
/// three tensors, energy and energy per MAC in the run's unit); a TOTAL row per dataflow (from
/// totalFor(), so its active PEs are the MAC-weighted mean); the layers the rules could not map
/// (RunStats::unmapped), one line each, when there are any; a line saying how many rows passed
/// the reference check, when any did; and, when the run holds more than one dataflow, a
/// per-dataflow summary: energy per MAC by level (ALU, RF, NoC, GLB, DRAM, and leakage when
/// non-zero), DRAM accesses per MAC, cycles and mean active PEs.
/// Counts below ten million print with thousands separators, larger ones as 1.23e+08.
void printRunTable(std::ostream& os, const RunStats& run);

}  // namespace dfsim
