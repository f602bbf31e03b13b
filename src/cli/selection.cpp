#include "cli/selection.hpp"

#include "dataflow/isca16_rules.hpp"

#include <algorithm>

#include "common/errors.hpp"

namespace dfsim {

std::string dataflowChoices() {
  std::string s;
  for (const DataflowInfo& d : dataflowRegistry()) s += std::string(d.name) + ", ";
  return s + "all (os means os_a)";
}

std::vector<Dataflow> parseDataflows(const std::string& text) {
  std::vector<Dataflow> out;
  if (text == "all") {
    for (const DataflowInfo& d : dataflowRegistry()) out.push_back(d.id);
    return out;
  }
  std::size_t begin = 0;
  while (true) {
    const std::size_t end = std::min(text.find(',', begin), text.size());
    const std::string name = text.substr(begin, end - begin);
    Dataflow d{};
    if (!parseDataflow(name, d)) {
      throw InputError("--dataflow " + text + ": unknown dataflow \"" + name +
                       "\"; expected one of " + dataflowChoices() + ", or a comma-separated " +
                       "list of them");
    }
    if (std::find(out.begin(), out.end(), d) != out.end()) {
      throw InputError("--dataflow " + text + ": " + std::string(dataflowName(d)) +
                       " is named twice");
    }
    out.push_back(d);
    if (end == text.size()) return out;
    begin = end + 1;
  }
}

std::vector<const Layer*> selectLayers(const Network& net, const std::vector<std::string>& names,
                                       const std::string& networkPath) {
  for (const std::string& n : names) {
    const bool found = std::any_of(net.layers.begin(), net.layers.end(),
                                   [&](const Layer& l) { return l.name == n; });
    if (!found) {
      std::string all;
      for (const Layer& l : net.layers) all += (all.empty() ? "" : ", ") + l.name;
      throw InputError("--layer " + n + ": no such layer in " + networkPath +
                       "; its layers are: " + all);
    }
  }
  std::vector<const Layer*> out;
  for (const Layer& l : net.layers) {
    if (names.empty() || std::find(names.begin(), names.end(), l.name) != names.end()) {
      out.push_back(&l);
    }
  }
  return out;
}

Dataflow paperDataflowOf(const MappingFile& f, const std::string& path) {
  Dataflow df{};
  if (!parseDataflow(f.label, df) || !isca16Built(df)) {
    throw InputError(path +
                     ": mapping.dataflow: expected a dataflow's name (a mapping with \"rules\": "
                     "\"isca16\" runs on that dataflow's paper-mode view of the arch), got \"" +
                     f.label + "\"");
  }
  return df;
}

ArchSpec archForMappingFile(const MappingFile& f, const ArchSpec& arch, const std::string& path,
                            const std::string& archPath) {
  if (f.rules != RuleSet::Isca16) return arch;
  return isca16View(arch, paperDataflowOf(f, path), archPath);
}

}  // namespace dfsim
