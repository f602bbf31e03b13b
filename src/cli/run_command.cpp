#include "cli/run_command.hpp"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <sstream>

#include <boost/program_options.hpp>
#include <nlohmann/json.hpp>

#include "cli/options.hpp"
#include "cli/selection.hpp"
#include "common/atomic_output.hpp"
#include "common/checked_math.hpp"
#include "common/errors.hpp"
#include "common/output_file.hpp"
#include "common/trace_log.hpp"
#include "dataflow/dataflow.hpp"
#include "dataflow/default_mapper.hpp"
#include "dataflow/hierarchy_mapper.hpp"
#include "dataflow/hierarchy_search.hpp"
#include "dataflow/isca16_line_buffer.hpp"
#include "dataflow/isca16_rules.hpp"
#include "dataflow/isca16_search.hpp"
#include "dataflow/mapper_search.hpp"
#include "dataflow/rule_set.hpp"
#include "dataflow/tiling.hpp"
#include "energy/energy_breakdown.hpp"
#include "io/mapping_io.hpp"
#include "io/readers.hpp"
#include "mapping/ragged_nest.hpp"
#include "mapping/tile_math.hpp"
#include "mapping/validate_loop_nest.hpp"
#include "mapping/validate_mapping.hpp"
#include "report/layer_stats.hpp"
#include "report/layers_csv.hpp"
#include "report/number_format.hpp"
#include "report/stats_json.hpp"
#include "report/table_printer.hpp"
#include "report/timing_json.hpp"
#include "report/trace_writer.hpp"
#include "sim/hierarchy_sim.hpp"
#include "sim/simulate_layer.hpp"

