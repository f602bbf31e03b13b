#include "sim/array_noc.hpp"

#include <algorithm>

namespace dfsim {

ArrayNoc::ArrayNoc(const sc_core::sc_module_name& name, const ArchSpec& arch)
    : sc_core::sc_module(name),
      multicast_(arch.noc.multicast),
      port_(static_cast<std::uint64_t>(arch.noc.wordsPerCycle),
            static_cast<std::uint64_t>(arch.noc.hopLatencyCycles)) {}

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

std::int64_t ArrayNoc::fill(Tensor t, const Plan& plan, const TileBuffer& parent,
                            ReadWrite& parentCounts, PeArray& pes,
                            const std::vector<std::int64_t>& peBase) {
  newRound(parent.data.size());
  std::int64_t parentReads = 0;
  for (std::int64_t pe = 0; pe < pes.pes(); ++pe) {
    std::int32_t* dst = pes.rf(t, pe);
    const std::int64_t base = peBase[static_cast<std::size_t>(pe)];
    for (const auto& [local, delta] : plan) {
      const std::int64_t pi = base + delta;
      if (!multicast_ || firstSeen(pi)) ++parentReads;
      dst[local] = parent.data[static_cast<std::size_t>(pi)];
    }
  }
  const auto delivered = static_cast<std::int64_t>(plan.size()) * pes.pes();
  parentCounts.reads += parentReads;
  counts_[t].reads += delivered;
  if (pes.keeps(t)) pes.countsOf(t).writes += delivered;
  return parentReads;
}

std::int64_t ArrayNoc::fillPartials(const Plan& plan, const TileBuffer& parent,
                                    ReadWrite& parentCounts, PeArray& pes,
                                    const std::vector<std::int64_t>& peBase) {
  const Tensor t = Tensor::Outputs;
  newRound(parent.data.size());
  std::int64_t returned = 0;
  for (std::int64_t pe = 0; pe < pes.pes(); ++pe) {
    std::int32_t* dst = pes.rf(t, pe);
    const std::int64_t base = peBase[static_cast<std::size_t>(pe)];
    for (const auto& [local, delta] : plan) {
      const std::int64_t pi = base + delta;
      if (parent.valid[static_cast<std::size_t>(pi)] && firstSeen(pi)) {
        dst[local] = parent.data[static_cast<std::size_t>(pi)];
        ++returned;
      } else {
        dst[local] = 0;
      }
    }
  }
  parentCounts.reads += returned;
  counts_[t].reads += returned;
  if (pes.keeps(t)) pes.countsOf(t).writes += returned;
  return returned;
}

std::int64_t ArrayNoc::drain(const Plan& plan, TileBuffer& parent, ReadWrite& parentCounts,
                             PeArray& pes, const std::vector<std::int64_t>& peBase) {
  const Tensor t = Tensor::Outputs;
  newRound(parent.data.size());
  std::int64_t written = 0;
  for (std::int64_t pe = 0; pe < pes.pes(); ++pe) {
    const std::int32_t* src = pes.rf(t, pe);
    const std::int64_t base = peBase[static_cast<std::size_t>(pe)];
    for (const auto& [local, delta] : plan) {
      const auto pi = static_cast<std::size_t>(base + delta);
      if (firstSeen(static_cast<std::int64_t>(pi))) {
        parent.data[pi] = src[local];
        parent.valid[pi] = 1;
        ++written;
      } else {
        parent.data[pi] += src[local];  // reduced in the array, on the way to the parent
      }
    }
  }
  const auto sent = static_cast<std::int64_t>(plan.size()) * pes.pes();
  parentCounts.writes += written;
  counts_[t].writes += sent;
  if (pes.keeps(t)) pes.countsOf(t).reads += sent;
  return written;
}

}  // namespace dfsim
