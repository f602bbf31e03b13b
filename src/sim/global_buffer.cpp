#include "sim/global_buffer.hpp"

#include <string>

#include "common/errors.hpp"
#include "sim/dram.hpp"

namespace dfsim {

GlobalBuffer::GlobalBuffer(const sc_core::sc_module_name& name, const ArchSpec& arch,
                           const SimClock& clock)
    : sc_core::sc_module(name),
      dramSocket("dram_socket"),
      arch_(arch),
      clock_(clock),
      readPort_(static_cast<std::uint64_t>(arch.glb.readWordsPerCycle),
                static_cast<std::uint64_t>(arch.glb.latencyCycles)),
      writePort_(static_cast<std::uint64_t>(arch.glb.writeWordsPerCycle), 0) {}

void GlobalBuffer::configure(Tensor t, const BoxShape* shape, const BoxShape* dramShape,
                             int slots) {
  slotCount_[t] = slots;
  dramShape_[t] = dramShape;
  for (int i = 0; i < slots; ++i) slot(t, i).reset(shape);
  if (t == Tensor::Outputs) dramHoldsOutput_.assign(static_cast<std::size_t>(dramShape->size), 0);
  std::size_t longestRun = static_cast<std::size_t>(shape->extent[kAxes - 1]);
  if (staging_.size() < longestRun) staging_.resize(longestRun);
}

Cycle GlobalBuffer::burst(Tensor t, bool write, std::int64_t dramIndex, std::int32_t* data,
                          std::int64_t words, Cycle now) {
  tlm::tlm_generic_payload& trans = trans_;
  trans.set_command(write ? tlm::TLM_WRITE_COMMAND : tlm::TLM_READ_COMMAND);
  trans.set_address((static_cast<std::uint64_t>(idx(t)) << Dram::kTensorShift) |
                    static_cast<std::uint64_t>(dramIndex * 4));
  trans.set_data_ptr(reinterpret_cast<unsigned char*>(data));
  trans.set_data_length(static_cast<unsigned>(words * 4));
  trans.set_streaming_width(static_cast<unsigned>(words * 4));
  trans.set_byte_enable_ptr(nullptr);
  trans.set_dmi_allowed(false);
  trans.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
  sc_core::sc_time delay = clock_.toTime(now) - sc_core::sc_time_stamp();
  dramSocket->b_transport(trans, delay);
  if (trans.is_response_error()) {
    throw InternalError("GLB: DRAM burst failed: " + trans.get_response_string());
  }
  return clock_.toCycle(sc_core::sc_time_stamp() + delay);
}

Cycle GlobalBuffer::fill(Tensor t, int i, const AxisVector& origin, const BoxShape* view,
                         Cycle now) {
  TileBuffer& buf = slot(t, i);
  buf.origin = origin;
  buf.view = view;
  buf.holding = true;
  std::fill(buf.valid.begin(), buf.valid.end(), std::uint8_t{0});
  checkCapacity();
  const BoxShape& shape = *view;
  const BoxShape& full = *dramShape_[t];
  const std::vector<std::int64_t>& inner = shape.touched[kAxes - 1];
  Cycle done = now;
  std::int64_t words = 0;
  // Walk the touched points row by row; each run of consecutive words DRAM holds is one burst.
  AxisVector off{};
  AxisVector rowStart{};
  forEachTouched(shape, [&](const AxisVector& o) {
    if (o[kAxes - 1] != inner.front()) return;  // visit each row once, at its first word
    off = o;
    for (std::size_t k = 0; k < kAxes; ++k) rowStart[k] = origin[k] + o[k];
    std::size_t j = 0;
    while (j < inner.size()) {
      std::size_t runEnd = j;
      auto holds = [&](std::size_t jj) {
        if (t != Tensor::Outputs) return true;
        AxisVector a = rowStart;
        a[kAxes - 1] = origin[kAxes - 1] + inner[jj];
        return dramHoldsOutput_[static_cast<std::size_t>(full.index(a))] != 0;
      };
      if (!holds(j)) {
        ++j;
        continue;
      }
      while (runEnd + 1 < inner.size() && inner[runEnd + 1] == inner[runEnd] + 1 &&
             holds(runEnd + 1)) {
        ++runEnd;
      }
      const auto n = static_cast<std::int64_t>(runEnd - j + 1);
      AxisVector a = rowStart;
      a[kAxes - 1] = origin[kAxes - 1] + inner[j];
      done = max(done, burst(t, false, full.index(a), staging_.data(), n, now));
      AxisVector local = off;
      for (std::int64_t w = 0; w < n; ++w) {
        local[kAxes - 1] = inner[j] + w;
        const auto li = static_cast<std::size_t>(shape.index(local));
        buf.data[li] = staging_[static_cast<std::size_t>(w)];
        buf.valid[li] = 1;
      }
      words += n;
      j = runEnd + 1;
    }
  });
  counts_[t].writes += words;
  return max(done, writePort_.reserve(now, static_cast<std::uint64_t>(words)));
}

Cycle GlobalBuffer::writeBack(int i, Cycle now) {
  const Tensor t = Tensor::Outputs;
  TileBuffer& buf = slot(t, i);
  const BoxShape& shape = *buf.view;
  const BoxShape& full = *dramShape_[t];
  const std::vector<std::int64_t>& inner = shape.touched[kAxes - 1];
  Cycle done = now;
  std::int64_t words = 0;
  forEachTouched(shape, [&](const AxisVector& o) {
    if (o[kAxes - 1] != inner.front()) return;
    std::size_t j = 0;
    AxisVector local = o;
    while (j < inner.size()) {
      local[kAxes - 1] = inner[j];
      if (!buf.valid[static_cast<std::size_t>(shape.index(local))]) {
        ++j;
        continue;
      }
      std::size_t runEnd = j;
      while (runEnd + 1 < inner.size() && inner[runEnd + 1] == inner[runEnd] + 1) {
        local[kAxes - 1] = inner[runEnd + 1];
        if (!buf.valid[static_cast<std::size_t>(shape.index(local))]) break;
        ++runEnd;
      }
      const auto n = static_cast<std::int64_t>(runEnd - j + 1);
      for (std::int64_t w = 0; w < n; ++w) {
        local[kAxes - 1] = inner[j] + w;
        staging_[static_cast<std::size_t>(w)] =
            buf.data[static_cast<std::size_t>(shape.index(local))];
      }
      AxisVector a{};
      for (std::size_t k = 0; k < kAxes; ++k) a[k] = buf.origin[k] + o[k];
      a[kAxes - 1] = buf.origin[kAxes - 1] + inner[j];
      const auto dramIndex = full.index(a);
      done = max(done, burst(t, true, dramIndex, staging_.data(), n, now));
      for (std::int64_t w = 0; w < n; ++w) {
        dramHoldsOutput_[static_cast<std::size_t>(dramIndex + w)] = 1;
      }
      words += n;
      j = runEnd + 1;
    }
  });
  counts_[t].reads += words;
  buf.holding = false;
  return max(done, readPort_.reserve(now, static_cast<std::uint64_t>(words)));
}

void GlobalBuffer::checkCapacity() const {
  for (const StoragePartition& p : arch_.glb.partitions) {
    std::int64_t held = 0;
    for (Tensor t : kAllTensors) {
      if (!p.tensors[t]) continue;
      for (int i = 0; i < slotCount_[t]; ++i) {
        const TileBuffer& b = slots_[t][static_cast<std::size_t>(i)];
        if (b.shape != nullptr && b.holding) held += b.shape->touchedWords;
      }
    }
    if (held > p.capacityWords) {
      throw InternalError("GLB holds " + std::to_string(held) + " words in a partition of " +
                          std::to_string(p.capacityWords));
    }
  }
}

}  // namespace dfsim
