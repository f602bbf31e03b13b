#include "arch/arch_equality.hpp"

namespace dfsim {

bool operator==(const StoragePartition& a, const StoragePartition& b) {
  return a.tensors == b.tensors && a.capacityWords == b.capacityWords;
}

bool operator==(const StorageLevelSpec& a, const StorageLevelSpec& b) {
  return a.name == b.name && a.offChip == b.offChip && a.partitions == b.partitions &&
         a.readWordsPerCycle == b.readWordsPerCycle &&
         a.writeWordsPerCycle == b.writeWordsPerCycle && a.bytesPerCycle == b.bytesPerCycle &&
         a.latencyCycles == b.latencyCycles && a.doubleBuffered == b.doubleBuffered &&
         a.haloReuse == b.haloReuse && a.tensorBits == b.tensorBits && a.dramTiming == b.dramTiming;
}

bool operator==(const FanOutSpec& a, const FanOutSpec& b) {
  return a.name == b.name && a.rows == b.rows && a.cols == b.cols &&
         a.wordsPerCycle == b.wordsPerCycle && a.multicast == b.multicast &&
         a.hopLatencyCycles == b.hopLatencyCycles && a.unreducedDims == b.unreducedDims &&
         a.network == b.network;
}

bool operator==(const HierarchyEntry& a, const HierarchyEntry& b) {
  if (a.kind != b.kind) return false;
  return a.kind == HierarchyEntry::Kind::Storage ? a.storage == b.storage : a.fanOut == b.fanOut;
}

bool operator==(const Hierarchy& a, const Hierarchy& b) {
  return a.entries == b.entries;
}

bool operator==(const ArchSpec& a, const ArchSpec& b) {
  return a.name == b.name && a.rows == b.rows && a.cols == b.cols &&
         a.rf.partitions == b.rf.partitions && a.glb.partitions == b.glb.partitions &&
         a.glb.readWordsPerCycle == b.glb.readWordsPerCycle &&
         a.glb.writeWordsPerCycle == b.glb.writeWordsPerCycle &&
         a.glb.latencyCycles == b.glb.latencyCycles &&
         a.glb.doubleBuffered == b.glb.doubleBuffered && a.glb.haloReuse == b.glb.haloReuse &&
         a.rf.haloReuse == b.rf.haloReuse && a.noc.wordsPerCycle == b.noc.wordsPerCycle &&
         a.noc.multicast == b.noc.multicast && a.noc.hopLatencyCycles == b.noc.hopLatencyCycles &&
         a.noc.network == b.noc.network && a.dram.bytesPerCycle == b.dram.bytesPerCycle &&
         a.dram.latencyCycles == b.dram.latencyCycles && a.dram.timing == b.dram.timing &&
         a.wordBits == b.wordBits && a.tensorBits == b.tensorBits && a.clockMhz == b.clockMhz &&
         a.levelNames == b.levelNames && a.general == b.general;
}

}  // namespace dfsim
