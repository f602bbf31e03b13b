// Reads configs/arch/*.json into a validated ArchSpec (format: src/io/README.md).
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "arch/hierarchy.hpp"
#include "common/errors.hpp"
#include "io/json_file.hpp"
#include "io/readers.hpp"
#include "io/strict_object.hpp"

namespace dfsim {

namespace {

using nlohmann::json;

constexpr std::int64_t kMaxPes = 65536;
constexpr std::int64_t kMaxWordBits = 64;
constexpr std::int64_t kBitsPerKib = 1024 * 8;
/// Largest GLB (or GLB partition) accepted, in KiB (1 TiB).
constexpr double kMaxGlbKib = 1073741824.0;
/// Fastest clock accepted, in MHz (1 THz). Cycles never depend on the clock (it only converts
/// them to seconds); a larger value is most likely a clock written in Hz.
constexpr double kMaxClockMhz = 1e6;
constexpr const char* kClockWhat = "a number in (0, 1e6] MHz";
constexpr const char* kUnlimitedText = "unlimited";
constexpr const char* kBandwidthWhat = "a positive integer or \"unlimited\"";
constexpr const char* kTensorWhat = "one of \"weights\", \"inputs\", \"outputs\"";

/// A bandwidth: a positive integer, or "unlimited" (kUnlimited). `fallback` when absent unless
/// `required`.
std::int64_t readBandwidth(const StrictObject& o, const std::string& key, bool required,
                           std::int64_t fallback) {
  const json* v = required ? &o.require(key, kBandwidthWhat) : o.find(key);
  if (v == nullptr) return fallback;
  if (v->is_string() && v->get<std::string>() == kUnlimitedText) return kUnlimited;
  const IntSpec spec{1, kMaxCount, kBandwidthWhat, std::string(kBandwidthWhat) + " <= 2^40"};
  return readInt(*v, o.pos(key), spec);
}

json bandwidthJson(std::int64_t v) {
  return v == kUnlimited ? json(kUnlimitedText) : json(v);
}

/// How one storage level (RF or GLB) writes a capacity: RF in words, GLB in KiB.
struct LevelFormat {
  bool inKib = false;
  std::string capacityKey;  ///< "words" or "size_kib"
  std::int64_t wordBits = 16;
};

/// A capacity in words from its JSON value at `at`.
std::int64_t readCapacity(const json& v, const JsonPos& at, const LevelFormat& f) {
  if (!f.inKib) return readInt(v, at, nonNegativeInt());
  const NumberSpec spec{0.0, true, kMaxGlbKib, "a number >= 0", "a number of KiB <= 2^30"};
  const double kib = readNumber(v, at, spec);
  const auto words =
      static_cast<std::int64_t>(std::floor(kib * kBitsPerKib / static_cast<double>(f.wordBits)));
  if (kib > 0 && words == 0) {
    at.failExpected("0 or at least one " + std::to_string(f.wordBits) + "-bit word", v);
  }
  return words;
}

/// The tensor set of partition `at`: a non-empty array of tensor names, none of them in
/// `taken` (the tensors of earlier partitions, and earlier entries of this one).
PerTensor<bool> readTensorSet(const StrictObject& part, const std::string& levelPath,
                              PerTensor<bool>& taken) {
  const std::string what = "a non-empty array of tensor names";
  const json& names = part.getArray("tensors", what);
  if (names.empty()) part.pos("tensors").failExpected(what, names);
  PerTensor<bool> set{};
  for (std::size_t i = 0; i < names.size(); ++i) {
    const JsonPos at = part.pos("tensors").index(i);
    const std::string name = readString(names[i], at, true);
    Tensor t{};
    if (!parseTensor(name, t)) at.failExpected(kTensorWhat, names[i]);
    if (taken[t]) {
      at.failExpected("a tensor listed once in " + levelPath + ".partitions", names[i]);
    }
    taken[t] = true;
    set[t] = true;
  }
  return set;
}

/// A storage level: either one capacity shared by all tensors (`capacityKey`) or "partitions".
/// A shared capacity of 0 means the level is absent (empty vector).
std::vector<StoragePartition> readStorage(const StrictObject& o, const LevelFormat& f) {
  const json* shared = o.find(f.capacityKey);
  const json* parts = o.find("partitions");
  if (shared != nullptr && parts != nullptr) {
    o.pos().fail("expected either \"" + f.capacityKey + "\" or \"partitions\", got both");
  }
  if (shared == nullptr && parts == nullptr) {
    o.pos(f.capacityKey)
        .failMissing(std::string(f.inKib ? "a number >= 0" : "an integer >= 0") +
                     ", or \"partitions\"");
  }
  std::vector<StoragePartition> out;
  if (shared != nullptr) {
    const std::int64_t words = readCapacity(*shared, o.pos(f.capacityKey), f);
    if (words > 0) {
      StoragePartition p;
      for (Tensor t : kAllTensors) p.tensors[t] = true;
      p.capacityWords = words;
      out.push_back(p);
    }
    return out;
  }
  const std::string what = "an array of {\"tensors\": [...], \"" + f.capacityKey + "\": ...}";
  if (!parts->is_array()) o.pos("partitions").failExpected(what, *parts);
  PerTensor<bool> taken{};
  for (std::size_t i = 0; i < parts->size(); ++i) {
    const StrictObject part((*parts)[i], o.pos("partitions").index(i), {"tensors", f.capacityKey});
    StoragePartition p;
    p.tensors = readTensorSet(part, o.pos().path(), taken);
    p.capacityWords =
        readCapacity(part.require(f.capacityKey, f.inKib ? "a number >= 0" : "an integer >= 0"),
                     part.pos(f.capacityKey), f);
    out.push_back(p);
  }
  return out;
}

/// The capacity of a level or partition as JSON: words, or KiB when `inKib`.
json capacityJson(std::int64_t words, bool inKib, std::int64_t wordBits) {
  if (!inKib) return json(words);
  // Exact: words * wordBits is an integer and 8192 a power of two.
  return json(static_cast<double>(words * wordBits) / static_cast<double>(kBitsPerKib));
}

/// The partitions of a storage level as the members of its object: one shared capacity
/// (`capacityKey`) when there is none (0) or one partition of every tensor with room, else
/// "partitions".
json storageJson(const std::vector<StoragePartition>& parts, const std::string& capacityKey,
                 bool inKib, std::int64_t wordBits) {
  json out = json::object();
  if (parts.empty()) {
    out[capacityKey] = capacityJson(0, inKib, wordBits);
    return out;
  }
  if (parts.size() == 1 && parts[0].tensors[Tensor::Weights] && parts[0].tensors[Tensor::Inputs] &&
      parts[0].tensors[Tensor::Outputs] && parts[0].capacityWords > 0) {
    out[capacityKey] = capacityJson(parts[0].capacityWords, inKib, wordBits);
    return out;
  }
  json list = json::array();
  for (const StoragePartition& p : parts) {
    json names = json::array();
    for (Tensor t : kAllTensors) {
      if (p.tensors[t]) names.push_back(std::string(tensorName(t)));
    }
    list.push_back(
        {{"tensors", names}, {capacityKey, capacityJson(p.capacityWords, inKib, wordBits)}});
  }
  out["partitions"] = list;
  return out;
}

/// A fan-out's optional "network" (FanOutSpec::network): {"kind": "ideal"} (the default),
/// {"kind": "systolic"} or {"kind": "per_tensor"}.
NetworkKind readNetwork(const StrictObject& o) {
  if (!o.has("network")) return NetworkKind::Ideal;
  const JsonPos at = o.pos("network");
  const json& v = *o.find("network");
  constexpr const char* kinds = "\"ideal\", \"systolic\" or \"per_tensor\"";
  if (!v.is_object()) at.failExpected(std::string("an object with \"kind\": ") + kinds, v);
  const StrictObject n(v, at, {"kind"});
  const auto kindIt = v.find("kind");
  if (kindIt == v.end()) at.key("kind").failMissing(kinds);
  const std::string kind = readString(*kindIt, at.key("kind"), true);
  for (NetworkKind k : {NetworkKind::Ideal, NetworkKind::Systolic, NetworkKind::PerTensor}) {
    if (kind == networkKindName(k)) return k;
  }
  at.key("kind").failExpected(kinds, *kindIt);
}

/// The file's name, word_bits, tensor_bits and clock_mhz (both forms).
/// A DRAM level's optional "model" (sim/dram_model.hpp): {"kind": "bandwidth"} (the default)
/// or {"kind": "row_buffer", ...} with each timing optional (DramTimingSpec's defaults).
DramTimingSpec readDramTiming(const StrictObject& dram) {
  DramTimingSpec d;
  if (!dram.has("model")) return d;
  const JsonPos at = dram.pos("model");
  const json& v = *dram.find("model");
  if (!v.is_object())
    at.failExpected("an object with \"kind\": \"bandwidth\" or \"row_buffer\"", v);
  const auto kindIt = v.find("kind");
  if (kindIt == v.end()) at.key("kind").failMissing("\"bandwidth\" or \"row_buffer\"");
  const std::string kind = readString(*kindIt, at.key("kind"), true);
  if (kind == "bandwidth") {
    const StrictObject o(v, at, {"kind"});
    return d;
  }
  if (kind != "row_buffer") at.key("kind").failExpected("\"bandwidth\" or \"row_buffer\"", *kindIt);
  const StrictObject o(v, at,
                       {"kind", "banks", "row_bytes", "burst_bytes", "t_rcd_ns", "t_cas_ns",
                        "t_rp_ns", "t_refi_ns", "t_rfc_ns"});
  d.kind = DramTimingSpec::Kind::RowBuffer;
  d.banks = o.getInt("banks", intInRange(1, 1024), d.banks);
  d.burstBytes = o.getInt("burst_bytes", intInRange(1, 4096), d.burstBytes);
  d.rowBytes = o.getInt("row_bytes", intInRange(1, std::int64_t{1} << 20), d.rowBytes);
  if (d.rowBytes % d.burstBytes != 0) {
    at.key("row_bytes")
        .fail("expected a multiple of burst_bytes (" + std::to_string(d.burstBytes) + "), got " +
              std::to_string(d.rowBytes));
  }
  NumberSpec ns = nonNegativeNumber();
  ns.max = 1e6;
  ns.what = "a number of nanoseconds in [0, 1e6]";
  ns.whatMax = ns.what;
  d.tRcdNs = o.getNumber("t_rcd_ns", ns, d.tRcdNs);
  d.tCasNs = o.getNumber("t_cas_ns", ns, d.tCasNs);
  d.tRpNs = o.getNumber("t_rp_ns", ns, d.tRpNs);
  d.tRefiNs = o.getNumber("t_refi_ns", ns, d.tRefiNs);
  d.tRfcNs = o.getNumber("t_rfc_ns", ns, d.tRfcNs);
  if (d.tRefiNs > 0 && d.tRfcNs >= d.tRefiNs) {
    at.key("t_rfc_ns")
        .fail("expected less than t_refi_ns (" + describeJson(d.tRefiNs) +
              "; 0 there turns refresh off), got " + describeJson(d.tRfcNs));
  }
  return d;
}

/// The "model" object of a DRAM level (written only when it is not the default).
json dramTimingJson(const DramTimingSpec& d) {
  json j;
  j["kind"] = "row_buffer";
  j["banks"] = d.banks;
  j["row_bytes"] = d.rowBytes;
  j["burst_bytes"] = d.burstBytes;
  j["t_rcd_ns"] = d.tRcdNs;
  j["t_cas_ns"] = d.tCasNs;
  j["t_rp_ns"] = d.tRpNs;
  j["t_refi_ns"] = d.tRefiNs;
  j["t_rfc_ns"] = d.tRfcNs;
  return j;
}

void readCommon(const StrictObject& root, ArchSpec& a) {
  a.name = root.getString("name");
  a.wordBits = root.getInt("word_bits", intInRange(1, kMaxWordBits));
  // Per-tensor widths (optional; a tensor not named takes word_bits).
  if (root.has("tensor_bits")) {
    const StrictObject bits = root.getObject("tensor_bits", {"weights", "inputs", "outputs"});
    for (Tensor t : kAllTensors) {
      const std::string key(tensorName(t));
      a.tensorBits[t] = bits.has(key) ? bits.getInt(key, intInRange(1, kMaxWordBits)) : a.wordBits;
    }
  } else {
    for (Tensor t : kAllTensors) a.tensorBits[t] = a.wordBits;
  }
  const NumberSpec clock{0.0, false, std::numeric_limits<double>::max(), kClockWhat, kClockWhat};
  a.clockMhz = root.getNumber("clock_mhz", clock);
  if (a.clockMhz > kMaxClockMhz) {
    root.pos("clock_mhz")
        .fail(std::string("expected ") + kClockWhat + ", got " +
              describeJson(root.require("clock_mhz", kClockWhat)) + " (a clock in Hz?)");
  }
}

/// The legacy form: pe_array, rf, glb, noc, dram (the 4-level instance).
void readLegacy(const StrictObject& root, ArchSpec& a) {
  // 1. PE array.
  const json& peJson = root.require("pe_array", "an object");
  const StrictObject pe(peJson, root.pos("pe_array"), {"rows", "cols"});
  a.rows = pe.getInt("rows", positiveInt());
  a.cols = pe.getInt("cols", positiveInt());
  if (a.rows > kMaxPes || a.cols > kMaxPes || a.rows * a.cols > kMaxPes) {
    pe.pos().failExpected("at most " + std::to_string(kMaxPes) + " PEs (rows*cols)", peJson);
  }

  // 2. Storage levels.
  const StrictObject rf = root.getObject("rf", {"words", "partitions", "halo_reuse"});
  a.rf.partitions = readStorage(rf, LevelFormat{false, "words", a.wordBits});

  const StrictObject glb = root.getObject(
      "glb", {"size_kib", "partitions", "banks", "read_words_per_cycle", "write_words_per_cycle",
              "latency_cycles", "double_buffered", "halo_reuse"});
  a.glb.partitions = readStorage(glb, LevelFormat{true, "size_kib", a.wordBits});
  // Informational only (README "Architecture file"): checked, then not modelled (banks and
  // their conflicts belong to the microarchitecture issue).
  glb.getInt("banks", positiveInt(), 1);
  a.glb.readWordsPerCycle = readBandwidth(glb, "read_words_per_cycle", false, kUnlimited);
  a.glb.writeWordsPerCycle = readBandwidth(glb, "write_words_per_cycle", false, kUnlimited);
  a.glb.latencyCycles = glb.getInt("latency_cycles", nonNegativeInt(), 0);
  a.glb.doubleBuffered = glb.getBool("double_buffered", true);
  a.glb.haloReuse = glb.getBool("halo_reuse", true);
  a.rf.haloReuse = rf.getBool("halo_reuse", true);

  // 3. Array network (optional: every key has a default).
  const json noNoc = json::object();
  const json* nocJson = root.find("noc");
  const StrictObject noc(nocJson != nullptr ? *nocJson : noNoc, root.pos("noc"),
                         {"words_per_cycle", "multicast", "hop_latency_cycles", "network"});
  a.noc.wordsPerCycle = readBandwidth(noc, "words_per_cycle", false, kUnlimited);
  a.noc.multicast = noc.getBool("multicast", true);
  a.noc.hopLatencyCycles = noc.getInt("hop_latency_cycles", nonNegativeInt(), 0);
  a.noc.network = readNetwork(noc);

  // 4. DRAM.
  const StrictObject dram = root.getObject("dram", {"bytes_per_cycle", "latency_cycles", "model"});
  a.dram.bytesPerCycle = readBandwidth(dram, "bytes_per_cycle", true, kUnlimited);
  a.dram.latencyCycles = dram.getInt("latency_cycles", nonNegativeInt(), 0);
  a.dram.timing = readDramTiming(dram);
}

constexpr const char* kKindWhat = "one of \"dram\", \"storage\", \"fanout\"";
constexpr const char* kCapacityWhat = "\"words\" (an integer >= 0) or \"size_kib\" (a number >= 0)";

/// A level's "tensor_bits" (optional; a tensor not named takes the arch's width).
PerTensor<std::int64_t> readLevelBits(const StrictObject& o, const ArchSpec& a) {
  PerTensor<std::int64_t> bits{};
  for (Tensor t : kAllTensors) bits[t] = a.bitsOf(t);
  if (!o.has("tensor_bits")) return bits;
  const StrictObject b = o.getObject("tensor_bits", {"weights", "inputs", "outputs"});
  for (Tensor t : kAllTensors) {
    const std::string key(tensorName(t));
    if (b.has(key)) bits[t] = b.getInt(key, intInRange(1, kMaxWordBits));
  }
  return bits;
}

/// The capacity of a general-form level or partition: exactly one of "words" and "size_kib".
std::int64_t readEitherCapacity(const StrictObject& o, std::int64_t wordBits) {
  const json* words = o.find("words");
  const json* kib = o.find("size_kib");
  if (words != nullptr && kib != nullptr) {
    o.pos().fail("expected either \"words\" or \"size_kib\", got both");
  }
  if (words == nullptr && kib == nullptr) o.pos("words").failMissing(kCapacityWhat);
  if (words != nullptr)
    return readCapacity(*words, o.pos("words"), LevelFormat{false, "words", wordBits});
  return readCapacity(*kib, o.pos("size_kib"), LevelFormat{true, "size_kib", wordBits});
}

/// A general-form on-chip level's storage: "words" or "size_kib" shared by all tensors (0: the
/// level keeps nothing), or "partitions" of {"tensors", "words" | "size_kib"}.
std::vector<StoragePartition> readLevelStorage(const StrictObject& o, std::int64_t wordBits) {
  const bool shared = o.has("words") || o.has("size_kib");
  const json* parts = o.find("partitions");
  if (shared && parts != nullptr) {
    o.pos().fail("expected either \"words\"/\"size_kib\" or \"partitions\", got both");
  }
  if (!shared && parts == nullptr) {
    o.pos("partitions").failMissing(std::string(kCapacityWhat) + ", or \"partitions\"");
  }
  std::vector<StoragePartition> out;
  if (shared) {
    const std::int64_t words = readEitherCapacity(o, wordBits);
    if (words > 0) {
      StoragePartition p;
      for (Tensor t : kAllTensors) p.tensors[t] = true;
      p.capacityWords = words;
      out.push_back(p);
    }
    return out;
  }
  const std::string what = "an array of {\"tensors\": [...], \"words\" or \"size_kib\": ...}";
  if (!parts->is_array()) o.pos("partitions").failExpected(what, *parts);
  PerTensor<bool> taken{};
  for (std::size_t i = 0; i < parts->size(); ++i) {
    const StrictObject part((*parts)[i], o.pos("partitions").index(i),
                            {"tensors", "words", "size_kib"});
    StoragePartition p;
    p.tensors = readTensorSet(part, o.pos().path(), taken);
    p.capacityWords = readEitherCapacity(part, wordBits);
    out.push_back(p);
  }
  return out;
}

/// One entry of "levels", by its kind.
HierarchyEntry readLevel(const json& v, const JsonPos& at, const ArchSpec& a) {
  if (!v.is_object()) at.failExpected("a level object", v);
  const auto kindIt = v.find("kind");
  if (kindIt == v.end()) at.key("kind").failMissing(kKindWhat);
  const std::string kind = readString(*kindIt, at.key("kind"), true);
  HierarchyEntry e;
  if (kind == "dram") {
    const StrictObject o(
        v, at, {"name", "kind", "bytes_per_cycle", "latency_cycles", "tensor_bits", "model"});
    e.storage.name = o.getString("name");
    e.storage.offChip = true;
    e.storage.bytesPerCycle = readBandwidth(o, "bytes_per_cycle", true, kUnlimited);
    e.storage.latencyCycles = o.getInt("latency_cycles", nonNegativeInt(), 0);
    e.storage.tensorBits = readLevelBits(o, a);
    e.storage.dramTiming = readDramTiming(o);
  } else if (kind == "storage") {
    const StrictObject o(v, at,
                         {"name", "kind", "words", "size_kib", "partitions", "read_words_per_cycle",
                          "write_words_per_cycle", "latency_cycles", "double_buffered",
                          "halo_reuse", "tensor_bits"});
    e.storage.name = o.getString("name");
    e.storage.partitions = readLevelStorage(o, a.wordBits);
    e.storage.readWordsPerCycle = readBandwidth(o, "read_words_per_cycle", false, kUnlimited);
    e.storage.writeWordsPerCycle = readBandwidth(o, "write_words_per_cycle", false, kUnlimited);
    e.storage.latencyCycles = o.getInt("latency_cycles", nonNegativeInt(), 0);
    e.storage.doubleBuffered = o.getBool("double_buffered", false);
    e.storage.haloReuse = o.getBool("halo_reuse", true);
    e.storage.tensorBits = readLevelBits(o, a);
  } else if (kind == "fanout") {
    const StrictObject o(v, at,
                         {"name", "kind", "rows", "cols", "words_per_cycle", "multicast",
                          "hop_latency_cycles", "unreduced_dims", "network"});
    e.kind = HierarchyEntry::Kind::FanOut;
    e.fanOut.name = o.getString("name");
    e.fanOut.rows = o.getInt("rows", positiveInt());
    e.fanOut.cols = o.getInt("cols", positiveInt());
    if (e.fanOut.rows > kMaxPes || e.fanOut.cols > kMaxPes ||
        e.fanOut.rows * e.fanOut.cols > kMaxPes) {
      at.fail("expected at most " + std::to_string(kMaxPes) + " instances (rows*cols), got " +
              std::to_string(e.fanOut.rows) + "x" + std::to_string(e.fanOut.cols));
    }
    e.fanOut.wordsPerCycle = readBandwidth(o, "words_per_cycle", false, kUnlimited);
    e.fanOut.multicast = o.getBool("multicast", true);
    e.fanOut.hopLatencyCycles = o.getInt("hop_latency_cycles", nonNegativeInt(), 0);
    e.fanOut.network = readNetwork(o);
    if (o.has("unreduced_dims")) {
      const std::string what = "an array of dimension names (strings)";
      const json& dims = o.getArray("unreduced_dims", what);
      for (std::size_t i = 0; i < dims.size(); ++i) {
        if (!dims[i].is_string()) o.pos("unreduced_dims").index(i).failExpected(what, dims[i]);
        e.fanOut.unreducedDims.push_back(dims[i].get<std::string>());
      }
    }
  } else {
    at.key("kind").failExpected(kKindWhat, *kindIt);
  }
  return e;
}

/// The general form: "levels", outermost first (README "Architecture file: levels").
void readLevels(const StrictObject& root, ArchSpec& a) {
  const std::string what = "an array of 2 to " + std::to_string(kMaxLevelEntries) +
                           " levels (\"dram\" first, a storage level last)";
  const json& levels = root.getArray("levels", what);
  const JsonPos at = root.pos("levels");
  if (levels.size() < 2 || levels.size() > kMaxLevelEntries) at.failExpected(what, levels);
  Hierarchy h;
  std::int64_t instances = 1;
  for (std::size_t i = 0; i < levels.size(); ++i) {
    h.entries.push_back(readLevel(levels[i], at.index(i), a));
    if (!h.isStorage(i)) {
      instances *= h.entries[i].fanOut.count();
      if (instances > kMaxPes) {
        at.index(i).fail("expected at most " + std::to_string(kMaxPes) +
                         " instances of the innermost level (the product of every fan-out's "
                         "rows*cols), got " +
                         std::to_string(instances));
      }
    }
  }
  // The Hierarchy contract, placed at the level (and key) that breaks it.
  const HierarchyProblem p = checkHierarchy(h);
  if (!p.ok()) {
    const JsonPos level = at.index(p.entry);
    if (p.key.empty()) level.fail("expected " + p.what);
    const json& got = levels[p.entry];
    const auto it = got.find(p.key);
    if (it == got.end()) level.key(p.key).fail("expected " + p.what);
    level.key(p.key).failExpected(p.what, *it);
  }
  setHierarchy(a, h);
}

/// The legacy form's keys: a file gives them or "levels", never both.
const std::vector<std::string>& legacyKeys() {
  static const std::vector<std::string> keys = {"pe_array", "rf", "glb", "noc", "dram"};
  return keys;
}

/// One level of the general form as JSON, every key explicit. `innermost`: capacities in words
/// (else in KiB, unless a partition is beyond the KiB the reader accepts).
json levelJson(const HierarchyEntry& e, const ArchSpec& a, bool innermost) {
  json j;
  j["name"] = e.name();
  if (e.kind == HierarchyEntry::Kind::FanOut) {
    const FanOutSpec& f = e.fanOut;
    j["kind"] = "fanout";
    j["rows"] = f.rows;
    j["cols"] = f.cols;
    j["words_per_cycle"] = bandwidthJson(f.wordsPerCycle);
    j["multicast"] = f.multicast;
    j["hop_latency_cycles"] = f.hopLatencyCycles;
    if (!f.unreducedDims.empty()) j["unreduced_dims"] = f.unreducedDims;
    if (f.network != NetworkKind::Ideal) j["network"] = {{"kind", networkKindName(f.network)}};
    return j;
  }
  const StorageLevelSpec& s = e.storage;
  json bits = json::object();
  for (Tensor t : kAllTensors) {
    bits[std::string(tensorName(t))] = s.tensorBits[t] > 0 ? s.tensorBits[t] : a.bitsOf(t);
  }
  if (s.offChip) {
    j["kind"] = "dram";
    j["bytes_per_cycle"] = bandwidthJson(s.bytesPerCycle);
    j["latency_cycles"] = s.latencyCycles;
    j["tensor_bits"] = bits;
    if (s.dramTiming.kind != DramTimingSpec::Kind::Bandwidth) {
      j["model"] = dramTimingJson(s.dramTiming);
    }
    return j;
  }
  bool inKib = !innermost;
  for (const StoragePartition& p : s.partitions) {
    if (static_cast<double>(p.capacityWords * a.wordBits) / kBitsPerKib > kMaxGlbKib) {
      inKib = false;
    }
  }
  j["kind"] = "storage";
  j.update(storageJson(s.partitions, inKib ? "size_kib" : "words", inKib, a.wordBits));
  j["read_words_per_cycle"] = bandwidthJson(s.readWordsPerCycle);
  j["write_words_per_cycle"] = bandwidthJson(s.writeWordsPerCycle);
  j["latency_cycles"] = s.latencyCycles;
  j["double_buffered"] = s.doubleBuffered;
  j["halo_reuse"] = s.haloReuse;
  j["tensor_bits"] = bits;
  return j;
}

}  // namespace

ArchSpec archFromJson(const json& doc, const std::string& file) {
  const JsonPos at(file, "arch");
  const bool general = doc.is_object() && doc.contains("levels");
  if (general) {
    for (const std::string& key : legacyKeys()) {
      if (doc.contains(key)) {
        at.key(key).fail(
            "unexpected with \"levels\": a file gives either \"levels\" or "
            "pe_array/rf/glb/noc/dram, not both");
      }
    }
  }
  std::vector<std::string> keys = {"name", "word_bits", "tensor_bits", "clock_mhz"};
  if (general) {
    keys.push_back("levels");
  } else {
    keys.insert(keys.end(), legacyKeys().begin(), legacyKeys().end());
  }
  const StrictObject root(doc, at, keys);
  ArchSpec a;
  readCommon(root, a);
  if (general) {
    readLevels(root, a);
  } else {
    readLegacy(root, a);
  }
  return a;
}

ArchSpec readArch(const std::string& path, const std::vector<Override>& overrides) {
  json doc = loadJsonFile(path, "arch");
  applyOverrides(doc, "arch", overrides);
  return archFromJson(doc, path);
}

json archToJson(const ArchSpec& a) {
  json j;
  j["name"] = a.name;
  j["word_bits"] = a.wordBits;
  json bits = json::object();
  for (Tensor t : kAllTensors) bits[std::string(tensorName(t))] = a.bitsOf(t);
  j["tensor_bits"] = bits;
  j["clock_mhz"] = a.clockMhz;
  const Hierarchy h = a.hierarchy();
  json levels = json::array();
  for (std::size_t i = 0; i < h.size(); ++i) {
    levels.push_back(levelJson(h.entries[i], a, i + 1 == h.size()));
  }
  j["levels"] = levels;
  return j;
}

}  // namespace dfsim
