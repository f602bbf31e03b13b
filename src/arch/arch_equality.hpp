#pragma once

#include "arch/arch_spec.hpp"
#include "arch/hierarchy.hpp"

namespace dfsim {

// Field-by-field equality of the hardware description's values (round-trip tests, and
// setHierarchy's check that the 4-level view states a whole hierarchy).

/// Same tensors and capacity.
bool operator==(const StoragePartition& a, const StoragePartition& b);
/// Every field equal (partitions in order).
bool operator==(const StorageLevelSpec& a, const StorageLevelSpec& b);
/// Every field equal.
bool operator==(const FanOutSpec& a, const FanOutSpec& b);
/// Same kind and equal spec of that kind (the other kind's spec is ignored).
bool operator==(const HierarchyEntry& a, const HierarchyEntry& b);
/// Equal entries, in order.
bool operator==(const Hierarchy& a, const Hierarchy& b);
/// Every field equal, `general` included (clockMhz compared exactly).
bool operator==(const ArchSpec& a, const ArchSpec& b);

/// !(a == b).
inline bool operator!=(const Hierarchy& a, const Hierarchy& b) {
  return !(a == b);
}
/// !(a == b).
inline bool operator!=(const ArchSpec& a, const ArchSpec& b) {
  return !(a == b);
}

}  // namespace dfsim
