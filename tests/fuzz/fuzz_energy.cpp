// libFuzzer harness: any bytes as a energy file. The bytes are parsed (parseJsonText) and given
// to energyFromJson, and read again from a file by readEnergy; see fuzz_support.hpp for the
// contract.
#include <cstddef>
#include <cstdint>

#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  dfsim::fuzz::checkDocument(dfsim::fuzz::energyFormat(), dfsim::fuzz::bytes(data, size), {});
  return 0;
}
