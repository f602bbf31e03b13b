#include "mapping/loop_nest.hpp"

namespace dfsim {

LoopNest toLoopNest(const Mapping& m) {
  LoopNest n;
  n.levels.resize(3);
  n.levels[0].temporal = m.dramLoops;
  n.levels[1].temporal = m.glbLoops;
  n.levels[1].spatial = m.spatialLoops;
  n.levels[1].keeps = m.glbKeeps;
  n.levels[2].temporal = m.rfLoops;
  n.levels[2].keeps = m.rfKeeps;
  return n;
}

}  // namespace dfsim
