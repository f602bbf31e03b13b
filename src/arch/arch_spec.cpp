#include "arch/arch_spec.hpp"

#include "arch/arch_equality.hpp"

namespace dfsim {

namespace {
const std::vector<StoragePartition>& partitionsOf(const ArchSpec& a, Level l) {
  return l == Level::Rf ? a.rf.partitions : a.glb.partitions;
}
}  // namespace

bool ArchSpec::holds(Level l, Tensor t) const {
  return capacityWords(l, t) > 0;
}

std::int64_t ArchSpec::capacityWords(Level l, Tensor t) const {
  if (l != Level::Rf && l != Level::Glb) return 0;
  for (const StoragePartition& p : partitionsOf(*this, l)) {
    if (p.tensors[t]) return p.capacityWords;
  }
  return 0;
}

std::int64_t ArchSpec::bitsIn(const StoragePartition& p,
                              const PerTensor<std::int64_t>& words) const {
  std::int64_t bits = 0;
  for (Tensor t : kAllTensors) {
    if (p.tensors[t]) bits += words[t] * bitsOf(t);
  }
  return bits;
}

bool ArchSpec::fits(const StoragePartition& p, const PerTensor<std::int64_t>& words) const {
  return bitsIn(p, words) <= p.capacityWords * wordBits;
}

}  // namespace dfsim

namespace dfsim {

namespace {

PerTensor<std::int64_t> archBits(const ArchSpec& a) {
  PerTensor<std::int64_t> bits{};
  for (Tensor t : kAllTensors) bits[t] = a.bitsOf(t);
  return bits;
}

HierarchyEntry storageEntry(StorageLevelSpec s) {
  HierarchyEntry e;
  e.kind = HierarchyEntry::Kind::Storage;
  e.storage = std::move(s);
  return e;
}

}  // namespace

Hierarchy ArchSpec::hierarchy() const {
  if (!isFourLevel()) return general;
  const PerTensor<std::int64_t> bits = archBits(*this);
  Hierarchy h;
  StorageLevelSpec d;
  d.name = levelNames[0];
  d.offChip = true;
  d.bytesPerCycle = dram.bytesPerCycle;
  d.latencyCycles = dram.latencyCycles;
  d.dramTiming = dram.timing;
  d.tensorBits = bits;
  h.entries.push_back(storageEntry(d));

  StorageLevelSpec g;
  g.name = levelNames[1];
  g.partitions = glb.partitions;
  g.readWordsPerCycle = glb.readWordsPerCycle;
  g.writeWordsPerCycle = glb.writeWordsPerCycle;
  g.latencyCycles = glb.latencyCycles;
  g.doubleBuffered = glb.doubleBuffered;
  g.haloReuse = glb.haloReuse;
  g.tensorBits = bits;
  h.entries.push_back(storageEntry(g));

  HierarchyEntry f;
  f.kind = HierarchyEntry::Kind::FanOut;
  f.fanOut.name = levelNames[2];
  f.fanOut.rows = rows;
  f.fanOut.cols = cols;
  f.fanOut.wordsPerCycle = noc.wordsPerCycle;
  f.fanOut.multicast = noc.multicast;
  f.fanOut.hopLatencyCycles = noc.hopLatencyCycles;
  f.fanOut.network = noc.network;
  h.entries.push_back(f);

  StorageLevelSpec r;
  r.name = levelNames[3];
  r.partitions = rf.partitions;
  r.haloReuse = rf.haloReuse;
  r.tensorBits = bits;
  h.entries.push_back(storageEntry(r));
  return h;
}

void setHierarchy(ArchSpec& a, const Hierarchy& h) {
  // 1. Every storage level states its widths (0: the arch's).
  Hierarchy full = h;
  const PerTensor<std::int64_t> bits = archBits(a);
  for (HierarchyEntry& e : full.entries) {
    if (e.kind != HierarchyEntry::Kind::Storage) continue;
    for (Tensor t : kAllTensors) {
      if (e.storage.tensorBits[t] <= 0) e.storage.tensorBits[t] = bits[t];
    }
  }
  // 2. The 4-level view, kept when it states all of `full` (its hierarchy() gives `full` back).
  if (full.isFourLevel()) {
    ArchSpec legacy = a;
    legacy.general.entries.clear();
    const StorageLevelSpec& d = full.entries[0].storage;
    const StorageLevelSpec& g = full.entries[1].storage;
    const FanOutSpec& f = full.entries[2].fanOut;
    const StorageLevelSpec& r = full.entries[3].storage;
    legacy.levelNames = {d.name, g.name, f.name, r.name};
    legacy.dram.bytesPerCycle = d.bytesPerCycle;
    legacy.dram.latencyCycles = d.latencyCycles;
    legacy.dram.timing = d.dramTiming;
    legacy.glb.partitions = g.partitions;
    legacy.glb.readWordsPerCycle = g.readWordsPerCycle;
    legacy.glb.writeWordsPerCycle = g.writeWordsPerCycle;
    legacy.glb.latencyCycles = g.latencyCycles;
    legacy.glb.doubleBuffered = g.doubleBuffered;
    legacy.glb.haloReuse = g.haloReuse;
    legacy.rows = f.rows;
    legacy.cols = f.cols;
    legacy.noc.wordsPerCycle = f.wordsPerCycle;
    legacy.noc.multicast = f.multicast;
    legacy.noc.hopLatencyCycles = f.hopLatencyCycles;
    legacy.noc.network = f.network;
    legacy.rf.partitions = r.partitions;
    legacy.rf.haloReuse = r.haloReuse;
    if (legacy.hierarchy() == full) {
      a = legacy;
      return;
    }
  }
  a.general = full;
}

}  // namespace dfsim
