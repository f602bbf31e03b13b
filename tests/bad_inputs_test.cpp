// Bad input, as a user would give it, through the real dfsim binary: a table of malformed files
// (arch, network, energy) and command lines. Each must exit with status 2, print exactly one
// given line on stderr and nothing on stdout, and leave --out alone: a new folder is not
// created, an existing one (with earlier results) stays byte-identical.
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "run_dfsim.hpp"
#include "temp_dir.hpp"

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

/// Every file under `dir` (relative name -> bytes), to compare a folder before and after.
std::map<std::string, std::string> snapshot(const fs::path& dir) {
  std::map<std::string, std::string> files;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    const std::string rel = fs::relative(e.path(), dir).string();
    files[rel] = e.is_regular_file() ? dfsim::test::readFile(e.path()) : std::string("(folder)");
  }
  return files;
}

/// `text` with every `key` replaced by `value`.
std::string replaceAll(std::string text, const std::string& key, const std::string& value) {
  for (std::size_t at = text.find(key); at != std::string::npos; at = text.find(key, at)) {
    text.replace(at, key.size(), value);
    at += value.size();
  }
  return text;
}

/// `text` with every "{dir}" replaced by `dir`.
std::string expand(const std::string& text, const std::string& dir) {
  return replaceAll(text, "{dir}", dir);
}

using dfsim::test::Outcome;
using dfsim::test::runDfsim;

// The valid inputs that each case starts from: a 4x4 array, a conv and a pool layer, and an
// energy table for 16-bit words.
json baseArch() {
  return json::parse(R"({
    "name": "small", "word_bits": 16, "clock_mhz": 200,
    "pe_array": {"rows": 4, "cols": 4},
    "rf": {"words": 16},
    "glb": {"size_kib": 2, "read_words_per_cycle": 4},
    "noc": {"words_per_cycle": 4},
    "dram": {"bytes_per_cycle": 4, "latency_cycles": 10}
  })");
}

json baseNetwork() {
  return json::parse(R"({
    "name": "small",
    "layers": [
      {"name": "c1", "type": "conv", "C": 4, "M": 8, "H": 8, "W": 8, "R": 3, "S": 3},
      {"name": "p1", "type": "pool", "R": 2}
    ]
  })");
}

json baseEnergy() {
  return json::parse(R"({
    "name": "e", "unit": "pJ", "word_bits": 16, "mac": 1, "rf": {"read": 1, "write": 1},
    "noc": {"per_word": 2}, "glb": {"read": 6, "write": 6}, "dram": {"read": 200, "write": 200}
  })");
}

using Edit = std::function<void(json&)>;

/// The base document with `edit` applied, as the text of a file.
std::string edited(json doc, const Edit& edit) {
  edit(doc);
  return doc.dump(2);
}

/// One bad input.
struct BadInput {
  std::string what;  ///< what is wrong, for the test log
  /// Files written into the case's folder {dir} before the run, over the valid arch.json,
  /// net.json and energy.json; "@link:TARGET" makes a symbolic link to TARGET instead.
  std::vector<std::pair<std::string, std::string>> files;
  /// dfsim's arguments (shell text): "{dir}" is the case's folder, "{fresh}" a new --out
  /// folder, "{previous}" one with earlier results; a `run` without --out gets one of the two.
  std::string args;
  std::string message;  ///< the line expected on stderr after "dfsim: error: ", "{dir}" expanded
};

/// `run` over the case's three files with the rs dataflow, then `extra`.
std::string runArgs(const std::string& extra = "") {
  return "run --arch {dir}/arch.json --network {dir}/net.json --energy {dir}/energy.json "
         "--dataflow rs" +
         (extra.empty() ? "" : " " + extra);
}

BadInput archCase(std::string what, const Edit& edit, std::string message) {
  return {std::move(what),
          {{"arch.json", edited(baseArch(), edit)}},
          runArgs(),
          "{dir}/arch.json: " + std::move(message)};
}

BadInput networkCase(std::string what, const Edit& edit, std::string message) {
  return {std::move(what),
          {{"net.json", edited(baseNetwork(), edit)}},
          runArgs(),
          "{dir}/net.json: " + std::move(message)};
}

BadInput energyCase(std::string what, const Edit& edit, std::string message) {
  return {std::move(what),
          {{"energy.json", edited(baseEnergy(), edit)}},
          runArgs(),
          "{dir}/energy.json: " + std::move(message)};
}

