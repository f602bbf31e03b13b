// One line per mapping and its analytic scores, for the recorded expectations of
// tests/mapper_tiling_test.cpp (tests/golden/perfect_tiling_mappings.txt): every loop with its
// dimension and bound, both keep sets, and the scores printed with every digit, so that any
// change of mapping or score changes the line.
#pragma once

#include <cstdio>
#include <string>
#include <vector>

#include "arch/arch_spec.hpp"
#include "energy/energy_breakdown.hpp"
#include "energy/energy_table.hpp"
#include "mapping/analytic_model.hpp"
#include "mapping/mapping.hpp"
#include "workload/layer.hpp"

namespace dfsim::test {

/// The layers, and a fixed set of small ones, the perfect-tiling expectations were recorded on.
/// `label` names the case; `energy` and `cycles` are the scores to print.
inline std::string mappingDigest(const std::string& label, const Layer& layer, const Mapping& m,
                                 double energy, double cycles) {
  const ProblemShape shape = layer.shape();
  std::string s = label + " |";
  auto loops = [&](const char* level, const std::vector<Loop>& ls) {
    s += std::string(" ") + level + ":";
    for (const Loop& l : ls) s += std::string(shape.name(l.dim)) + std::to_string(l.bound) + ",";
  };
  loops("D", m.dramLoops);
  loops("G", m.glbLoops);
  s += " S:";
  for (const SpatialLoop& l : m.spatialLoops) {
    s += std::string(shape.name(l.dim)) + std::to_string(l.bound) +
         (l.axis == Axis::Rows ? "r" : "c") + ",";
  }
  loops("F", m.rfLoops);
  s += " keep:";
  for (Tensor t : kAllTensors) s += std::string(m.glbKeeps[t] ? "1" : "0");
  s += "/";
  for (Tensor t : kAllTensors) s += std::string(m.rfKeeps[t] ? "1" : "0");
  char buf[96];
  std::snprintf(buf, sizeof buf, " | E=%.17g C=%.17g", energy, cycles);
  return s + buf;
}

}  // namespace dfsim::test
