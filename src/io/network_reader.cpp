// Reads models/*.json into a validated Network (format: src/io/README.md).
#include <array>
#include <limits>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "io/json_file.hpp"
#include "io/readers.hpp"
#include "io/strict_object.hpp"

namespace dfsim {

namespace {

using nlohmann::json;

constexpr const char* kTypeWhat = "one of \"conv\", \"fc\", \"pool\"";
constexpr std::int64_t kSaturated = std::numeric_limits<std::int64_t>::max();

/// a * b for non-negative operands, saturating at the int64 maximum instead of overflowing.
std::int64_t mulSat(std::int64_t a, std::int64_t b) {
  std::int64_t r = 0;
  return __builtin_mul_overflow(a, b, &r) ? kSaturated : r;
}

std::string countText(std::int64_t n) {
  return n == kSaturated ? "more than 2^63" : std::to_string(n);
}

/// One axis (height or width) of a conv or pool: the input size, the window, the output size.
struct AxisKeys {
  const char* in;      ///< "H" or "W"
  const char* out;     ///< "P" or "Q"
  const char* window;  ///< "R" or "S"
  const char* noun;    ///< "height" or "width"
};
constexpr AxisKeys kRows{"H", "P", "R", "height"};
constexpr AxisKeys kCols{"W", "Q", "S", "width"};

/// Checks that a window of `k` fits the padded input `in` + 2*`pad` along `axis`.
void checkWindow(const StrictObject& o, const AxisKeys& axis, std::int64_t in, std::int64_t k,
                 std::int64_t pad) {
  const std::int64_t padded = in + 2 * pad;
  if (k > padded) {
    o.pos(axis.window)
        .failExpected("at most the padded input " + std::string(axis.noun) + " " + axis.in +
                          "+2*padding=" + std::to_string(padded),
                      json(k));
  }
}

/// The input and output sizes along one conv axis, from the input size, the output size or
/// both (which must then agree). Returns {in, out}.
std::pair<std::int64_t, std::int64_t> readConvAxis(const StrictObject& o, const AxisKeys& axis,
                                                   std::int64_t k, std::int64_t stride,
                                                   std::int64_t pad) {
  const json* inJson = o.find(axis.in);
  const json* outJson = o.find(axis.out);
  if (inJson == nullptr && outJson == nullptr) {
    o.pos(axis.in).failMissing("a positive integer, or " + std::string(axis.out) +
                               " for the output " + axis.noun);
  }
  if (inJson != nullptr) {
    const std::int64_t in = readInt(*inJson, o.pos(axis.in), positiveInt());
    checkWindow(o, axis, in, k, pad);
    const std::int64_t out = convOutputSize(in, k, stride, pad);
    if (outJson != nullptr && readInt(*outJson, o.pos(axis.out), positiveInt()) != out) {
      o.pos(axis.out).failExpected(std::to_string(out) + " (from " + axis.in + "=" +
                                       std::to_string(in) + ", " + axis.window + "=" +
                                       std::to_string(k) + ", stride=" + std::to_string(stride) +
                                       ", padding=" + std::to_string(pad) + ")",
                                   *outJson);
    }
    return {in, out};
  }
  // Smallest input that yields `out` outputs: (out-1)*stride + k - 2*pad.
  const std::int64_t out = readInt(*outJson, o.pos(axis.out), positiveInt());
  const std::int64_t span = mulSat(out - 1, stride);
  if (span > kMaxCount) {
    o.pos(axis.out).failExpected(
        "an output " + std::string(axis.noun) + " whose input is at most 2^40", *outJson);
  }
  const std::int64_t in = span + k - 2 * pad;
  if (in < 1) {
    o.pos("padding").failExpected("padding that leaves an input " + std::string(axis.noun) +
                                      " of at least 1 (" + axis.in + " = (" + axis.out +
                                      "-1)*stride + " + axis.window +
                                      " - 2*padding = " + std::to_string(in) + ")",
                                  json(pad));
  }
  return {in, out};
}

/// The size of `key` for a pool layer: given, or the previous layer's output `inherited`.
std::int64_t readPoolInput(const StrictObject& o, const std::string& key, const Layer* prev,
                           std::int64_t inherited) {
  if (o.has(key)) return o.getInt(key, positiveInt());
  if (prev == nullptr) {
    o.pos(key).failMissing(
        "a positive integer; a pool layer with no previous layer must give C, H and W");
  }
  return inherited;
}

Layer readConv(const StrictObject& o, std::int64_t batch) {
  Layer l;
  l.type = LayerType::Conv;
  l.N = o.getInt("N", positiveInt(), batch);
  l.C = o.getInt("C", positiveInt());
  l.M = o.getInt("M", positiveInt());
  l.R = o.getInt("R", positiveInt());
  l.S = o.getInt("S", positiveInt());
  l.stride = o.getInt("stride", positiveInt(), 1);
  l.padding = o.getInt("padding", nonNegativeInt(), 0);
  l.groups = o.getInt("groups", positiveInt(), 1);
  if (l.C % l.groups != 0 || l.M % l.groups != 0) {
    o.pos("groups").failExpected(
        "a divisor of C=" + std::to_string(l.C) + " and M=" + std::to_string(l.M), json(l.groups));
  }
  std::tie(l.H, l.P) = readConvAxis(o, kRows, l.R, l.stride, l.padding);
  std::tie(l.W, l.Q) = readConvAxis(o, kCols, l.S, l.stride, l.padding);
  return l;
}

Layer readFc(const StrictObject& o, std::int64_t batch) {
  Layer l;
  l.type = LayerType::Fc;
  l.N = o.getInt("N", positiveInt(), batch);
  const std::int64_t inFeatures = o.getInt("in_features", positiveInt());
  l.M = o.getInt("out_features", positiveInt());
  l.C = inFeatures;
  if (const json* shape = o.find("in_shape")) {
    const std::string what = "an array [C, H, W] of 3 positive integers";
    if (!shape->is_array() || shape->size() != 3) o.pos("in_shape").failExpected(what, *shape);
    std::array<std::int64_t, 3> dims{};
    for (std::size_t i = 0; i < 3; ++i) {
      dims[i] = readInt((*shape)[i], o.pos("in_shape").index(i), positiveInt());
    }
    if (mulSat(mulSat(dims[0], dims[1]), dims[2]) != inFeatures) {
      o.pos("in_shape")
          .failExpected("[C, H, W] whose product is in_features=" + std::to_string(inFeatures),
                        *shape);
    }
    l.C = dims[0];
    l.H = l.R = dims[1];
    l.W = l.S = dims[2];
  }
  return l;
}

Layer readPool(const StrictObject& o, std::int64_t batch, const Layer* prev) {
  Layer l;
  l.type = LayerType::Pool;
  l.N = o.getInt("N", positiveInt(), batch);
  l.R = o.getInt("R", positiveInt());
  l.S = o.getInt("S", positiveInt(), l.R);
  l.stride = o.getInt("stride", positiveInt(), l.R);
  l.padding = o.getInt("padding", nonNegativeInt(), 0);
  l.C = readPoolInput(o, "C", prev, prev != nullptr ? prev->M : 0);
  l.H = readPoolInput(o, "H", prev, prev != nullptr ? prev->P : 0);
  l.W = readPoolInput(o, "W", prev, prev != nullptr ? prev->Q : 0);
  l.M = l.C;
  checkWindow(o, kRows, l.H, l.R, l.padding);
  checkWindow(o, kCols, l.W, l.S, l.padding);
  l.P = convOutputSize(l.H, l.R, l.stride, l.padding);
  l.Q = convOutputSize(l.W, l.S, l.stride, l.padding);
  return l;
}

/// Rejects layers whose MACs or any tensor exceed kMaxCount words, so that later arithmetic on
/// them cannot overflow.
void checkLayerSize(const Layer& l, const JsonPos& at) {
  const std::int64_t g = l.groups;
  std::int64_t macs = 0;
  if (l.onArray()) {
    macs = mulSat(mulSat(mulSat(l.N, l.M), l.C / g), mulSat(mulSat(l.P, l.Q), mulSat(l.R, l.S)));
  }
  if (macs > kMaxCount) {
    at.fail("expected a layer of at most 2^40 MACs, got " + countText(macs) + " MACs");
  }
  const std::int64_t weights = mulSat(mulSat(l.M, l.C / g), mulSat(l.R, l.S));
  const std::int64_t inputs =
      mulSat(mulSat(l.N, l.C), mulSat(l.H + 2 * l.padding, l.W + 2 * l.padding));
  const std::int64_t outputs = mulSat(mulSat(l.N, l.M), mulSat(l.P, l.Q));
  const std::pair<const char*, std::int64_t> tensors[] = {
      {"weight", weights}, {"input", inputs}, {"output", outputs}};
  for (const auto& [name, words] : tensors) {
    if (words > kMaxCount) {
      at.fail("expected a layer of at most 2^40 words per tensor, got " + countText(words) + " " +
              name + " words");
    }
  }
}

Layer readLayer(const json& v, const JsonPos& at, std::int64_t batch, const Layer* prev) {
  if (!v.is_object()) at.failExpected("an object", v);
  const auto typeIt = v.find("type");
  if (typeIt == v.end()) at.key("type").failMissing(kTypeWhat);
  if (!typeIt->is_string()) at.key("type").failExpected(kTypeWhat, *typeIt);
  const std::string type = typeIt->get<std::string>();
  Layer l;
  if (type == "conv") {
    const StrictObject o(v, at,
                         {"name", "type", "N", "C", "M", "H", "W", "P", "Q", "R", "S", "stride",
                          "padding", "groups"});
    l = readConv(o, batch);
    l.name = o.getString("name");
  } else if (type == "fc") {
    const StrictObject o(v, at, {"name", "type", "N", "in_features", "out_features", "in_shape"});
    l = readFc(o, batch);
    l.name = o.getString("name");
  } else if (type == "pool") {
    const StrictObject o(v, at,
                         {"name", "type", "N", "C", "H", "W", "R", "S", "stride", "padding"});
    l = readPool(o, batch, prev);
    l.name = o.getString("name");
  } else {
    at.key("type").failExpected(kTypeWhat, *typeIt);
  }
  return l;
}

}  // namespace

Network networkFromJson(const json& doc, const std::string& file, std::int64_t batchOverride) {
  const StrictObject root(doc, JsonPos(file, "network"), {"name", "batch", "layers"});
  Network net;
  net.name = root.getString("name");
  const std::int64_t batch = root.getInt("batch", positiveInt(), 1);
  const std::string what = "a non-empty array of layers";
  const json& layers = root.getArray("layers", what);
  if (layers.empty()) root.pos("layers").failExpected(what, layers);

  std::set<std::string> names;
  for (std::size_t i = 0; i < layers.size(); ++i) {
    const JsonPos at = root.pos("layers").index(i);
    Layer l = readLayer(layers[i], at, batch, net.layers.empty() ? nullptr : &net.layers.back());
    if (!names.insert(l.name).second) {
      at.key("name").failExpected("a name not used by an earlier layer", json(l.name));
    }
    if (batchOverride > 0) l.N = batchOverride;
    checkLayerSize(l, at);
    net.layers.push_back(l);
  }
  return net;
}

Network readNetwork(const std::string& path, const std::vector<Override>& overrides,
                    std::int64_t batchOverride) {
  json doc = loadJsonFile(path, "network");
  applyOverrides(doc, "network", overrides);
  return networkFromJson(doc, path, batchOverride);
}

json networkToJson(const Network& net) {
  json layers = json::array();
  for (const Layer& l : net.layers) {
    json j = {{"name", l.name}, {"type", layerTypeName(l.type)}, {"N", l.N}};
    switch (l.type) {
      case LayerType::Conv:
        j.update({{"C", l.C},
                  {"M", l.M},
                  {"H", l.H},
                  {"W", l.W},
                  {"P", l.P},
                  {"Q", l.Q},
                  {"R", l.R},
                  {"S", l.S},
                  {"stride", l.stride},
                  {"padding", l.padding},
                  {"groups", l.groups}});
        break;
      case LayerType::Fc:
        j.update({{"in_features", l.C * l.H * l.W},
                  {"out_features", l.M},
                  {"in_shape", {l.C, l.H, l.W}}});
        break;
      case LayerType::Pool:
        j.update({{"C", l.C},
                  {"H", l.H},
                  {"W", l.W},
                  {"R", l.R},
                  {"S", l.S},
                  {"stride", l.stride},
                  {"padding", l.padding}});
        break;
    }
    layers.push_back(j);
  }
  return {{"name", net.name},
          {"batch", net.layers.empty() ? 1 : net.layers.front().N},
          {"layers", layers}};
}

}  // namespace dfsim
