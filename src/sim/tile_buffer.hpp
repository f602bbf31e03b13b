#pragma once

#include <cstdint>
#include <vector>

#include "sim/tile_box.hpp"

namespace dfsim {

/// The words of one tensor tile held by a storage level: its shape, where it sits in the tensor,
/// the values over the bounding box, and (for outputs) which words hold a partial sum.
struct TileBuffer {
  /// The slot's layout: the box and pitch of the largest tile it holds.
  const BoxShape* shape = nullptr;
  /// The words of the tile held now: `shape` itself, or a clipped tile of a ragged mapping
  /// (fewer touched offsets, the same pitch and size).
  const BoxShape* view = nullptr;
  AxisVector origin{};
  std::vector<std::int32_t> data;
  std::vector<std::uint8_t> valid;
  bool holding = false;

  /// Sizes the storage for `s` (allocation happens here, once per layer, never per cycle).
  void reset(const BoxShape* s) {
    shape = s;
    view = s;
    data.assign(static_cast<std::size_t>(s->size), 0);
    valid.assign(static_cast<std::size_t>(s->size), 0);
    holding = false;
  }
  /// Index in this buffer of the absolute tensor coordinates `abs` (inside the box).
  std::int64_t indexOf(const AxisVector& abs) const {
    std::int64_t i = 0;
    for (std::size_t k = 0; k < kAxes; ++k) i += (abs[k] - origin[k]) * shape->pitch[k];
    return i;
  }
};

}  // namespace dfsim
