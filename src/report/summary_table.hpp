#pragma once

#include <ostream>
#include <string>

#include "workload/layer.hpp"
#include "workload/network.hpp"

namespace dfsim {

/// A layer's shape on one line, e.g. `C3 H227x227 -> M96 P55x55, R11x11 /4 pad0 g1`:
/// input channels and size, output channels and size, filter size, stride, padding, groups.
std::string shapeText(const Layer& layer);

/// Prints what `dfsim summary` shows: a title, then per layer its name, type, batch, shape,
/// weights and MACs (thousands separators), then "CONV total", "FC total" and "All layers" rows
/// of weights and MACs (CONV: layers of type conv; FC: type fc; pooling has none).
void printSummary(std::ostream& os, const Network& net);

}  // namespace dfsim
