#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "arch/dram_timing.hpp"
#include "arch/storage_partition.hpp"
#include "common/ids.hpp"
#include "common/per_tensor.hpp"

namespace dfsim {

/// One storage level of a hierarchy: DRAM (the outermost, off-chip, unbounded, holds every
/// tensor whole) or an on-chip level with partitions. One instance per leaf of the fan-outs
/// above it.
struct StorageLevelSpec {
  std::string name;      ///< unique in the hierarchy, [a-z][a-z0-9_]*; reports use it
  bool offChip = false;  ///< true for the outermost level only (DRAM)
  /// On chip: the slices and the tensors each may keep (a tensor in none bypasses the level).
  /// Off chip: empty (DRAM keeps everything).
  std::vector<StoragePartition> partitions;
  std::int64_t readWordsPerCycle = kUnlimited;   ///< on chip: words read per cycle, per instance
  std::int64_t writeWordsPerCycle = kUnlimited;  ///< on chip: words written per cycle, per instance
  std::int64_t bytesPerCycle = kUnlimited;       ///< off chip: bytes per core cycle
  std::int64_t latencyCycles = 0;                ///< cycles from a read request to its data
  DramTimingSpec dramTiming;    ///< off chip: how transfers are timed (default: bus + latency)
  bool doubleBuffered = false;  ///< weights and inputs get a second slot for the prefetch
  /// Sliding-window (halo) reuse (issue 14): a new tile of weights or inputs keeps the words it
  /// shares with the tile this instance held and receives only the others from its parent
  /// (src/mapping/README "Halo reuse"). Off: every new tile is fetched whole. An arch file's
  /// on-chip levels default to true (arch_reader); code that builds a spec sets it.
  bool haloReuse = false;
  /// Bits of one word of each tensor at this level (0: the arch's tensorBits/wordBits).
  PerTensor<std::int64_t> tensorBits{};
};

/// How a fan-out's network moves words in time (README "Array networks").
enum class NetworkKind : std::uint8_t {
  /// Every transfer is booked on one port of `wordsPerCycle` words per cycle with
  /// `hopLatencyCycles` on top; every child starts a step together.
  Ideal,
  /// A systolic mesh of rows x cols children (only directly above the innermost storage level,
  /// the PE array): the ideal network's bookings, plus the mesh's own time at the start of
  /// every fold (an array step at which a tile the PEs keep changes, and the first step): the
  /// PEs' new weight and input tiles shift in from the edge one row per cycle (rows x the
  /// largest new tile's words), and the operands' skew across the mesh and the psums' drain out of
  /// it take (rows - 1) + (cols - 1) more. Folds run back to back (SCALE-Sim v2's timing).
  Systolic,
  /// One network of its own per tensor (Eyeriss: separate filter, ifmap and psum networks):
  /// each carries `wordsPerCycle` words per cycle with `hopLatencyCycles` on top, so the
  /// transfers of different tensors overlap instead of queueing on one port; multicast, counts
  /// and the rest as Ideal. Any fan-out.
  PerTensor,
};

/// The name of a network kind in an arch file: "ideal", "systolic", "per_tensor".
const char* networkKindName(NetworkKind k);

/// A fan-out between two storage levels: `rows x cols` instances of everything below it per
/// instance of the level above, and the network that connects them.
struct FanOutSpec {
  std::string name;  ///< unique in the hierarchy; reports use it (the 4-level instance: "noc")
  std::int64_t rows = 1;
  std::int64_t cols = 1;
  std::int64_t wordsPerCycle = kUnlimited;  ///< distinct words the network carries per cycle
  bool multicast = true;  ///< one parent read may feed many children; if false, one per child
  std::int64_t hopLatencyCycles = 0;  ///< cycles from the parent to a child
  /// Names of problem dimensions the network does not reduce along (arch file
  /// "unreduced_dims"; empty: it reduces every psum of an output). The children that differ
  /// only in the index of this fan-out's spatial loops over such a dimension send separate
  /// psums of an output up; the level above receives each and accumulates it (a read of the
  /// word, but for the first psum of a new output, and a write per psum). The ISCA 2016 WS
  /// array is one: its filter rows (R) each leave the array through the row-delay buffer.
  /// Each name must be a dimension the outputs do not depend on, whose loops multiply to its
  /// size (validateLoopNest); a name the problem does not have has no effect.
  std::vector<std::string> unreducedDims;
  NetworkKind network = NetworkKind::Ideal;  ///< arch file "network": {"kind": ...}
  /// rows * cols.
  std::int64_t count() const { return rows * cols; }
  /// Whether the network reduces the psums of children that differ along dimension `dimName`.
  bool reduces(std::string_view dimName) const;
};

/// One entry of a hierarchy: a storage level or a fan-out.
struct HierarchyEntry {
  enum class Kind : std::uint8_t { Storage, FanOut };
  Kind kind = Kind::Storage;
  StorageLevelSpec storage;  ///< when kind == Storage
  FanOutSpec fanOut;         ///< when kind == FanOut
  /// The entry's name (storage or fan-out).
  const std::string& name() const { return kind == Kind::Storage ? storage.name : fanOut.name; }
};

/// A storage hierarchy as data, outermost first (Timeloop's level-indexed topology, written our
/// way). Contract (checked by `validateHierarchy`): 2 to kMaxLevelEntries entries; the first is
/// the off-chip storage level and no other is off chip; the last is a storage level (the PE's
/// own storage; it may have no partitions: no local reuse); a fan-out sits between two storage
/// levels (never first, last, or next to another fan-out); names are unique. Entry indices are
/// what AccessCounts and the energy tables are indexed by; the 4-level instance of today's arch
/// files is dram (0), glb (1), noc (2, the fan-out), rf (3): `Level` values index it.
struct Hierarchy {
  std::vector<HierarchyEntry> entries;

