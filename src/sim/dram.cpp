#include "sim/dram.hpp"

#include <cstring>

#include "common/errors.hpp"

namespace dfsim {

Dram::Dram(const sc_core::sc_module_name& name, const ArchSpec& arch, const ProblemShape& shape,
           const SimClock& clock, std::vector<std::int32_t> weights,
           std::vector<std::int32_t> inputs)
    : sc_core::sc_module(name),
      socket("socket"),
      clock_(clock),
      bus_(static_cast<std::uint64_t>(arch.dram.bytesPerCycle),
           static_cast<std::uint64_t>(arch.dram.latencyCycles)) {
  socket.register_b_transport(this, &Dram::b_transport);
  for (Tensor t : kAllTensors) bytesPerWord_[t] = arch.dramBytesPerWord(t);
  for (Tensor t : kAllTensors) {
    const TensorLayout layout = TensorLayout::make(shape, t);
    BoxShape s = BoxShape::whole(layout);
    shapes_[t] = std::move(s);
    store_[t].reset(&shapes_[t]);
    store_[t].holding = true;
  }
  if (weights.size() != store_[Tensor::Weights].data.size() ||
      inputs.size() != store_[Tensor::Inputs].data.size()) {
    throw InternalError("DRAM: tensor sizes do not match the problem shape");
  }
  store_[Tensor::Weights].data = std::move(weights);
  store_[Tensor::Inputs].data = std::move(inputs);
  store_[Tensor::Weights].valid.assign(store_[Tensor::Weights].data.size(), 1);
  store_[Tensor::Inputs].valid.assign(store_[Tensor::Inputs].data.size(), 1);
}

Cycle Dram::reserveBytes(Cycle now, std::int64_t bytes) {
  const Cycle done = bus_.reserve(now, static_cast<std::uint64_t>(bytes));
  lastCompletion_ = max(lastCompletion_, done);
  return done;
}

void Dram::b_transport(tlm::tlm_generic_payload& trans, sc_core::sc_time& delay) {
  const std::uint64_t addr = trans.get_address();
  const auto tensorId = static_cast<std::size_t>(addr >> kTensorShift);
  const std::uint64_t byteOffset = addr & ((std::uint64_t{1} << kTensorShift) - 1);
  const unsigned len = trans.get_data_length();
  if (tensorId >= kNumTensors || byteOffset % 4 != 0 || len % 4 != 0) {
    trans.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
    return;
  }
  const Tensor t = kAllTensors[tensorId];
  TileBuffer& buf = store_[t];
  const std::size_t first = byteOffset / 4;
  const std::size_t words = len / 4;
  if (first + words > buf.data.size()) {
    trans.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
    return;
  }
  auto* ptr = reinterpret_cast<std::int32_t*>(trans.get_data_ptr());
  if (trans.is_read()) {
    std::memcpy(ptr, buf.data.data() + first, words * 4);
    counts_[t].reads += static_cast<std::int64_t>(words);
  } else if (trans.is_write()) {
    std::memcpy(buf.data.data() + first, ptr, words * 4);
    std::memset(buf.valid.data() + first, 1, words);
    counts_[t].writes += static_cast<std::int64_t>(words);
  } else {
    trans.set_response_status(tlm::TLM_COMMAND_ERROR_RESPONSE);
    return;
  }
  const Cycle issued = clock_.toCycle(sc_core::sc_time_stamp() + delay);
  const Cycle done = reserveBytes(issued, static_cast<std::int64_t>(words) * bytesPerWord_[t]);
  delay = clock_.toTime(done) - sc_core::sc_time_stamp();
  trans.set_response_status(tlm::TLM_OK_RESPONSE);
}

}  // namespace dfsim
