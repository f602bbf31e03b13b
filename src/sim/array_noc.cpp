#include "sim/array_noc.hpp"

#include <algorithm>

namespace dfsim {

ArrayNoc::ArrayNoc(const sc_core::sc_module_name& name, const ArchSpec& arch, bool functional)
    : sc_core::sc_module(name),
      multicast_(arch.noc.multicast),
      functional_(functional),
      port_(static_cast<std::uint64_t>(arch.noc.wordsPerCycle),
            static_cast<std::uint64_t>(arch.noc.hopLatencyCycles)) {
  reserveStepKinds(1);
}

void ArrayNoc::reserveStepKinds(std::size_t kinds) {
  memo_.assign(kMemosPerKind * kinds, Memo{});
}

ArrayNoc::Plan ArrayNoc::makePlan(const BoxShape& rfShape, const BoxShape& parentShape) {
  Plan plan;
  plan.reserve(static_cast<std::size_t>(rfShape.touchedWords));
  forEachTouched(rfShape, [&](const AxisVector& off) {
    plan.emplace_back(static_cast<std::int32_t>(rfShape.index(off)), parentShape.index(off));
  });
  return plan;
}

void ArrayNoc::reserveParent(std::int64_t parentWords) {
  if (stamp_.size() < static_cast<std::size_t>(parentWords)) {
    stamp_.resize(static_cast<std::size_t>(parentWords), 0);
  }
}

void ArrayNoc::newRound(std::size_t size) {
  if (++round_ == 0) {  // wrapped: clear the marks once every 2^32 rounds
    std::fill(stamp_.begin(), stamp_.begin() + static_cast<std::ptrdiff_t>(size), 0u);
    round_ = 1;
  }
}

std::int64_t ArrayNoc::fill(Tensor t, Route route, const Plan& plan, const TileBuffer& parent,
                            ReadWrite& parentCounts, PeArray& pes,
                            const std::vector<std::int64_t>& peBase, const StepKind& kind) {
  const auto delivered =
      static_cast<std::int64_t>(plan.size()) * static_cast<std::int64_t>(kind.pes.size());
  Memo& m = memo(t, route, kFill, kind);
  std::int64_t parentReads = 0;
  if (!functional_ && m.known) {
    parentReads = m.parentWords;
  } else {
    newRound(parent.data.size());
    for (std::int64_t pe : kind.pes) {
      std::int32_t* dst = pes.rf(t, pe);
      const std::int64_t base = peBase[static_cast<std::size_t>(pe)];
      for (const auto& [local, delta] : plan) {
        const std::int64_t pi = base + delta;
        if (!multicast_ || firstSeen(pi)) ++parentReads;
        dst[local] = parent.data[static_cast<std::size_t>(pi)];
      }
    }
    m.known = true;
    m.parentWords = parentReads;
  }
  parentCounts.reads += parentReads;
  counts_[t].reads += delivered;
  if (pes.keeps(t)) pes.countsOf(t).writes += delivered;
  return parentReads;
}

std::int64_t ArrayNoc::replayFills(Tensor t, Route route, std::int64_t times,
                                   std::int64_t wordsPerPe, ReadWrite& parentCounts, PeArray& pes,
                                   const StepKind& kind) {
  const std::int64_t parentReads = memo(t, route, kFill, kind).parentWords * times;
  const std::int64_t delivered = wordsPerPe * static_cast<std::int64_t>(kind.pes.size()) * times;
  parentCounts.reads += parentReads;
  counts_[t].reads += delivered;
  if (pes.keeps(t)) pes.countsOf(t).writes += delivered;
  return parentReads;
}

std::int64_t ArrayNoc::fillPartials(Route route, const Plan& plan, const TileBuffer& parent,
                                    ReadWrite& parentCounts, PeArray& pes,
                                    const std::vector<std::int64_t>& peBase, const StepKind& kind) {
  const Tensor t = Tensor::Outputs;
  Memo& m = memo(t, route, kPartials, kind);
  std::int64_t returned = 0;
  if (!functional_ && m.known) {
    // A visited output tile was drained whole, so it holds partials everywhere or nowhere.
    const auto first = static_cast<std::size_t>(peBase[0] + plan.front().second);
    returned = parent.valid[first] ? m.parentWords : 0;
  } else {
    newRound(parent.data.size());
    std::int64_t distinct = 0;
    for (std::int64_t pe : kind.pes) {
      std::int32_t* dst = pes.rf(t, pe);
      const std::int64_t base = peBase[static_cast<std::size_t>(pe)];
      for (const auto& [local, delta] : plan) {
        const std::int64_t pi = base + delta;
        const bool first = firstSeen(pi);
        distinct += first ? 1 : 0;
        if (parent.valid[static_cast<std::size_t>(pi)] && first) {
          dst[local] = parent.data[static_cast<std::size_t>(pi)];
          ++returned;
        } else {
          dst[local] = 0;
        }
      }
    }
    // Only a visit that found partials everywhere or nowhere teaches the fast mode anything.
    if (returned == 0 || returned == distinct) {
      m.known = true;
      m.parentWords = distinct;
    }
  }
  parentCounts.reads += returned;
  counts_[t].reads += returned;
  if (pes.keeps(t)) pes.countsOf(t).writes += returned;
  return returned;
}

std::int64_t ArrayNoc::drain(Route route, const Plan& plan, TileBuffer& parent,
                             ReadWrite& parentCounts, PeArray& pes,
                             const std::vector<std::int64_t>& peBase, const StepKind& kind) {
  const Tensor t = Tensor::Outputs;
  Memo& m = memo(t, route, kDrain, kind);
  const auto sent =
      static_cast<std::int64_t>(plan.size()) * static_cast<std::int64_t>(kind.pes.size());
  const std::int64_t origin = peBase[0] + plan.front().second;
  std::int64_t written = 0;
  if (!functional_ && m.known) {
    for (std::int64_t off : m.distinctOffsets) {
      parent.valid[static_cast<std::size_t>(origin + off)] = 1;
      logMark(origin + off);
    }
    written = static_cast<std::int64_t>(m.distinctOffsets.size());
  } else {
    newRound(parent.data.size());
    m.distinctOffsets.clear();
    for (std::int64_t pe : kind.pes) {
      const std::int32_t* src = pes.rf(t, pe);
      const std::int64_t base = peBase[static_cast<std::size_t>(pe)];
      for (const auto& [local, delta] : plan) {
        const auto pi = static_cast<std::size_t>(base + delta);
        if (firstSeen(static_cast<std::int64_t>(pi))) {
          parent.data[pi] = src[local];
          parent.valid[pi] = 1;
          logMark(static_cast<std::int64_t>(pi));
          ++written;
          if (!functional_) m.distinctOffsets.push_back(static_cast<std::int64_t>(pi) - origin);
        } else {
          parent.data[pi] += src[local];  // reduced in the array, on the way to the parent
        }
      }
    }
    m.known = !functional_;
  }
  parentCounts.writes += written;
  counts_[t].writes += sent;
  if (pes.keeps(t)) pes.countsOf(t).reads += sent;
  return written;
}

}  // namespace dfsim