namespace dfsim {

namespace po = boost::program_options;

namespace {

/// Largest tensor storage (tensorStorageBytes) of one simulation: 4 GiB. The simulator holds
/// every word of a layer in memory; a run above this is refused before the first simulation
/// rather than failing (or swapping) hours into it. Documented in README.md.
constexpr std::int64_t kMaxTensorStorageBytes = std::int64_t{4} << 30;
constexpr const char* kMaxTensorStorageText = "4 GiB";
constexpr std::int64_t kBytesPerStoredWord = 4;  ///< every word is simulated as an int32

/// Spans a trace keeps by default (about 48 MB in memory, 150 MB as JSON).
constexpr std::int64_t kDefaultTraceLimit = 1000000;

/// What the command line asked for, parsed but not yet checked against the files.
struct RunRequest {
  std::string archPath;
  std::string networkPath;
  std::string energyPath = kDefaultEnergyPath;
  std::optional<std::string> dataflow;    ///< absent when not given
  std::vector<std::string> mappingPaths;  ///< --mapping files
  bool search = false;                    ///< search mappings instead of the default mapper
  bool fast = false;                      ///< count and time without computing values
  Objective objective = Objective::Energy;
  Tiling tiling = Tiling::Ragged;  ///< tilings the mappers (default and search) build
  RuleSet rules = RuleSet::Free;   ///< the mapping space each dataflow stands for
  std::vector<std::string> layers;
  std::int64_t batch = 0;  ///< 0: as in the network file
  std::vector<Override> overrides;
  std::string outDir;  ///< empty: no files
  bool check = false;
  bool dumpConfig = false;
  std::uint64_t seed = kDefaultSeed;
  bool quiet = false;
  /// --unmappable skip: a layer the rules cannot map (UnmappableLayer) is recorded and left out
  /// instead of failing the run.
  bool skipUnmappable = false;
  std::string tracePath;  ///< --trace FILE (empty: no trace)
  bool traceCsv = false;  ///< FILE ends in .csv (else .json)
  std::int64_t traceLimit = kDefaultTraceLimit;
};

/// One simulation to run: a layer under a dataflow (or a mapping file's label) with its
/// validated mapping.
struct Job {
  const Layer* layer = nullptr;
  std::string label;
  Mapping mapping;                 ///< the 4-level mapping (unused when `general`)
  std::string mapper = "default";  ///< how the mapping was made
  SearchStats search;
  double searchSeconds = 0.0;  ///< wall time of the search
  bool general = false;        ///< on a hierarchy other than the 4-level one: `nest` is the mapping
  LoopNest nest;
  RuleSet rules = RuleSet::Free;
  /// Paper mode: the arch the mapping runs on (isca16View of the run's arch); absent: the run's.
  std::optional<ArchSpec> view;
  std::vector<std::pair<std::string, std::int64_t>> variables;  ///< paper mode's winner
  /// Paper mode: the table the dataflow is priced with there (isca16Table: on a line-buffer
  /// view the run's table in the view's entry order); absent: the run's table.
  std::optional<EnergyTable> viewTable;
  /// A search under a time objective: its finalists (the 4-level mappings, or nests when
  /// `general`), simulated in fast mode before the run to pick the mapping by simulated time.
  std::vector<Mapping> finalists;
  std::vector<LoopNest> nestFinalists;
  std::int64_t finalistsSimulated = 0;  ///< how many were (0: the analytic winner as is)
  double finalistsSeconds = 0.0;        ///< the wall time of their simulations
};

/// The arch `job` runs on: its paper-mode view, or the run's `arch`.
const ArchSpec& archOf(const Job& job, const ArchSpec& arch) {
  return job.view ? *job.view : arch;
}

/// The table `job` is priced with: its view's, or the run's `table`.
const EnergyTable& tableOf(const Job& job, const EnergyTable& table) {
  return job.viewTable ? *job.viewTable : table;
}

/// The names of `arch`'s hierarchy entries (`storageOnly`: of its storage levels), outermost
/// first.
std::vector<std::string> entryNamesOf(const ArchSpec& arch, bool storageOnly) {
  const Hierarchy h = arch.hierarchy();
  std::vector<std::string> names;
  for (std::size_t i = 0; i < h.size(); ++i) {
    if (!storageOnly || h.isStorage(i)) names.push_back(h.entries[i].name());
  }
  return names;
}

/// Makes `job` a paper-mode job of dataflow `d` on `view` (isca16View of the run's arch for
/// `d`), priced with isca16Table of the run's `table`.
void setPaperView(Job& job, ArchSpec view, const EnergyTable& table, Dataflow d) {
  job.rules = RuleSet::Isca16;
  job.view = std::move(view);
  job.general = !job.view->isFourLevel();
  job.viewTable = isca16Table(table, *job.view, d);
}

po::options_description runOptions() {
  po::options_description d("Options", kUsageWidth, kUsageWidth / 2);
  auto opt = d.add_options();
  opt("help,h", "print this help and exit");
  opt("arch", po::value<std::string>()->value_name("FILE"), "architecture file (JSON); required");
  opt("network", po::value<std::string>()->value_name("FILE"), "network file (JSON); required");
  opt("dataflow", po::value<std::string>()->value_name("NAME"),
      "ws, os_a, os_b, os_c (os = os_a), nlr, rs, a comma-separated list of them (e.g. "
      "ws,rs: run in that order), or all (the six in this order); required unless "
      "--dump-config or --mapping");
  opt("mapping", po::value<std::vector<std::string>>()->value_name("FILE"),
      "also run the mapping in FILE (JSON, as written to DIR/mappings/ by --out) on the layer "
      "it names, labelled with its \"dataflow\"; repeatable; --layer does not filter these");
  opt("layer", po::value<std::vector<std::string>>()->value_name("NAME"),
      "simulate only this layer; repeatable; default all layers (results follow the network's "
      "order)");
  opt("batch", po::value<std::string>()->value_name("N"),
      "batch size of every layer (default: as in the network file)");
  const std::string energyHelp =
      std::string("energy table (JSON), relative to the current directory; default: ") +
      kDefaultEnergyPath;
  opt("energy", po::value<std::string>()->value_name("FILE"), energyHelp.c_str());
  opt("set", po::value<std::vector<std::string>>()->value_name("KEY=VALUE"),
      "override one config value before validation, e.g. arch.glb.read_words_per_cycle=8 or "
      "network.layers.0.stride=2; the key starts with arch., network. or energy.; repeatable");
  opt("out", po::value<std::string>()->value_name("DIR"),
      "also write DIR/stats.json, DIR/layers.csv, DIR/timing.json (wall times), "
      "DIR/config.json (the resolved configs, as --dump-config prints them) and "
      "DIR/mappings/ (parents created if missing; DIR replaced whole, in one step, only after "
      "a successful run; DIR must be new, empty or an earlier result)");
  opt("search",
      "search each dataflow's legal mappings for the best one under --objective (scored with "
      "the analytic model), instead of the default mapping; the winner is simulated");
  opt("objective", po::value<std::string>()->value_name("NAME"),
      "what --search minimises: energy (default), cycles or edp (energy x cycles); implies "
      "--search");
  opt("tiling", po::value<std::string>()->value_name("KIND"),
      "tilings the mappers build: ragged (default: a loop's last tile may be smaller, so a "
      "dimension spreads over more PEs) or perfect (every loop bound divides its dimension: the "
      "mappings of dfsim before ragged tiles)");
  opt("rules", po::value<std::string>()->value_name("NAME"),
      "what a dataflow's name stands for: free (default: the dataflow constrains the array, "
      "the mappers choose the levels above it) or isca16 (the dataflow as the ISCA 2016 "
      "comparison's framework defines it: what each level keeps, where each loop sits, its "
      "mapping variables, searched exhaustively on the array seen as one row of PEs; built for "
      "all six (ws, os_a and os_b with a line buffer added); implies --search)");
  opt("check", "compare every output with a reference convolution (slower)");
  opt("fast",
      "count and time without computing values (no --check): repeated transfers replay the "
      "counts of the first of their kind; counts and cycles equal the functional run's");
  opt("dump-config",
      "print the resolved configs (after --set and --batch) as JSON on stdout and exit without "
      "simulating");
  const std::string seedHelp =
      "seed of the pseudo-random weights and inputs; default " + std::to_string(kDefaultSeed);
  opt("seed", po::value<std::string>()->value_name("S"), seedHelp.c_str());
  opt("unmappable", po::value<std::string>()->value_name("WHAT"),
      "what to do with a layer the rules cannot map at all (no legal assignment of --rules "
      "isca16's variables): fail (default: exit 2 naming the constraint) or skip (leave its "
      "rows out, name it under the table and in stats.json \"unmapped\")");
  const std::string traceHelp =
      "write a trace of the run's spans of time (compute, stalls by cause and phase, every "
      "fill, prefetch, drain, write-back and latch stream with its words) to FILE: Chrome "
      "trace-event JSON for Perfetto or chrome://tracing when FILE ends in .json (time stamps "
      "in cycles), CSV when it ends in .csv; the run must simulate one layer under one "
      "dataflow (--layer, --dataflow); written in one step after the simulation";
  opt("trace", po::value<std::string>()->value_name("FILE"), traceHelp.c_str());
  const std::string limitHelp =
      "most spans --trace keeps (the rest are counted and the trace "
      "says it was cut); default " +
      std::to_string(kDefaultTraceLimit);
  opt("trace-limit", po::value<std::string>()->value_name("N"), limitHelp.c_str());
  opt("quiet,q", "no progress lines on stderr");
  return d;
}

/// The allowed --dataflow values, for error messages.

/// 1. The command line alone: syntax, numbers, --set syntax. No file is opened.
RunRequest parseRequest(const po::variables_map& vm) {
  RunRequest r;
  auto need = [&](const char* name) {
    if (!vm.count(name)) {
      throw InputError(std::string("run: missing --") + name + " (see 'dfsim run --help')");
    }
    return vm[name].as<std::string>();
  };
  r.dumpConfig = vm.count("dump-config") > 0;
  r.archPath = need("arch");
  r.networkPath = need("network");
  if (vm.count("mapping")) r.mappingPaths = vm["mapping"].as<std::vector<std::string>>();
  if (vm.count("dataflow")) {
    r.dataflow = vm["dataflow"].as<std::string>();
  } else if (!r.dumpConfig && r.mappingPaths.empty()) {
    need("dataflow");
  }
  if (vm.count("energy")) r.energyPath = vm["energy"].as<std::string>();
  if (vm.count("layer")) r.layers = vm["layer"].as<std::vector<std::string>>();
  if (vm.count("batch")) r.batch = parsePositiveInt(vm["batch"].as<std::string>(), "--batch");
  if (vm.count("set")) r.overrides = parseOverrides(vm["set"].as<std::vector<std::string>>());
  if (vm.count("out")) {
    r.outDir = vm["out"].as<std::string>();
    if (r.outDir.empty()) throw InputError("--out: expected a folder name, got \"\"");
  }
  r.check = vm.count("check") > 0;
  r.fast = vm.count("fast") > 0;
  if (r.fast && r.check) {
    throw InputError("--fast skips the values that --check compares: use one or the other");
  }
  r.search = vm.count("search") > 0 || vm.count("objective") > 0;
  if (vm.count("objective")) {
    const std::string o = vm["objective"].as<std::string>();
    if (!parseObjective(o, r.objective)) {
      throw InputError("--objective " + o + ": expected energy, cycles or edp");
    }
  }
  if (vm.count("tiling")) {
    const std::string t = vm["tiling"].as<std::string>();
    if (!parseTiling(t, r.tiling))
      throw InputError("--tiling " + t + ": expected ragged or perfect");
  }
  if (vm.count("rules")) {
    const std::string rules = vm["rules"].as<std::string>();
    if (!parseRuleSet(rules, r.rules))
      throw InputError("--rules " + rules + ": expected free or isca16");
    if (r.rules == RuleSet::Isca16) {
      r.search = true;
      if (r.tiling == Tiling::Perfect) {
        throw InputError(
            "--rules isca16 tiles as the framework does (ceil quotients, ragged "
            "tiles): expected no --tiling perfect");
      }
    }
  }
  if (vm.count("seed")) r.seed = parseUnsignedInt(vm["seed"].as<std::string>(), "--seed");
  r.quiet = vm.count("quiet") > 0;
  if (vm.count("unmappable")) {
    const std::string u = vm["unmappable"].as<std::string>();
    if (u != "fail" && u != "skip")
      throw InputError("--unmappable " + u + ": expected fail or skip");
    r.skipUnmappable = u == "skip";
  }
  if (vm.count("trace")) {
    r.tracePath = vm["trace"].as<std::string>();
    auto endsWith = [&](const char* ext) {
      const std::string e(ext);
      return r.tracePath.size() > e.size() &&
             r.tracePath.compare(r.tracePath.size() - e.size(), e.size(), e) == 0;
    };
    r.traceCsv = endsWith(".csv");
    if (!r.traceCsv && !endsWith(".json")) {
      throw InputError("--trace " + r.tracePath +
                       ": expected a file name ending in .json (Chrome trace-event JSON) or "
                       ".csv");
    }
  }
  if (vm.count("trace-limit")) {
    if (r.tracePath.empty()) throw InputError("--trace-limit: expected --trace FILE too");
    r.traceLimit = parsePositiveInt(vm["trace-limit"].as<std::string>(), "--trace-limit");
    if (r.traceLimit > 100000000) {
      throw InputError("--trace-limit " + std::to_string(r.traceLimit) +
                       ": expected at most 100000000 spans (about 5 GB in memory)");
    }
  }
  return r;
}

/// The layers named by --layer, in network order; all layers when none is named. Throws
/// InputError listing the network's layers when a name is not among them.

/// `name` made safe as a file name: characters other than letters, digits, '_', '-' and '.'
/// become '_'.
std::string fileSafe(const std::string& name) {
  std::string out = name;
  for (char& c : out) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '-' || c == '.';
    if (!ok) c = '_';
  }
  return out == "." || out == ".." ? "_" : out;
}

/// The top-level entries of a result folder (OutputDir's resultEntries).
std::vector<std::string> resultEntries() {
  return {"stats.json", "layers.csv", "timing.json", "config.json", "mappings"};
}

/// A lower bound of the bytes that stats.json, layers.csv and timing.json take per row (about
/// 2.8 KB, 310 and 280 bytes on AlexNet), for the free-space check before simulating.
constexpr std::uintmax_t kResultBytesPerRow = 2048 + 256 + 256;

/// The largest file name most file systems take (NAME_MAX on Linux).
constexpr std::size_t kMaxFileName = 255;

/// Throws InputError when `f`, a --mapping file, would give a second row with one label for
/// its layer: its label is a dataflow run on that layer by --dataflow, or the label of an
/// earlier --mapping file of the same layer.
/// A mapping file in the general form names the arch's storage levels in order and has the
/// 4-level shape the simulator runs; otherwise an InputError naming `path`.
void checkStorageNames(const MappingFile& f, const std::vector<std::string>& storageNames,
                       const std::string& path, const std::string& archPath, bool fourLevelArch) {
  if (f.levelNames.empty()) {  // the 4-level form
    if (fourLevelArch) return;
    throw InputError(path + ": mapping: the 4-level form maps a 4-level arch; " + archPath +
                     " needs the general form (\"levels\": src/io/README.md \"Mapping file\")");
  }
  std::string expected;
  for (const std::string& n : storageNames) expected += (expected.empty() ? "" : ", ") + n;
  for (std::size_t k = 0; k < f.levelNames.size(); ++k) {
    if (k >= storageNames.size() || f.levelNames[k] != storageNames[k]) {
      throw InputError(path + ": mapping.levels[" + std::to_string(k) +
                       "].level: expected the storage levels of " + archPath + " in order (" +
                       expected + "), got \"" + f.levelNames[k] + "\"");
    }
  }
  if (f.levelNames.size() != storageNames.size() || (fourLevelArch && !f.fourLevel)) {
    throw InputError(path + ": mapping.levels: expected one level per storage level of " +
                     archPath + " (" + expected + "), spatial loops at the one above its fan-out");
  }
}

void checkMappingLabel(const MappingFile& f, const std::string& path, bool layerSelected,
                       const std::vector<Dataflow>& dataflows,
                       const std::vector<MappingFile>& earlier,
                       const std::vector<std::string>& earlierPaths) {
  if (layerSelected) {
    for (Dataflow df : dataflows) {
      if (f.label == dataflowName(df)) {
        throw InputError(path + ": mapping.dataflow: \"" + f.label + "\" is also run on layer " +
                         f.layer + " by --dataflow; give this mapping another label");
      }
    }
  }
  for (std::size_t i = 0; i < earlier.size(); ++i) {
    if (earlier[i].layer == f.layer && earlier[i].label == f.label) {
      throw InputError(path + ": mapping.dataflow: \"" + f.label + "\" also labels " +
                       earlierPaths[i] + " for layer " + f.layer + "; give one another label");
    }
  }
}

/// The base name (before .json/.txt) of the mapping files --out writes for `layer` and `label`.
std::string mappingBase(const std::string& layer, const std::string& label) {
  return fileSafe(layer + "." + label);
}

/// Throws InputError, naming the layers, when two of the (layer, label) runs would write one
/// mapping file name under DIR/mappings/, or when a name exceeds kMaxFileName.
void checkMappingNames(const std::vector<std::pair<std::string, std::string>>& runs,
                       const RunRequest& req) {
  std::map<std::string, std::size_t> byName;
  for (std::size_t i = 0; i < runs.size(); ++i) {
    const auto& [layer, label] = runs[i];
    const std::string file = mappingBase(layer, label) + ".json";
    if (file.size() > kMaxFileName) {
      throw InputError(req.networkPath + ": layer " + layer + ": name too long for the file " +
                       "--out writes for it with " + label + " (" + std::to_string(file.size()) +
                       " bytes, the limit is " + std::to_string(kMaxFileName) + ")");
    }
    const auto [it, fresh] = byName.emplace(file, i);
    if (!fresh) {
      const auto& [otherLayer, otherLabel] = runs[it->second];
      throw InputError("--out " + req.outDir + ": layer \"" + otherLayer + "\" (" + otherLabel +
                       ") and layer \"" + layer + "\" (" + label + ") would both write mappings/" +
                       file + "; rename one of them");
    }
  }
}

/// Bytes the simulator needs to hold `layer`'s data: the full weight, padded input and output
/// tensors and, under a `mapping`, one RF tile per active PE for each tensor the RF keeps; every
/// word an int32. Counts are at most 2^40 (the readers' limit) and PEs 2^16: no overflow.
std::int64_t tensorStorageBytes(const Layer& layer, const Mapping* mapping) {
  std::int64_t words = 0;
  for (Tensor t : kAllTensors) {
    words += layer.tensorWords()[t];
    if (mapping != nullptr && mapping->rfKeeps[t]) {
      words += mapping->activePes() * tileWords(layer.shape(), t, extentsOf(mapping->rfLoops));
    }
  }
  return words * kBytesPerStoredWord;
}

/// The bytes the hierarchy simulator holds for `layer` under `n`: the tensors and, per
/// on-chip level, every instance's tile of each tensor it keeps (a saturating sum: validated
/// nests stay far below).
std::int64_t nestStorageBytes(const Layer& layer, const Hierarchy& h, const LoopNest& n) {
  const ProblemShape shape = layer.shape();
  std::int64_t words = 0;
  for (Tensor t : kAllTensors) words += layer.tensorWords()[t];
  const std::vector<std::size_t> storage = h.storageEntries();
  for (std::size_t k = 1; k < n.levels.size(); ++k) {
    DimExtents inner;
    inner.fill(1);
    for (std::size_t j = k; j < n.levels.size(); ++j) {
      for (const Loop& l : n.levels[j].temporal) inner[idx(l.dim)] *= l.bound;
      for (const SpatialLoop& l : n.levels[j].spatial) inner[idx(l.dim)] *= l.bound;
    }
    inner = clippedToLayer(shape, inner);
    for (Tensor t : kAllTensors) {
      if (!n.levels[k].keeps[t]) continue;
      const std::optional<std::int64_t> tile =
          mulOpt(h.instances(storage[k]), tileWords(shape, t, inner));
      const std::optional<std::int64_t> sum = addOpt(words, tile);
      words = sum.value_or(std::numeric_limits<std::int64_t>::max() / kBytesPerStoredWord);
    }
  }
  return std::min(words, std::numeric_limits<std::int64_t>::max() / kBytesPerStoredWord) *
         kBytesPerStoredWord;
}

/// Throws InputError when simulating `layer` (under `mapping`, when given) would need more than
/// kMaxTensorStorageBytes.
void checkTensorStorage(const Layer& layer, const Mapping* mapping, const RunRequest& req,
                        std::int64_t nestBytes = -1) {
  const std::int64_t bytes = nestBytes >= 0 ? nestBytes : tensorStorageBytes(layer, mapping);
  if (bytes <= kMaxTensorStorageBytes) return;
  throw InputError(req.networkPath + ": layer " + layer.name + " needs " + withThousands(bytes) +
                   " bytes of tensor storage (" +
                   (mapping != nullptr ? "weights, padded inputs, outputs and RF tiles"
                                       : "weights, padded inputs and outputs") +
                   " as 32-bit words); the simulator's limit is " + kMaxTensorStorageText);
}

/// Throws InputError when the cycles of one label (a dataflow or a mapping file's label) summed
/// over its layers could pass 2^63: the TOTAL rows print them as 64-bit integers. Each layer's
/// bound is at most 2^62 (validateMapping), but a network may have many such layers.
void checkTotalCycles(const std::vector<Job>& jobs, const ArchSpec& arch, const RunRequest& req) {
  std::map<std::string, std::int64_t> total;
  for (const Job& job : jobs) {
    const ArchSpec& on = archOf(job, arch);
    const Hierarchy h = on.hierarchy();
    const std::optional<std::int64_t> bound =
        job.general ? cycleBound(job.layer->shape(), on, h, job.nest, h.size() - 1)
                    : cycleUpperBound(*job.layer, on, job.mapping);
    const std::optional<std::int64_t> sum = addOpt(total[job.label], bound);
    if (!sum) {
      throw InputError(req.archPath + ": with arch.dram.latency_cycles=" +
                       std::to_string(arch.dram.latencyCycles) + ", arch.glb.latency_cycles=" +
                       std::to_string(arch.glb.latencyCycles) + ", arch.noc.hop_latency_cycles=" +
                       std::to_string(arch.noc.hopLatencyCycles) + " the " + job.label +
                       " cycles summed over the layers could pass 2^63; expected smaller "
                       "latencies or fewer layers (--layer)");
    }
    total[job.label] = *sum;
  }
}

/// The row of a layer the array does not compute (pooling): shapes only, zero counts.

/// The PEs of `arch`: the instances of its innermost level (rows x cols on the 4-level one).
std::int64_t totalPes(const ArchSpec& arch) {
  if (arch.isFourLevel()) return arch.peCount();
  return arch.general.instances(arch.general.size() - 1);
}

LayerStats poolRow(const Layer& layer, const ArchSpec& arch) {
  LayerStats s;
  s.layer = layer.name;
  s.type = layer.type;
  s.dataflow = "-";
  s.batch = layer.N;
  s.macs = layer.macs();
  s.totalPes = totalPes(arch);
  return s;
}

/// Finalists a search under a time objective hands on to be simulated.
constexpr std::size_t kTimeFinalists = 8;

/// A time objective's score of a simulated run: cycles, or energy (from the simulated counts
/// and cycles, leakage included) x cycles.
double simulatedScore(const SimResult& r, const EnergyTable& table, Objective objective) {
  const auto cycles = static_cast<double>(r.cycles.total.count());
  if (objective == Objective::Cycles) return cycles;
  return computeEnergy(r.counts, r.cycles.total, table).total * cycles;
}

/// Simulates `job`'s finalists in fast mode and makes the one with the smallest simulated
/// `objective` score its mapping (ties: the earlier, the analytic order); returns false when
/// there is nothing to pick from (fewer than 2 finalists).
bool pickBySimulatedTime(Job& job, const ArchSpec& runArch, const EnergyTable& table,
                         Objective objective) {
  const std::size_t n = job.general ? job.nestFinalists.size() : job.finalists.size();
  if (n < 2) return false;
  const ArchSpec& arch = archOf(job, runArch);
  SimOptions fast;
  fast.functional = false;
  std::size_t best = 0;
  double bestScore = 0.0;
  for (std::size_t i = 0; i < n; ++i) {
    const SimResult r = job.general
                            ? simulateHierarchy(*job.layer, arch, job.nestFinalists[i], fast)
                            : simulateLayer(*job.layer, arch, job.finalists[i], fast);
    const double score = simulatedScore(r, table, objective);
    if (i == 0 || score < bestScore) {
      best = i;
      bestScore = score;
    }
  }
  if (job.general) {
    job.nest = job.nestFinalists[best];
  } else {
    job.mapping = job.finalists[best];
  }
  job.finalistsSimulated = static_cast<std::int64_t>(n);
  return true;
}

/// Simulates `job` (its spans recorded into `trace` unless null) and makes its row.
LayerStats simulatedRow(const Job& job, const ArchSpec& runArch, const EnergyTable& runTable,
                        const RunRequest& req, TraceLog* trace) {
  const Layer& layer = *job.layer;
  const ArchSpec& arch = archOf(job, runArch);
  const EnergyTable& table = tableOf(job, runTable);
  SimOptions options{req.seed, req.check, !req.fast};
  options.trace = trace;
  const SimResult r = job.general ? simulateHierarchy(layer, arch, job.nest, options)
                                  : simulateLayer(layer, arch, job.mapping, options);
  if (!r.checkMismatch.empty()) throw InternalError(r.checkMismatch);
  LayerStats s;
  s.layer = layer.name;
  s.type = layer.type;
  s.dataflow = job.label;
  s.batch = layer.N;
  s.macs = layer.macs();
  s.cycles = r.cycles;
  s.activePes = r.activePes;
  s.totalPes = totalPes(arch);
  s.dramRowModel =
      arch.hierarchy().entries[0].storage.dramTiming.kind != DramTimingSpec::Kind::Bandwidth;
  s.dramRows = r.dramRows;
  const double capacity =
      static_cast<double>(r.cycles.total.count()) * static_cast<double>(s.totalPes);
  s.utilization = capacity > 0.0 ? static_cast<double>(s.macs) / capacity : 0.0;
  s.counts = r.counts;
  s.energy = computeEnergy(r.counts, r.cycles.total, table);
  s.check = r.checked ? "passed" : (req.fast ? "skipped (--fast)" : "not run");
  s.mapping = job.general ? renderLoopNest(job.layer->shape(), job.nest, entryNamesOf(arch, true))
                          : renderLoopNest(job.layer->shape(), job.mapping);
  s.mapper = job.mapper;
  s.searchTried = job.search.tried;
  s.searchPruned = job.search.pruned;
  s.finalistsSimulated = job.finalistsSimulated;
  s.tiling = job.mapper == "file" ? "" : tilingName(req.tiling);
  s.raggedTiles = job.general ? hasRaggedTiles(job.layer->shape(), job.nest)
                              : hasRaggedTiles(job.layer->shape(), job.mapping);
  s.rules = ruleSetName(job.rules);
  s.variables = job.variables;
  return s;
}

}  // namespace

