#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <boost/program_options.hpp>

#include "io/overrides.hpp"

namespace dfsim {

/// Default energy table of `dfsim run`, relative to the current directory (run dfsim from the
/// repository root, or pass --energy).
inline constexpr const char* kDefaultEnergyPath = "configs/energy/isca16_normalized.json";

/// Default seed of the pseudo-random weights and inputs.
inline constexpr std::uint64_t kDefaultSeed = 1;

/// Width of the usage texts, in characters.
inline constexpr unsigned kUsageWidth = 90;

/// `text` without spaces before each line end (Boost pads wrapped option descriptions).
std::string trimLineEnds(const std::string& text);

/// Parses the arguments of subcommand `command` (everything after its name) against `desc`.
/// Strict: no positional arguments, no abbreviated option names. Throws InputError
/// (`<command>: <problem> (see 'dfsim <command> --help')`) on any problem.
boost::program_options::variables_map parseCommandLine(
    const std::vector<std::string>& args, const boost::program_options::options_description& desc,
    const std::string& command);

/// Parses `text` as an integer > 0 for `option`. Throws InputError
/// (`--batch: expected a positive integer, got "x"`).
std::int64_t parsePositiveInt(const std::string& text, const std::string& option);

/// Parses `text` as an integer >= 0 (up to 2^64-1) for `option`. Throws InputError.
std::uint64_t parseUnsignedInt(const std::string& text, const std::string& option);

/// Parses every `--set key.path=value` (parseOverride). Throws InputError on the first bad one.
std::vector<Override> parseOverrides(const std::vector<std::string>& texts);

/// The top-level usage text of `dfsim` (ends with a newline).
std::string topUsage();

}  // namespace dfsim
