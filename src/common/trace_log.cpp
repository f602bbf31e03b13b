#include "common/trace_log.hpp"

#include "common/errors.hpp"

namespace dfsim {

const char* traceKindName(TraceKind k) {
  switch (k) {
    case TraceKind::Compute:
      return "compute";
    case TraceKind::StallDram:
      return "stall_dram";
    case TraceKind::StallOnChip:
      return "stall_on_chip";
    case TraceKind::StallNetwork:
      return "stall_network";
    case TraceKind::MeshLoad:
      return "mesh_load";
    case TraceKind::MeshSkew:
      return "mesh_skew";
    case TraceKind::Skipped:
      return "skipped";
    case TraceKind::Drain:
      return "drain";
    case TraceKind::WriteBack:
      return "write_back";
    case TraceKind::Fill:
      return "fill";
    case TraceKind::Prefetch:
      return "prefetch";
    case TraceKind::Stream:
      return "stream";
  }
  return "?";
}

TraceLog::TraceLog(std::size_t limit) : limit_(limit) {
  if (limit == 0) throw InternalError("TraceLog: a limit of at least one span");
  spans_.reserve(limit);
}

}  // namespace dfsim
