// libFuzzer harness for --set: the input is `SET\n...\n\nDOCUMENT`. The lines before the first
// empty line are --set texts (parseOverride), one per line; without an empty line, the first
// line is the only one. The rest is a JSON document of the kind named by the first text's prefix
// (arch when it names none), read with the overrides applied: in memory (parseJsonText +
// applyOverrides + *FromJson) and from a file (readArch / readNetwork / readEnergy). See
// fuzz_support.hpp for the contract.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "fuzz_support.hpp"

namespace {

using dfsim::fuzz::Format;

const Format& formatOf(const std::string& setText) {
  if (setText.rfind("network", 0) == 0) return dfsim::fuzz::networkFormat();
  if (setText.rfind("energy", 0) == 0) return dfsim::fuzz::energyFormat();
  return dfsim::fuzz::archFormat();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string input = dfsim::fuzz::bytes(data, size);
  std::size_t split = input.find("\n\n");
  std::size_t docStart = split == std::string::npos ? 0 : split + 2;
  if (split == std::string::npos) {
    split = input.find('\n');
    if (split == std::string::npos) split = input.size();
    docStart = split == input.size() ? split : split + 1;
  }
  std::vector<std::string> texts;
  std::size_t start = 0;
  while (start <= split) {
    std::size_t end = input.find('\n', start);
    if (end == std::string::npos || end > split) end = split;
    texts.push_back(input.substr(start, end - start));
    start = end + 1;
  }

  std::vector<dfsim::Override> overrides;
  const dfsim::fuzz::Outcome parsed = dfsim::fuzz::attempt([&] {
    for (const std::string& t : texts) overrides.push_back(dfsim::parseOverride(t));
    return nlohmann::json();
  });
  if (!parsed.ok) return 0;
  dfsim::fuzz::checkDocument(formatOf(texts.front()), input.substr(docStart), overrides);
  return 0;
}
