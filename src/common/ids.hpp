#pragma once
/// Identifiers shared by every layer of dfsim: loop dimensions, tensors and memory levels.

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace dfsim {

/// A loop dimension of a (grouped) convolution, in the field's vocabulary.
/// N batch, G groups, M filters per group, C input channels per group, P/Q output rows/cols,
/// R/S filter rows/cols.
enum class Dim : std::uint8_t { N, G, M, C, P, Q, R, S };
/// Number of loop dimensions.
inline constexpr std::size_t kNumDims = 8;
/// All dimensions in declaration order, for iteration.
inline constexpr std::array<Dim, kNumDims> kAllDims = {Dim::N, Dim::G, Dim::M, Dim::C,
                                                       Dim::P, Dim::Q, Dim::R, Dim::S};

/// The three data types a DNN layer moves.
enum class Tensor : std::uint8_t { Weights, Inputs, Outputs };
/// Number of tensors.
inline constexpr std::size_t kNumTensors = 3;
/// All tensors in declaration order, for iteration.
inline constexpr std::array<Tensor, kNumTensors> kAllTensors = {Tensor::Weights, Tensor::Inputs,
                                                                Tensor::Outputs};

/// Memory/communication levels, outermost first. Noc is the array network between GLB and PEs.
enum class Level : std::uint8_t { Dram, Glb, Noc, Rf };
/// Number of levels.
inline constexpr std::size_t kNumLevels = 4;
/// All levels, outermost first.
inline constexpr std::array<Level, kNumLevels> kAllLevels = {Level::Dram, Level::Glb, Level::Noc,
                                                             Level::Rf};

/// Index of an enum value, for array subscripts.
template <typename E>
constexpr std::size_t idx(E e) {
  return static_cast<std::size_t>(e);
}

/// Single-letter name of a dimension ("N", "G", ...).
std::string_view dimName(Dim d);
/// Lower-case name of a tensor as used in files: "weights", "inputs", "outputs".
std::string_view tensorName(Tensor t);
/// Lower-case name of a level as used in files: "dram", "glb", "noc", "rf".
std::string_view levelName(Level l);
/// Parses a dimension letter; returns false if `s` names none.
bool parseDim(std::string_view s, Dim& out);
/// Parses a tensor name; returns false if `s` names none.
bool parseTensor(std::string_view s, Tensor& out);

/// Whether tensor `t` is indexed by dimension `d` (its "relevant" dimensions).
/// Weights: G M C R S. Inputs: N G C P Q R S (h = p*stride + r). Outputs: N G M P Q.
constexpr bool isRelevant(Tensor t, Dim d) {
  switch (t) {
    case Tensor::Weights:
      return d == Dim::G || d == Dim::M || d == Dim::C || d == Dim::R || d == Dim::S;
    case Tensor::Inputs:
      return d != Dim::M;
    case Tensor::Outputs:
      return d == Dim::N || d == Dim::G || d == Dim::M || d == Dim::P || d == Dim::Q;
  }
  return false;
}

}  // namespace dfsim
