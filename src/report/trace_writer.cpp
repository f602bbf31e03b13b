#include "report/trace_writer.hpp"

#include <cstdint>
#include <map>
#include <sstream>
#include <tuple>
#include <vector>

#include <nlohmann/json.hpp>

namespace dfsim {

namespace {

/// Whether a span tiles the array's time (thread 1) rather than being a transfer.
bool onArray(TraceKind k) {
  switch (k) {
    case TraceKind::Compute:
    case TraceKind::StallDram:
    case TraceKind::StallOnChip:
    case TraceKind::StallNetwork:
    case TraceKind::MeshLoad:
    case TraceKind::MeshSkew:
    case TraceKind::Skipped:
      return true;
    default:
      return false;
  }
}

bool isStall(TraceKind k) {
  return k == TraceKind::StallDram || k == TraceKind::StallOnChip || k == TraceKind::StallNetwork;
}

std::string levelNameOf(const TraceLog& log, std::uint8_t level) {
  return level < log.levelNames.size() ? log.levelNames[level] : "level" + std::to_string(level);
}

}  // namespace

std::string traceToChromeJson(const TraceLog& log) {
  // Written as text, one event per line: a trace of a million spans would take gigabytes as
  // a JSON tree.
  std::ostringstream os;
  auto quoted = [](const std::string& text) { return nlohmann::json(text).dump(); };
  bool firstEvent = true;
  auto next = [&]() -> std::ostringstream& {  // starts an event
    os << (firstEvent ? "" : ",\n");
    firstEvent = false;
    return os;
  };
  auto threadName = [&](std::int64_t tid, const std::string& name) {
    next() << "{\"name\":\"thread_name\",\"ph\":\"M\",\"pid\":1,\"tid\":" << tid
           << ",\"args\":{\"name\":" << quoted(name) << "}}";
    next() << "{\"name\":\"thread_sort_index\",\"ph\":\"M\",\"pid\":1,\"tid\":" << tid
           << ",\"args\":{\"sort_index\":" << tid << "}}";
  };
  os << "{\"displayTimeUnit\":\"ns\",\n\"otherData\":{\"tool\":\"dfsim\",\"layer\":"
     << quoted(log.layer) << ",\"dataflow\":" << quoted(log.dataflow)
     << ",\"time_unit\":\"cycles (a viewer's 1 us is one cycle)\",\"spans\":" << log.spans().size()
     << ",\"spans_dropped\":" << log.dropped() << ",\"limit\":" << log.limit()
     << "},\n\"traceEvents\":[\n";
  next() << "{\"name\":\"process_name\",\"ph\":\"M\",\"pid\":1,\"args\":{\"name\":"
         << quoted("dfsim " + log.layer + " " + log.dataflow) << "}}";
  threadName(1, "array");
  // Transfer threads: one per (level, tensor, kind), lanes where spans overlap.
  using Key = std::tuple<std::uint8_t, std::uint8_t, std::uint8_t>;
  std::map<Key, std::vector<std::uint64_t>> laneEnds;  // per track: each lane's last end
  std::map<std::pair<Key, std::size_t>, std::int64_t> tids;
  Cycle last{};
  for (const TraceSpan& s : log.spans()) {
    last = max(last, s.end);
    std::int64_t tid = 1;
    std::string name = traceKindName(s.kind);
    if (isStall(s.kind)) {
      name += std::string(" (") + traceKindName(s.phase) + " " + levelNameOf(log, s.level) + ")";
    }
    if (!onArray(s.kind)) {
      const Key key{s.level, static_cast<std::uint8_t>(s.tensor),
                    static_cast<std::uint8_t>(s.kind)};
      std::vector<std::uint64_t>& lanes = laneEnds[key];
      std::size_t lane = 0;
      while (lane < lanes.size() && lanes[lane] > s.begin.count()) ++lane;
      if (lane == lanes.size()) lanes.push_back(0);
      lanes[lane] = s.end.count();
      auto it = tids.find({key, lane});
      if (it == tids.end()) {
        const auto id = static_cast<std::int64_t>(2 + tids.size());
        it = tids.emplace(std::make_pair(key, lane), id).first;
        std::string track = levelNameOf(log, s.level) + " " + std::string(tensorName(s.tensor)) +
                            " " + traceKindName(s.kind);
        if (lane > 0) track += " (lane " + std::to_string(lane + 1) + ")";
        threadName(id, track);
      }
      tid = it->second;
      name += " " + std::string(tensorName(s.tensor));
    }
    next() << "{\"name\":\"" << name << "\",\"cat\":\"" << traceKindName(s.kind)
           << "\",\"ph\":\"X\",\"ts\":" << s.begin.count()
           << ",\"dur\":" << (s.end - s.begin).count() << ",\"pid\":1,\"tid\":" << tid
           << ",\"args\":{\"step\":" << s.step;
    if (s.kind == TraceKind::Skipped) {
      os << ",\"steps\":" << s.words;
    } else {
      os << ",\"words\":" << s.words;
    }
    if (isStall(s.kind)) {
      os << ",\"phase\":\"" << traceKindName(s.phase)
         << "\",\"level\":" << quoted(levelNameOf(log, s.level));
    }
    os << "}}";
  }
  if (log.dropped() > 0) {
    next() << "{\"name\":\"truncated\",\"ph\":\"i\",\"s\":\"g\",\"ts\":" << last.count()
           << ",\"pid\":1,\"tid\":1,\"args\":{\"spans_dropped\":" << log.dropped()
           << ",\"limit\":" << log.limit() << "}}";
  }
  os << "\n]}\n";
  return os.str();
}

std::string traceToCsv(const TraceLog& log) {
  std::ostringstream os;
  os << "begin_cycle,end_cycle,kind,phase,level,tensor,step,words\n";
  Cycle last{};
  for (const TraceSpan& s : log.spans()) {
    last = max(last, s.end);
    os << s.begin.count() << ',' << s.end.count() << ',' << traceKindName(s.kind) << ','
       << traceKindName(s.phase) << ',' << levelNameOf(log, s.level) << ','
       << (s.hasTensor ? tensorName(s.tensor) : std::string_view()) << ',' << s.step << ','
       << s.words << '\n';
  }
  if (log.dropped() > 0) {
    os << last.count() << ',' << last.count() << ",truncated,truncated,,,," << log.dropped()
       << '\n';
  }
  return os.str();
}

}  // namespace dfsim
