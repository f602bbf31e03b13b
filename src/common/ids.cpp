#include "common/ids.hpp"

namespace dfsim {

namespace {
constexpr std::array<std::string_view, kNumTensors> kTensorNames = {"weights", "inputs", "outputs"};
constexpr std::array<std::string_view, kNumLevels> kLevelNames = {"dram", "glb", "noc", "rf"};
}  // namespace

std::string_view tensorName(Tensor t) {
  return kTensorNames[idx(t)];
}
std::string_view levelName(Level l) {
  return kLevelNames[idx(l)];
}

bool parseTensor(std::string_view s, Tensor& out) {
  for (Tensor t : kAllTensors) {
    if (kTensorNames[idx(t)] == s) {
      out = t;
      return true;
    }
  }
  return false;
}

}  // namespace dfsim
