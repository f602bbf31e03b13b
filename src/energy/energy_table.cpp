#include "energy/energy_table.hpp"

#include "common/errors.hpp"

namespace dfsim {

EnergyTable resolvedFor(const EnergyTable& table, const std::vector<std::string>& entryNames,
                        bool fourLevelArch, const std::string& energyFile) {
  if (table.fourLevelForm()) {
    if (fourLevelArch) return table;
    std::string levels;
    for (const std::string& n : entryNames) levels += (levels.empty() ? "" : ", ") + n;
    throw InputError(energyFile + ": energy: the table prices dram, glb, noc and rf (the 4-level " +
                     "form), but the arch's levels are " + levels +
                     "; expected the general form, \"levels\": {name: costs} naming each of them");
  }
  EnergyTable out = table;
  out.names = entryNames;
  out.perWord = {};
  for (std::size_t e = 0; e < entryNames.size(); ++e) {
    std::size_t k = 0;
    while (k < table.names.size() && table.names[k] != entryNames[e]) ++k;
    if (k == table.names.size()) {
      std::string named;
      for (const std::string& n : table.names) named += (named.empty() ? "" : ", ") + n;
      throw InputError(energyFile + ": energy.levels: expected costs for the arch's level \"" +
                       entryNames[e] + "\"; the table names " + named);
    }
    out.perWord[e] = table.perWord[k];
  }
  return out;
}

}  // namespace dfsim
