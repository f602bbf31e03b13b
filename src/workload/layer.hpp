#pragma once

#include <array>
#include <cstdint>
#include <string>

#include "common/ids.hpp"
#include "common/per_tensor.hpp"
#include "workload/problem_shape.hpp"

namespace dfsim {

/// What a layer computes.
enum class LayerType : std::uint8_t { Conv, Fc, Pool };

/// Name used in files and reports: "conv", "fc", "pool".
const char* layerTypeName(LayerType t);

/// One layer of a network, in the field's shape vocabulary. A plain value: construct with the
/// make* helpers below, which derive the output size; `validate()` checks consistency.
///
/// Conventions: `C` and `M` are totals over all groups (as in PyTorch); the loop nest uses the
/// per-group sizes `cPerGroup() = C / groups`, `mPerGroup() = M / groups`. `H` and `W` are the
/// unpadded input size; the simulator stores and moves the ifmap with its zero padding, so input
/// tiles are measured on the padded size `H + 2*padding`. An FC layer is a convolution whose filter
/// covers the whole input (R = H, S = W, P = Q = 1). A pooling layer has no MACs on the PE array:
/// it is reported (shapes) but not simulated.
///
/// Sizes: the network reader refuses a layer whose MACs or any tensor exceed 2^40 (and every
/// dimension, stride and padding is at most 2^40), so the plain products below (macs(),
/// weightCount(), tensorWords(), paddedH()) cannot overflow for a layer it returned. A layer
/// built in code must respect the same limits.
struct Layer {
  std::string name;
  LayerType type = LayerType::Conv;
  std::int64_t N = 1;        ///< batch
  std::int64_t M = 1;        ///< output channels (filters), all groups
  std::int64_t C = 1;        ///< input channels, all groups
  std::int64_t H = 1;        ///< input height, unpadded
  std::int64_t W = 1;        ///< input width, unpadded
  std::int64_t R = 1;        ///< filter (or pooling window) height
  std::int64_t S = 1;        ///< filter (or pooling window) width
  std::int64_t P = 1;        ///< output height
  std::int64_t Q = 1;        ///< output width
  std::int64_t stride = 1;   ///< U, same in both directions
  std::int64_t padding = 0;  ///< zero rows/cols added on each side
  std::int64_t groups = 1;   ///< G: C and M split into this many independent convolutions

  /// The layer as a problem shape (the ONE place that knows the convolution's loop nest):
  /// dimensions N G M C P Q R S in that order (per-group C and M; an FC layer is a conv whose
  /// filter covers the input); weights (g, m, c, r, s), inputs (n, g, c, h = stride*p + r,
  /// w = stride*q + s) over the padded input, outputs (n, g, m, p, q). Contract: an on-array
  /// layer that validate()s (the network reader's); throws InternalError on a size below 1.
  ProblemShape shape() const;
  /// Input channels per group, C / groups.
  std::int64_t cPerGroup() const { return C / groups; }
  /// Output channels (filters) per group, M / groups.
  std::int64_t mPerGroup() const { return M / groups; }
  /// Padded input height H + 2*padding.
  std::int64_t paddedH() const { return H + 2 * padding; }
  /// Padded input width W + 2*padding.
  std::int64_t paddedW() const { return W + 2 * padding; }
  /// Multiply-accumulates for the whole layer (0 for pooling).
  std::int64_t macs() const;
  /// Number of weights (biases excluded; 0 for pooling).
  std::int64_t weightCount() const;
  /// Words of each tensor: weights, padded inputs, outputs.
  PerTensor<std::int64_t> tensorWords() const;
  /// Whether the PE array computes this layer (conv and fc).
  bool onArray() const { return type != LayerType::Pool; }
};

/// Output size of a convolution/pooling along one axis: (in + 2*pad - k) / stride + 1.
/// Returns 0 or less when the window does not fit.
std::int64_t convOutputSize(std::int64_t in, std::int64_t k, std::int64_t stride, std::int64_t pad);

}  // namespace dfsim