  /// Number of entries.
  std::size_t size() const { return entries.size(); }
  /// Whether entry `i` is a storage level.
  bool isStorage(std::size_t i) const { return entries[i].kind == HierarchyEntry::Kind::Storage; }
  /// Index of the entry named `name`, or size() when none is.
  std::size_t find(const std::string& name) const;
  /// Instances of entry `i`: the product of the fan-outs above it (a fan-out entry counts its
  /// own children: the product of it and those above).
  std::int64_t instances(std::size_t i) const;
  /// Indices of the storage entries, outermost first.
  std::vector<std::size_t> storageEntries() const;
  /// Index of the fan-out directly below storage entry `i`, or size() when none is.
  std::size_t fanOutBelow(std::size_t i) const;
  /// Whether this is the 4-level instance (off-chip, storage, fan-out, storage) that the
  /// simulator and the dataflows' mappers run.
  bool isFourLevel() const;
};

/// The first rule of the Hierarchy contract a hierarchy breaks, placed for a reader's message:
/// the entry (size() for the list as a whole), the key of that entry the rule is about ("" for
/// the entry itself) and what was expected. `ok()` when no rule is broken.
struct HierarchyProblem {
  std::size_t entry = 0;
  std::string key;   ///< "kind", "name", "rows", "cols", "unreduced_dims", "network", "partitions"
                     ///< or ""
  std::string what;  ///< "expected ..." text, without the word "expected"; empty when ok
  bool ok() const { return what.empty(); }
};

/// Checks the Hierarchy contract (entry count, DRAM first and only, a storage level last,
/// fan-outs between storage levels, names unique and [a-z][a-z0-9_]*, rows and cols >= 1,
/// unreduced dimensions named [A-Za-z][A-Za-z0-9_]* and listed once, a systolic network only on
/// the fan-out directly above the innermost storage level,
/// partitions' tensors listed once per level and capacities >= 0, DRAM without partitions).
/// Instances are not capped here (readers cap them).
HierarchyProblem checkHierarchy(const Hierarchy& h);

/// Throws InputError `hierarchy.entries[i] (<name>).<key>: expected <what>` when checkHierarchy
/// finds a problem (for hierarchies built in code; the arch reader names file and JSON path).
void validateHierarchy(const Hierarchy& h);

}  // namespace dfsim
