#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "arch/hierarchy.hpp"
#include "arch/storage_partition.hpp"
#include "common/ids.hpp"
#include "common/per_tensor.hpp"

namespace dfsim {

/// The per-PE register file (scratchpad). No partitions, or capacity 0, means "no RF" (NLR).
struct RfSpec {
  std::vector<StoragePartition> partitions;
  bool haloReuse = false;  ///< StorageLevelSpec::haloReuse of the RF level
};

/// The global buffer shared by the array.
struct GlbSpec {
  std::vector<StoragePartition> partitions;
  std::int64_t readWordsPerCycle = kUnlimited;   ///< words read per cycle
  std::int64_t writeWordsPerCycle = kUnlimited;  ///< words written per cycle
  std::int64_t latencyCycles = 0;                ///< cycles from a read request to its data
  bool doubleBuffered = true;  ///< prefetch the next tile while the array computes
  bool haloReuse = false;      ///< StorageLevelSpec::haloReuse of the GLB level
};

/// The array network between GLB and PEs.
struct NocSpec {
  std::int64_t wordsPerCycle = kUnlimited;  ///< distinct words the buses carry per cycle
  bool multicast = true;              ///< one GLB read may feed many PEs; if false, one read per PE
  std::int64_t hopLatencyCycles = 0;  ///< cycles from the GLB to a PE
  NetworkKind network = NetworkKind::Ideal;  ///< arch file "noc.network" (FanOutSpec::network)
};

/// Off-chip memory.
struct DramSpec {
  std::int64_t bytesPerCycle = kUnlimited;  ///< bytes per core cycle
  std::int64_t latencyCycles = 0;           ///< cycles from request to first data
  DramTimingSpec timing;                    ///< how transfers are timed (default: bus + latency)
};

/// A validated hardware description. All sizes are in words of `wordBits` bits unless the name
/// says otherwise. The hierarchy is either the 4-level instance, held in the legacy fields
/// (rows, cols, rf, glb, noc, dram, levelNames) that the simulator and the mappers use, or any
/// other, held in `general` (read, validated and dumped; evaluated by the analytic model).
struct ArchSpec {
  std::string name;
  std::int64_t rows = 1;  ///< PE array rows
  std::int64_t cols = 1;  ///< PE array columns
  RfSpec rf;
  GlbSpec glb;
  NocSpec noc;
  DramSpec dram;
  /// Bits of a word: the unit of the partitions' capacities ("words" of this width) and of the
  /// energy table's per-word costs.
  std::int64_t wordBits = 16;
  /// Bits of one word of each tensor, at every level (int8 weights, int16 inputs, int32 psums):
  /// what a word of that tensor takes in a partition and in DRAM. 0: wordBits.
  PerTensor<std::int64_t> tensorBits{};
  double clockMhz = 200.0;
  /// Names of the 4-level instance's entries (dram, glb, the fan-out, rf), as the file gave
  /// them: what reports call the levels.
  std::array<std::string, kNumLevels> levelNames = {"dram", "glb", "noc", "rf"};
  /// The hierarchy when it is NOT the 4-level instance (then the fields above other than name,
  /// wordBits, tensorBits and clockMhz are unused defaults); empty otherwise. Every storage
  /// level states its tensorBits (no 0s).
  Hierarchy general;

  /// Whether the hierarchy is the 4-level instance the simulator and the mappers run (the
  /// legacy fields above describe it; `general` is empty).
  bool isFourLevel() const { return general.entries.empty(); }
  /// The hierarchy: `general`, or the 4-level instance built from the legacy fields and
  /// levelNames (dram {offChip, bytesPerCycle, latency}, glb {partitions, ports, latency,
  /// doubleBuffered}, noc {rows, cols, wordsPerCycle, multicast, hop latency}, rf {partitions});
  /// every storage level's tensorBits are the arch's bitsOf.
  Hierarchy hierarchy() const;

  /// rows * cols.
  std::int64_t peCount() const { return rows * cols; }
  /// Whether level `l` (Glb or Rf) has a partition holding tensor `t`.
  bool holds(Level l, Tensor t) const;
  /// Capacity in words of the partition of level `l` holding `t` (0 if it bypasses).
  std::int64_t capacityWords(Level l, Tensor t) const;
  /// Bits of one word of `t` (tensorBits, or wordBits where it is 0).
  std::int64_t bitsOf(Tensor t) const { return tensorBits[t] > 0 ? tensorBits[t] : wordBits; }
  /// Bytes one word of `t` takes in DRAM and on its bus: ceil(bitsOf(t) / 8) (words are not
  /// packed across bytes).
  std::int64_t dramBytesPerWord(Tensor t) const { return (bitsOf(t) + 7) / 8; }
  /// Whether tiles of `words[t]` words of each tensor of `p` fit partition `p`: their bits,
  /// summed, at most its capacity in bits (capacityWords words of wordBits bits). Words are at
  /// most 2^56 each (a tile is at most its tensor, <= 2^40 words): no overflow.
  bool fits(const StoragePartition& p, const PerTensor<std::int64_t>& words) const;
  /// The bits tiles of `words[t]` words take in `p` (the tensors `p` holds).
  std::int64_t bitsIn(const StoragePartition& p, const PerTensor<std::int64_t>& words) const;
};

/// Sets the hierarchy of `a` (whose wordBits and tensorBits are already set) to `h`: when `h`
/// is the 4-level instance and the legacy fields can state all of it (every level's widths the
/// arch's, the RF without ports, latency or double buffering), fills those fields and
/// levelNames and clears `general`; otherwise keeps `h` in `general` (levels' tensorBits of 0
/// made the arch's). `h` must satisfy the Hierarchy contract (checkHierarchy).
void setHierarchy(ArchSpec& a, const Hierarchy& h);

}  // namespace dfsim
