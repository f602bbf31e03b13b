#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "arch/arch_spec.hpp"
#include "energy/energy_table.hpp"
#include "io/overrides.hpp"
#include "workload/network.hpp"

namespace dfsim {

/// Reads and validates an architecture file (format: README "Architecture file"), after applying
/// the `arch.` overrides. Throws InputError naming the file, the JSON path and the expectation.
ArchSpec readArch(const std::string& path, const std::vector<Override>& overrides = {});

/// Reads and validates a network file (format: README "Network file"), after applying the
/// `network.` overrides. `batchOverride` > 0 replaces every layer's N. Throws InputError.
Network readNetwork(const std::string& path, const std::vector<Override>& overrides = {},
                    std::int64_t batchOverride = 0);

/// Reads and validates an energy table (format: README "Energy table"), after applying the
/// `energy.` overrides. Throws InputError.
EnergyTable readEnergy(const std::string& path, const std::vector<Override>& overrides = {});

/// Parses and validates an architecture document already in memory (overrides applied);
/// `file` names its source in error messages. readArch = loadJsonFile + applyOverrides + this.
ArchSpec archFromJson(const nlohmann::json& doc, const std::string& file);

/// Parses and validates a network document already in memory; see readNetwork.
Network networkFromJson(const nlohmann::json& doc, const std::string& file,
                        std::int64_t batchOverride = 0);

/// Parses and validates an energy table already in memory; see readEnergy.
EnergyTable energyFromJson(const nlohmann::json& doc, const std::string& file);

/// The resolved architecture as JSON in the file format (every key explicit), for --dump-config.
nlohmann::json archToJson(const ArchSpec& arch);
/// The resolved network as JSON in the file format (every key explicit, sizes derived).
nlohmann::json networkToJson(const Network& net);
/// The resolved energy table as JSON in the file format.
nlohmann::json energyToJson(const EnergyTable& table);

}  // namespace dfsim
