#pragma once
// The 4-level Hierarchy of an ArchSpec, built in the tests (the arch helper's
// ArchSpec::hierarchy() replaces it when merged): [dram, glb, noc (fan-out), rf].

#include "arch/arch_spec.hpp"
#include "arch/hierarchy.hpp"

namespace dfsim::test {

/// [dram, glb, noc, rf] with the fields of `a`.
inline Hierarchy fourLevel(const ArchSpec& a) {
  Hierarchy h;
  HierarchyEntry dram;
  dram.storage.name = "dram";
  dram.storage.offChip = true;
  dram.storage.bytesPerCycle = a.dram.bytesPerCycle;
  dram.storage.latencyCycles = a.dram.latencyCycles;
  HierarchyEntry glb;
  glb.storage.name = "glb";
  glb.storage.partitions = a.glb.partitions;
  glb.storage.readWordsPerCycle = a.glb.readWordsPerCycle;
  glb.storage.writeWordsPerCycle = a.glb.writeWordsPerCycle;
  glb.storage.latencyCycles = a.glb.latencyCycles;
  glb.storage.doubleBuffered = a.glb.doubleBuffered;
  HierarchyEntry noc;
  noc.kind = HierarchyEntry::Kind::FanOut;
  noc.fanOut.name = "noc";
  noc.fanOut.rows = a.rows;
  noc.fanOut.cols = a.cols;
  noc.fanOut.wordsPerCycle = a.noc.wordsPerCycle;
  noc.fanOut.multicast = a.noc.multicast;
  noc.fanOut.hopLatencyCycles = a.noc.hopLatencyCycles;
  HierarchyEntry rf;
  rf.storage.name = "rf";
  rf.storage.partitions = a.rf.partitions;
  h.entries = {dram, glb, noc, rf};
  return h;
}

}  // namespace dfsim::test
