// haloSavingsByPositions (declared in halo_savings.hpp): halo savings on any nest, ragged tiles
// included, from per-dimension classes of the consecutive visits.
#include <algorithm>
#include <array>
#include <cstdlib>
#include <memory>
#include <optional>
#include <vector>

#include "mapping/halo_savings.hpp"
#include "mapping/tile_math.hpp"

namespace dfsim {

namespace {

/// A class of one dimension's configurations at an advance of the carry loop: the shift of the
/// parent instance's union origin from the old visit to the new one, how far each origin lies
/// from the layer's edge (capped at the union tile's nominal extent: farther clips nothing;
/// 0 or less: that visit's parent instance idles along it), and how many configurations.
struct DimClass {
  std::int64_t shift = 0;
  std::int64_t edgeNew = 0;
  std::int64_t edgeOld = 0;
  std::int64_t count = 0;
};

void addClass(std::vector<DimClass>& out, const DimClass& c) {
  for (DimClass& x : out) {
    if (x.shift == c.shift && x.edgeNew == c.edgeNew && x.edgeOld == c.edgeOld) {
      x.count += c.count;
      return;
    }
  }
  out.push_back(c);
}

/// A few loops of one dimension (fixed-size: no allocation per candidate).
struct LoopList {
  std::array<DimLoopTable::Entry, kMaxLoopsPerDim> at;
  std::size_t n = 0;
  void push(const DimLoopTable::Entry& e) { at[n++] = e; }
  const DimLoopTable::Entry* begin() const { return at.data(); }
  const DimLoopTable::Entry* end() const { return at.data() + n; }
};

/// What one dimension's loops are to a boundary at an advance of the loop at `carryPos`.
struct DimRoles {
  LoopList fixed;   ///< temporal, outside the carry (indices stay)
  LoopList reset;   ///< temporal, inside the carry below reuseEnd
  LoopList parent;  ///< spatial below `stop`: parent instances
  const std::vector<std::int64_t>* children = nullptr;  ///< the crossed fan-out's offsets
  const DimLoopTable::Entry* carry = nullptr;  ///< the carry loop, when over this dimension
  std::int64_t childExtent = 1;                ///< the child's nominal tile
  std::int64_t unionExtent = 1;                ///< the union tile's nominal extent (the cap)
};

/// A dimension's crossed fan-out loops: their count, then (bound, tile) of each.
using Spread = std::array<std::int64_t, 1 + 2 * kMaxLoopsPerDim>;

/// FNV-1a over [first, last), continuing from `h`.
std::uint64_t fnv1a(const std::int64_t* first, const std::int64_t* last, std::uint64_t h) {
  for (; first != last; ++first) {
    h ^= static_cast<std::uint64_t>(*first);
    h *= 1099511628211ULL;
  }
  return h;
}

/// FNV-1a's offset basis.
constexpr std::uint64_t kFnvBasis = 1469598103934665603ULL;

/// The offsets along dimension `d` of the children the crossed fan-out spreads (its loops at
/// [stop, childStart)): every combination of their indices times their tiles. `spread` gets
/// those loops; when `known` and they are the ones `spread` already held, `out` (made from
/// them before) is kept as it is. Sets `known`, and `hash` to fnv1a of `spread`.
void childrenOf(const DimLoopTable& loops, std::size_t d, const BoundaryPositions& at,
                std::vector<std::int64_t>& out, Spread& spread, bool& known, std::uint64_t& hash) {
  Spread now{};
  for (std::size_t k = 0; k < loops.count[d]; ++k) {
    const DimLoopTable::Entry& e = loops.loops[d][k];
    if (!e.spatial || e.pos < at.stop || e.pos >= at.childStart) continue;
    const auto n = static_cast<std::size_t>(now[0]++);
    now[1 + 2 * n] = e.bound;
    now[2 + 2 * n] = e.tile;
  }
  if (known && now == spread) return;  // the same loops spread the same offsets
  spread = now;
  known = true;
  hash = fnv1a(spread.data(), spread.data() + spread.size(), kFnvBasis);
  out.assign(1, 0);
  for (std::size_t n = 0; n < static_cast<std::size_t>(now[0]); ++n) {
    const std::int64_t bound = now[1 + 2 * n];
    const std::int64_t tile = now[2 + 2 * n];
    const std::size_t before = out.size();
    for (std::int64_t j = 1; j < bound; ++j) {
      for (std::size_t i = 0; i < before; ++i) out.push_back(out[i] + j * tile);
    }
  }
}

void rolesOf(const DimLoopTable& loops, std::size_t d, std::size_t carryPos,
             const BoundaryPositions& at, const std::vector<std::int64_t>& children, DimRoles& r) {
  r.fixed.n = 0;
  r.reset.n = 0;
  r.parent.n = 0;
  r.carry = nullptr;
  r.childExtent = 1;
  r.unionExtent = 1;
  r.children = &children;
  for (std::size_t k = 0; k < loops.count[d]; ++k) {
    const DimLoopTable::Entry& e = loops.loops[d][k];
    if (e.pos >= at.childStart) r.childExtent *= e.bound;
    if (e.pos >= at.stop) r.unionExtent *= e.bound;
    if (e.spatial) {
      if (e.pos < at.stop) r.parent.push(e);
      continue;
    }
    if (e.pos == carryPos) {
      r.carry = &e;
    } else if (e.pos < carryPos) {
      r.fixed.push(e);
    } else if (e.pos < at.reuseEnd) {
      r.reset.push(e);
    }
  }
}

/// Calls fn(offset) for every combination of the loops' indices (offset: sum of index * tile).
template <typename Fn>
void forEachIndex(const LoopList& loops, Fn&& fn) {
  std::array<std::int64_t, kMaxLoopsPerDim> index{};
  for (;;) {
    std::int64_t offset = 0;
    for (std::size_t i = 0; i < loops.n; ++i) offset += index[i] * loops.at[i].tile;
    fn(offset);
    std::size_t i = loops.n;
    while (i-- > 0) {
      if (++index[i] < loops.at[i].bound) break;
      index[i] = 0;
    }
    if (i == static_cast<std::size_t>(-1)) return;
  }
}

/// The classes of dimension `d` (size `n`) at an advance of the carry: every configuration of
/// its fixed loops (and the carry's index when it is over d) whose new visit lies inside the
/// layer, times its parent instances inside it. `shifts`: false merges the shifts (a dimension
/// the tensor does not depend on).
void classesOf(const DimRoles& r, std::int64_t n, bool shifts, bool exact,
               std::vector<DimClass>& out) {
  out.clear();
  if (exact) {
    // Perfectly tiled: every configuration is inside, its union tile whole, and the shift the
    // same (the carry's tile, less the reset loops' spans).
    DimClass c;
    c.count = 1;
    for (const DimLoopTable::Entry& e : r.fixed) c.count *= e.bound;
    for (const DimLoopTable::Entry& e : r.parent) c.count *= e.bound;
    if (r.carry != nullptr) {
      c.count *= r.carry->bound - 1;
      c.shift = r.carry->tile;
    }
    for (const DimLoopTable::Entry& e : r.reset) c.shift -= (e.bound - 1) * e.tile;
    if (!shifts) c.shift = 0;
    c.edgeNew = c.edgeOld = r.unionExtent;
    if (c.count > 0) out.push_back(c);
    return;
  }
  auto add = [&](std::int64_t newer, std::int64_t older) {
    // The old visit: the reset loops at their last iteration inside the layer.
    for (const DimLoopTable::Entry& e : r.reset) {
      older += std::min(e.bound - 1, (n - 1 - older) / e.tile) * e.tile;
    }
    forEachIndex(r.parent, [&](std::int64_t p) {
      if (newer + p >= n) return;  // this parent instance idles at the new visit
      DimClass c;
      c.shift = shifts ? newer - older : 0;
      c.edgeNew = std::min(n - newer - p, r.unionExtent);
      c.edgeOld = std::max<std::int64_t>(0, std::min(n - older - p, r.unionExtent));
      c.count = 1;
      addClass(out, c);
    });
  };
  forEachIndex(r.fixed, [&](std::int64_t base) {
    if (r.carry == nullptr) {
      if (base < n) add(base, base);
      return;
    }
    for (std::int64_t i = 0; i + 1 < r.carry->bound; ++i) {
      const std::int64_t newer = base + (i + 1) * r.carry->tile;
      if (newer >= n) break;
      add(newer, base + i * r.carry->tile);
    }
  });
}

/// What one coordinate of the tensor contributes at an advance: summed over the class pairs of
/// its dimensions, the union words every child needing them held (`kept`) and the words each
/// child active at both visits keeps (`perChild`).
struct AxisKept {
  std::int64_t kept = 0;
  std::int64_t perChild = 0;
};

/// One pair of classes of one coordinate: everything its words are counted from.
using PairKey = std::array<std::int64_t, 14 + 2 * (1 + 2 * kMaxLoopsPerDim)>;

/// Scratch storage of haloSavingsByPositions (grown once, reused across carries and calls).
struct Scratch {
  std::array<std::vector<std::int64_t>, kMaxDims> children;
  std::array<std::vector<DimClass>, kMaxDims> classes;
  std::vector<std::uint32_t> mark;   ///< bit 0: a new word of a child; bit 1: one it lacked
  std::vector<std::uint32_t> stamp;  ///< the old words of the child being marked
  std::vector<std::uint32_t> seen;   ///< the new words of the child being marked
  /// Per dimension, the crossed fan-out's loops over it (bound, tile), which make `children`.
  std::array<Spread, kMaxDims> spread{};
  /// Per dimension, whether `children` was made from `spread`.
  std::array<bool, kMaxDims> childrenKnown{};
  /// Per dimension, fnv1a of `spread` (part of the memo's slot hash).
  std::array<std::uint64_t, kMaxDims> spreadHash{};
  /// The memo key being looked up (every entry is set before use: no zeroing per call).
  PairKey key{};
};

/// What a pair of classes keeps (before its configurations' count).
struct PairKept {
  std::int64_t kept = 0;
  std::int64_t perChild = 0;
};

}  // namespace

struct HaloMemo::State {
  static constexpr std::size_t kSlots = 4096;
  struct Entry {
    bool used = false;
    std::uint64_t hash = 0;  ///< of `key` (compared first: a different hash, a different key)
    PairKey key{};
    PairKept value;
  };
  std::vector<Entry> table = std::vector<Entry>(kSlots);
  Scratch scratch;
};

HaloMemo::HaloMemo() = default;
HaloMemo::~HaloMemo() = default;

HaloMemo::State& HaloMemo::state() {
  if (!state_) state_ = std::make_unique<State>();
  return *state_;
}

namespace {

/// FNV-1a over key[from, to), continuing from `h`.
std::uint64_t hashOf(const PairKey& key, std::size_t from, std::size_t to, std::uint64_t h) {
  return fnv1a(key.data() + from, key.data() + to, h);
}

AxisKept axisKept(const ProblemShape& shape, Tensor t, std::size_t axis,
                  const std::array<DimRoles, kMaxDims>& roles, Scratch& scratch,
                  HaloMemo::State* memo) {
  const std::array<std::vector<DimClass>, kMaxDims>& classes = scratch.classes;
  const std::size_t terms = shape.numTerms(t, axis);
  std::array<std::size_t, 2> dim{};
  std::array<std::int64_t, 2> coef{{0, 0}};
  for (std::size_t k = 0; k < terms; ++k) {
    dim[k] = idx(shape.term(t, axis, k).dim);
    coef[k] = shape.term(t, axis, k).coef;
  }
  static constexpr DimClass kOne{0, 1, 1, 1};
  static constexpr std::int64_t kZero = 0;
  const std::vector<DimClass>& c0 = classes[dim[0]];
  const DimClass* c1First = terms == 2 ? classes[dim[1]].data() : &kOne;
  const std::size_t c1Count = terms == 2 ? classes[dim[1]].size() : 1;
  const std::vector<std::int64_t>& kids0 = *roles[dim[0]].children;
  const std::int64_t* kids1First = terms == 2 ? roles[dim[1]].children->data() : &kZero;
  const std::size_t kids1Count = terms == 2 ? roles[dim[1]].children->size() : 1;
  const std::int64_t e0 = roles[dim[0]].childExtent;
  const std::int64_t e1 = terms == 2 ? roles[dim[1]].childExtent : 1;
  AxisKept out;
  std::vector<std::uint32_t>& mark = scratch.mark;
  std::vector<std::uint32_t>& stamp = scratch.stamp;
  std::vector<std::uint32_t>& seen = scratch.seen;
  PairKey& key = scratch.key;
  std::uint64_t fixedHash = 0;  // the pairs of one call differ only in key[8, 14)
  if (memo != nullptr) {
    key[0] = static_cast<std::int64_t>(t);
    key[1] = static_cast<std::int64_t>(axis);
    key[2] = coef[0];
    key[3] = coef[1];
    key[4] = e0;
    key[5] = e1;
    key[6] = roles[dim[0]].unionExtent;
    key[7] = roles[dim[1 % terms]].unionExtent;
    const auto& s0 = scratch.spread[dim[0]];
    std::copy(s0.begin(), s0.end(), key.begin() + 14);
    const auto tail = key.begin() + 14 + static_cast<std::ptrdiff_t>(s0.size());
    if (terms == 2) {
      const auto& s1 = scratch.spread[dim[1]];
      std::copy(s1.begin(), s1.end(), tail);
    } else {
      std::fill(tail, key.end(), 0);
    }
    // The spreads' part from their hashes (childrenOf): the slot only saves time, the whole key
    // is compared.
    fixedHash = hashOf(key, 0, 8, kFnvBasis);
    for (std::uint64_t part :
         {scratch.spreadHash[dim[0]], terms == 2 ? scratch.spreadHash[dim[1]] : std::uint64_t{0}}) {
      fixedHash ^= part;
      fixedHash *= 1099511628211ULL;
    }
  }
  for (const DimClass& a : c0) {
    for (std::size_t bi = 0; bi < c1Count; ++bi) {
      const DimClass& b = c1First[bi];
      const std::int64_t times = a.count * b.count;
      HaloMemo::State::Entry* entry = nullptr;
      std::uint64_t h = 0;
      if (memo != nullptr) {
        key[8] = a.shift;
        key[9] = a.edgeNew;
        key[10] = a.edgeOld;
        key[11] = b.shift;
        key[12] = b.edgeNew;
        key[13] = b.edgeOld;
        h = hashOf(key, 8, 14, fixedHash);
        entry = &memo->table[static_cast<std::size_t>(h ^ (h >> 29)) % HaloMemo::State::kSlots];
        if (entry->used && entry->hash == h && entry->key == key) {
          out.kept += times * entry->value.kept;
          out.perChild += times * entry->value.perChild;
          continue;
        }
      }
      // Coordinates relative to the new union origin; the old ones lie `shift` before.
      const std::int64_t lo = std::min<std::int64_t>(0, -coef[0] * a.shift) +
                              std::min<std::int64_t>(0, -coef[1] * b.shift);
      const std::int64_t hi = coef[0] * (roles[dim[0]].unionExtent + std::abs(a.shift)) +
                              coef[1] * (roles[dim[1 % terms]].unionExtent + std::abs(b.shift)) + 1;
      const auto size = static_cast<std::size_t>(hi - lo);
      mark.assign(size, 0);
      stamp.assign(size, 0);
      seen.assign(size, 0);
      std::uint32_t ev = 0;
      std::int64_t perChild = 0;
      for (std::int64_t k0 : kids0) {
        for (std::size_t ki = 0; ki < kids1Count; ++ki) {
          const std::int64_t k1 = kids1First[ki];
          const bool newActive = k0 < a.edgeNew && k1 < b.edgeNew;
          if (!newActive) continue;
          const bool oldActive = k0 < a.edgeOld && k1 < b.edgeOld;
          // Ranges along the two dimensions, [first, end), new and old.
          const std::int64_t nEnd0 = k0 + std::min(e0, a.edgeNew - k0);
          const std::int64_t nEnd1 = k1 + std::min(e1, b.edgeNew - k1);
          ++ev;
          if (oldActive) {
            const std::int64_t o0 = k0 - a.shift;
            const std::int64_t o1 = k1 - b.shift;
            const std::int64_t oEnd0 = o0 + std::min(e0, a.edgeOld - k0);
            const std::int64_t oEnd1 = o1 + std::min(e1, b.edgeOld - k1);
            for (std::int64_t x = o0; x < oEnd0; ++x) {
              for (std::int64_t y = o1; y < oEnd1; ++y) {
                stamp[static_cast<std::size_t>(coef[0] * x + coef[1] * y - lo)] = ev;
              }
            }
          }
          for (std::int64_t x = k0; x < nEnd0; ++x) {
            for (std::int64_t y = k1; y < nEnd1; ++y) {
              const auto at = static_cast<std::size_t>(coef[0] * x + coef[1] * y - lo);
              if (seen[at] == ev) continue;  // count each word once per child
              seen[at] = ev;
              const bool held = oldActive && stamp[at] == ev;
              mark[at] |= held ? 1U : 3U;
              perChild += held ? 1 : 0;
            }
          }
        }
      }
      std::int64_t kept = 0;
      for (std::uint32_t m : mark) kept += m == 1U ? 1 : 0;
      out.kept += times * kept;
      out.perChild += times * perChild;
      if (entry != nullptr) {
        entry->used = true;
        entry->hash = h;
        entry->key = key;
        entry->value = {kept, perChild};
      }
    }
  }
  return out;
}

/// What a dimension the tensor does not depend on contributes: summed over its classes, 1 where
/// some child is active at the new visit and every such child was at the old one (`kept`), and
/// the children active at both (`perChild`).
AxisKept otherDimKept(const DimRoles& r, const std::vector<DimClass>& classes) {
  AxisKept out;
  for (const DimClass& c : classes) {
    bool any = false;
    bool all = true;
    std::int64_t both = 0;
    for (std::int64_t k : *r.children) {
      if (k >= c.edgeNew) continue;
      any = true;
      all = all && k < c.edgeOld;
      both += k < c.edgeOld ? 1 : 0;
    }
    out.kept += any && all ? c.count : 0;
    out.perChild += c.count * both;
  }
  return out;
}

}  // namespace

HaloSavings haloSavingsByPositions(const ProblemShape& shape, const DimLoopTable& loops, Tensor t,
                                   const BoundaryPositions& at, HaloMemo* memo) {
  // The carry loops: temporal, below reuseEnd, in nest order.
  std::array<std::size_t, kMaxDims * kMaxLoopsPerDim> carryAt;  // [0, nCarries) set; no allocation
  std::size_t nCarries = 0;
  for (std::size_t d = 0; d < shape.numDims(); ++d) {
    for (std::size_t k = 0; k < loops.count[d]; ++k) {
      const DimLoopTable::Entry& e = loops.loops[d][k];
      if (!e.spatial && e.pos < at.reuseEnd) carryAt[nCarries++] = e.pos;
    }
  }
  const auto carriesEnd = carryAt.begin() + static_cast<std::ptrdiff_t>(nCarries);
  std::sort(carryAt.begin(), carriesEnd);
  const std::uint32_t relevant = shape.projectedDims(t);
  std::array<std::int64_t, kMaxDims> sizes{};
  for (std::size_t d = 0; d < shape.numDims(); ++d) sizes[d] = shape.size(ProblemShape::dimAt(d));
  // Dimensions on a one-term coordinate of t: an advance of a loop over one moves every tile to
  // disjoint words (the loops' tiles partition the dimension), so such a carry keeps nothing.
  std::uint32_t oneTerm = 0;
  for (std::size_t axis = 0; axis < shape.numAxes(t); ++axis) {
    if (shape.numTerms(t, axis) == 1) oneTerm |= 1U << idx(shape.term(t, axis, 0).dim);
  }
  HaloSavings s;
  HaloMemo::State* state = memo != nullptr ? &memo->state() : nullptr;
  std::optional<Scratch> local;  // made only without a memo (a Scratch is large to clear)
  Scratch& scratch = state != nullptr ? state->scratch : local.emplace();
  for (std::size_t d = 0; d < shape.numDims(); ++d) {
    childrenOf(loops, d, at, scratch.children[d], scratch.spread[d], scratch.childrenKnown[d],
               scratch.spreadHash[d]);
  }
  for (auto it = carryAt.begin(); it != carriesEnd; ++it) {
    const std::size_t pos = *it;
    bool disjoint = false;
    for (std::size_t d = 0; d < shape.numDims(); ++d) {
      if ((oneTerm >> d & 1U) == 0) continue;
      for (std::size_t k = 0; k < loops.count[d]; ++k) {
        disjoint = disjoint || (loops.loops[d][k].pos == pos && !loops.loops[d][k].spatial);
      }
    }
    if (disjoint) continue;
    std::array<DimRoles, kMaxDims> roles;
    bool none = false;
    for (std::size_t d = 0; d < shape.numDims(); ++d) {
      rolesOf(loops, d, pos, at, scratch.children[d], roles[d]);
      classesOf(roles[d], sizes[d], (relevant >> d & 1U) != 0, loops.exact[d], scratch.classes[d]);
      none = none || scratch.classes[d].empty();
    }
    if (none) continue;  // no advance of this loop reaches a visit inside the layer
    std::int64_t kept = 1;
    std::int64_t perChild = 1;
    for (std::size_t axis = 0; axis < shape.numAxes(t); ++axis) {
      const AxisKept a = axisKept(shape, t, axis, roles, scratch, state);
      kept *= a.kept;
      perChild *= a.perChild;
    }
    for (std::size_t d = 0; d < shape.numDims(); ++d) {
      if ((relevant >> d & 1U) != 0) continue;
      const AxisKept a = otherDimKept(roles[d], scratch.classes[d]);
      kept *= a.kept;
      perChild *= a.perChild;
    }
    s.unionWords += kept;
    s.instanceWords += perChild;
  }
  return s;
}

}  // namespace dfsim
