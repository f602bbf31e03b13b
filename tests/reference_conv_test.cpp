// The functional oracle itself, against numbers worked out by hand: every other functional check
// compares the simulator with referenceConv, so referenceConv must be right on its own.
#include <catch2/catch.hpp>

#include <cstdint>
#include <vector>

#include "test_support.hpp"
#include "workload/layer.hpp"
#include "workload/reference_conv.hpp"
#include "workload/tensor_data.hpp"

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

TEST_CASE("referenceConv: dilation, strides and paddings per axis", "[reference]") {
  using dfsim::WindowAxis;
  // 5x5 input 0..24; a 2x2 all-ones filter dilated 2 on rows and 1 on cols: tap (r, s) reads
  // (p + 2r, q + s). Outputs 3 x 4: window sums in[p][q] + in[p][q+1] + in[p+2][q] + in[p+2][q+1].
  {
    const dfsim::Layer l =
        dfsim::test::convWindow("dil", 1, 1, 1, 5, 5, 2, 2, {1, 2, 0, 0}, {1, 1, 0, 0});
    REQUIRE(l.P == 3);
    REQUIRE(l.Q == 4);
    std::vector<std::int32_t> in(25);
    for (std::int32_t i = 0; i < 25; ++i) in[static_cast<std::size_t>(i)] = i;
    const std::vector<std::int32_t> out = dfsim::referenceConv(l, {1, 1, 1, 1}, in);
    // p=0,q=0: 0+1+10+11 = 22; each q step adds 4, each p step adds 20.
    CHECK(out == std::vector<std::int32_t>{22, 26, 30, 34, 42, 46, 50, 54, 62, 66, 70, 74});
  }
  // A 3x3 input padded 1 on top only and 2 on the left only (padded 4 x 5); a 1x1 filter of 1,
  // stride 2 on rows and 3 on cols: outputs read padded (0,0), (0,3), (2,0) and (2,3).
  {
    const dfsim::Layer l =
        dfsim::test::convWindow("pad", 1, 1, 1, 3, 3, 1, 1, {2, 1, 1, 0}, {3, 1, 2, 0});
    REQUIRE(l.P == 2);
    REQUIRE(l.Q == 2);
    REQUIRE(l.paddedH() == 4);
    REQUIRE(l.paddedW() == 5);
    // The padded layout: row 0 and columns 0-1 are zero; input (h, w) sits at (h+1, w+2).
    std::vector<std::int32_t> in(20, 0);
    for (std::int32_t h = 0; h < 3; ++h) {
      for (std::int32_t w = 0; w < 3; ++w) {
        in[static_cast<std::size_t>((h + 1) * 5 + w + 2)] = 10 * (h + 1) + (w + 1);
      }
    }
    // Padded (0,0) = 0, (0,3) = 0 (row 0 is padding), (2,0) = 0 (column 0 is padding),
    // (2,3) = input (1, 1) = 22.
    CHECK(dfsim::referenceConv(l, {1}, in) == std::vector<std::int32_t>{0, 0, 0, 22});
    // The generated inputs put the padding where the layout says: zero exactly on row 0 and
    // columns 0-1 of every channel (values are drawn from [-8, 7], so a real input may be 0 too).
    const std::vector<std::int32_t> made = dfsim::makeInputs(l, 7);
    REQUIRE(made.size() == 20);
    int nonzeroInside = 0;
    for (std::size_t i = 0; i < made.size(); ++i) {
      const bool pad = i / 5 == 0 || i % 5 < 2;
      if (pad) CHECK(made[i] == 0);
      if (!pad && made[i] != 0) ++nonzeroInside;
    }
    CHECK(nonzeroInside >= 5);
  }
}
