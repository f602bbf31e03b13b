#include "sim/storage_level.hpp"

#include <algorithm>
#include <string>

#include "common/errors.hpp"

namespace dfsim {

StorageLevel::StorageLevel(const sc_core::sc_module_name& name, const StorageLevelSpec& spec,
                           std::int64_t instances, const PerTensor<bool>& keeps,
                           const PerTensor<const BoxShape*>& tileShape,
                           const PerTensor<std::int64_t>& bytesPerWord, double clockMhz)
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
    dram_ = makeDramModel(spec_.dramTiming, spec_.bytesPerCycle, spec_.latencyCycles, clockMhz);
    addressed_ = dram_->usesAddresses();
    const auto align =
        static_cast<std::uint64_t>(spec_.dramTiming.rowBytes * spec_.dramTiming.banks);
    std::uint64_t next = 0;
    for (Tensor t : kAllTensors) {
      base_[t] = next;
      const auto bytes = static_cast<std::uint64_t>(tileShape[t]->size * bytesPerWord_[t]);
      next = (next + bytes + align - 1) / align * align;
    }
    std::int64_t largest = 0;
    for (Tensor t : kAllTensors) largest = std::max(largest, tileShape[t]->size);
    if (addressed_) noted_.reserve(static_cast<std::size_t>(largest));
  } else {
    readPorts_.assign(n, BandwidthPort(static_cast<std::uint64_t>(spec_.readWordsPerCycle),
                                       static_cast<std::uint64_t>(spec_.latencyCycles)));
    // A write has no latency (the 4-level simulator's GLB write port): latency is a read's.
    writePorts_.assign(n, BandwidthPort(static_cast<std::uint64_t>(spec_.writeWordsPerCycle), 0));
  }
}

Cycle StorageLevel::issueNoted(Tensor t, std::int64_t words, Cycle now, bool write) {
  if (static_cast<std::int64_t>(noted_.size()) != words) {
    throw InternalError("DRAM " + spec_.name + ": a transfer of " + std::to_string(words) +
                        " words of " + std::string(tensorName(t)) + " came with " +
                        std::to_string(noted_.size()) + " noted words");
  }
  std::sort(noted_.begin(), noted_.end());
  const auto step = static_cast<std::uint64_t>(bytesPerWord_[t]);
  Cycle done = now;
  std::size_t j = 0;
  while (j < noted_.size()) {
    std::size_t end = j + 1;
    while (end < noted_.size() && noted_[end] == noted_[end - 1] + step) ++end;
    done = max(done, dram_->access(now, noted_[j], (end - j) * step, write));
    j = end;
  }
  noted_.clear();
  return done;
}

Cycle StorageLevel::reserve(std::vector<BandwidthPort>& ports, std::int64_t i, Tensor t,
                            std::int64_t words, Cycle now, bool write) {
  Cycle done;
  if (spec_.offChip) {
    done = addressed_
               ? issueNoted(t, words, now, write)
               : dram_->access(now, 0, static_cast<std::uint64_t>(words * bytesPerWord_[t]), write);
  } else {
    done = ports[static_cast<std::size_t>(i)].reserve(now, static_cast<std::uint64_t>(words));
  }
  idleAt_ = max(idleAt_, done);
  return done;
}

Cycle StorageLevel::read(std::int64_t i, Tensor t, std::int64_t words, Cycle now) {
  counts_[t].reads += words;
  return reserve(readPorts_, i, t, words, now, false);
}

Cycle StorageLevel::write(std::int64_t i, Tensor t, std::int64_t words, Cycle now) {
  counts_[t].writes += words;
  return reserve(writePorts_, i, t, words, now, true);
}

void StorageLevel::appendBacklog(Cycle now, std::vector<std::uint64_t>& out) const {
  if (dram_ != nullptr) dram_->appendBacklog(now, out);
  for (const BandwidthPort& p : readPorts_) out.push_back(p.backlogUnits(now));
  for (const BandwidthPort& p : writePorts_) out.push_back(p.backlogUnits(now));
  out.push_back(idleAt_ > now ? (idleAt_ - now).count() : 0);
}

void StorageLevel::carryBacklog(Cycle from, Cycle to) {
  if (dram_ != nullptr) dram_->carryBacklog(from, to);
  for (BandwidthPort& p : readPorts_) p.carryBacklog(from, to);
  for (BandwidthPort& p : writePorts_) p.carryBacklog(from, to);
  if (idleAt_ > from) idleAt_ += to - from;
}

}  // namespace dfsim
