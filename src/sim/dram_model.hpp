#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "arch/dram_timing.hpp"
#include "common/cycle.hpp"
#include "common/dram_row_stats.hpp"
#include "sim/bandwidth_port.hpp"

namespace dfsim {

/// The timing of off-chip memory behind a simulator's DRAM level: an extension point (a new
/// model implements this and is returned by makeDramModel for its DramTimingSpec::Kind).
///
/// Contract: requests are booked in program order; `access(now, address, bytes, write)` books
/// one of `bytes` (> 0) bytes from physical byte `address` issued at cycle `now` and returns the
/// cycle by which its last byte has arrived (a read) or been taken (a write), never before
/// `now`. The model serves requests in the order they were booked (its data bus returns them
/// in that order); it owns its state and touches no counter. A model whose usesAddresses() is
/// false times a request by its size alone (any address). For skipping ahead in time: when
/// canSkipAhead(), two instances with equal appendBacklog() at their `now` serve the same later
/// requests identically shifted in time, and carryBacklog(from, to) moves the state at `from`
/// to `to` unchanged; a model that cannot promise it returns false and the simulator steps
/// through every step.
class DramModel {
 public:
  virtual ~DramModel() = default;
  /// Books a request; returns the cycle it completes.
  virtual Cycle access(Cycle now, std::uint64_t address, std::uint64_t bytes, bool write) = 0;
  /// Whether access() depends on the address.
  virtual bool usesAddresses() const = 0;
  /// Whether appendBacklog()/carryBacklog() state the model's whole future (see the contract).
  virtual bool canSkipAhead() const = 0;
  /// Appends the state that decides how later requests are served, relative to `now`.
  virtual void appendBacklog(Cycle now, std::vector<std::uint64_t>& out) const = 0;
  /// Moves the state at `from` to `to` (`to` >= `from`).
  virtual void carryBacklog(Cycle from, Cycle to) = 0;
  /// The model's row statistics so far.
  virtual DramRowStats rowStats() const { return {}; }
};

/// Today's DRAM: one data bus of `bytesPerCycle` (0: unlimited) with `latencyCycles` on every
/// request (BandwidthPort in bytes); addresses play no part.
class BandwidthDramModel final : public DramModel {
 public:
  BandwidthDramModel(std::uint64_t bytesPerCycle, std::uint64_t latencyCycles)
      : bus_(bytesPerCycle, latencyCycles) {}
  Cycle access(Cycle now, std::uint64_t, std::uint64_t bytes, bool) override {
    return bus_.reserve(now, bytes);
  }
  bool usesAddresses() const override { return false; }
  bool canSkipAhead() const override { return true; }
  void appendBacklog(Cycle now, std::vector<std::uint64_t>& out) const override {
    out.push_back(bus_.backlogUnits(now));
  }
  void carryBacklog(Cycle from, Cycle to) override { bus_.carryBacklog(from, to); }

 private:
  BandwidthPort bus_;
};

/// The row-buffer timings of a DramTimingSpec in core cycles (nanoseconds at the clock, each
/// rounded up).
struct DramTimingCycles {
  std::uint64_t banks = 1;
  std::uint64_t rowBytes = 1;
  std::uint64_t burstBytes = 1;
  std::uint64_t tRcd = 0;
  std::uint64_t tCas = 0;
  std::uint64_t tRp = 0;
  std::uint64_t tRefi = 0;  ///< 0: no refresh
  std::uint64_t tRfc = 0;
  /// `spec`'s timings at `clockMhz`.
  static DramTimingCycles of(const DramTimingSpec& spec, double clockMhz);
};

/// An in-order, open-page DRAM with one row buffer per bank (a deliberately simple model).
///
/// Address map: byte `a` is in burst a / burstBytes, row a / rowBytes of the whole device,
/// bank (a / rowBytes) mod banks, row index a / (rowBytes * banks) within its bank: consecutive
/// rows go to consecutive banks. A request is cut into the bursts it touches, in address
/// order; each burst moves `burstBytes` on the data bus whatever part of it the request wants.
/// Per burst, in booking order: its command issues at t = max(now, the bank's last column
/// command); a refresh window [k tRefi, k tRefi + tRfc) (k >= 1) that t falls in moves t to its
/// end, and a window that began since the bank's last command closed its row; then a row hit
/// issues its column command at t, a closed bank activates first (t + tRcd), a bank with
/// another row open precharges and activates (t + tRp + tRcd). The data follow tCas after the
/// column command, on the bus of `bytesPerCycle` (0: unlimited) in booking order, and the
/// request completes `latencyCycles` (the level's controller and PHY) after its last burst's
/// data. Not modelled: tRAS, tRRD, tFAW, tWR, tWTR and read/write turnaround, per-bank
/// refresh, request reordering (FR-FCFS), power-down.
class RowBufferDramModel final : public DramModel {
 public:
  RowBufferDramModel(const DramTimingCycles& timing, std::uint64_t bytesPerCycle,
                     std::uint64_t latencyCycles);
  Cycle access(Cycle now, std::uint64_t address, std::uint64_t bytes, bool write) override;
  bool usesAddresses() const override { return true; }
  bool canSkipAhead() const override { return false; }
  void appendBacklog(Cycle now, std::vector<std::uint64_t>& out) const override;
  void carryBacklog(Cycle from, Cycle to) override;
  DramRowStats rowStats() const override { return stats_; }

 private:
  struct Bank {
    bool open = false;
    std::uint64_t row = 0;
    std::uint64_t lastCommand = 0;  ///< cycle of its last column command
  };
  /// `t` moved out of any refresh window it falls in.
  std::uint64_t afterRefresh(std::uint64_t t) const;

  DramTimingCycles timing_;
  std::uint64_t latency_;
  BandwidthPort bus_;
  std::vector<Bank> banks_;
  DramRowStats stats_;
};

/// The model `spec` names, for an off-chip level of `bytesPerCycle` and `latencyCycles` at
/// `clockMhz`.
std::unique_ptr<DramModel> makeDramModel(const DramTimingSpec& spec, std::int64_t bytesPerCycle,
                                         std::int64_t latencyCycles, double clockMhz);

}  // namespace dfsim
