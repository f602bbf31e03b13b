#pragma once

#include <vector>

#include "common/ids.hpp"
#include "common/per_tensor.hpp"
#include "dataflow/dataflow.hpp"
#include "workload/problem_shape.hpp"

namespace dfsim {

/// A dataflow written as data (Timeloop-style constraints on a mapping): which dimensions may be
/// spread over array rows and columns, which tensors the PE register file keeps, which dimensions
/// the RF loops iterate (innermost first) and the loop orders above the array. One controller runs
/// every dataflow; they differ only in these rules.
struct DataflowRules {
  std::vector<Dim> rowDims;  ///< spread over array rows, in priority order
  std::vector<Dim> colDims;  ///< spread over array columns, in priority order
  /// Dims that take the largest factor their axis can hold (RS: the filter rows R, so that
  /// psums accumulate vertically); the others are free.
  std::vector<Dim> fullySpread;
  bool fixedAxes = false;           ///< rows and columns may not swap roles
  PerTensor<bool> rfKeeps{};        ///< tensors held in the RF (when the arch has room for them)
  std::vector<Dim> rfInnerFirst;    ///< dims the RF loops may iterate, innermost first
  std::vector<Dim> glbInnerFirst;   ///< dims grown inside the GLB tile, innermost first
  std::vector<Dim> dramOuterFirst;  ///< order of the DRAM loops, outermost first
};

/// The rules of `d` for a convolution's `shape` (README "Dataflows" explains each choice against
/// ISCA 2016 §VI-A). The rules name the conv dimensions N G M C P Q R S through the shape
/// (shape.dimByName); throws InternalError for a shape without them.
DataflowRules rulesFor(Dataflow d, const ProblemShape& shape);

}  // namespace dfsim
