#pragma once

#include <array>

#include "common/ids.hpp"

namespace dfsim {

/// A value per tensor (weights, inputs, outputs), indexed by `Tensor`.
template <typename T>
struct PerTensor {
  std::array<T, kNumTensors> v{};

  /// Element for tensor `t`.
  T& operator[](Tensor t) { return v[idx(t)]; }
  /// Element for tensor `t`.
  const T& operator[](Tensor t) const { return v[idx(t)]; }
  bool operator==(const PerTensor& o) const { return v == o.v; }
  bool operator!=(const PerTensor& o) const { return v != o.v; }
};

}  // namespace dfsim
