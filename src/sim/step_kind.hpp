#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace dfsim {

/// One kind of array step of a ragged mapping: the set of dimensions a step is clipped in (a
/// ragged edge of the array tile), and the PEs that work in such a step (a PE idles when its
/// tile's origin is beyond the problem's edge in some dimension). Kind 0 is the full step
/// (every PE works); a perfectly factorised mapping has only that one. The blocks take it to
/// run over the working PEs only and to memoise fast-mode transfers per kind.
struct StepKind {
  std::size_t id = 0;             ///< index among the mapping's step kinds (RaggedPlan)
  std::vector<std::int64_t> pes;  ///< the working PEs, ascending (PE 0 always works)
};

}  // namespace dfsim
