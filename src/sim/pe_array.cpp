#include "sim/pe_array.hpp"

#include <string>

#include "common/errors.hpp"

namespace dfsim {

PeArray::PeArray(const sc_core::sc_module_name& name, const ArchSpec& arch, std::int64_t activePes,
                 bool functional)
    : sc_core::sc_module(name), arch_(arch), pes_(activePes), functional_(functional) {}

void PeArray::configure(Tensor t, const BoxShape* shape) {
  keeps_[t] = shape != nullptr;
  blockWords_[t] = shape != nullptr ? shape->size : 1;
  rf_[t].assign(static_cast<std::size_t>(blockWords_[t] * pes_), 0);
  touched_[t] = shape != nullptr ? shape->touchedWords : 0;
}

void PeArray::checkCapacity() const {
  for (const StoragePartition& p : arch_.rf.partitions) {
    std::int64_t held = 0;
    for (Tensor t : kAllTensors) {
      if (p.tensors[t] && keeps_[t]) held += touched_[t];
    }
    if (held > p.capacityWords) {
      throw InternalError("RF tiles hold " + std::to_string(held) + " words in a partition of " +
                          std::to_string(p.capacityWords));
    }
  }
  for (Tensor t : kAllTensors) {
    if (keeps_[t] && arch_.capacityWords(Level::Rf, t) == 0) {
      throw InternalError("RF keeps " + std::string(tensorName(t)) + " without a partition");
    }
  }
}

void PeArray::compute(const std::vector<std::int32_t>& wOff, const std::vector<std::int32_t>& inOff,
                      const std::vector<std::int32_t>& outOff, std::size_t begin, std::size_t end,
                      const StepKind& kind) {
  if (functional_) {
    const std::int32_t* wo = wOff.data();
    const std::int32_t* io = inOff.data();
    const std::int32_t* oo = outOff.data();
    for (const std::int64_t pe : kind.pes) {
      const std::int32_t* w = rf(Tensor::Weights, pe);
      const std::int32_t* in = rf(Tensor::Inputs, pe);
      std::int32_t* out = rf(Tensor::Outputs, pe);
      for (std::size_t k = begin; k < end; ++k) out[oo[k]] += w[wo[k]] * in[io[k]];
    }
  }
  const auto n =
      static_cast<std::int64_t>(end - begin) * static_cast<std::int64_t>(kind.pes.size());
  if (keeps_[Tensor::Weights]) counts_[Tensor::Weights].reads += n;
  if (keeps_[Tensor::Inputs]) counts_[Tensor::Inputs].reads += n;
  if (keeps_[Tensor::Outputs]) {
    counts_[Tensor::Outputs].reads += n;
    counts_[Tensor::Outputs].writes += n;
  }
  macs_ += n;
}

}  // namespace dfsim
