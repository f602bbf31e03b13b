#pragma once

#include <cstdint>
#include <string>

#include "arch/arch_spec.hpp"
#include "common/access_counts.hpp"
#include "common/cycle_breakdown.hpp"
#include "common/trace_log.hpp"
#include "mapping/mapping.hpp"
#include "sim/dram_model.hpp"
#include "workload/layer.hpp"

namespace dfsim {

/// How to simulate one layer.
struct SimOptions {
  std::uint64_t seed = 1;  ///< seed of the pseudo-random weights and inputs
  bool check = false;      ///< compare every output with the reference convolution
  /// false (fast mode): count and time without computing values; the counts and cycles are
  /// those of the functional run (a test checks it), and `check` must be false.
  bool functional = true;
  /// Fast mode only: skip ahead over iterations of a GLB loop once they repeat exactly
  /// (Controller::skipAhead); the counts and cycles are those of stepping through them (a test
  /// checks it). false steps through every array step.
  bool skipRepeats = true;
  /// When set, the run's spans are recorded into it (TraceLog's contract; the hierarchy
  /// simulator records them, so simulateLayer hands a traced run to simulateHierarchy, whose
  /// counts and cycles equal its own). Not owned; it outlives the call.
  TraceLog* trace = nullptr;
};

/// What one simulated layer produced.
struct SimResult {
  CycleBreakdown cycles;
  AccessCounts counts;  ///< bumped by the modules as words moved
  std::int64_t activePes = 0;
  bool checked = false;  ///< true when --check compared every output and all matched
  /// When --check found an output that differs from the reference convolution: which word,
  /// what the simulator computed and what the reference gives (empty otherwise). The caller
  /// decides what a mismatch means (dfsim run makes it an internal error, exit 1).
  std::string checkMismatch;
  std::int64_t stepsSkipped = 0;  ///< array steps applied at once by skipping ahead (fast mode)
  DramRowStats dramRows;  ///< the DRAM model's row hits, misses and conflicts (zero without rows)
};

/// Elaborates the SystemC model for `arch`, runs `layer` under `mapping` to completion and
/// returns cycles and counts. Contract: `mapping` passed validateMapping() for (layer, arch).
/// When `options.check` finds an output that differs from the reference convolution,
/// `checked` is false and `checkMismatch` says where; no exception (one thrown after a run
/// would unwind across what AddressSanitizer takes for SystemC's coroutine stacks and give
/// false reports in the sanitized build). Safe to call repeatedly in one process (each call
/// uses a fresh sc_simcontext).
SimResult simulateLayer(const Layer& layer, const ArchSpec& arch, const Mapping& mapping,
                        const SimOptions& options);
/// The same with the problem shape given: the simulator moves and computes by `shape`'s
/// projections and extents, while the tensor data and the reference convolution come from
/// `layer`. Contract: `shape` is layer.shape() (tests pass a deliberately wrong one to show
/// that the functional check catches it) and `mapping` passed validateMapping() for it.
SimResult simulateLayer(const Layer& layer, const ProblemShape& shape, const ArchSpec& arch,
                        const Mapping& mapping, const SimOptions& options);

}  // namespace dfsim
