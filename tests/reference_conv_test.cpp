// The functional oracle itself, against numbers worked out by hand: every other functional check
// compares the simulator with referenceConv, so referenceConv must be right on its own.
#include <catch2/catch.hpp>

#include <cstdint>
#include <vector>

#include "test_support.hpp"
#include "workload/layer.hpp"
#include "workload/reference_conv.hpp"

namespace {

/// A square layer of `c` input and `m` output channels, no padding.
dfsim::Layer conv(std::int64_t c, std::int64_t m, std::int64_t hw, std::int64_t rs,
                  std::int64_t stride, std::int64_t groups) {
  return dfsim::test::conv("hand", 1, c, m, hw, rs, stride, 0, groups);
}

}  // namespace

TEST_CASE("referenceConv: one channel, 3x3 input, 2x2 filter, stride 1", "[reference]") {
  // in = 1 2 3 / 4 5 6 / 7 8 9, w = 1 0 / 0 -1: out[p][q] = in[p][q] - in[p+1][q+1] = -4.
  const dfsim::Layer l = conv(1, 1, 3, 2, 1, 1);
  const std::vector<std::int32_t> in = {1, 2, 3, 4, 5, 6, 7, 8, 9};
  const std::vector<std::int32_t> w = {1, 0, 0, -1};
  CHECK(dfsim::referenceConv(l, w, in) == std::vector<std::int32_t>{-4, -4, -4, -4});
}

TEST_CASE("referenceConv: stride 2 and two filters", "[reference]") {
  // 4x4 input 0..15, 2x2 filters: all ones (window sums) and only the bottom-right tap.
  const dfsim::Layer l = conv(1, 2, 4, 2, 2, 1);
  std::vector<std::int32_t> in(16);
  for (std::int32_t i = 0; i < 16; ++i) in[static_cast<std::size_t>(i)] = i;
  const std::vector<std::int32_t> w = {1, 1, 1, 1, 0, 0, 0, 1};
  // Windows at (0,0), (0,2), (2,0), (2,2): sums 0+1+4+5, 2+3+6+7, 8+9+12+13, 10+11+14+15.
  CHECK(dfsim::referenceConv(l, w, in) == std::vector<std::int32_t>{10, 18, 42, 50, 5, 7, 13, 15});
}

TEST_CASE("referenceConv: two groups see only their own channels", "[reference]") {
  // C = M = 2 in two groups, 1x1 input and filter: out[g] = w[g] * in[g].
  const dfsim::Layer l = conv(2, 2, 1, 1, 1, 2);
  CHECK(dfsim::referenceConv(l, {3, 5}, {7, 11}) == std::vector<std::int32_t>{21, 55});
  // Without groups each output sums over both channels.
  const dfsim::Layer dense = conv(2, 2, 1, 1, 1, 1);
  CHECK(dfsim::referenceConv(dense, {3, 5, 2, 1}, {7, 11}) ==
        std::vector<std::int32_t>{3 * 7 + 5 * 11, 2 * 7 + 1 * 11});
}

TEST_CASE("referenceConv: padded inputs are read in their padded layout", "[reference]") {
  // 1x1 input 4 with padding 1 is the 3x3 padded image 0 0 0 / 0 4 0 / 0 0 0; a 3x3 filter of
  // 1..9 gives one output, 4 * 5 (the centre tap).
  const dfsim::Layer l = dfsim::test::conv("hand", 1, 1, 1, 1, 3, 1, 1);
  REQUIRE(l.P == 1);
  const std::vector<std::int32_t> in = {0, 0, 0, 0, 4, 0, 0, 0, 0};
  const std::vector<std::int32_t> w = {1, 2, 3, 4, 5, 6, 7, 8, 9};
  CHECK(dfsim::referenceConv(l, w, in) == std::vector<std::int32_t>{20});
}
