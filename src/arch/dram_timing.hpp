#pragma once

#include <cstdint>

namespace dfsim {

/// How the off-chip level times its transfers (an arch file's DRAM "model" object).
///
/// `Bandwidth` (the default): one data bus of the level's bytes per cycle plus its latency,
/// whatever the addresses (sim/bandwidth_port.hpp). `RowBuffer`: an in-order, open-page DRAM
/// of `banks` banks with a row buffer each, addressed through the documented address map
/// (sim/dram_address_map.hpp); the timings are in nanoseconds and become core cycles at the
/// arch's clock, rounded up (sim/dram_model.hpp states the model). The defaults are one
/// LPDDR4-3200 x16 channel, from JEDEC JESD209-4B: 8 banks, 2 KiB pages, BL16 bursts of 32
/// bytes, tRCD = tRPpb = 18 ns, read latency RL = 28 tCK at 0.625 ns (17.5 ns), tREFIab =
/// 3.904 us and tRFCab = 280 ns for an 8 Gb die.
struct DramTimingSpec {
  enum class Kind { Bandwidth, RowBuffer };
  Kind kind = Kind::Bandwidth;
  std::int64_t banks = 8;        ///< banks, each with one open row at most
  std::int64_t rowBytes = 2048;  ///< bytes of one row (page) of a bank
  std::int64_t burstBytes = 32;  ///< bytes of one column access (a burst)
  double tRcdNs = 18.0;          ///< activate to column command
  double tCasNs = 17.5;          ///< column command to first data (reads and writes alike)
  double tRpNs = 18.0;           ///< precharge to activate
  double tRefiNs = 3904.0;       ///< refresh interval (0: no refresh)
  double tRfcNs = 280.0;         ///< refresh cycle time: no command, every row closed after
};

/// Whether two DRAM models are the same (every field; the bandwidth kind ignores the rest).
inline bool operator==(const DramTimingSpec& a, const DramTimingSpec& b) {
  if (a.kind != b.kind) return false;
  if (a.kind == DramTimingSpec::Kind::Bandwidth) return true;
  return a.banks == b.banks && a.rowBytes == b.rowBytes && a.burstBytes == b.burstBytes &&
         a.tRcdNs == b.tRcdNs && a.tCasNs == b.tCasNs && a.tRpNs == b.tRpNs &&
         a.tRefiNs == b.tRefiNs && a.tRfcNs == b.tRfcNs;
}
inline bool operator!=(const DramTimingSpec& a, const DramTimingSpec& b) {
  return !(a == b);
}

}  // namespace dfsim
