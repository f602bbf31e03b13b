#include "cli/evaluate_command.hpp"

#include <algorithm>
#include <cmath>
#include <optional>
#include <sstream>

#include <boost/program_options.hpp>
#include <nlohmann/json.hpp>

#include "arch/arch_spec.hpp"
#include "cli/options.hpp"
#include "cli/selection.hpp"
#include "common/errors.hpp"
#include "dataflow/default_mapper.hpp"
#include "dataflow/hierarchy_mapper.hpp"
#include "dataflow/isca16_line_buffer.hpp"
#include "dataflow/isca16_rules.hpp"
#include "dataflow/nest_score.hpp"
#include "dataflow/tiling.hpp"
#include "energy/energy_breakdown.hpp"
#include "io/mapping_io.hpp"
#include "io/readers.hpp"
#include "mapping/hierarchy_model.hpp"
#include "mapping/nest_cycle_estimate.hpp"
#include "mapping/validate_loop_nest.hpp"
#include "report/number_format.hpp"
#include "report/stats_json.hpp"
#include "report/text_table.hpp"

namespace dfsim {

namespace po = boost::program_options;

namespace {

po::options_description evaluateOptions() {
  po::options_description d("Options", kUsageWidth, kUsageWidth / 2);
  auto opt = d.add_options();
  opt("help,h", "print this help and exit");
  opt("arch", po::value<std::string>()->value_name("FILE"),
      "architecture file (JSON, either form; any hierarchy); required");
  opt("network", po::value<std::string>()->value_name("FILE"), "network file (JSON); required");
  const std::string energyHelp =
      std::string(
          "energy table (JSON; the general form for a hierarchy other than the "
          "4-level one); default: ") +
      kDefaultEnergyPath;
  opt("energy", po::value<std::string>()->value_name("FILE"), energyHelp.c_str());
  opt("dataflow", po::value<std::string>()->value_name("LIST"),
      "evaluate each selected layer under these dataflows' default mappings (a "
      "comma-separated list or all)");
  opt("mapping", po::value<std::vector<std::string>>()->value_name("FILE"),
      "evaluate the mapping in FILE (either form) for the layer it names; repeatable");
  opt("tiling", po::value<std::string>()->value_name("ragged|perfect"),
      "tilings the default mappers build (default ragged)");
  opt("layer", po::value<std::vector<std::string>>()->value_name("NAME"),
      "evaluate only this layer's --dataflow mappings; repeatable");
  opt("batch", po::value<std::string>()->value_name("N"), "batch size of every layer");
  opt("set", po::value<std::vector<std::string>>()->value_name("KEY=VALUE"),
      "override one arch., network. or energy. value before validation; repeatable");
  opt("json", "print one JSON document instead of the table");
  return d;
}

/// One evaluated (layer, mapping).
struct Evaluated {
  const Layer* layer = nullptr;
  std::string label;
  AccessCounts counts;
  EnergyBreakdown energy;
  NestCycleEstimate cycles;
  std::int64_t activePes = 0;
};

std::int64_t activeInstances(const LoopNest& n) {
  std::int64_t p = 1;
  for (const LevelLoops& l : n.levels) {
    for (const SpatialLoop& s : l.spatial) p *= s.bound;
  }
  return p;
}

Evaluated evaluateOne(const Layer& layer, const std::string& label, const LoopNest& nest,
                      const ArchSpec& arch, const Hierarchy& h, const EnergyTable& table,
                      const std::string& context) {
  const ProblemShape shape = layer.shape();
  validateLoopNest(shape, arch, h, nest, context);
  Evaluated e;
  e.layer = &layer;
  e.label = label;
  NestScore score = scoreLoopNest(shape, arch, h, nest, table);
  e.counts = score.counts;
  e.cycles = score.cycles;
  e.energy = score.energy;
  e.activePes = activeInstances(nest);
  return e;
}

std::int64_t wordsAt(const AccessCounts& c, std::size_t entry) {
  std::int64_t n = 0;
  for (Tensor t : kAllTensors) n += c(entry, t).reads + c(entry, t).writes;
  return n;
}

}  // namespace

std::string evaluateUsage() {
  std::ostringstream os;
  os << "Usage: dfsim evaluate --arch FILE --network FILE (--dataflow LIST | --mapping FILE...)\n"
        "                      [options]\n"
        "\n"
        "The analytic model alone, on any hierarchy: per layer and mapping, word accesses per\n"
        "level and tensor in closed form (what the simulator counts, on the hierarchies it\n"
        "simulates), energy, and an estimated cycle count (the larger of compute and each\n"
        "level's bandwidth time, plus the off-chip latency). Nothing is simulated.\n"
        "\n"
     << evaluateOptions();
  return trimLineEnds(os.str());
}

int evaluateCommand(const std::vector<std::string>& args, std::ostream& out) {
  const po::variables_map vm = parseCommandLine(args, evaluateOptions(), "evaluate");
  if (vm.count("help")) {
    out << evaluateUsage();
    return 0;
  }
  for (const char* required : {"arch", "network"}) {
    if (!vm.count(required)) {
      throw InputError(std::string("evaluate: missing --") + required +
                       " (see 'dfsim evaluate --help')");
    }
  }
  if (!vm.count("dataflow") && !vm.count("mapping")) {
    throw InputError("evaluate: expected --dataflow or --mapping (see 'dfsim evaluate --help')");
  }
  const std::string archPath = vm["arch"].as<std::string>();
  const std::string networkPath = vm["network"].as<std::string>();
  const std::string energyPath =
      vm.count("energy") ? vm["energy"].as<std::string>() : std::string(kDefaultEnergyPath);
  std::vector<Override> overrides;
  if (vm.count("set")) overrides = parseOverrides(vm["set"].as<std::vector<std::string>>());
  std::int64_t batch = 0;
  if (vm.count("batch")) batch = parsePositiveInt(vm["batch"].as<std::string>(), "--batch");
  Tiling tiling = Tiling::Ragged;
  if (vm.count("tiling") && !parseTiling(vm["tiling"].as<std::string>(), tiling)) {
    throw InputError("--tiling " + vm["tiling"].as<std::string>() + ": expected ragged or perfect");
  }
  std::vector<Dataflow> dataflows;
  if (vm.count("dataflow")) dataflows = parseDataflows(vm["dataflow"].as<std::string>());
  std::vector<std::string> layerNames;
  if (vm.count("layer")) layerNames = vm["layer"].as<std::vector<std::string>>();

  const ArchSpec arch = readArch(archPath, overrides);
  const Network net = readNetwork(networkPath, overrides, batch);
  const EnergyTable fileTable = readEnergy(energyPath, overrides);
  if (fileTable.wordBits != arch.wordBits) {
    throw InputError(energyPath + ": energy.word_bits: expected " + std::to_string(arch.wordBits) +
                     " (the word size of " + archPath + "), got " +
                     std::to_string(fileTable.wordBits));
  }
  // The hierarchy the rows are reported on: the arch's, or the line-buffer view of paper mode's
  // mapping files (isca16LineBufferView), which every row must then share.
  Hierarchy h = arch.hierarchy();
  std::vector<std::string> entryNames;
  std::vector<std::string> storageNames;
  for (std::size_t i = 0; i < h.size(); ++i) {
    entryNames.push_back(h.entries[i].name());
    if (h.isStorage(i)) storageNames.push_back(h.entries[i].name());
  }
  const EnergyTable runTable = resolvedFor(fileTable, entryNames, arch.isFourLevel(), energyPath);
  EnergyTable table = runTable;
  bool onView = false;  // the rows are on a line-buffer view
  const std::vector<const Layer*> layers = selectLayers(net, layerNames, networkPath);

  std::vector<Evaluated> rows;
  for (const Layer* layer : layers) {
    if (!layer->onArray()) continue;
    for (Dataflow df : dataflows) {
      const LoopNest nest = arch.isFourLevel()
                                ? toLoopNest(defaultMapping(*layer, arch, df, tiling))
                                : defaultLoopNest(*layer, arch, df, tiling);
      rows.push_back(evaluateOne(*layer, std::string(dataflowName(df)), nest, arch, h, table,
                                 std::string(dataflowName(df)) + " on " + layer->name));
    }
  }
  if (vm.count("mapping")) {
    for (const std::string& path : vm["mapping"].as<std::vector<std::string>>()) {
      const MappingFile f = readMappingFile(path);
      const auto it = std::find_if(net.layers.begin(), net.layers.end(),
                                   [&](const Layer& l) { return l.name == f.layer; });
      if (it == net.layers.end() || !it->onArray()) {
        throw InputError(path + ": mapping.layer: expected a conv or fc layer of " + networkPath +
                         ", got \"" + f.layer + "\"");
      }
      const ArchSpec view = archForMappingFile(f, arch, path, archPath);
      if (f.rules == RuleSet::Isca16 && !view.isFourLevel()) {  // on a line-buffer view
        const Hierarchy vh = view.hierarchy();
        std::vector<std::string> viewEntries;
        std::vector<std::string> viewStorage;
        for (std::size_t i = 0; i < vh.size(); ++i) {
          viewEntries.push_back(vh.entries[i].name());
          if (vh.isStorage(i)) viewStorage.push_back(vh.entries[i].name());
        }
        if (f.levelNames != viewStorage) {
          std::string expected;
          for (const std::string& n : viewStorage) expected += (expected.empty() ? "" : ", ") + n;
          throw InputError(path + ": mapping.levels: expected the storage levels of the " +
                           f.label + " paper-mode view of " + archPath + ", in order (" + expected +
                           ")");
        }
        if (!rows.empty() && viewEntries != entryNames) {
          throw InputError(path + ": its " + f.label + " paper-mode view of " + archPath +
                           " has other levels than the rows before it; evaluate it separately");
        }
        h = vh;
        entryNames = viewEntries;
        table = isca16Table(runTable, view, paperDataflowOf(f, path));
        onView = true;
        rows.push_back(evaluateOne(*it, f.label, f.nest, view, vh, table, path));
        continue;
      }
      if (onView) {
        throw InputError(path + ": the rows before it are on a paper-mode line-buffer view of " +
                         archPath + ", this one is not; evaluate it separately");
      }
      if (!f.levelNames.empty() && f.levelNames != storageNames) {
        std::string expected;
        for (const std::string& n : storageNames) expected += (expected.empty() ? "" : ", ") + n;
        throw InputError(path + ": mapping.levels: expected one level per storage level of " +
                         archPath + ", in order (" + expected + ")");
      }
      if (f.levelNames.empty() && !arch.isFourLevel()) {
        throw InputError(path + ": mapping: the 4-level form maps a 4-level arch; " + archPath +
                         " needs the general form (\"levels\")");
      }
      if (f.rules == RuleSet::Isca16) {  // paper mode's mapping: on its view, at its prices
        rows.push_back(evaluateOne(*it, f.label, f.nest, view, view.hierarchy(),
                                   isca16Table(table, view, paperDataflowOf(f, path)), path));
      } else {
        rows.push_back(evaluateOne(*it, f.label, f.nest, arch, h, table, path));
      }
    }
  }

  // Everything evaluated: only now is anything printed.
  if (vm.count("json")) {
    nlohmann::json layersJson = nlohmann::json::array();
    for (const Evaluated& e : rows) {
      nlohmann::json byLevel = nlohmann::json::object();
      for (std::size_t i = 0; i < h.size(); ++i) byLevel[entryNames[i]] = e.cycles.entryCycles[i];
      layersJson.push_back({{"name", e.layer->name},
                            {"mapping", e.label},
                            {"batch", e.layer->N},
                            {"macs", e.counts.macs},
                            {"cycles",
                             {{"estimate", e.cycles.cycles},
                              {"compute", e.cycles.computeCycles},
                              {"steps", e.cycles.steps},
                              {"limited_by", e.cycles.limitedBy < h.size()
                                                 ? nlohmann::json(entryNames[e.cycles.limitedBy])
                                                 : nlohmann::json("compute")},
                              {"by_level", byLevel}}},
                            {"active_pes", e.activePes},
                            {"total_pes", h.instances(h.size() - 1)},
                            {"accesses", accessesJson(e.counts, entryNames)},
                            {"energy", energyJson(e.energy, table.unit, entryNames)}});
    }
    nlohmann::json doc = {{"run",
                           {{"model", "analytic"},
                            {"network", net.name},
                            {"arch", arch.name},
                            {"levels", entryNames},
                            {"energy_table", {{"name", table.name}, {"unit", table.unit}}}}},
                          {"layers", layersJson}};
    out << doc.dump(2) << "\n";
    return 0;
  }
  TextTable t;
  for (const char* c : {"layer", "mapping"}) t.addColumn(c, TextTable::Align::Left);
  for (const char* c : {"MACs", "est. cycles"}) t.addColumn(c, TextTable::Align::Right);
  t.addColumn("limited by", TextTable::Align::Left);
  t.addColumn("active PEs", TextTable::Align::Right);
  for (const std::string& n : entryNames) t.addColumn(n + " words", TextTable::Align::Right);
  t.addColumn("energy [" + table.unit + "]", TextTable::Align::Right);
  t.addColumn("energy/MAC", TextTable::Align::Right);
  for (const Evaluated& e : rows) {
    std::vector<std::string> row = {
        e.layer->name,
        e.label,
        withThousands(e.counts.macs),
        compactCount(std::ceil(e.cycles.cycles)),
        e.cycles.limitedBy < h.size() ? entryNames[e.cycles.limitedBy] : "compute",
        withThousands(e.activePes)};
    for (std::size_t i = 0; i < h.size(); ++i) {
      row.push_back(compactCount(static_cast<double>(wordsAt(e.counts, i))));
    }
    row.push_back(significant(e.energy.total, 3));
    row.push_back(significant(e.energy.total / static_cast<double>(e.counts.macs), 4));
    t.addRow(row);
  }
  out << "network " << net.name << " | arch " << arch.name << " (" << h.instances(h.size() - 1)
      << " PEs, " << h.size() << " levels) | energy table " << table.name << " (" << table.unit
      << ") | analytic model: counts in closed form, cycles estimated, nothing simulated\n\n";
  t.print(out);
  return 0;
}

}  // namespace dfsim
