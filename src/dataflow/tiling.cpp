#include "dataflow/tiling.hpp"

#include <algorithm>

namespace dfsim {

const char* tilingName(Tiling t) {
  return t == Tiling::Perfect ? "perfect" : "ragged";
}

bool parseTiling(std::string_view s, Tiling& out) {
  for (Tiling t : {Tiling::Perfect, Tiling::Ragged}) {
    if (s == tilingName(t)) {
      out = t;
      return true;
    }
  }
  return false;
}

std::vector<std::int64_t> splitFactors(std::int64_t n, std::int64_t limit, Tiling tiling) {
  std::vector<std::int64_t> out;
  // c runs up to ceil(sqrt(n)): every divisor pair has its small member there, and every
  // useful factor is either such a c or ceil(n / c) for such a c (a useful f > ceil(sqrt(n))
  // gives a count ceil(n / f) <= ceil(sqrt(n))).
  for (std::int64_t c = 1; c <= n && (c - 1) * (c - 1) < n; ++c) {
    if (n % c == 0) {
      out.push_back(c);
      out.push_back(n / c);
    }
    if (tiling == Tiling::Ragged) {
      out.push_back(ceilDiv(n, c));
      if (ceilDiv(n, ceilDiv(n, c)) == c) out.push_back(c);
    }
  }
  out.erase(std::remove_if(out.begin(), out.end(), [&](std::int64_t f) { return f > limit; }),
            out.end());
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

bool spatialLegal(const std::vector<SpatialLoop>& spatial, const DimExtents& rfExt,
                  const DimExtents& full) {
  DimExtents inside = rfExt;
  for (auto it = spatial.rbegin(); it != spatial.rend(); ++it) {
    const std::size_t i = idx(it->dim);
    if ((it->bound - 1) * inside[i] >= full[i]) return false;
    inside[i] *= it->bound;
  }
  return true;
}

}  // namespace dfsim
