#pragma once

#include <cstdint>
#include <optional>

namespace dfsim {

/// Overflow-checked integer arithmetic for products and sums of user numbers (loop bounds, tile
/// sizes, words, bytes, cycles). Each returns the exact result, or std::nullopt when it does not
/// fit the type; the caller turns that into an InputError naming the file and JSON path. Use
/// them where no earlier validation bounds the operands; where one does, say in a comment why
/// the plain operator cannot overflow (the hot paths rely on such proofs, not on checks).

/// a * b, or nullopt when the product does not fit `T` (std::int64_t or std::uint64_t).
template <typename T>
constexpr std::optional<T> checkedMul(T a, T b) {
  T r = 0;
  if (__builtin_mul_overflow(a, b, &r)) return std::nullopt;
  return r;
}

/// a + b, or nullopt when the sum does not fit `T` (std::int64_t or std::uint64_t).
template <typename T>
constexpr std::optional<T> checkedAdd(T a, T b) {
  T r = 0;
  if (__builtin_add_overflow(a, b, &r)) return std::nullopt;
  return r;
}

/// The product of optional factors: nullopt when either is nullopt or the product overflows,
/// so that a chain `mulOpt(mulOpt(a, b), c)` is checked as a whole.
constexpr std::optional<std::int64_t> mulOpt(std::optional<std::int64_t> a,
                                             std::optional<std::int64_t> b) {
  if (!a || !b) return std::nullopt;
  return checkedMul(*a, *b);
}

/// The sum of optional terms: nullopt when either is nullopt or the sum overflows.
constexpr std::optional<std::int64_t> addOpt(std::optional<std::int64_t> a,
                                             std::optional<std::int64_t> b) {
  if (!a || !b) return std::nullopt;
  return checkedAdd(*a, *b);
}

}  // namespace dfsim
