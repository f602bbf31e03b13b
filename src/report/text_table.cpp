#include "report/text_table.hpp"

#include <algorithm>

namespace dfsim {

void TextTable::addColumn(std::string header, Align align) {
  headers_.push_back(std::move(header));
  aligns_.push_back(align);
}

void TextTable::addRow(std::vector<std::string> cells) {
  cells.resize(headers_.size());
  rows_.push_back(std::move(cells));
}

void TextTable::addRule() {
  rows_.emplace_back();
}

void TextTable::print(std::ostream& os) const {
  const std::size_t n = headers_.size();
  std::vector<std::size_t> width(n);
  for (std::size_t c = 0; c < n; ++c) {
    width[c] = headers_[c].size();
    for (const auto& row : rows_) {
      if (!row.empty()) width[c] = std::max(width[c], row[c].size());
    }
  }
  auto printLine = [&](const std::vector<std::string>& cells) {
    std::string line;
    for (std::size_t c = 0; c < n; ++c) {
      if (c != 0) line += "  ";
      const std::string& s = cells[c];
      const std::string pad(width[c] - s.size(), ' ');
      line += aligns_[c] == Align::Left ? s + pad : pad + s;
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    os << line << '\n';
  };
  std::vector<std::string> rule(n);
  for (std::size_t c = 0; c < n; ++c) rule[c] = std::string(width[c], '-');

  printLine(headers_);
  printLine(rule);
  for (const auto& row : rows_) printLine(row.empty() ? rule : row);
}

}  // namespace dfsim
