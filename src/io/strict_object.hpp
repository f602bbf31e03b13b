#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace dfsim {

/// Largest count the readers accept for a size, bandwidth or latency (2^40): far beyond any real
/// accelerator or layer, and small enough that products of a few of them stay inside int64.
inline constexpr std::int64_t kMaxCount = std::int64_t{1} << 40;

/// A place in an input document: the file and the JSON path (`arch.glb.size_kib`,
/// `network.layers[2].R`). Builds the one-line InputError messages every reader throws.
class JsonPos {
 public:
  /// The root of document `root` ("arch", "network", "energy") read from `file`.
  JsonPos(std::string file, std::string path);

  const std::string& file() const { return file_; }
  const std::string& path() const { return path_; }
  /// The member `key` of the object here: `<path>.<key>`.
  JsonPos key(const std::string& key) const;
  /// The element `i` of the array here: `<path>[i]`.
  JsonPos index(std::size_t i) const;

  /// Throws InputError `<file>: <path>: <message>`.
  [[noreturn]] void fail(const std::string& message) const;
  /// Throws InputError `<file>: <path>: expected <what>, got <one-line dump of got>`.
  [[noreturn]] void failExpected(const std::string& what, const nlohmann::json& got) const;
  /// Throws InputError `<file>: <path>: missing required key (expected <what>)`.
  [[noreturn]] void failMissing(const std::string& what) const;

 private:
  std::string file_;
  std::string path_;
};

/// `value` as compact one-line JSON for an error message; long dumps are cut to 60 characters
/// ending in "...". Invalid UTF-8 is replaced, never thrown.
std::string describeJson(const nlohmann::json& value);

/// An accepted integer range and how to describe it in "expected ..." messages.
struct IntSpec {
  std::int64_t min = 0;
  std::int64_t max = kMaxCount;
  std::string what;     ///< e.g. "a positive integer"
  std::string whatMax;  ///< said instead of `what` when the value is above `max`
};
/// 1..kMaxCount, "a positive integer".
IntSpec positiveInt();
/// 0..kMaxCount, "an integer >= 0".
IntSpec nonNegativeInt();
/// lo..hi, "an integer in lo..hi".
IntSpec intInRange(std::int64_t lo, std::int64_t hi);

/// An accepted range of (integer or fractional) numbers and how to describe it.
struct NumberSpec {
  double min = 0.0;
  bool minInclusive = true;
  double max = 0.0;
  std::string what;     ///< e.g. "a number >= 0"
  std::string whatMax;  ///< said instead of `what` when the value is above `max`
};
/// (0, +inf), "a positive number".
NumberSpec positiveNumber();
/// [0, +inf), "a number >= 0".
NumberSpec nonNegativeNumber();

/// `v` as an integer within `spec`. Only JSON integers qualify (3.0 and "3" do not).
/// Throws InputError at `at` otherwise.
std::int64_t readInt(const nlohmann::json& v, const JsonPos& at, const IntSpec& spec);
/// `v` as a number (integer or fractional) within `spec`; throws InputError at `at` otherwise.
double readNumber(const nlohmann::json& v, const JsonPos& at, const NumberSpec& spec);
/// `v` as a string, non-empty if `nonEmpty`; throws InputError at `at` otherwise.
std::string readString(const nlohmann::json& v, const JsonPos& at, bool nonEmpty);
/// `v` as a boolean; throws InputError at `at` otherwise.
bool readBool(const nlohmann::json& v, const JsonPos& at);

/// A JSON object read strictly. The constructor rejects any key not in `validKeys`
/// (`<file>: <path>.<key>: unknown key; valid keys: a, b, c`, sorted), so a misspelt key is
/// reported before anything it would have set. Keys "notes" and "description" are accepted on
/// every object as documentation, if they are strings.
///
/// Contract: the object refers to `value`, which must outlive it. Asking for a key that is not
/// in `validKeys` is a bug in the reader and throws InternalError.
class StrictObject {
 public:
  /// Checks that `value` (found at `at`) is an object with only `validKeys` (plus the
  /// documentation keys). Throws InputError otherwise.
  StrictObject(const nlohmann::json& value, JsonPos at, std::vector<std::string> validKeys);

  /// Where this object is.
  const JsonPos& pos() const { return pos_; }
  /// Where member `key` is.
  JsonPos pos(const std::string& key) const { return pos_.key(key); }
  /// Whether `key` is present.
  bool has(const std::string& key) const;
  /// The value of `key`, or nullptr when absent.
  const nlohmann::json* find(const std::string& key) const;
  /// The value of `key`; throws `missing required key (expected <what>)` when absent.
  const nlohmann::json& require(const std::string& key, const std::string& what) const;

  /// Required integer within `spec`.
  std::int64_t getInt(const std::string& key, const IntSpec& spec) const;
  /// Optional integer within `spec`, `fallback` when absent.
  std::int64_t getInt(const std::string& key, const IntSpec& spec, std::int64_t fallback) const;
  /// Required number within `spec`.
  double getNumber(const std::string& key, const NumberSpec& spec) const;
  /// Optional number within `spec`, `fallback` when absent.
  double getNumber(const std::string& key, const NumberSpec& spec, double fallback) const;
  /// Required string (non-empty if `nonEmpty`).
  std::string getString(const std::string& key, bool nonEmpty = true) const;
  /// Optional boolean, `fallback` when absent.
  bool getBool(const std::string& key, bool fallback) const;
  /// Required member object with its own valid keys.
  StrictObject getObject(const std::string& key, std::vector<std::string> validKeys) const;
  /// Required array; `what` describes its elements for the messages ("an array of layers").
  const nlohmann::json& getArray(const std::string& key, const std::string& what) const;

 private:
  void checkAsked(const std::string& key) const;

  const nlohmann::json* obj_;
  JsonPos pos_;
  std::vector<std::string> validKeys_;  ///< sorted
};

}  // namespace dfsim
