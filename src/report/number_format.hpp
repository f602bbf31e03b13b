#pragma once

#include <cstdint>
#include <string>

namespace dfsim {

/// A double for machine-readable files: printf "%.10g" (locale-independent digits; the same on
/// every machine for the same value). NaN and infinities print as "nan", "inf", "-inf".
std::string formatDouble(double v);

/// An integer with thousands separators: 105415200 -> "105,415,200".
std::string withThousands(std::int64_t v);

/// A count for a table read at a glance: thousands separators below ten million
/// ("9,999,999"), engineering notation with three significant digits above ("1.23e+08").
/// At most 9 characters for any non-negative count below 1e100.
std::string compactCount(double v);

/// A value with `digits` significant digits, printf "%.<digits>g" ("23.5", "0.0123", "1.2e+03").
std::string significant(double v, int digits);

}  // namespace dfsim
