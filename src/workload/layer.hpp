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

/// One spatial axis (height or width) of a conv or pooling window: the step between windows, the
/// step between the window's taps, and the zero padding before (top or left) and after (bottom
/// or right) the input. Input coordinate of output o and tap k: o * stride + k * dilation, in the
/// padded input.
struct WindowAxis {
  std::int64_t stride = 1;     ///< U along this axis
  std::int64_t dilation = 1;   ///< step between taps (1: a dense window)
  std::int64_t padBefore = 0;  ///< zero rows (cols) before the input
  std::int64_t padAfter = 0;   ///< zero rows (cols) after the input
  /// Padding on both sides.
  std::int64_t padTotal() const { return padBefore + padAfter; }
  /// Input rows (cols) a window of `k` taps spans: dilation * (k - 1) + 1.
  std::int64_t span(std::int64_t k) const { return dilation * (k - 1) + 1; }
  bool operator==(const WindowAxis& o) const {
    return stride == o.stride && dilation == o.dilation && padBefore == o.padBefore &&
           padAfter == o.padAfter;
  }
  bool operator!=(const WindowAxis& o) const { return !(*this == o); }
};

/// One layer of a network, in the field's shape vocabulary. A plain value: construct with the
/// make* helpers below, which derive the output size; `validate()` checks consistency.
///
/// Conventions: `C` and `M` are totals over all groups (as in PyTorch); the loop nest uses the
/// per-group sizes `cPerGroup() = C / groups`, `mPerGroup() = M / groups`. `H` and `W` are the
/// unpadded input size; the simulator stores and moves the ifmap with its zero padding, so input
/// tiles are measured on the padded size `paddedH()` x `paddedW()`. Each axis has its own stride,
/// dilation and padding before and after (`rows` for H, `cols` for W). An FC layer is a convolution
/// whose filter covers the whole input (R = H, S = W, P = Q = 1). A pooling layer has no MACs on
/// the PE array: it is reported (shapes) but not simulated.
///
/// Sizes: the network reader refuses a layer whose MACs or any tensor exceed 2^40 (and every
/// dimension, stride and padding is at most 2^40), so the plain products below (macs(),
/// weightCount(), tensorWords(), paddedH()) cannot overflow for a layer it returned. A layer
/// built in code must respect the same limits.
struct Layer {
  std::string name;
  LayerType type = LayerType::Conv;
  std::int64_t N = 1;       ///< batch
  std::int64_t M = 1;       ///< output channels (filters), all groups
  std::int64_t C = 1;       ///< input channels, all groups
  std::int64_t H = 1;       ///< input height, unpadded
  std::int64_t W = 1;       ///< input width, unpadded
  std::int64_t R = 1;       ///< filter (or pooling window) height
  std::int64_t S = 1;       ///< filter (or pooling window) width
  std::int64_t P = 1;       ///< output height
  std::int64_t Q = 1;       ///< output width
  WindowAxis rows;          ///< the window along H (stride, dilation, top/bottom padding)
  WindowAxis cols;          ///< the window along W (stride, dilation, left/right padding)
  std::int64_t groups = 1;  ///< G: C and M split into this many independent convolutions
  /// Sets both axes to `stride`, no dilation and `padding` on every side (the common square
  /// window); P and Q are not recomputed.
  void setUniformWindow(std::int64_t stride, std::int64_t padding) {
    rows = cols = WindowAxis{stride, 1, padding, padding};
  }

  /// The layer as a problem shape (the ONE place that knows the convolution's loop nest):
  /// dimensions N G M C P Q R S in that order (per-group C and M; an FC layer is a conv whose
  /// filter covers the input); weights (g, m, c, r, s), inputs (n, g, c,
  /// h = rows.stride*p + rows.dilation*r, w = cols.stride*q + cols.dilation*s) over the padded
  /// input, outputs (n, g, m, p, q). Contract: an on-array layer the network reader returned
  /// (on each axis stride or dilation is 1); throws InternalError otherwise.
  ProblemShape shape() const;
  /// Input channels per group, C / groups.
  std::int64_t cPerGroup() const { return C / groups; }
  /// Output channels (filters) per group, M / groups.
  std::int64_t mPerGroup() const { return M / groups; }
  /// Padded input height H + top + bottom padding.
  std::int64_t paddedH() const { return H + rows.padTotal(); }
  /// Padded input width W + left + right padding.
  std::int64_t paddedW() const { return W + cols.padTotal(); }
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
/// Returns 0 when the window does not fit.
std::int64_t convOutputSize(std::int64_t in, std::int64_t k, std::int64_t stride, std::int64_t pad);
/// Output size along one axis of a window of `k` taps on `axis`:
/// (in + padBefore + padAfter - dilation*(k-1) - 1) / stride + 1; 0 when the window does not fit.
std::int64_t convOutputSize(std::int64_t in, std::int64_t k, const WindowAxis& axis);

}  // namespace dfsim
