#pragma once
/// Identifiers shared by every layer of dfsim: loop dimensions (as indices), tensors and memory
/// levels.

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace dfsim {

/// A loop dimension of a problem: an index into its ProblemShape's dimensions (0 up to
/// shape.numDims() - 1; src/workload/problem_shape.hpp). A strong type without enumerators: the
/// names and sizes of the dimensions live in the shape, not here. Make one with
/// `static_cast<Dim>(i)`; `idx(d)` gives the index back.
enum class Dim : std::uint8_t {};
/// Most dimensions a problem may have (the size of every per-dimension array).
inline constexpr std::size_t kMaxDims = 8;

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

/// Most entries (storage levels plus fan-outs) a storage hierarchy may have
/// (src/arch/hierarchy.hpp): the size of every per-entry array (AccessCounts, energy tables).
/// The 4-level instance's entries are the `Level` values.
inline constexpr std::size_t kMaxLevelEntries = 8;

/// Index of an enum value, for array subscripts.
template <typename E>
constexpr std::size_t idx(E e) {
  return static_cast<std::size_t>(e);
}

/// Lower-case name of a tensor as used in files: "weights", "inputs", "outputs".
std::string_view tensorName(Tensor t);
/// Lower-case name of a level as used in files: "dram", "glb", "noc", "rf".
std::string_view levelName(Level l);
/// Parses a tensor name; returns false if `s` names none.
bool parseTensor(std::string_view s, Tensor& out);

}  // namespace dfsim
