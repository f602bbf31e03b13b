#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/ids.hpp"
#include "common/per_tensor.hpp"

namespace dfsim {

/// Most coordinates (axes) a tensor may have.
inline constexpr std::size_t kMaxAxes = 5;
/// Most dimensions one coordinate of a tensor may sum (what the closed-form tile count covers).
inline constexpr std::size_t kMaxTermsPerAxis = 2;

/// One term of a tensor coordinate: `coef * index of dim`.
struct AxisTerm {
  Dim dim{};
  std::int64_t coef = 1;
};

/// A problem as data (Timeloop's problem shape, written our way): up to kMaxDims named loop
/// dimensions with their sizes, and for each tensor its coordinates, each an affine sum of
/// dimensions with positive integer coefficients (a conv's inputs: h = stride*p + r), with the
/// tensor's full extent along it (a conv's inputs include the zero padding). The iteration space
/// is the product of the dimensions; one MAC per point. Tensor roles: Outputs is the tensor
/// every MAC reads, modifies and writes; Weights and Inputs are only read.
///
/// Contract (checked when built; a violation throws InternalError, since shapes come from code,
/// not files): at most kMaxDims dimensions with distinct non-empty names and sizes >= 1; per
/// tensor at most kMaxAxes coordinates, each of 1 or kMaxTermsPerAxis terms over distinct
/// dimensions with coefficients >= 1, and when two, at least one coefficient is 1 (a sliding
/// window: the closed form of src/mapping/tile_math covers exactly these); a dimension feeds at
/// most one coordinate of a tensor; every full extent is >= 1. Plain fixed-size value: no
/// allocation per query.
class ProblemShape {
 public:
  /// Adds a dimension named `name` of `size` and returns it (dimensions are numbered in order).
  Dim addDim(std::string_view name, std::int64_t size);
  /// Appends a coordinate to tensor `t`: the sum of `terms` (1 or 2 of them), full extent
  /// `extent` (words along it, padding included).
  void addAxis(Tensor t, std::initializer_list<AxisTerm> terms, std::int64_t extent);

  /// Number of dimensions.
  std::size_t numDims() const { return numDims_; }
  /// The i-th dimension (contract: i < numDims()).
  static Dim dimAt(std::size_t i) { return static_cast<Dim>(i); }
  /// Name of `d` as used in files ("N", "R", ...).
  std::string_view name(Dim d) const { return names_[idx(d)]; }
  /// Size of `d` (loop iterations over the whole problem).
  std::int64_t size(Dim d) const { return sizes_[idx(d)]; }
  /// Finds the dimension called `name`; false when there is none.
  bool findDim(std::string_view name, Dim& out) const;
  /// The dimension called `name`; throws InternalError when there is none (for code, such as a
  /// dataflow's rules, that needs a dimension of a known problem).
  Dim dimByName(std::string_view name) const;
  /// "A, B, ..." of every dimension name in order (for messages).
  std::string dimNameList() const;
  /// Points of the iteration space: the product of all sizes (MACs).
  std::int64_t macs() const;

  /// Coordinates of tensor `t`.
  std::size_t numAxes(Tensor t) const { return axes_[t].count; }
  /// Number of terms of coordinate `axis` of `t` (1 or 2).
  std::size_t numTerms(Tensor t, std::size_t axis) const { return axes_[t].axis[axis].terms; }
  /// Term `k` of coordinate `axis` of `t`.
  AxisTerm term(Tensor t, std::size_t axis, std::size_t k) const {
    return axes_[t].axis[axis].term[k];
  }
  /// Full extent of coordinate `axis` of `t` (words; inputs include the padding).
  std::int64_t extent(Tensor t, std::size_t axis) const { return axes_[t].axis[axis].extent; }
  /// Words of the whole tensor `t`: the product of its full extents.
  std::int64_t tensorWords(Tensor t) const;
  /// The projection of `t` as a coefficient: how much coordinate `axis` moves per unit step of
  /// `d` (0 when `d` does not feed it).
  std::int64_t coef(Tensor t, std::size_t axis, Dim d) const;
  /// Bit idx(d) set for every dimension `d` some coordinate of `t` has a term of (a nonzero
  /// coefficient in its projection).
  std::uint32_t projectedDims(Tensor t) const { return axes_[t].dims; }

 private:
  struct Axis {
    std::array<AxisTerm, kMaxTermsPerAxis> term{};
    std::size_t terms = 0;
    std::int64_t extent = 1;
  };
  struct Axes {
    std::array<Axis, kMaxAxes> axis{};
    std::size_t count = 0;
    std::uint32_t dims = 0;
  };
  std::size_t numDims_ = 0;
  std::array<std::string, kMaxDims> names_{};
  std::array<std::int64_t, kMaxDims> sizes_{};
  PerTensor<Axes> axes_{};
};

}  // namespace dfsim