/// The conv layer of the base network.
json& conv(json& net) {
  return net["layers"][0];
}

std::vector<BadInput> fileCases() {
  return {
      // Syntax.
      {"arch: a JSON syntax error",
       {{"arch.json", "{\"name\": \"a\",\n  \"word_bits\": 16,,\n}"}},
       runArgs(),
       "{dir}/arch.json:2:19: JSON syntax error: syntax error while parsing object key - "
       "unexpected ','; expected string literal"},
      {"network: a truncated file",
       {{"net.json", "{\"name\": \"n\", \"layers\": [{\"name\": \"c1\""}},
       runArgs(),
       "{dir}/net.json:1:39: JSON syntax error: syntax error while parsing object - unexpected "
       "end of input; expected '}'"},
      {"energy: an empty file",
       {{"energy.json", ""}},
       runArgs(),
       "{dir}/energy.json:1:1: JSON syntax error: syntax error while parsing value - unexpected "
       "end of input; expected '[', '{', or a literal"},
      {"arch: a repeated key",
       {{"arch.json", R"({"name": "a", "rf": {"words": 1, "words": 2}})"}},
       runArgs(),
       "{dir}/arch.json: arch.rf.words: duplicate key"},
      {"network: a number too large for a double",
       {{"net.json", "{\"name\": \"n\",\n \"batch\": 1e999}"}},
       runArgs(),
       "{dir}/net.json:2:15: JSON syntax error: number overflow parsing '1e999'"},

      // Architecture.
      archCase(
          "arch: the document is an array", [](json& a) { a = json::array({a}); },
          "arch: expected an object, got "
          "[{\"clock_mhz\":200,\"dram\":{\"bytes_per_cycle\":4,\"latency_cy..."),
      archCase(
          "arch: an unknown key", [](json& a) { a["clock_hz"] = 1; },
          "arch.clock_hz: unknown key; valid keys: clock_mhz, dram, glb, name, noc, pe_array, rf, "
          "tensor_bits, "
          "word_bits"),
      archCase(
          "arch: a misspelt nested key",
          [](json& a) {
            a["glb"].erase("read_words_per_cycle");
            a["glb"]["read_word_per_cycle"] = 4;
          },
          "arch.glb.read_word_per_cycle: unknown key; valid keys: banks, double_buffered, "
          "halo_reuse, latency_cycles, partitions, read_words_per_cycle, size_kib, "
          "write_words_per_cycle"),
      archCase(
          "arch: a number given as a string", [](json& a) { a["word_bits"] = "16"; },
          "arch.word_bits: expected an integer in 1..64, got \"16\""),
      archCase(
          "arch: an integer given as 16.0", [](json& a) { a["word_bits"] = 16.0; },
          "arch.word_bits: expected an integer in 1..64, got 16.0"),
      archCase(
          "arch: a negative GLB size", [](json& a) { a["glb"]["size_kib"] = -3; },
          "arch.glb.size_kib: expected a number >= 0, got -3"),
      archCase(
          "arch: a GLB smaller than one word", [](json& a) { a["glb"]["size_kib"] = 0.0001; },
          "arch.glb.size_kib: expected 0 or at least one 16-bit word, got 0.0001"),
      archCase(
          "arch: zero PE rows", [](json& a) { a["pe_array"]["rows"] = 0; },
          "arch.pe_array.rows: expected a positive integer, got 0"),
      archCase(
          "arch: too many PEs",
          [](json& a) {
            a["pe_array"] = {{"rows", 300}, {"cols", 300}};
          },
          "arch.pe_array: expected at most 65536 PEs (rows*cols), got {\"cols\":300,\"rows\":300}"),
      archCase(
          "arch: a clock of 0 MHz", [](json& a) { a["clock_mhz"] = 0; },
          "arch.clock_mhz: expected a number in (0, 1e6] MHz, got 0"),
      archCase(
          "arch: a clock given in Hz", [](json& a) { a["clock_mhz"] = 3e9; },
          "arch.clock_mhz: expected a number in (0, 1e6] MHz, got 3000000000.0 (a clock in Hz?)"),
      {"arch: latencies that could take a run past 2^62 cycles",
       {{"arch.json",
         edited(baseArch(), [](json& a) { a["dram"]["latency_cycles"] = std::int64_t{1} << 40; })},
        {"net.json", edited(baseNetwork(),
                            [](json& n) {
                              conv(n)["C"] = 64;
                              conv(n)["M"] = 64;
                              conv(n)["H"] = 34;
                              conv(n)["W"] = 34;
                            })}},
       runArgs(),
       "default rs mapping of c1: with arch.dram.latency_cycles=1099511627776, "
       "arch.glb.latency_cycles=0, arch.noc.hop_latency_cycles=0 the simulation of layer c1 could "
       "pass the limit of 2^62 cycles; expected smaller latencies"},
      {"arch: latencies whose cycles summed over 300 layers could pass 2^63",
       {{"arch.json", edited(baseArch(),
                             [](json& a) {
                               const std::int64_t most = std::int64_t{1} << 40;
                               a["dram"]["latency_cycles"] = most;
                               a["glb"]["latency_cycles"] = most;
                               a["noc"]["hop_latency_cycles"] = most;
                             })},
        {"net.json", edited(baseNetwork(),
                            [](json& n) {
                              for (int i = 0; i < 300; ++i) {
                                json layer = conv(n);
                                layer["name"] = "x" + std::to_string(i);
                                n["layers"].push_back(layer);
                              }
                            })}},
       runArgs("--fast"),
       "{dir}/arch.json: with arch.dram.latency_cycles=1099511627776, "
       "arch.glb.latency_cycles=1099511627776, arch.noc.hop_latency_cycles=1099511627776 the rs "
       "cycles summed over the layers could pass 2^63; expected smaller latencies or fewer layers "
       "(--layer)"},
      archCase(
          "arch: a bandwidth that is neither a number nor unlimited",
          [](json& a) { a["dram"]["bytes_per_cycle"] = "fast"; },
          "arch.dram.bytes_per_cycle: expected a positive integer or \"unlimited\", got \"fast\""),
      archCase(
          "arch: a missing required object", [](json& a) { a.erase("dram"); },
          "arch.dram: missing required key (expected an object)"),
      archCase(
          "arch: both a shared RF and partitions",
          [](json& a) { a["rf"]["partitions"] = json::array(); },
          "arch.rf: expected either \"words\" or \"partitions\", got both"),
      archCase(
          "arch: a tensor in two partitions",
          [](json& a) {
            a["rf"] = json::parse(R"({"partitions": [{"tensors": ["weights"], "words": 8},
                                                     {"tensors": ["weights"], "words": 8}]})");
          },
          "arch.rf.partitions[1].tensors[0]: expected a tensor listed once in arch.rf.partitions, "
          "got \"weights\""),
      archCase(
          "arch: an unknown tensor name",
          [](json& a) {
            a["glb"].erase("size_kib");
            a["glb"]["partitions"] = json::parse(R"([{"tensors": ["psums"], "size_kib": 1}])");
          },
          "arch.glb.partitions[0].tensors[0]: expected one of \"weights\", \"inputs\", "
          "\"outputs\", got \"psums\""),

      // Network.
      networkCase(
          "network: no layers", [](json& n) { n["layers"] = json::array(); },
          "network.layers: expected a non-empty array of layers, got []"),
      networkCase(
          "network: batch 0", [](json& n) { n["batch"] = 0; },
          "network.batch: expected a positive integer, got 0"),
      networkCase(
          "network: an unknown layer type", [](json& n) { conv(n)["type"] = "deconv"; },
          "network.layers[0].type: expected one of \"conv\", \"fc\", \"pool\", got \"deconv\""),
      networkCase(
          "network: a layer without a type", [](json& n) { conv(n).erase("type"); },
          "network.layers[0].type: missing required key (expected one of \"conv\", \"fc\", "
          "\"pool\")"),
      networkCase(
          "network: an unknown layer key", [](json& n) { conv(n)["K"] = 3; },
          "network.layers[0].K: unknown key; valid keys: C, H, M, N, P, Q, R, S, W, dilation, "
          "groups, "
          "name, padding, stride, type"),
      networkCase(
          "network: a negative channel count", [](json& n) { conv(n)["C"] = -4; },
          "network.layers[0].C: expected a positive integer, got -4"),
      networkCase(
          "network: a negative padding", [](json& n) { conv(n)["padding"] = -1; },
          "network.layers[0].padding: expected an integer >= 0, got -1"),
      networkCase(
          "network: stride 0", [](json& n) { conv(n)["stride"] = 0; },
          "network.layers[0].stride: expected a positive integer, got 0"),
      networkCase(
          "network: groups that do not divide C and M", [](json& n) { conv(n)["groups"] = 3; },
          "network.layers[0].groups: expected a divisor of C=4 and M=8, got 3"),
      networkCase(
          "network: an output height that disagrees with the input",
          [](json& n) { conv(n)["P"] = 7; },
          "network.layers[0].P: expected 6 (from H=8, R=3, stride=1, padding=0), got 7"),
      networkCase(
          "network: a filter larger than the padded input", [](json& n) { conv(n)["R"] = 11; },
          "network.layers[0].R: expected at most the padded input height H+padding=8, got 11"),
      networkCase(
          "network: neither the input nor the output width", [](json& n) { conv(n).erase("W"); },
          "network.layers[0].W: missing required key (expected a positive integer, or Q for the "
          "output width)"),
      networkCase(
          "network: two layers with the same name", [](json& n) { n["layers"][1]["name"] = "c1"; },
          "network.layers[1].name: expected a name not used by an earlier layer, got \"c1\""),
      networkCase(
          "network: an fc input shape that does not multiply to in_features",
          [](json& n) {
            n["layers"][1] = json::parse(R"({"name": "f", "type": "fc", "in_features": 100,
                                             "out_features": 10, "in_shape": [8, 3, 3]})");
          },
          "network.layers[1].in_shape: expected [C, H, W] whose product is in_features=100, got "
          "[8,3,3]"),
      networkCase(
          "network: a first pool layer without its input shape",
          [](json& n) { n["layers"].erase(0); },
          "network.layers[0].C: missing required key (expected a positive integer; a pool layer "
          "with no previous layer must give C, H and W)"),
      networkCase(
          "network: a layer of more than 2^40 MACs",
          [](json& n) {
            conv(n)["C"] = 1 << 20;
            conv(n)["M"] = 1 << 20;
          },
          "network.layers[0]: expected a layer of at most 2^40 MACs, got 356241767399424 MACs"),

      // Energy table.
      energyCase(
          "energy: a negative cost", [](json& e) { e["dram"]["read"] = -200; },
          "energy.dram.read: expected a number >= 0, got -200"),
      energyCase(
          "energy: a cost whose products overflow to infinity",
          [](json& e) { e["dram"]["read"] = 1e308; },
          "energy.dram.read: expected a number in [0, 1e15], got 1e+308"),
      energyCase(
          "energy: a missing cost", [](json& e) { e["rf"].erase("write"); },
          "energy.rf.write: missing required key (expected a number >= 0)"),
      energyCase(
          "energy: an unknown key", [](json& e) { e["sram"] = json::object(); },
          "energy.sram: unknown key; valid keys: dram, glb, leakage_per_cycle, mac, name, noc, rf, "
          "unit, word_bits"),
      energyCase(
          "energy: a table for 8-bit words on a 16-bit arch", [](json& e) { e["word_bits"] = 8; },
          "energy.word_bits: expected 16 (the word size of {dir}/arch.json), got 8"),

      // Names of the files --out would write.
      networkCase(
          "network: a layer name too long for a file name",
          [](json& n) { n["layers"][0]["name"] = std::string(251, 'c'); },
          "layer " + std::string(251, 'c') +
              ": name too long for the file --out writes for it with rs (259 bytes, the limit is "
              "255)"),
  };
}

