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

/// An integer key that may instead be an array of `count` integers (one per axis or side):
/// fills `out` (all equal to the scalar, or the array's values); absent: `fallback` everywhere.
template <std::size_t kCount>
std::array<std::int64_t, kCount> readPerAxis(const StrictObject& o, const char* key,
                                             const IntSpec& spec, std::int64_t fallback,
                                             const std::string& arrayWhat) {
  std::array<std::int64_t, kCount> out{};
  out.fill(fallback);
  const json* v = o.find(key);
  if (v == nullptr) return out;
  if (!v->is_array()) {
    out.fill(readInt(*v, o.pos(key), spec));
    return out;
  }
  if (v->size() != kCount) o.pos(key).failExpected(arrayWhat, *v);
  for (std::size_t i = 0; i < kCount; ++i) out[i] = readInt((*v)[i], o.pos(key).index(i), spec);
  return out;
}

/// The window of a conv or pool along both axes from "stride" (n or [rows, cols]), "dilation"
/// (n or [rows, cols]; only when `dilationAllowed`) and "padding" (n, [rows, cols] for both
/// sides, or [top, bottom, left, right]). `strideDefault` when "stride" is absent.
std::pair<WindowAxis, WindowAxis> readWindow(const StrictObject& o, std::int64_t strideDefault,
                                             bool dilationAllowed) {
  const auto stride = readPerAxis<2>(o, "stride", positiveInt(), strideDefault,
                                     "a positive integer or [rows, cols] of 2");
  const auto dilation = dilationAllowed ? readPerAxis<2>(o, "dilation", positiveInt(), 1,
                                                         "a positive integer or [rows, cols] of 2")
                                        : std::array<std::int64_t, 2>{1, 1};
  std::array<std::int64_t, 4> pad{};
  const json* p = o.find("padding");
  if (p != nullptr && p->is_array() && p->size() == 2) {
    const auto two = readPerAxis<2>(o, "padding", nonNegativeInt(), 0, "");
    pad = {two[0], two[0], two[1], two[1]};
  } else {
    pad = readPerAxis<4>(o, "padding", nonNegativeInt(), 0,
                         "an integer >= 0, [rows, cols] of 2 or [top, bottom, left, right] of 4");
  }
  const WindowAxis rows{stride[0], dilation[0], pad[0], pad[1]};
  const WindowAxis cols{stride[1], dilation[1], pad[2], pad[3]};
  for (std::size_t a = 0; a < 2; ++a) {
    if (stride[a] > 1 && dilation[a] > 1) {
      o.pos("dilation")
          .failExpected(
              "1 along an axis whose stride is above 1 (" + std::string(a == 0 ? "rows" : "cols") +
                  ": stride " + std::to_string(stride[a]) +
                  "; dfsim's closed-form tile counts cover a strided window or a dilated one, not "
                  "both)",
              *o.find("dilation"));
    }
  }
  return {rows, cols};
}

/// "2" or "[2, 1]" style text of a per-axis value, for messages.
std::string axisText(const WindowAxis& a) {
  return "stride=" + std::to_string(a.stride) +
         (a.dilation != 1 ? ", dilation=" + std::to_string(a.dilation) : std::string()) +
         ", padding=" + std::to_string(a.padBefore) +
         (a.padAfter != a.padBefore ? "+" + std::to_string(a.padAfter) : std::string());
}

/// Checks that a window of `k` taps fits the padded input `in` along `axis`.
void checkWindow(const StrictObject& o, const AxisKeys& keys, std::int64_t in, std::int64_t k,
                 const WindowAxis& axis) {
  const std::int64_t padded = in + axis.padTotal();
  if (axis.span(k) > padded) {
    o.pos(keys.window)
        .failExpected(
            "at most the padded input " + std::string(keys.noun) + " " + keys.in +
                "+padding=" + std::to_string(padded) +
                (axis.dilation != 1 ? " as its span (dilation " + std::to_string(axis.dilation) +
                                          ": " + std::to_string(axis.span(k)) + " rows)"
                                    : std::string()),
            json(k));
  }
}

