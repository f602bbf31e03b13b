#pragma once

#include <string>

#include "common/trace_log.hpp"

namespace dfsim {

/// The trace in Chrome's trace-event JSON, which Perfetto (ui.perfetto.dev) and chrome://tracing
/// open. Time stamps are cycles: the viewers read them as microseconds, so "1 us" on screen is
/// one cycle (`otherData.time_unit` says so). One process; thread 1, "array", holds the spans
/// that tile the run's time (compute, the stalls by cause with their phase, the mesh's, skipped
/// steps); every other thread is the transfers of one (level, tensor, kind) ("glb weights
/// fill"), spread over numbered lanes where they overlap, so no two spans of one thread
/// overlap. Each span's `args`: step, words, and for stalls the phase and its level. A trace
/// that reached its limit ends with an instant event "truncated" whose args say how many spans
/// were dropped; `otherData` has the layer, dataflow, spans kept and dropped, and the limit.
std::string traceToChromeJson(const TraceLog& log);

/// The trace as CSV, one span per line in the order recorded, header
/// `begin_cycle,end_cycle,kind,phase,level,tensor,step,words` (phase: a stall's phase, else the
/// kind; level: a storage level's name; tensor: empty unless a transfer). A trace that reached
/// its limit ends with one line of kind "truncated" whose words are the spans dropped.
std::string traceToCsv(const TraceLog& log);

}  // namespace dfsim