std::vector<BadInput> commandLineCases() {
  const std::string net = "--network {dir}/net.json";
  return {
      {"no command", {}, "", "missing command (see 'dfsim --help')"},
      {"an unknown command",
       {},
       "simulate",
       "unknown command 'simulate'; expected run, evaluate, summary or dataflows (see 'dfsim "
       "--help')"},
      {"an unknown option",
       {},
       runArgs("--frobnicate"),
       "run: unrecognised option '--frobnicate' (see 'dfsim run --help')"},
      {"a positional argument",
       {},
       runArgs("extra.json"),
       "run: too many positional options have been specified on the command line (see 'dfsim "
       "run --help')"},
      {"a missing --arch",
       {},
       "run " + net + " --dataflow rs",
       "run: missing --arch (see 'dfsim run --help')"},
      {"a missing --network",
       {},
       "run --arch {dir}/arch.json --dataflow rs",
       "run: missing --network (see 'dfsim run --help')"},
      {"a missing --dataflow",
       {},
       "run --arch {dir}/arch.json " + net,
       "run: missing --dataflow (see 'dfsim run --help')"},
      {"an option without its value",
       {},
       "run --arch {dir}/arch.json " + net + " --out {fresh} --dataflow",
       "run: the required argument for option '--dataflow' is missing (see 'dfsim run --help')"},
      {"--dataflow twice",
       {},
       runArgs("--dataflow ws"),
       "run: option '--dataflow' cannot be specified more than once (see 'dfsim run --help')"},
      {"an unknown dataflow",
       {},
       "run --arch {dir}/arch.json " + net + " --dataflow xyz",
       "--dataflow xyz: unknown dataflow \"xyz\"; expected one of ws, os_a, os_b, os_c, nlr, rs, "
       "all (os means os_a), or a comma-separated list of them"},
      {"an unknown dataflow in a list",
       {},
       "run --arch {dir}/arch.json " + net + " --dataflow ws,,rs",
       "--dataflow ws,,rs: unknown dataflow \"\"; expected one of ws, os_a, os_b, os_c, nlr, rs, "
       "all (os means os_a), or a comma-separated list of them"},
      {"a dataflow named twice",
       {},
       "run --arch {dir}/arch.json " + net + " --dataflow rs,ws,os_a,rs",
       "--dataflow rs,ws,os_a,rs: rs is named twice"},
      {"an unknown --layer",
       {},
       runArgs("--layer c9"),
       "--layer c9: no such layer in {dir}/net.json; its layers are: c1, p1"},
      {"--batch 0", {}, runArgs("--batch 0"), "--batch: expected a positive integer, got \"0\""},
      {"--batch that is not a number",
       {},
       runArgs("--batch four"),
       "--batch: expected a positive integer, got \"four\""},
      {"--batch beyond 64 bits",
       {},
       runArgs("--batch 99999999999999999999"),
       "--batch: expected a positive integer, got \"99999999999999999999\""},
      {"--batch that makes a layer too large",
       {},
       runArgs("--batch 2000000000"),
       "{dir}/net.json: network.layers[0]: expected a layer of at most 2^40 MACs, got "
       "20736000000000 MACs"},
      {"a negative --seed",
       {},
       runArgs("--seed -1"),
       "--seed: expected a non-negative integer, got \"-1\""},
      {"--set without '='",
       {},
       runArgs("--set arch.word_bits"),
       "--set arch.word_bits: expected key.path=value, got no '='"},
      {"--set with an unknown prefix",
       {},
       runArgs("--set glb.banks=2"),
       "--set glb.banks=2: expected key.path=value with the path starting with arch., network. "
       "or energy."},
      {"--set with an empty path component",
       {},
       runArgs("--set arch..banks=2"),
       "--set arch..banks=2: expected key.path=value, got an empty path component"},
      {"--set through a missing object",
       {},
       runArgs("--set arch.cache.size=2"),
       "--set arch.cache.size=2: arch.cache: no such key; keys here: clock_mhz, dram, glb, name, "
       "noc, pe_array, rf, word_bits"},
      {"--set of an unknown last key",
       {},
       runArgs("--set arch.glb.bank=2"),
       "{dir}/arch.json: arch.glb.bank: unknown key; valid keys: banks, double_buffered, "
       "halo_reuse, latency_cycles, partitions, read_words_per_cycle, size_kib, "
       "write_words_per_cycle"},
      {"--set past the last layer",
       {},
       runArgs("--set network.layers.5.R=1"),
       "--set network.layers.5.R=1: network.layers: expected an array index in 0..1, got \"5\""},
      {"--set into a number",
       {},
       runArgs("--set arch.word_bits.x=1"),
       "--set arch.word_bits.x=1: arch.word_bits: expected an object or array to descend into, "
       "got 16"},
      {"--set of a bad value",
       {},
       runArgs("--set network.layers[0].stride=0"),
       "{dir}/net.json: network.layers[0].stride: expected a positive integer, got 0"},
      {"summary with an arch override",
       {},
       "summary " + net + " --set arch.rf.words=2",
       "--set arch.rf.words=2: summary reads only the network; use a network.* key"},
      {"summary without --network",
       {},
       "summary",
       "summary: missing --network (see 'dfsim "
       "summary --help')"},
      {"a missing arch file",
       {},
       "run --arch {dir}/nothing.json " + net + " --dataflow rs",
       "{dir}/nothing.json: cannot open"},
      {"a folder as the network file",
       {},
       "run --arch {dir}/arch.json --network {dir} --dataflow rs",
       "{dir}: expected a regular file, got a folder"},
      {"a device as the energy table",
       {},
       "run --arch {dir}/arch.json " + net + " --dataflow rs --energy /dev/null",
       "/dev/null: expected a regular file, got a character device"},

      {"a dangling symbolic link as the energy table",
       {{"link.json", "@link:nothing.json"}},
       "run --arch {dir}/arch.json " + net + " --dataflow rs --energy {dir}/link.json",
       "{dir}/link.json: cannot open"},
      {"a missing default energy table (a run from elsewhere)",
       {},
       "run --arch {dir}/arch.json " + net + " --dataflow rs --energy configs/energy/none.json",
       "configs/energy/none.json: cannot open"},
      {"--out under a regular file",
       {{"plain", "keep"}},
       runArgs("--out {dir}/plain/sub"),
       "--out {dir}/plain/sub: cannot write: {dir}/plain exists and is not a folder"},
      {"--out naming a regular file",
       {{"plain", "keep"}},
       runArgs("--out {dir}/plain"),
       "--out {dir}/plain: cannot write: {dir}/plain exists and is not a folder"},
      {"--out empty", {}, runArgs("--out ''"), "--out: expected a folder name, got \"\""},
      {"--out a folder that is not a dfsim result",
       {},
       runArgs("--out {dir}"),
       "--out {dir}: not empty and not a dfsim result (no .dfsim-result file): dfsim replaces "
       "its --out folder whole, so give a new or empty folder"},
      {"--out the current folder (dfsim runs in the source tree)",
       {},
       runArgs("--out ."),
       "--out .: is the current folder or holds it: dfsim replaces its --out folder whole, so "
       "run it from elsewhere"},
      {"--out a dangling symbolic link",
       {{"gone", "@link:nowhere"}},
       runArgs("--out {dir}/gone"),
       "--out {dir}/gone: is a symbolic link to a missing path"},
      {"two layer names that give one mapping file name",
       {{"net.json", edited(baseNetwork(),
                            [](json& n) {
                              n["layers"][0]["name"] = "a/b";
                              n["layers"][1] = n["layers"][0];
                              n["layers"][1]["name"] = "a_b";
                            })}},
       runArgs("--out {dir}/results/sub"),
       "--out {dir}/results/sub: layer \"a/b\" (rs) and layer \"a_b\" (rs) would both write "
       "mappings/a_b.rs.json; rename one of them"},
      {"a mapping file whose loop bounds multiply past 2^63 (wrapping to the layer's N)",
       {{"map.json", R"({"layer": "c1", "dataflow": "big", "glb": [], "spatial": [], "rf": [],
          "dram": [{"dim": "N", "bound": 687084323673}, {"dim": "N", "bound": 53695721},
                   {"dim": "M", "bound": 8}, {"dim": "C", "bound": 4}, {"dim": "P", "bound": 6},
                   {"dim": "Q", "bound": 6}, {"dim": "R", "bound": 3}, {"dim": "S", "bound": 3}],
          "glb_keeps": ["weights", "inputs", "outputs"], "rf_keeps": []})"}},
       runArgs("--mapping {dir}/map.json"),
       "{dir}/map.json: mapping.dram[1].bound: loop bounds over N multiply to more than 2^63 "
       "here, expected a product of 1 (the layer's N)"},
      {"a mapping that cannot fit (no GLB room for one word of each tensor)",
       {{"arch.json", edited(baseArch(), [](json& a) { a["glb"]["size_kib"] = 0.00390625; })}},
       runArgs(),
       "default rs mapping of layer c1: the global buffer cannot hold even one word of every "
       "tensor it keeps (check arch.glb sizes)"},
  };
}

