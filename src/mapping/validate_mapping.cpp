#include "mapping/validate_mapping.hpp"

#include <string>

#include "common/errors.hpp"
#include "mapping/tile_math.hpp"

namespace dfsim {

namespace {

[[noreturn]] void fail(const std::string& context, const std::string& what) {
  throw InputError(context + ": " + what);
}

std::vector<Loop> concat(const std::vector<Loop>& a, const std::vector<Loop>& b) {
  std::vector<Loop> all = a;
  all.insert(all.end(), b.begin(), b.end());
  return all;
}

void checkCapacity(const Layer& layer, const ArchSpec& arch, const Mapping& m, Level level,
                   const std::string& context) {
  const std::vector<StoragePartition>& parts =
      level == Level::Rf ? arch.rf.partitions : arch.glb.partitions;
  const PerTensor<bool>& keeps = level == Level::Rf ? m.rfKeeps : m.glbKeeps;
  const DimExtents inner =
      level == Level::Rf ? extentsOf(m.rfLoops)
                         : withSpatial(m.spatialLoops, extentsOf(concat(m.glbLoops, m.rfLoops)));
  const std::int64_t copies = (level == Level::Glb && arch.glb.doubleBuffered) ? 2 : 1;
  for (const StoragePartition& p : parts) {
    std::int64_t need = 0;
    std::string who;
    for (Tensor t : kAllTensors) {
      if (!p.tensors[t] || !keeps[t]) continue;
      need += copies * tileWords(layer, t, inner);
      who += std::string(who.empty() ? "" : "+") + std::string(tensorName(t));
    }
    if (need > p.capacityWords) {
      fail(context, std::string(levelName(level)) + " tile of " + who + " needs " +
                        std::to_string(need) + " words" +
                        (copies == 2 ? " (double buffered)" : "") + " but its partition holds " +
                        std::to_string(p.capacityWords));
    }
  }
}

}  // namespace

void validateMapping(const Layer& layer, const ArchSpec& arch, const Mapping& m,
                     const std::string& context) {
  if (!layer.onArray()) fail(context, "layer " + layer.name + " does not run on the PE array");
  DimExtents product;
  product.fill(1);
  auto add = [&](Dim d, std::int64_t bound, const char* where) {
    if (bound < 1) {
      fail(context, std::string(where) + " loop over " + std::string(dimName(d)) + " has bound " +
                        std::to_string(bound) + ", expected >= 1");
    }
    product[idx(d)] *= bound;
  };
  for (const Loop& l : m.dramLoops) add(l.dim, l.bound, "dram");
  for (const Loop& l : m.glbLoops) add(l.dim, l.bound, "glb");
  for (const SpatialLoop& l : m.spatialLoops) add(l.dim, l.bound, "spatial");
  for (const Loop& l : m.rfLoops) add(l.dim, l.bound, "rf");
  for (Dim d : kAllDims) {
    if (product[idx(d)] != layer.dim(d)) {
      fail(context, "loop bounds over " + std::string(dimName(d)) + " multiply to " +
                        std::to_string(product[idx(d)]) + ", expected " +
                        std::to_string(layer.dim(d)) + " (the layer's " + std::string(dimName(d)) +
                        ")");
    }
  }
  if (m.spatialExtent(Axis::Rows) > arch.rows) {
    fail(context, "spatial loops use " + std::to_string(m.spatialExtent(Axis::Rows)) +
                      " rows, the array has " + std::to_string(arch.rows));
  }
  if (m.spatialExtent(Axis::Cols) > arch.cols) {
    fail(context, "spatial loops use " + std::to_string(m.spatialExtent(Axis::Cols)) +
                      " cols, the array has " + std::to_string(arch.cols));
  }
  for (Tensor t : kAllTensors) {
    if (m.rfKeeps[t] && !arch.holds(Level::Rf, t)) {
      fail(context, "keeps " + std::string(tensorName(t)) +
                        " in the RF, but the arch has no RF partition for them");
    }
    if (m.glbKeeps[t] && !arch.holds(Level::Glb, t)) {
      fail(context, "keeps " + std::string(tensorName(t)) +
                        " in the GLB, but the arch has no GLB partition for them");
    }
  }
  checkCapacity(layer, arch, m, Level::Rf, context);
  checkCapacity(layer, arch, m, Level::Glb, context);
}

}  // namespace dfsim
