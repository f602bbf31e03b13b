#include "sim/simulate_layer.hpp"

#include <memory>
#include <string>

#include <systemc>

#include "common/errors.hpp"
#include "sim/array_noc.hpp"
#include "sim/controller.hpp"
#include "sim/dram.hpp"
#include "sim/fresh_kernel.hpp"
#include "sim/global_buffer.hpp"
#include "sim/hierarchy_sim.hpp"
#include "sim/pe_array.hpp"
#include "sim/sim_clock.hpp"
#include "workload/reference_conv.hpp"
#include "workload/tensor_data.hpp"

namespace dfsim {

namespace {

/// The blocks of one accelerator, wired: controller -> GLB -> (TLM) -> DRAM, NoC, PE array.
struct Accelerator {
  Accelerator(const ProblemShape& shape, const ArchSpec& arch, const Mapping& mapping,
              const SimClock& clock, std::vector<std::int32_t> weights,
              std::vector<std::int32_t> inputs, bool functional, bool skipRepeats)
      : dram("dram", arch, shape, clock, std::move(weights), std::move(inputs)),
        glb("glb", arch, clock),
        noc("noc", arch, functional),
        pes("pe_array", arch, mapping.activePes(), functional),
        controller("controller", shape, arch, mapping, clock, dram, glb, noc, pes,
                   !functional && skipRepeats) {
    glb.dramSocket.bind(dram.socket);
  }
  Dram dram;
  GlobalBuffer glb;
  ArrayNoc noc;
  PeArray pes;
  Controller controller;
};

/// The first output word that differs from the reference convolution, described; empty when
/// every word matches.
std::string firstMismatch(const Layer& layer, const TileBuffer& outputs,
                          const std::vector<std::int32_t>& expected) {
  for (std::size_t i = 0; i < expected.size(); ++i) {
    if (!outputs.valid[i] || outputs.data[i] != expected[i]) {
      return "--check: layer " + layer.name + ": output word " + std::to_string(i) +
             (outputs.valid[i] ? " is " + std::to_string(outputs.data[i])
                               : std::string(" was never written")) +
             ", the reference convolution gives " + std::to_string(expected[i]);
    }
  }
  return {};
}

/// Whether a 4-level run needs the hierarchy simulator (the same counts and step timing): the
/// blocks here move whole tiles over one bandwidth bus and one network port, so halo reuse,
/// DRAM models that need addresses and networks other than the ideal one go there, and so
/// does a traced run (only that simulator records spans).
bool needsHierarchySimulator(const ArchSpec& arch, const SimOptions& options) {
  return options.trace != nullptr || arch.glb.haloReuse || arch.rf.haloReuse ||
         arch.dram.timing.kind != DramTimingSpec::Kind::Bandwidth ||
         arch.noc.network != NetworkKind::Ideal;
}

}  // namespace

SimResult simulateLayer(const Layer& layer, const ArchSpec& arch, const Mapping& mapping,
                        const SimOptions& options) {
  if (needsHierarchySimulator(arch, options)) {
    return simulateHierarchy(layer, arch, toLoopNest(mapping), options);
  }
  return simulateLayer(layer, layer.shape(), arch, mapping, options);
}

SimResult simulateLayer(const Layer& layer, const ProblemShape& shape, const ArchSpec& arch,
                        const Mapping& mapping, const SimOptions& options) {
  if (options.check && !options.functional) {
    throw InternalError("simulateLayer: a check needs the functional simulation");
  }
  if (needsHierarchySimulator(arch, options)) {
    throw InternalError(
        "simulateLayer: traces, halo reuse, addressed DRAM models and non-ideal networks are "
        "simulated by the layer overload");
  }
  // Fast mode moves no values: the tensors are all zero.
  PerTensor<std::int64_t> words;
  for (Tensor t : kAllTensors) words[t] = shape.tensorWords(t);
  std::vector<std::int32_t> weights =
      options.functional
          ? makeWeights(layer, options.seed)
          : std::vector<std::int32_t>(static_cast<std::size_t>(words[Tensor::Weights]));
  std::vector<std::int32_t> inputs =
      options.functional
          ? makeInputs(layer, options.seed)
          : std::vector<std::int32_t>(static_cast<std::size_t>(words[Tensor::Inputs]));
  std::vector<std::int32_t> expected;
  if (options.check) expected = referenceConv(layer, weights, inputs);

  FreshKernel kernel;
  const SimClock clock{};
  auto acc =
      std::make_unique<Accelerator>(shape, arch, mapping, clock, std::move(weights),
                                    std::move(inputs), options.functional, options.skipRepeats);
  sc_core::sc_start();
  if (!acc->controller.finished()) {
    throw InternalError("simulation of layer " + layer.name + " stopped before its end");
  }

  SimResult result;
  result.cycles = acc->controller.cycles();
  // validateMapping's cycle bound (cycleUpperBound) makes this impossible; if the bound were
  // wrong, a wrong number must not reach a report.
  if (result.cycles.total.count() > kMaxCycles) {
    throw InternalError("simulation of layer " + layer.name + " passed its cycle bound");
  }
  result.activePes = mapping.activePes();
  for (Tensor t : kAllTensors) {
    result.counts(Level::Dram, t) = acc->dram.counts()[t];
    result.counts(Level::Glb, t) = acc->glb.counts()[t];
    result.counts(Level::Noc, t) = acc->noc.counts()[t];
    result.counts(Level::Rf, t) = acc->pes.counts()[t];
  }
  result.counts.macs = acc->pes.macs();
  result.stepsSkipped = acc->controller.stepsSkipped();
  if (options.check) {
    result.checkMismatch = firstMismatch(layer, acc->dram.store(Tensor::Outputs), expected);
    result.checked = result.checkMismatch.empty();
  }
  acc.reset();
  return result;
}

}  // namespace dfsim