/// Runs one case in a fresh folder and checks status, stderr, stdout and the --out folder.
/// A `run` without --out gets one: a new folder (`fresh`), or one holding earlier results.
void check(const BadInput& c, bool fresh) {
  const dfsim::test::TempDir tmp("bad-input");
  const std::string dir = tmp.path().string();
  std::ofstream(tmp.path() / "arch.json") << baseArch().dump(2);
  std::ofstream(tmp.path() / "net.json") << baseNetwork().dump(2);
  std::ofstream(tmp.path() / "energy.json") << baseEnergy().dump(2);
  const std::string link = "@link:";
  for (const auto& [name, text] : c.files) {
    if (text.rfind(link, 0) == 0) {
      fs::create_symlink(text.substr(link.size()), tmp.path() / name);
    } else {
      std::ofstream(tmp.path() / name) << text;
    }
  }

  const fs::path freshOut = tmp.path() / "results";
  const fs::path previous = tmp.path() / "previous";
  std::string args = expand(c.args, dir);
  args = replaceAll(args, "{fresh}", "'" + (freshOut / "sub").string() + "'");
  args = replaceAll(args, "{previous}", "'" + previous.string() + "'");
  fs::create_directories(previous / "mappings");
  std::ofstream(previous / "stats.json") << "{\"earlier\": true}\n";
  std::ofstream(previous / "layers.csv") << "layer,cycles\nc1,42\n";
  std::ofstream(previous / "mappings" / "c1.rs.txt") << "earlier\n";
  const auto before = snapshot(previous);
  const bool addOut = c.args.rfind("run", 0) == 0 && c.args.find("--out") == std::string::npos;
  if (addOut) {
    args += " --out '" + (fresh ? (freshOut / "sub").string() : previous.string()) + "'";
  }

  const dfsim::test::TempDir scratch("bad-input");
  const Outcome o = runDfsim(args, scratch.path());
  INFO("case: " << c.what << "\nargs: " << args);
  CHECK(o.code == 2);
  CHECK(o.err == "dfsim: error: " + expand(c.message, dir) + "\n");
  CHECK(o.out.empty());
  CHECK_FALSE(fs::exists(freshOut));
  CHECK(snapshot(previous) == before);
  for (const auto& [name, text] : c.files) {
    if (text.rfind(link, 0) != 0)
      CHECK(dfsim::test::readFile(tmp.path() / name) == text);  // inputs intact
  }
}

