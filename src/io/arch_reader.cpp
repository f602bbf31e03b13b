// Reads configs/arch/*.json into a validated ArchSpec (format: src/io/README.md).
#include <cmath>
#include <limits>
#include <string>
#include <vector>

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

json storageJson(const std::vector<StoragePartition>& parts, const LevelFormat& f) {
  const auto capacity = [&](std::int64_t words) {
    if (!f.inKib) return json(words);
    // Exact: words * wordBits is an integer and 8192 a power of two.
    return json(static_cast<double>(words * f.wordBits) / static_cast<double>(kBitsPerKib));
  };
  json out = json::object();
  if (parts.empty()) {
    out[f.capacityKey] = capacity(0);
    return out;
  }
  if (parts.size() == 1 && parts[0].tensors[Tensor::Weights] && parts[0].tensors[Tensor::Inputs] &&
      parts[0].tensors[Tensor::Outputs]) {
    out[f.capacityKey] = capacity(parts[0].capacityWords);
    return out;
  }
  json list = json::array();
  for (const StoragePartition& p : parts) {
    json names = json::array();
    for (Tensor t : kAllTensors) {
      if (p.tensors[t]) names.push_back(std::string(tensorName(t)));
    }
    list.push_back({{"tensors", names}, {f.capacityKey, capacity(p.capacityWords)}});
  }
  out["partitions"] = list;
  return out;
}

}  // namespace

ArchSpec archFromJson(const json& doc, const std::string& file) {
  const StrictObject root(
      doc, JsonPos(file, "arch"),
      {"name", "word_bits", "tensor_bits", "clock_mhz", "pe_array", "rf", "glb", "noc", "dram"});
  ArchSpec a;
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

  // 1. PE array.
  const json& peJson = root.require("pe_array", "an object");
  const StrictObject pe(peJson, root.pos("pe_array"), {"rows", "cols"});
  a.rows = pe.getInt("rows", positiveInt());
  a.cols = pe.getInt("cols", positiveInt());
  if (a.rows > kMaxPes || a.cols > kMaxPes || a.rows * a.cols > kMaxPes) {
    pe.pos().failExpected("at most " + std::to_string(kMaxPes) + " PEs (rows*cols)", peJson);
  }

  // 2. Storage levels.
  const StrictObject rf = root.getObject("rf", {"words", "partitions"});
  a.rf.partitions = readStorage(rf, LevelFormat{false, "words", a.wordBits});

  const StrictObject glb =
      root.getObject("glb", {"size_kib", "partitions", "banks", "read_words_per_cycle",
                             "write_words_per_cycle", "latency_cycles", "double_buffered"});
  a.glb.partitions = readStorage(glb, LevelFormat{true, "size_kib", a.wordBits});
  a.glb.banks = glb.getInt("banks", positiveInt(), 1);
  a.glb.readWordsPerCycle = readBandwidth(glb, "read_words_per_cycle", false, kUnlimited);
  a.glb.writeWordsPerCycle = readBandwidth(glb, "write_words_per_cycle", false, kUnlimited);
  a.glb.latencyCycles = glb.getInt("latency_cycles", nonNegativeInt(), 0);
  a.glb.doubleBuffered = glb.getBool("double_buffered", true);

  // 3. Array network (optional: every key has a default).
  const json noNoc = json::object();
  const json* nocJson = root.find("noc");
  const StrictObject noc(nocJson != nullptr ? *nocJson : noNoc, root.pos("noc"),
                         {"words_per_cycle", "multicast", "hop_latency_cycles"});
  a.noc.wordsPerCycle = readBandwidth(noc, "words_per_cycle", false, kUnlimited);
  a.noc.multicast = noc.getBool("multicast", true);
  a.noc.hopLatencyCycles = noc.getInt("hop_latency_cycles", nonNegativeInt(), 0);

  // 4. DRAM.
  const StrictObject dram = root.getObject("dram", {"bytes_per_cycle", "latency_cycles"});
  a.dram.bytesPerCycle = readBandwidth(dram, "bytes_per_cycle", true, kUnlimited);
  a.dram.latencyCycles = dram.getInt("latency_cycles", nonNegativeInt(), 0);
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
  j["pe_array"] = {{"rows", a.rows}, {"cols", a.cols}};
  j["rf"] = storageJson(a.rf.partitions, LevelFormat{false, "words", a.wordBits});
  json glb = storageJson(a.glb.partitions, LevelFormat{true, "size_kib", a.wordBits});
  glb["banks"] = a.glb.banks;
  glb["read_words_per_cycle"] = bandwidthJson(a.glb.readWordsPerCycle);
  glb["write_words_per_cycle"] = bandwidthJson(a.glb.writeWordsPerCycle);
  glb["latency_cycles"] = a.glb.latencyCycles;
  glb["double_buffered"] = a.glb.doubleBuffered;
  j["glb"] = glb;
  j["noc"] = {{"words_per_cycle", bandwidthJson(a.noc.wordsPerCycle)},
              {"multicast", a.noc.multicast},
              {"hop_latency_cycles", a.noc.hopLatencyCycles}};
  j["dram"] = {{"bytes_per_cycle", bandwidthJson(a.dram.bytesPerCycle)},
               {"latency_cycles", a.dram.latencyCycles}};
  return j;
}

}  // namespace dfsim
