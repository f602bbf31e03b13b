#pragma once

#include <cstdint>
#include <vector>

#include <systemc>

#include "arch/arch_spec.hpp"
#include "common/access_counts.hpp"
#include "common/per_tensor.hpp"
#include "sim/step_kind.hpp"
#include "sim/tile_box.hpp"

namespace dfsim {

/// The PE array: per PE the mapping occupies a register file per tensor (struct of arrays: one
/// block of `tileSize` words per PE) and a MAC. It has no process of its own: the controller tells
/// it when to compute. It counts RF reads and writes per tensor and the MACs performed, and refuses
/// (InternalError) RF tiles larger than the arch's partitions.
class PeArray : public sc_core::sc_module {
 public:
  /// An array of `activePes` PEs (those the mapping occupies) for `arch`. `functional` false: MACs
  /// are counted, not computed (fast mode).
  PeArray(const sc_core::sc_module_name& name, const ArchSpec& arch, std::int64_t activePes,
          bool functional);

  /// Gives tensor `t` an RF tile of shape `shape` in every PE (nullptr: `t` bypasses the RF and
  /// lives in a one-word operand latch per PE).
  void configure(Tensor t, const BoxShape* shape);
  /// The RF block (or latch) of tensor `t` in PE `pe`.
  std::int32_t* rf(Tensor t, std::int64_t pe) {
    return rf_[t].data() + static_cast<std::size_t>(pe * blockWords_[t]);
  }
  /// Whether `t` is held in the RF (false: operand latch).
  bool keeps(Tensor t) const { return keeps_[t]; }
  /// Counts of `t` (the array network bumps the RF writes of its fills here).
  ReadWrite& countsOf(Tensor t) { return counts_[t]; }
  /// RF reads and writes per tensor so far.
  const PerTensor<ReadWrite>& counts() const { return counts_; }
  /// MACs performed so far.
  std::int64_t macs() const { return macs_; }
  /// Counts `n` MACs whose accesses the caller counts itself (the controller skipping ahead
  /// over repeated steps in fast mode).
  void countMacs(std::int64_t n) { macs_ += n; }
  /// PEs the mapping occupies (a step of a ragged mapping may use fewer: StepKind).
  std::int64_t pes() const { return pes_; }

  /// Every PE working in a step of kind `kind` (the others idle) runs RF iterations
  /// [begin, end): iteration k computes out[outOff[k]] += w[wOff[k]] * in[inOff[k]] on its RF
  /// blocks (offset 0 for a latched operand). Each MAC reads the weight, the input and the psum
  /// and writes the psum back; those accesses are RF accesses for the tensors the RF keeps.
  void compute(const std::vector<std::int32_t>& wOff, const std::vector<std::int32_t>& inOff,
               const std::vector<std::int32_t>& outOff, std::size_t begin, std::size_t end,
               const StepKind& kind);

  /// Throws InternalError when the configured RF tiles exceed a partition of the arch's RF.
  void checkCapacity() const;

 private:
  const ArchSpec& arch_;
  std::int64_t pes_;
  bool functional_;
  PerTensor<std::vector<std::int32_t>> rf_;
  PerTensor<std::int64_t> blockWords_{};
  PerTensor<bool> keeps_{};
  PerTensor<std::int64_t> touched_{};
  PerTensor<ReadWrite> counts_{};
  std::int64_t macs_ = 0;
};

}  // namespace dfsim
