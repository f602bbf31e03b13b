#include "arch/arch_spec.hpp"

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
