#include "io/strict_object.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <string_view>
#include <utility>

#include "common/errors.hpp"

namespace dfsim {

namespace {

using nlohmann::json;

constexpr std::size_t kMaxDumpChars = 60;
constexpr const char* kMaxCountText = "2^40";
constexpr std::array<std::string_view, 2> kDocKeys = {"description", "notes"};

bool isDocKey(const std::string& key) {
  return std::find(kDocKeys.begin(), kDocKeys.end(), key) != kDocKeys.end();
}

std::string joinKeys(const std::vector<std::string>& keys) {
  std::string out;
  for (const std::string& k : keys) {
    if (!out.empty()) out += ", ";
    out += k;
  }
  return out.empty() ? "(none)" : out;
}

}  // namespace

JsonPos::JsonPos(std::string file, std::string path)
    : file_(std::move(file)), path_(std::move(path)) {}

JsonPos JsonPos::key(const std::string& key) const {
  return JsonPos(file_, path_ + "." + key);
}

JsonPos JsonPos::index(std::size_t i) const {
  return JsonPos(file_, path_ + "[" + std::to_string(i) + "]");
}

void JsonPos::fail(const std::string& message) const {
  throw InputError(file_ + ": " + path_ + ": " + message);
}

void JsonPos::failExpected(const std::string& what, const json& got) const {
  fail("expected " + what + ", got " + describeJson(got));
}

void JsonPos::failMissing(const std::string& what) const {
  fail("missing required key (expected " + what + ")");
}

std::string describeJson(const json& value) {
  std::string text = value.dump(-1, ' ', false, json::error_handler_t::replace);
  if (text.size() > kMaxDumpChars) text = text.substr(0, kMaxDumpChars - 3) + "...";
  return text;
}

IntSpec positiveInt() {
  return {1, kMaxCount, "a positive integer",
          std::string("a positive integer <= ") + kMaxCountText};
}

IntSpec nonNegativeInt() {
  return {0, kMaxCount, "an integer >= 0", std::string("an integer in 0..") + kMaxCountText};
}

IntSpec intInRange(std::int64_t lo, std::int64_t hi) {
  const std::string what = "an integer in " + std::to_string(lo) + ".." + std::to_string(hi);
  return {lo, hi, what, what};
}

NumberSpec positiveNumber() {
  return {0.0, false, std::numeric_limits<double>::max(), "a positive number", "a positive number"};
}

NumberSpec nonNegativeNumber() {
  return {0.0, true, std::numeric_limits<double>::max(), "a number >= 0", "a number >= 0"};
}

std::int64_t readInt(const json& v, const JsonPos& at, const IntSpec& spec) {
  if (!v.is_number_integer()) at.failExpected(spec.what, v);
  if (v.is_number_unsigned()) {
    const auto u = v.get<std::uint64_t>();
    if (u > static_cast<std::uint64_t>(spec.max)) at.failExpected(spec.whatMax, v);
    if (u < static_cast<std::uint64_t>(std::max<std::int64_t>(spec.min, 0))) {
      at.failExpected(spec.what, v);
    }
    return static_cast<std::int64_t>(u);
  }
  const auto i = v.get<std::int64_t>();
  if (i < spec.min) at.failExpected(spec.what, v);
  if (i > spec.max) at.failExpected(spec.whatMax, v);
  return i;
}

double readNumber(const json& v, const JsonPos& at, const NumberSpec& spec) {
  if (!v.is_number()) at.failExpected(spec.what, v);
  const double d = v.get<double>();
  if (!std::isfinite(d)) at.failExpected(spec.what, v);
  if (spec.minInclusive ? d < spec.min : d <= spec.min) at.failExpected(spec.what, v);
  if (d > spec.max) at.failExpected(spec.whatMax, v);
  return d;
}

std::string readString(const json& v, const JsonPos& at, bool nonEmpty) {
  const char* what = nonEmpty ? "a non-empty string" : "a string";
  if (!v.is_string()) at.failExpected(what, v);
  std::string s = v.get<std::string>();
  if (nonEmpty && s.empty()) at.failExpected(what, v);
  return s;
}

bool readBool(const json& v, const JsonPos& at) {
  if (!v.is_boolean()) at.failExpected("true or false", v);
  return v.get<bool>();
}

StrictObject::StrictObject(const json& value, JsonPos at, std::vector<std::string> validKeys)
    : obj_(&value), pos_(std::move(at)), validKeys_(std::move(validKeys)) {
  std::sort(validKeys_.begin(), validKeys_.end());
  if (!value.is_object()) pos_.failExpected("an object", value);
  // json objects iterate in key order, so the first unknown key reported is deterministic.
  for (const auto& item : value.items()) {
    if (isDocKey(item.key())) {
      readString(item.value(), pos_.key(item.key()), false);
    } else if (!std::binary_search(validKeys_.begin(), validKeys_.end(), item.key())) {
      pos_.key(item.key()).fail("unknown key; valid keys: " + joinKeys(validKeys_));
    }
  }
}

void StrictObject::checkAsked(const std::string& key) const {
  if (!std::binary_search(validKeys_.begin(), validKeys_.end(), key)) {
    throw InternalError("reader asked " + pos_.path() + " for undeclared key '" + key + "'");
  }
}

bool StrictObject::has(const std::string& key) const {
  return find(key) != nullptr;
}

const json* StrictObject::find(const std::string& key) const {
  checkAsked(key);
  const auto it = obj_->find(key);
  return it == obj_->end() ? nullptr : &*it;
}

const json& StrictObject::require(const std::string& key, const std::string& what) const {
  const json* v = find(key);
  if (v == nullptr) pos_.key(key).failMissing(what);
  return *v;
}

std::int64_t StrictObject::getInt(const std::string& key, const IntSpec& spec) const {
  return readInt(require(key, spec.what), pos_.key(key), spec);
}

std::int64_t StrictObject::getInt(const std::string& key, const IntSpec& spec,
                                  std::int64_t fallback) const {
  const json* v = find(key);
  return v == nullptr ? fallback : readInt(*v, pos_.key(key), spec);
}

double StrictObject::getNumber(const std::string& key, const NumberSpec& spec) const {
  return readNumber(require(key, spec.what), pos_.key(key), spec);
}

double StrictObject::getNumber(const std::string& key, const NumberSpec& spec,
                               double fallback) const {
  const json* v = find(key);
  return v == nullptr ? fallback : readNumber(*v, pos_.key(key), spec);
}

std::string StrictObject::getString(const std::string& key, bool nonEmpty) const {
  return readString(require(key, nonEmpty ? "a non-empty string" : "a string"), pos_.key(key),
                    nonEmpty);
}

bool StrictObject::getBool(const std::string& key, bool fallback) const {
  const json* v = find(key);
  return v == nullptr ? fallback : readBool(*v, pos_.key(key));
}

StrictObject StrictObject::getObject(const std::string& key,
                                     std::vector<std::string> validKeys) const {
  return StrictObject(require(key, "an object"), pos_.key(key), std::move(validKeys));
}

const json& StrictObject::getArray(const std::string& key, const std::string& what) const {
  const json& v = require(key, what);
  if (!v.is_array()) pos_.key(key).failExpected(what, v);
  return v;
}

}  // namespace dfsim
