#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "common/cycle.hpp"
#include "common/ids.hpp"

namespace dfsim {

/// What a span of a trace (`dfsim run --trace FILE`) records.
///
/// The array's spans (Compute, the three stalls, MeshLoad, MeshSkew, Skipped) tile the run's
/// time: they follow each other without gap or overlap from cycle 0 to the run's last cycle,
/// and each kind's durations add up to its part of the cycle breakdown (Skipped: the time of
/// the steps applied at once, whatever it was made of). The other kinds are transfers, booked
/// by one boundary (parent -> child level of one tensor) at one step; they overlap each other
/// and the array's spans as the step model lets them.
enum class TraceKind : std::uint8_t {
  Compute,       ///< a step's innermost iterations, one cycle each
  StallDram,     ///< the array waited, DRAM's bus finished last
  StallOnChip,   ///< the array waited, an on-chip storage port finished last
  StallNetwork,  ///< the array waited, a network finished last (bandwidth or hop latency)
  MeshLoad,      ///< a systolic fold: waiting for the tiles to shift in (a network stall)
  MeshSkew,      ///< a systolic fold: the wavefront's skew and drain (a network stall)
  Skipped,       ///< steps that skipping ahead applied at once (fast mode)
  Drain,         ///< the innermost level's psums (or the latches' last ones) sent up, waited
  WriteBack,     ///< a level's output tiles written back to its parent, posted
  Fill,          ///< a level's new tiles (or those taken from the spare a prefetch filled)
  Prefetch,      ///< a double-buffered level's next tiles filled into its spares
  Stream,        ///< operands and psums streamed through the latches during a step's compute
};

/// The name of a kind in a trace file ("compute", "stall_dram", ..., "stream").
const char* traceKindName(TraceKind k);

/// One span of simulated time.
struct TraceSpan {
  Cycle begin;
  Cycle end;              ///< begin <= end
  std::int64_t step = 0;  ///< the step it belongs to: 0-based among the steps run or skipped
  /// Transfers: the words the receiving side wrote (a fill's or prefetch's child writes, a
  /// drain's or write-back's parent writes; latch streams: the parent's reads and writes).
  /// Skipped: the steps applied at once. Otherwise 0.
  std::int64_t words = 0;
  TraceKind kind = TraceKind::Compute;
  /// Stalls: the phase the array waited in (Drain, Fill or Stream; WriteBack at the run's
  /// end, waiting for DRAM to take the last words). Otherwise the span's own kind.
  TraceKind phase = TraceKind::Compute;
  /// A storage level (0 = the outermost): fills and prefetches, the receiving level; drains
  /// and write-backs, the sending one; streams, the level the latch reads and writes; stalls,
  /// the level of their phase; compute and mesh spans, the innermost level; else 0.
  std::uint8_t level = 0;
  Tensor tensor = Tensor::Weights;  ///< transfers only
  bool hasTensor = false;           ///< whether `tensor` applies
};

/// The spans of one simulated layer, in the order the simulator recorded them, bounded.
///
/// Contract: `record` keeps a span while fewer than `limit` are kept and counts it as dropped
/// otherwise (never allocating beyond the capacity reserved at construction); the simulator
/// records at most a bounded number of spans per step. The simulator sets `levelNames` (the
/// storage levels, outermost first); whoever asks for the trace sets `layer` and `dataflow`;
/// both are only carried to the writer.
class TraceLog {
 public:
  /// Reserves room for `limit` spans (limit >= 1).
  explicit TraceLog(std::size_t limit);

  void record(const TraceSpan& s) {
    if (spans_.size() < limit_) {
      spans_.push_back(s);
    } else {
      ++dropped_;
    }
  }
  const std::vector<TraceSpan>& spans() const { return spans_; }
  /// Spans not kept because the limit was reached.
  std::int64_t dropped() const { return dropped_; }
  std::size_t limit() const { return limit_; }

  std::vector<std::string> levelNames;  ///< storage levels, outermost first
  std::string layer;
  std::string dataflow;

 private:
  std::size_t limit_;
  std::vector<TraceSpan> spans_;
  std::int64_t dropped_ = 0;
};

}  // namespace dfsim
