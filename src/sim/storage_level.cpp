#include "sim/storage_level.hpp"

namespace dfsim {

StorageLevel::StorageLevel(const sc_core::sc_module_name& name, const StorageLevelSpec& spec,
                           std::int64_t instances, const PerTensor<bool>& keeps,
                           const PerTensor<const BoxShape*>& tileShape,
                           const PerTensor<std::int64_t>& bytesPerWord)
    : sc_core::sc_module(name),
      spec_(spec),
      instances_(instances),
      keeps_(keeps),
      bytesPerWord_(bytesPerWord) {
  const auto n = static_cast<std::size_t>(instances);
  for (Tensor t : kAllTensors) {
    if (!keeps_[t]) continue;
    tiles_[t].resize(n);
    stamps_[t].resize(n);
    for (std::size_t i = 0; i < n; ++i) {
      tiles_[t][i].reset(tileShape[t]);
      tiles_[t][i].valid.clear();  // the generic simulator tracks no valid bits
      stamps_[t][i].assign(static_cast<std::size_t>(tileShape[t]->size), 0);
    }
    if (spec_.doubleBuffered && !spec_.offChip && t != Tensor::Outputs) {
      spares_[t].resize(n);
      for (std::size_t i = 0; i < n; ++i) {
        spares_[t][i].reset(tileShape[t]);
        spares_[t][i].valid.clear();
      }
    }
  }
  if (spec_.offChip) {
    readPorts_.emplace_back(static_cast<std::uint64_t>(spec_.bytesPerCycle),
                            static_cast<std::uint64_t>(spec_.latencyCycles));
  } else {
    readPorts_.assign(n, BandwidthPort(static_cast<std::uint64_t>(spec_.readWordsPerCycle),
                                       static_cast<std::uint64_t>(spec_.latencyCycles)));
    // A write has no latency (the 4-level simulator's GLB write port): latency is a read's.
    writePorts_.assign(n, BandwidthPort(static_cast<std::uint64_t>(spec_.writeWordsPerCycle), 0));
  }
}

Cycle StorageLevel::reserve(std::vector<BandwidthPort>& ports, std::int64_t i, Tensor t,
                            std::int64_t words, Cycle now) {
  Cycle done;
  if (spec_.offChip) {
    done = readPorts_[0].reserve(now, static_cast<std::uint64_t>(words * bytesPerWord_[t]));
  } else {
    done = ports[static_cast<std::size_t>(i)].reserve(now, static_cast<std::uint64_t>(words));
  }
  idleAt_ = max(idleAt_, done);
  return done;
}

Cycle StorageLevel::read(std::int64_t i, Tensor t, std::int64_t words, Cycle now) {
  counts_[t].reads += words;
  return reserve(readPorts_, i, t, words, now);
}

Cycle StorageLevel::write(std::int64_t i, Tensor t, std::int64_t words, Cycle now) {
  counts_[t].writes += words;
  return reserve(writePorts_, i, t, words, now);
}

void StorageLevel::appendBacklog(Cycle now, std::vector<std::uint64_t>& out) const {
  for (const BandwidthPort& p : readPorts_) out.push_back(p.backlogUnits(now));
  for (const BandwidthPort& p : writePorts_) out.push_back(p.backlogUnits(now));
  out.push_back(idleAt_ > now ? (idleAt_ - now).count() : 0);
}

void StorageLevel::carryBacklog(Cycle from, Cycle to) {
  for (BandwidthPort& p : readPorts_) p.carryBacklog(from, to);
  for (BandwidthPort& p : writePorts_) p.carryBacklog(from, to);
  if (idleAt_ > from) idleAt_ += to - from;
}

}  // namespace dfsim