/// The input and output sizes along one conv axis, from the input size, the output size or
/// both (which must then agree). Returns {in, out}.
std::pair<std::int64_t, std::int64_t> readConvAxis(const StrictObject& o, const AxisKeys& keys,
                                                   std::int64_t k, const WindowAxis& axis) {
  const json* inJson = o.find(keys.in);
  const json* outJson = o.find(keys.out);
  if (inJson == nullptr && outJson == nullptr) {
    o.pos(keys.in).failMissing("a positive integer, or " + std::string(keys.out) +
                               " for the output " + keys.noun);
  }
  if (inJson != nullptr) {
    const std::int64_t in = readInt(*inJson, o.pos(keys.in), positiveInt());
    checkWindow(o, keys, in, k, axis);
    const std::int64_t out = convOutputSize(in, k, axis);
    if (outJson != nullptr && readInt(*outJson, o.pos(keys.out), positiveInt()) != out) {
      o.pos(keys.out).failExpected(std::to_string(out) + " (from " + keys.in + "=" +
                                       std::to_string(in) + ", " + keys.window + "=" +
                                       std::to_string(k) + ", " + axisText(axis) + ")",
                                   *outJson);
    }
    return {in, out};
  }
  // Smallest input that yields `out` outputs: (out-1)*stride + dilation*(k-1) + 1 - padding.
  const std::int64_t out = readInt(*outJson, o.pos(keys.out), positiveInt());
  const std::int64_t span = mulSat(out - 1, axis.stride);
  if (span > kMaxCount) {
    o.pos(keys.out).failExpected(
        "an output " + std::string(keys.noun) + " whose input is at most 2^40", *outJson);
  }
  const std::int64_t in = span + axis.span(k) - axis.padTotal();
  if (in < 1) {
    o.pos("padding").failExpected("padding that leaves an input " + std::string(keys.noun) +
                                      " of at least 1 (" + keys.in + " = (" + keys.out +
                                      "-1)*stride + " + keys.window +
                                      " - padding = " + std::to_string(in) + ")",
                                  o.has("padding") ? *o.find("padding") : json(0));
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
  std::tie(l.rows, l.cols) = readWindow(o, 1, true);
  l.groups = o.getInt("groups", positiveInt(), 1);
  if (l.C % l.groups != 0 || l.M % l.groups != 0) {
    o.pos("groups").failExpected(
        "a divisor of C=" + std::to_string(l.C) + " and M=" + std::to_string(l.M), json(l.groups));
  }
  std::tie(l.H, l.P) = readConvAxis(o, kRows, l.R, l.rows);
  std::tie(l.W, l.Q) = readConvAxis(o, kCols, l.S, l.cols);
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
  std::tie(l.rows, l.cols) = readWindow(o, l.R, false);
  l.C = readPoolInput(o, "C", prev, prev != nullptr ? prev->M : 0);
  l.H = readPoolInput(o, "H", prev, prev != nullptr ? prev->P : 0);
  l.W = readPoolInput(o, "W", prev, prev != nullptr ? prev->Q : 0);
  l.M = l.C;
  checkWindow(o, kRows, l.H, l.R, l.rows);
  checkWindow(o, kCols, l.W, l.S, l.cols);
  l.P = convOutputSize(l.H, l.R, l.rows);
  l.Q = convOutputSize(l.W, l.S, l.cols);
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
      mulSat(mulSat(l.N, l.C), mulSat(l.H + l.rows.padTotal(), l.W + l.cols.padTotal()));
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
                          "padding", "dilation", "groups"});
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

/// The window keys of a layer, in the reader's shortest form: "stride" a number when both axes
/// agree, else [rows, cols]; "padding" a number when all four sides agree, [rows, cols] when
/// each axis pads both sides alike, else [top, bottom, left, right]; "dilation" only when not 1.
json windowToJson(const Layer& l, bool withDilation) {
  json j;
  const WindowAxis& r = l.rows;
  const WindowAxis& c = l.cols;
  j["stride"] = r.stride == c.stride ? json(r.stride) : json::array({r.stride, c.stride});
  if (r.padBefore == r.padAfter && c.padBefore == c.padAfter) {
    j["padding"] =
        r.padBefore == c.padBefore ? json(r.padBefore) : json::array({r.padBefore, c.padBefore});
  } else {
    j["padding"] = json::array({r.padBefore, r.padAfter, c.padBefore, c.padAfter});
  }
  if (withDilation && (r.dilation != 1 || c.dilation != 1)) {
    j["dilation"] =
        r.dilation == c.dilation ? json(r.dilation) : json::array({r.dilation, c.dilation});
  }
  return j;
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
                  {"S", l.S}});
        j.update(windowToJson(l, true));
        j["groups"] = l.groups;
        break;
      case LayerType::Fc:
        j.update({{"in_features", l.C * l.H * l.W},
                  {"out_features", l.M},
                  {"in_shape", {l.C, l.H, l.W}}});
        break;
      case LayerType::Pool:
        j.update({{"C", l.C}, {"H", l.H}, {"W", l.W}, {"R", l.R}, {"S", l.S}});
        j.update(windowToJson(l, false));
        break;
    }
    layers.push_back(j);
  }
  return {{"name", net.name},
          {"batch", net.layers.empty() ? 1 : net.layers.front().N},
          {"layers", layers}};
}

}  // namespace dfsim
