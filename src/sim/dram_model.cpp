#include "sim/dram_model.hpp"

#include <cmath>

namespace dfsim {

namespace {

std::uint64_t cyclesOf(double ns, double clockMhz) {
  // ns * MHz / 1000 cycles, rounded up; a hair below an integer (binary fractions) stays it.
  const double c = ns * clockMhz / 1000.0;
  return static_cast<std::uint64_t>(std::ceil(c - 1e-9));
}

}  // namespace

DramTimingCycles DramTimingCycles::of(const DramTimingSpec& spec, double clockMhz) {
  DramTimingCycles c;
  c.banks = static_cast<std::uint64_t>(spec.banks);
  c.rowBytes = static_cast<std::uint64_t>(spec.rowBytes);
  c.burstBytes = static_cast<std::uint64_t>(spec.burstBytes);
  c.tRcd = cyclesOf(spec.tRcdNs, clockMhz);
  c.tCas = cyclesOf(spec.tCasNs, clockMhz);
  c.tRp = cyclesOf(spec.tRpNs, clockMhz);
  c.tRefi = cyclesOf(spec.tRefiNs, clockMhz);
  c.tRfc = cyclesOf(spec.tRfcNs, clockMhz);
  return c;
}

RowBufferDramModel::RowBufferDramModel(const DramTimingCycles& timing, std::uint64_t bytesPerCycle,
                                       std::uint64_t latencyCycles)
    : timing_(timing),
      latency_(latencyCycles),
      bus_(bytesPerCycle, 0),
      banks_(static_cast<std::size_t>(timing.banks)) {}

std::uint64_t RowBufferDramModel::afterRefresh(std::uint64_t t) const {
  if (timing_.tRefi == 0) return t;
  const std::uint64_t k = t / timing_.tRefi;
  if (k == 0) return t;
  const std::uint64_t end = k * timing_.tRefi + timing_.tRfc;
  return t < end ? end : t;
}

Cycle RowBufferDramModel::access(Cycle now, std::uint64_t address, std::uint64_t bytes, bool) {
  Cycle done = now;
  if (bytes == 0) return done;
  const std::uint64_t firstBurst = address / timing_.burstBytes;
  const std::uint64_t lastBurst = (address + bytes - 1) / timing_.burstBytes;
  for (std::uint64_t b = firstBurst; b <= lastBurst; ++b) {
    const std::uint64_t byte = b * timing_.burstBytes;
    const std::uint64_t deviceRow = byte / timing_.rowBytes;
    Bank& bank = banks_[static_cast<std::size_t>(deviceRow % timing_.banks)];
    const std::uint64_t row = deviceRow / timing_.banks;
    std::uint64_t t = afterRefresh(std::max(now.count(), bank.lastCommand));
    if (timing_.tRefi != 0 && t / timing_.tRefi > bank.lastCommand / timing_.tRefi) {
      bank.open = false;  // a refresh since its last command closed every row
    }
    std::uint64_t column = t;
    if (bank.open && bank.row == row) {
      ++stats_.hits;
    } else if (!bank.open) {
      ++stats_.misses;
      column += timing_.tRcd;
    } else {
      ++stats_.conflicts;
      column += timing_.tRp + timing_.tRcd;
    }
    bank.open = true;
    bank.row = row;
    bank.lastCommand = column;
    done = max(done, bus_.reserve(Cycle(column + timing_.tCas), timing_.burstBytes));
  }
  return done + Cycle(latency_);
}

void RowBufferDramModel::appendBacklog(Cycle now, std::vector<std::uint64_t>& out) const {
  // Not a whole future (the refresh phase and the open rows are absolute): canSkipAhead() is
  // false, so this only describes the bus and the banks for diagnostics.
  out.push_back(bus_.backlogUnits(now));
  for (const Bank& b : banks_) out.push_back(b.open ? b.row + 1 : 0);
}

void RowBufferDramModel::carryBacklog(Cycle from, Cycle to) {
  bus_.carryBacklog(from, to);
  for (Bank& b : banks_) {
    if (b.lastCommand > from.count()) b.lastCommand += (to - from).count();
  }
}

std::unique_ptr<DramModel> makeDramModel(const DramTimingSpec& spec, std::int64_t bytesPerCycle,
                                         std::int64_t latencyCycles, double clockMhz) {
  const auto bus = static_cast<std::uint64_t>(bytesPerCycle);
  const auto latency = static_cast<std::uint64_t>(latencyCycles);
  if (spec.kind == DramTimingSpec::Kind::RowBuffer) {
    return std::make_unique<RowBufferDramModel>(DramTimingCycles::of(spec, clockMhz), bus, latency);
  }
  return std::make_unique<BandwidthDramModel>(bus, latency);
}

}  // namespace dfsim
