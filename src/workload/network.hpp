#pragma once

#include <string>
#include <vector>

#include "workload/layer.hpp"

namespace dfsim {

/// An ordered list of layers, as read from a network JSON file.
struct Network {
  std::string name;
  std::vector<Layer> layers;
};

}  // namespace dfsim
