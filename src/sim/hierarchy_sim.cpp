#include "sim/hierarchy_sim.hpp"

#include <memory>
#include <string>
#include <vector>

#include <systemc>

#include "common/errors.hpp"
#include "mapping/validate_loop_nest.hpp"
#include "sim/fanout_network.hpp"
#include "sim/fresh_kernel.hpp"
#include "sim/hierarchy_controller.hpp"
#include "sim/sim_clock.hpp"
#include "sim/storage_level.hpp"
#include "workload/reference_conv.hpp"
#include "workload/tensor_data.hpp"

namespace dfsim {

namespace {

/// The blocks of one accelerator of any hierarchy, wired.
struct Machine {
  std::vector<std::unique_ptr<BoxShape>> shapes;
  std::vector<std::unique_ptr<StorageLevel>> levels;
  std::vector<std::unique_ptr<FanOutNetwork>> networks;  ///< per entry (null for storage)
  std::unique_ptr<FanOutNetwork> direct;
  std::unique_ptr<HierarchyController> controller;
};

std::unique_ptr<Machine> build(const ProblemShape& shape, const ArchSpec& arch, const Hierarchy& h,
                               const LoopNest& nest, const SimClock& clock, bool functional,
                               bool skipRepeats) {
  auto m = std::make_unique<Machine>();
  const std::vector<std::size_t> storage = h.storageEntries();
  if (storage.size() != nest.levels.size()) {
    throw InternalError("simulateHierarchy: the nest has not one level per storage level");
  }
  PerTensor<TensorLayout> layout;
  for (Tensor t : kAllTensors) layout[t] = TensorLayout::make(shape, t);
  // Per level: instances (the spatial loops above it) and the largest tile of each tensor
  // (the loops of it and below, clipped to the layer: a loop's first iteration is its largest).
  DimVector ext;
  ext.fill(1);
  std::vector<DimVector> tileExt(nest.levels.size());
  for (std::size_t k = nest.levels.size(); k-- > 0;) {
    for (const SpatialLoop& l : nest.levels[k].spatial) ext[idx(l.dim)] *= l.bound;
    for (const Loop& l : nest.levels[k].temporal) ext[idx(l.dim)] *= l.bound;
    tileExt[k] = ext;
    for (std::size_t d = 0; d < shape.numDims(); ++d) {
      tileExt[k][d] = std::min(tileExt[k][d], shape.size(ProblemShape::dimAt(d)));
    }
  }
  std::int64_t instances = 1;
  m->networks.resize(h.size());
  for (std::size_t k = 0; k < nest.levels.size(); ++k) {
    const StorageLevelSpec& spec = h.entries[storage[k]].storage;
    PerTensor<const BoxShape*> tile{};
    PerTensor<std::int64_t> bytes{};
    PerTensor<bool> keeps = nest.levels[k].keeps;
    for (Tensor t : kAllTensors) {
      const std::int64_t bits = spec.tensorBits[t] > 0 ? spec.tensorBits[t] : arch.bitsOf(t);
      bytes[t] = (bits + 7) / 8;
      if (k == 0) keeps[t] = true;
      if (!keeps[t]) continue;
      m->shapes.push_back(std::make_unique<BoxShape>(
          k == 0 ? BoxShape::whole(layout[t]) : BoxShape::make(layout[t], tileExt[k])));
      tile[t] = m->shapes.back().get();
    }
    m->levels.push_back(std::make_unique<StorageLevel>(spec.name.c_str(), spec, instances, keeps,
                                                       tile, bytes, arch.clockMhz));
    if (storage[k] + 1 < h.size() && !h.isStorage(storage[k] + 1)) {
      const FanOutSpec& f = h.entries[storage[k] + 1].fanOut;
      m->networks[storage[k] + 1] =
          std::make_unique<FanOutNetwork>(f.name.c_str(), &f, instances, functional);
    }
    for (const SpatialLoop& l : nest.levels[k].spatial) instances *= l.bound;
  }
  m->direct = std::make_unique<FanOutNetwork>("direct_link", nullptr, 1, functional);
  std::vector<StorageLevel*> levels;
  for (auto& l : m->levels) levels.push_back(l.get());
  std::vector<FanOutNetwork*> networks;
  for (auto& n : m->networks) networks.push_back(n.get());
  m->controller = std::make_unique<HierarchyController>(
      "controller", shape, h, nest, clock, levels, networks, *m->direct, functional, skipRepeats);
  return m;
}

}  // namespace

SimResult simulateHierarchy(const Layer& layer, const ArchSpec& arch, const LoopNest& nest,
                            const SimOptions& options) {
  if (options.check && !options.functional) {
    throw InternalError("simulateHierarchy: a check needs the functional simulation");
  }
  const ProblemShape shape = layer.shape();
  const Hierarchy h = arch.hierarchy();
  validateDramModel(h, nest, "arch");  // validateLoopNest did; a guard for direct callers
  // A DRAM model whose future is not its backlog (open rows, the refresh phase) is stepped
  // through: skipping ahead would not be exact.
  const bool dramSkips =
      h.entries[h.storageEntries()[0]].storage.dramTiming.kind == DramTimingSpec::Kind::Bandwidth;
  std::vector<std::int32_t> expected;
  FreshKernel kernel;
  const SimClock clock{};
  std::unique_ptr<Machine> m =
      build(shape, arch, h, nest, clock, options.functional, options.skipRepeats && dramSkips);
  if (options.functional) {
    StorageLevel& dram = *m->levels[0];
    dram.tile(0, Tensor::Weights).data = makeWeights(layer, options.seed);
    dram.tile(0, Tensor::Inputs).data = makeInputs(layer, options.seed);
    if (options.check) {
      expected = referenceConv(layer, dram.tile(0, Tensor::Weights).data,
                               dram.tile(0, Tensor::Inputs).data);
    }
  }
  for (Tensor t : kAllTensors) m->levels[0]->tile(0, t).holding = true;
  if (options.trace != nullptr) {
    options.trace->levelNames.clear();
    for (std::size_t e : h.storageEntries()) {
      options.trace->levelNames.push_back(h.entries[e].storage.name);
    }
    m->controller->setTrace(options.trace);
  }
  sc_core::sc_start();
  if (!m->controller->finished()) {
    throw InternalError("simulation of layer " + layer.name + " stopped before its end");
  }
  SimResult result;
  result.cycles = m->controller->cycles();
  result.stepsSkipped = m->controller->stepsSkipped();
  if (result.cycles.total.count() > kMaxCycles) {
    throw InternalError("simulation of layer " + layer.name + " passed its cycle bound");
  }
  result.activePes = 1;
  for (const LevelLoops& l : nest.levels) {
    for (const SpatialLoop& s : l.spatial) result.activePes *= s.bound;
  }
  const std::vector<std::size_t> storage = h.storageEntries();
  for (std::size_t k = 0; k < storage.size(); ++k) {
    for (Tensor t : kAllTensors) result.counts(storage[k], t) = m->levels[k]->counts()[t];
  }
  for (std::size_t e = 0; e < h.size(); ++e) {
    if (m->networks[e] == nullptr) continue;
    for (Tensor t : kAllTensors) result.counts(e, t) = m->networks[e]->counts()[t];
  }
  result.counts.macs = m->levels.back()->macs();
  result.dramRows = m->levels[0]->dramRowStats();
  if (options.check) {
    const std::vector<std::int32_t>& got = m->levels[0]->tile(0, Tensor::Outputs).data;
    for (std::size_t i = 0; i < expected.size(); ++i) {
      if (got[i] != expected[i]) {
        result.checkMismatch = "--check: layer " + layer.name + ": output word " +
                               std::to_string(i) + " is " + std::to_string(got[i]) +
                               ", the reference convolution gives " + std::to_string(expected[i]);
        break;
      }
    }
    result.checked = result.checkMismatch.empty();
  }
  m.reset();
  return result;
}

}  // namespace dfsim