std::string runUsage() {
  std::ostringstream os;
  os << "Usage: dfsim run --arch FILE --network FILE --dataflow NAME [options]\n"
        "\n"
        "Simulates each selected layer (in network order) under each selected dataflow with\n"
        "the dataflow's default mapping, and prints a table of cycles, word accesses and\n"
        "energy. Pooling layers are listed with dataflow \"-\" but not simulated.\n"
        "Everything (files, --set, --layer, --batch, --out, every mapping) is checked before\n"
        "the first simulation; on bad input dfsim exits with status 2 and writes nothing.\n"
        "--out DIR is replaced whole, in one step, after the last simulation; a second run\n"
        "into the same DIR is refused while the first one runs.\n"
        "\n"
     << runOptions();
  return trimLineEnds(os.str());
}

int runCommand(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  const po::variables_map vm = parseCommandLine(args, runOptions(), "run");
  if (vm.count("help")) {
    out << runUsage();
    return 0;
  }

  // 1. The command line alone.
  const RunRequest req = parseRequest(vm);
  std::vector<Dataflow> dataflows;
  if (req.dataflow) dataflows = parseDataflows(*req.dataflow);

  // 2. The files, with --set and --batch applied by the strict readers.
  const ArchSpec arch = readArch(req.archPath, req.overrides);
  const Network net = readNetwork(req.networkPath, req.overrides, req.batch);
  const EnergyTable fileTable = readEnergy(req.energyPath, req.overrides);
  const std::vector<const Layer*> layers = selectLayers(net, req.layers, req.networkPath);
  if (fileTable.wordBits != arch.wordBits) {
    throw InputError(req.energyPath + ": energy.word_bits: expected " +
                     std::to_string(arch.wordBits) + " (the word size of " + req.archPath +
                     "), got " + std::to_string(fileTable.wordBits));
  }

  // The resolved configs (after --set and --batch): printed by --dump-config, and written to
  // DIR/config.json by --out.
  const std::string config = nlohmann::json{{"arch", archToJson(arch)},
                                            {"network", networkToJson(net)},
                                            {"energy", energyToJson(fileTable)}}
                                 .dump(2) +
                             "\n";
  if (req.dumpConfig) {
    out << config;
    return 0;
  }
  // The table's costs in the arch's entry order (a general-form table prices levels by name).
  const Hierarchy hierarchy = arch.hierarchy();
  std::vector<std::string> entryNames;
  std::vector<std::string> storageNames;
  for (std::size_t i = 0; i < hierarchy.size(); ++i) {
    entryNames.push_back(hierarchy.entries[i].name());
    if (hierarchy.isStorage(i)) storageNames.push_back(hierarchy.entries[i].name());
  }
  const EnergyTable table = resolvedFor(fileTable, entryNames, arch.isFourLevel(), req.energyPath);

  // 3. The output folder, before hours of simulation rather than after; locked from here to
  //    the commit.
  OutputDir outDir(req.outDir, resultEntries());
  if (!req.outDir.empty()) outDir.prepare();
  const OutputFile traceFile(req.tracePath, "--trace");
  if (!req.tracePath.empty()) {
    // DIR is replaced whole by the commit: a trace inside it would be lost, and would make the
    // next run refuse DIR as a folder dfsim did not write.
    if (!req.outDir.empty()) {
      std::error_code ec;
      std::filesystem::path dir = std::filesystem::weakly_canonical(req.outDir, ec);
      if (dir.filename().empty()) dir = dir.parent_path();  // "DIR/"
      const std::filesystem::path file = std::filesystem::weakly_canonical(req.tracePath, ec);
      const auto inside = std::mismatch(dir.begin(), dir.end(), file.begin(), file.end());
      if (!ec && inside.first == dir.end()) {
        throw InputError("--trace " + req.tracePath + ": inside --out " + req.outDir +
                         ", which each run replaces whole; expected a file outside it");
      }
    }
    traceFile.check();
  }

  // 4. Every mapping; a dataflow that cannot map a layer on this arch fails here, and so does
  //    a mapping file that does not fit its layer. So does a layer too big to hold in memory:
  //    its tensors alone are checked first, as the default mapper's search grows with the
  //    layer's dimensions.
  for (const Layer* layer : layers) {
    if (layer->onArray()) checkTensorStorage(*layer, nullptr, req);
  }
  std::vector<MappingFile> mappingFiles;
  for (const std::string& path : req.mappingPaths) {
    MappingFile f = readMappingFile(path);
    const auto it = std::find_if(net.layers.begin(), net.layers.end(),
                                 [&](const Layer& l) { return l.name == f.layer; });
    if (it == net.layers.end() || !it->onArray()) {
      throw InputError(path + ": mapping.layer: expected a conv or fc layer of " + req.networkPath +
                       ", got \"" + f.layer + "\"");
    }
    if (f.rules == RuleSet::Isca16) {
      // Paper mode's file runs on its dataflow's view of the arch, with the view's levels.
      const ArchSpec view = archForMappingFile(f, arch, path, req.archPath);
      checkStorageNames(f, entryNamesOf(view, true), path, req.archPath, view.isFourLevel());
      if (view.isFourLevel()) {
        validateMapping(*it, view, f.mapping, path);
      } else {
        validateLoopNest(it->shape(), view, view.hierarchy(), f.nest, path);
      }
    } else {
      checkStorageNames(f, storageNames, path, req.archPath, arch.isFourLevel());
      if (arch.isFourLevel()) {
        validateMapping(*it, arch, f.mapping, path);
      } else {
        validateLoopNest(it->shape(), arch, hierarchy, f.nest, path);
      }
    }
    const bool selected = std::find(layers.begin(), layers.end(), &*it) != layers.end();
    checkMappingLabel(f, path, selected, dataflows, mappingFiles, req.mappingPaths);
    mappingFiles.push_back(std::move(f));
  }
  if (!req.outDir.empty()) {
    std::vector<std::pair<std::string, std::string>> runs;
    for (const Layer& layer : net.layers) {
      if (!layer.onArray()) continue;
      if (std::find(layers.begin(), layers.end(), &layer) != layers.end()) {
        for (Dataflow df : dataflows) runs.emplace_back(layer.name, dataflowName(df));
      }
      for (const MappingFile& f : mappingFiles) {
        if (f.layer == layer.name) runs.emplace_back(layer.name, f.label);
      }
    }
    checkMappingNames(runs, req);
  }
  std::vector<Job> jobs;
  std::vector<UnmappedLayer> unmapped;  // with --unmappable skip
  for (const Layer& layer : net.layers) {
    if (!layer.onArray()) continue;
    if (std::find(layers.begin(), layers.end(), &layer) != layers.end()) {
      for (Dataflow df : dataflows) {
        Job job{&layer,        dataflowName(df), {}, "default",    {}, 0.0, false, {},
                RuleSet::Free, std::nullopt,     {}, std::nullopt, {}, {},  0,     0.0};
        if (req.rules == RuleSet::Isca16) {
          const auto start = std::chrono::steady_clock::now();
          setPaperView(job, isca16View(arch, df, req.archPath), table, df);
          Isca16SearchResult found;
          try {
            found = searchIsca16(layer, *job.view, df, tableOf(job, table), req.objective);
          } catch (const UnmappableLayer& e) {
            if (!req.skipUnmappable) throw;
            unmapped.push_back(UnmappedLayer{layer.name, dataflowName(df), e.what()});
            if (!req.quiet)
              err << "dfsim: not mapped (--unmappable skip): " << e.what() << std::endl;
            continue;
          }
          job.mapping = std::move(found.mapping);
          job.nest = std::move(found.nest);
          job.search = found.stats;
          job.variables = isca16VariableList(df, found.variables);
          job.mapper = std::string("isca16:") + objectiveName(req.objective);
          const std::chrono::duration<double> wall = std::chrono::steady_clock::now() - start;
          job.searchSeconds = wall.count();
          if (!req.quiet) {
            err << "dfsim: isca16 search " << layer.name << " " << dataflowName(df) << ": "
                << withThousands(found.stats.tried) << " candidates, "
                << (found.stats.pruned > 0
                        ? withThousands(found.stats.pruned) + " of them bounded out, "
                        : "")
                << renderIsca16Variables(df, found.variables) << ", "
                << significant(wall.count(), 3) << " s wall" << std::endl;
          }
        } else if (req.search) {
          const auto start = std::chrono::steady_clock::now();
          SearchOptions options{req.objective, false, req.tiling};
          if (req.objective != Objective::Energy) options.finalists = kTimeFinalists;
          SearchStats stats;
          std::int64_t subTried = 0;  // the sub-layer searches' candidates (any hierarchy)
          if (arch.isFourLevel()) {
            SearchResult found = searchMapping(layer, arch, df, table, options);
            job.mapping = std::move(found.mapping);
            job.finalists = std::move(found.finalists);
            stats = found.stats;
          } else {
            NestSearchResult found = searchLoopNest(layer, arch, df, table, options);
            job.general = true;
            job.nest = std::move(found.nest);
            job.nestFinalists = std::move(found.finalists);
            stats = found.stats;
            subTried = found.subSearchTried;
          }
          job.mapper = std::string("search:") + objectiveName(req.objective);
          job.search = stats;
          const std::chrono::duration<double> wall = std::chrono::steady_clock::now() - start;
          job.searchSeconds = wall.count();
          if (!req.quiet) {
            err << "dfsim: search " << layer.name << " " << dataflowName(df) << ": "
                << withThousands(stats.tried) << " candidates, "
                << (stats.pruned > 0 ? withThousands(stats.pruned) + " of them bounded out, " : "")
                << (subTried > 0 ? withThousands(subTried) + " in sub-layer searches, " : "")
                << significant(wall.count(), 3) << " s wall" << std::endl;
          }
        } else if (arch.isFourLevel()) {
          job.mapping = defaultMapping(layer, arch, df, req.tiling);
        } else {
          job.general = true;
          job.nest = defaultLoopNest(layer, arch, df, req.tiling);
        }
        const std::string what = job.mapper + " " + dataflowName(df) + " mapping of " + layer.name;
        if (job.general) {
          const ArchSpec& on = archOf(job, arch);
          validateLoopNest(layer.shape(), on, on.hierarchy(), job.nest, what);
          for (const LoopNest& n : job.nestFinalists) {
            validateLoopNest(layer.shape(), on, on.hierarchy(), n, what + " (a finalist)");
          }
        } else {
          validateMapping(layer, archOf(job, arch), job.mapping, what);
          for (const Mapping& m : job.finalists) {
            validateMapping(layer, archOf(job, arch), m, what + " (a finalist)");
          }
        }
        jobs.push_back(std::move(job));
      }
    }
    for (std::size_t i = 0; i < mappingFiles.size(); ++i) {
      const MappingFile& f = mappingFiles[i];
      if (f.layer != layer.name) continue;
      Job job{&layer,        f.label,      f.mapping, "file",       {}, 0.0, false, {},
              RuleSet::Free, std::nullopt, {},        std::nullopt, {}, {},  0,     0.0};
      job.general = !arch.isFourLevel();
      job.nest = f.nest;
      if (f.rules == RuleSet::Isca16) {
        setPaperView(job, archForMappingFile(f, arch, req.mappingPaths[i], req.archPath), table,
                     paperDataflowOf(f, req.mappingPaths[i]));
      }
      jobs.push_back(std::move(job));
    }
  }
  for (const Job& job : jobs) {
    checkTensorStorage(
        *job.layer, &job.mapping, req,
        job.general ? nestStorageBytes(*job.layer, archOf(job, arch).hierarchy(), job.nest) : -1);
  }
  checkTotalCycles(jobs, arch, req);
  std::unique_ptr<TraceLog> trace;
  if (!req.tracePath.empty()) {
    if (jobs.size() != 1) {
      throw InputError("--trace " + req.tracePath +
                       ": traces one layer under one dataflow; this run simulates " +
                       std::to_string(jobs.size()) + " (choose one with --layer and --dataflow)");
    }
    trace = std::make_unique<TraceLog>(static_cast<std::size_t>(req.traceLimit));
    trace->layer = jobs.front().layer->name;
    trace->dataflow = jobs.front().label;
  }
  // One run reports one hierarchy: paper mode's views must agree with each other.
  const std::vector<std::string> reportedEntries =
      jobs.empty() ? entryNames : entryNamesOf(archOf(jobs.front(), arch), false);
  for (const Job& job : jobs) {
    if (entryNamesOf(archOf(job, arch), false) == reportedEntries) continue;
    std::string a;
    std::string b;
    for (const std::string& n : reportedEntries) a += (a.empty() ? "" : " > ") + n;
    for (const std::string& n : entryNamesOf(archOf(job, arch), false)) {
      b += (b.empty() ? "" : " > ") + n;
    }
    throw InputError("--rules isca16: " + jobs.front().label + " maps onto " + a + ", " +
                     job.label + " onto " + b +
                     "; one run reports one hierarchy: run them separately");
  }

  // 4b. Time objectives: each search's finalists simulated in fast mode, the best by simulated
  //     time kept (after every check that can refuse the run: nothing throws after a
  //     simulation but output errors).
  for (Job& job : jobs) {
    const auto start = std::chrono::steady_clock::now();
    if (!pickBySimulatedTime(job, arch, tableOf(job, table), req.objective)) continue;
    const std::chrono::duration<double> wall = std::chrono::steady_clock::now() - start;
    job.finalistsSeconds = wall.count();
    if (!req.quiet) {
      err << "dfsim: " << job.layer->name << " " << job.label << ": " << job.finalistsSimulated
          << " finalists simulated for --objective " << objectiveName(req.objective) << ", "
          << significant(wall.count(), 3) << " s wall" << std::endl;
    }
  }

  // 5. The files that are known now, and the room for the rest.
  if (!req.outDir.empty()) {
    for (const Job& job : jobs) {
      const std::string base = "mappings/" + mappingBase(job.layer->name, job.label);
      const ProblemShape shape = job.layer->shape();
      const std::vector<std::string> levels = entryNamesOf(archOf(job, arch), true);
      const nlohmann::json file =
          job.general
              ? loopNestToJson(shape, job.nest, levels, job.layer->name, job.label, job.rules)
              : mappingToJson(shape, job.mapping, job.layer->name, job.label, job.rules);
      outDir.stage(base + ".json", file.dump(2) + "\n");
      outDir.stage(base + ".txt", job.general ? renderLoopNest(shape, job.nest, levels)
                                              : renderLoopNest(shape, job.mapping));
    }
    outDir.stage("config.json", config);
    std::size_t rows = jobs.size();
    for (const Layer* layer : layers) rows += layer->onArray() ? 0 : 1;
    outDir.checkSpace(rows * kResultBytesPerRow, 3);
  }

  // 6. Simulate, in network order; a pooling layer is one row, whatever the dataflows.
  RunStats run;
  run.network = net.name;
  run.arch = arch.name;
  run.energyTable = table.name;
  run.energyUnit = table.unit;
  run.clockMhz = arch.clockMhz;
  run.levelNames = reportedEntries;
  if (req.skipUnmappable) run.unmapped = unmapped;
  std::size_t done = 0;
  std::vector<JobTiming> timings;
  auto nextJob = jobs.begin();
  for (const Layer& l : net.layers) {
    const Layer* layer = &l;
    const bool selected = std::find(layers.begin(), layers.end(), layer) != layers.end();
    if (!layer->onArray()) {
      if (selected) run.layers.push_back(poolRow(*layer, arch));
      continue;
    }
    for (; nextJob != jobs.end() && nextJob->layer == layer; ++nextJob) {
      const auto start = std::chrono::steady_clock::now();
      run.layers.push_back(simulatedRow(*nextJob, arch, table, req, trace.get()));
      ++done;
      const std::chrono::duration<double> wall = std::chrono::steady_clock::now() - start;
      const Job& job = *nextJob;
      timings.push_back(
          JobTiming{layer->name, job.label, job.mapper, job.search.tried, job.search.pruned,
                    job.searchSeconds, job.finalistsSeconds, wall.count(),
                    static_cast<std::int64_t>(run.layers.back().cycles.total.count())});
      if (!req.quiet) {
        err << "dfsim: [" << done << "/" << jobs.size() << "] " << layer->name << " "
            << nextJob->label << ": "
            << withThousands(static_cast<std::int64_t>(run.layers.back().cycles.total.count()))
            << " cycles, " << significant(wall.count(), 3) << " s wall" << std::endl;
      }
    }
  }

  // 7. The files, only after every simulation succeeded, and before the table: a reader of
  //    stdout that leaves early cannot lose them.
  if (trace) {
    traceFile.write(req.traceCsv ? traceToCsv(*trace) : traceToChromeJson(*trace));
    // A cut trace is said even with --quiet.
    if (!req.quiet || trace->dropped() > 0) {
      err << "dfsim: wrote " << req.tracePath << " (" << trace->spans().size() << " spans";
      if (trace->dropped() > 0) {
        err << "; cut at --trace-limit " << req.traceLimit << ": " << trace->dropped()
            << " more dropped";
      }
      err << ")" << std::endl;
    }
  }
  if (!req.outDir.empty()) {
    outDir.stage("stats.json", statsToJson(run).dump(2) + "\n");
    outDir.stage("layers.csv", layersCsv(run));
    outDir.stage("timing.json", timingToJson(timings).dump(2) + "\n");
    outDir.commit();
    if (!req.quiet) {
      const std::filesystem::path dir(req.outDir);
      err << "dfsim: wrote " << (dir / "stats.json").string() << ", "
          << (dir / "layers.csv").string() << ", " << (dir / "timing.json").string() << ", "
          << (dir / "config.json").string() << " and " << (dir / "mappings").string() << "/\n";
    }
  }
  printRunTable(out, run);
  out.flush();
  return 0;
}

}  // namespace dfsim
