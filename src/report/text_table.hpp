#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace dfsim {

/// A fixed-width text table for the terminal: each column is as wide as its widest cell, text
/// columns are left-aligned and number columns right-aligned, two spaces between columns.
class TextTable {
 public:
  enum class Align { Left, Right };

  /// Adds a column with its header.
  void addColumn(std::string header, Align align);
  /// Adds a row; it must have one cell per column (missing cells print empty).
  void addRow(std::vector<std::string> cells);
  /// Adds a horizontal rule (dashes under every column).
  void addRule();
  /// Prints the header, a rule and the rows; each line ends with '\n', no trailing spaces.
  void print(std::ostream& os) const;

 private:
  std::vector<std::string> headers_;
  std::vector<Align> aligns_;
  std::vector<std::vector<std::string>> rows_;  ///< an empty row is a rule
};

}  // namespace dfsim