void checkAll(const std::vector<BadInput>& cases) {
  for (std::size_t i = 0; i < cases.size(); ++i) check(cases[i], i % 2 == 0);
}

}  // namespace

TEST_CASE("malformed arch, network and energy files exit 2 with one exact line",
          "[cli][bad-input]") {
  checkAll(fileCases());
}

TEST_CASE("bad command lines exit 2 with one exact line", "[cli][bad-input]") {
  checkAll(commandLineCases());
}

TEST_CASE("a layer too big for memory is refused before simulating", "[cli][bad-input]") {
  const dfsim::test::TempDir tmp("bad-input");
  const std::string dir = tmp.path().string();
  std::ofstream(tmp.path() / "arch.json") << baseArch().dump(2);
  std::ofstream(tmp.path() / "energy.json") << baseEnergy().dump(2);
  // 2^30 inputs, 2^30 outputs and 2^20 weights: 8 GiB as 32-bit words, 2^40 MACs (allowed).
  json net = baseNetwork();
  net["layers"].push_back(json::parse(
      R"({"name": "big", "type": "conv", "C": 1024, "M": 1024, "H": 1024, "W": 1024, "R": 1,
          "S": 1})"));
  std::ofstream(tmp.path() / "net.json") << net.dump(2);
  const dfsim::test::TempDir scratch("bad-input");

  const Outcome o = runDfsim(expand(runArgs("--out {dir}/results"), dir), scratch.path());
  CHECK(o.code == 2);
  CHECK(o.err == "dfsim: error: " + dir +
                     "/net.json: layer big needs 8,594,128,896 bytes of tensor storage (weights, "
                     "padded inputs and outputs as 32-bit words); the simulator's limit is 4 "
                     "GiB\n");
  CHECK(o.out.empty());
  CHECK_FALSE(fs::exists(tmp.path() / "results"));

  // The limit is per simulated layer: the others still run.
  const Outcome small = runDfsim(expand(runArgs("--layer c1 --quiet"), dir), scratch.path());
  CHECK(small.code == 0);
  CHECK(small.err.empty());
}

TEST_CASE("the bad-input table covers at least 40 distinct inputs", "[cli][bad-input]") {
  std::vector<std::string> seen;
  for (const auto& cases : {fileCases(), commandLineCases()}) {
    for (const BadInput& c : cases) {
      const std::string key = c.args + "\n" + (c.files.empty() ? "" : c.files.front().second);
      CHECK(std::find(seen.begin(), seen.end(), key) == seen.end());
      seen.push_back(key);
    }
  }
  CHECK(seen.size() >= 40);
}
