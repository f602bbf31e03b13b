// Boundary-cycle tests (Ramulator 2 style) of BandwidthPort and of the DRAM TLM target that uses
// it: a transfer is complete at exactly issue + ceil(units / bandwidth) + latency, and not one
// cycle earlier.

#include <catch2/catch.hpp>
#include <cstdint>
#include <vector>

#include <tlm_utils/simple_initiator_socket.h>
#include <systemc>
#include <tlm>

#include "common/cycle.hpp"
#include "sim/bandwidth_port.hpp"
#include "sim/dram.hpp"
#include "sim/fresh_kernel.hpp"
#include "sim/sim_clock.hpp"
#include "test_support.hpp"
#include "workload/tensor_data.hpp"

using namespace dfsim;

namespace {

std::uint64_t ceilDiv(std::uint64_t a, std::uint64_t b) {
  return (a + b - 1) / b;
}

}  // namespace

TEST_CASE("BandwidthPort: an idle port completes at issue + ceil(B/W) + L, not a cycle earlier",
          "[sim][timing]") {
  struct Case {
    std::uint64_t units, perCycle, latency, issue;
  };
  const std::vector<Case> cases = {
      {1, 1, 0, 0},   {1, 4, 0, 0},       {4, 4, 0, 0},       {5, 4, 0, 0},
      {10, 4, 3, 5},  {12, 4, 3, 5},      {13, 4, 3, 5},      {7, 2, 1, 17},
      {1, 8, 100, 1}, {64, 8, 100, 1000}, {65, 8, 100, 1000}, {3, 1, 2, 9},
  };
  for (const Case& c : cases) {
    INFO("B=" << c.units << " W=" << c.perCycle << " L=" << c.latency << " t=" << c.issue);
    BandwidthPort port(c.perCycle, c.latency);
    const Cycle done = port.reserve(Cycle(c.issue), c.units);
    const std::uint64_t expected = c.issue + ceilDiv(c.units, c.perCycle) + c.latency;
    CHECK(done.count() == expected);
    CHECK(done.count() != expected - 1);
    // The wires are free once the last unit has left; the latency does not occupy them.
    CHECK(port.freeAt().count() == c.issue + ceilDiv(c.units, c.perCycle));
  }
}

TEST_CASE("BandwidthPort: back-to-back transfers pack without per-transfer rounding",
          "[sim][timing]") {
  SECTION("four 1-unit transfers at 4 units/cycle share one cycle") {
    BandwidthPort port(4, 2);
    for (int i = 0; i < 4; ++i) CHECK(port.reserve(Cycle(0), 1).count() == 1 + 2);
    // The fifth unit spills into the second cycle.
    CHECK(port.reserve(Cycle(0), 1).count() == 2 + 2);
  }
  SECTION("three 3-unit transfers at 4 units/cycle end at units 3, 6, 9") {
    BandwidthPort port(4, 0);
    CHECK(port.reserve(Cycle(10), 3).count() == 10 + 1);  // units [0, 3)
    CHECK(port.reserve(Cycle(10), 3).count() == 10 + 2);  // units [3, 6): not 10 + 1 + 1
    CHECK(port.reserve(Cycle(10), 3).count() == 10 + 3);  // units [6, 9): 9/4 rounds up to 3
    CHECK(port.freeAt().count() == 13);
  }
  SECTION("n transfers of B units take ceil(n*B/W) cycles in all, not n*ceil(B/W)") {
    BandwidthPort port(8, 5);
    Cycle last;
    for (int i = 0; i < 10; ++i) last = port.reserve(Cycle(0), 3);
    CHECK(last.count() == ceilDiv(30, 8) + 5);
    CHECK(last.count() != 10 * ceilDiv(3, 8) + 5);
  }
}

TEST_CASE("BandwidthPort: a transfer issued while the port is busy starts when it frees",
          "[sim][timing]") {
  BandwidthPort port(2, 3);
  CHECK(port.reserve(Cycle(0), 10).count() == 5 + 3);  // occupies cycles [0, 5)
  CHECK(port.freeAt().count() == 5);
  // Issued at cycle 2, mid-transfer: waits for cycle 5, then takes 2 cycles.
  CHECK(port.reserve(Cycle(2), 4).count() == 5 + 2 + 3);
  CHECK(port.freeAt().count() == 7);
  // Issued exactly when it frees: no wait.
  CHECK(port.reserve(Cycle(7), 2).count() == 7 + 1 + 3);
  // Issued after an idle gap: starts at its own issue cycle; the idle cycles give no credit.
  CHECK(port.reserve(Cycle(20), 3).count() == 20 + 2 + 3);
  CHECK(port.freeAt().count() == 22);
}

TEST_CASE("BandwidthPort: a port that is busy for part of a cycle starts mid-cycle",
          "[sim][timing]") {
  BandwidthPort port(4, 0);
  CHECK(port.reserve(Cycle(0), 1).count() == 1);  // units [0, 1) of cycle 0
  // A new issue at cycle 0 packs after that unit: units [1, 5) end in cycle 1.
  CHECK(port.reserve(Cycle(0), 4).count() == 2);
  // A new issue at cycle 1 packs after unit 5: units [5, 8) end in cycle 1 as well.
  CHECK(port.reserve(Cycle(1), 3).count() == 2);
}

TEST_CASE("BandwidthPort: unlimited bandwidth completes at issue + L", "[sim][timing]") {
  BandwidthPort port(0, 7);
  CHECK(port.reserve(Cycle(0), 1).count() == 7);
  CHECK(port.reserve(Cycle(0), 1000000).count() == 7);  // no queueing behind earlier transfers
  CHECK(port.reserve(Cycle(42), 123).count() == 42 + 7);
  BandwidthPort instant(0, 0);
  CHECK(instant.reserve(Cycle(9), 5).count() == 9);
}

TEST_CASE("BandwidthPort: a zero-unit transfer completes at its issue cycle", "[sim][timing]") {
  BandwidthPort idle(4, 10);
  CHECK(idle.reserve(Cycle(3), 0).count() == 3);
  CHECK(idle.freeAt().count() == 0);  // and books nothing

  BandwidthPort busy(1, 10);
  CHECK(busy.reserve(Cycle(0), 50).count() == 60);
  CHECK(busy.reserve(Cycle(5), 0).count() == 5);  // does not wait for the busy wires
  CHECK(busy.freeAt().count() == 50);

  BandwidthPort unlimited(0, 10);
  CHECK(unlimited.reserve(Cycle(8), 0).count() == 8);  // no latency either
}

namespace {

/// A test initiator: one SC_THREAD that issues TLM reads on the DRAM target at given cycles and
/// records when each completes (sc_time_stamp() + annotated delay, in cycles).
class Reader : public sc_core::sc_module {
 public:
  SC_HAS_PROCESS(Reader);

  struct Request {
    std::uint64_t address = 0;
    unsigned bytes = 0;
  };

  tlm_utils::simple_initiator_socket<Reader> socket;
  std::vector<Cycle> completedAt;
  std::vector<tlm::tlm_response_status> status;
  std::vector<std::vector<std::int32_t>> data;

  Reader(const sc_core::sc_module_name& name, const SimClock& clock, std::vector<Request> requests)
      : sc_core::sc_module(name), socket("socket"), clock_(clock), requests_(std::move(requests)) {
    SC_THREAD(run);
  }

 private:
  void run() {
    // Loosely timed: every request is issued at time 0 with a zero delay, back to back.
    for (const Request& r : requests_) {
      std::vector<std::int32_t> buf(r.bytes / 4, 0);
      tlm::tlm_generic_payload p;
      p.set_command(tlm::TLM_READ_COMMAND);
      p.set_address(r.address);
      p.set_data_ptr(reinterpret_cast<unsigned char*>(buf.data()));
      p.set_data_length(r.bytes);
      p.set_streaming_width(r.bytes);
      p.set_byte_enable_ptr(nullptr);
      p.set_dmi_allowed(false);
      p.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
      sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
      socket->b_transport(p, delay);
      completedAt.push_back(clock_.toCycle(sc_core::sc_time_stamp() + delay));
      status.push_back(p.get_response_status());
      data.push_back(std::move(buf));
    }
  }

  const SimClock& clock_;
  std::vector<Request> requests_;
};

struct DramRun {
  std::vector<Cycle> completedAt;
  std::vector<tlm::tlm_response_status> status;
  std::vector<std::vector<std::int32_t>> data;
  std::vector<std::int32_t> stored;  ///< the DRAM's copy of the inputs
  std::int64_t inputReads = 0;
};

/// Elaborates a Dram and a Reader in a fresh kernel and runs the reads of `words` input words.
DramRun runDramReads(const ArchSpec& arch, const std::vector<std::int64_t>& words) {
  const Layer layer = test::conv("tiny", 1, 2, 2, 6, 3);
  FreshKernel kernel;
  const SimClock clock{};
  std::vector<Reader::Request> requests;
  std::uint64_t offset = 0;
  const std::uint64_t inputs = static_cast<std::uint64_t>(idx(Tensor::Inputs));
  for (std::int64_t w : words) {
    requests.push_back(
        {(inputs << Dram::kTensorShift) | (offset * 4), static_cast<unsigned>(w * 4)});
    offset += static_cast<std::uint64_t>(w);
  }
  DramRun out;
  {
    Dram dram("dram", arch, layer.shape(), clock, makeWeights(layer, 1), makeInputs(layer, 1));
    Reader reader("reader", clock, requests);
    reader.socket.bind(dram.socket);
    sc_core::sc_start();
    out.completedAt = reader.completedAt;
    out.status = reader.status;
    out.data = reader.data;
    out.stored = dram.store(Tensor::Inputs).data;
    out.inputReads = dram.counts()[Tensor::Inputs].reads;
  }
  return out;
}

}  // namespace

TEST_CASE("DRAM target: one read of B bytes at time 0 completes at ceil(B'/W) + L cycles",
          "[sim][timing]") {
  // The payload carries each word as 4 bytes (int32), but the bus is timed in words of the
  // arch's size: B' = words * ceil(word_bits / 8) bytes at W bytes per cycle.
  struct Case {
    std::int64_t wordBits, bytesPerCycle, latency, words;
  };
  const std::vector<Case> cases = {
      {16, 4, 10, 7},  // B' = 14 bytes: 4 cycles (3.5 rounded up); 14 at 4-byte words
      {16, 4, 10, 8},  // B' = 16 bytes: exactly 4 cycles
      {16, 8, 0, 1},   // B' = 2 bytes: one cycle even with no latency
      {8, 4, 3, 9},    // 1-byte words: B' = 9 bytes, 3 cycles
      {32, 8, 5, 7},   // 4-byte words: B' = 28 bytes, 4 cycles
      {12, 3, 2, 5},   // 12-bit words take 2 bytes: B' = 10 bytes, 4 cycles
      {16, 1, 100, 3},
  };
  for (const Case& c : cases) {
    INFO("word_bits=" << c.wordBits << " W=" << c.bytesPerCycle << " L=" << c.latency
                      << " words=" << c.words);
    ArchSpec arch = test::arch(2, 2, 4, 256, false);
    arch.wordBits = c.wordBits;
    arch.dram.bytesPerCycle = c.bytesPerCycle;
    arch.dram.latencyCycles = c.latency;
    const DramRun run = runDramReads(arch, {c.words});
    REQUIRE(run.completedAt.size() == 1);
    CHECK(run.status[0] == tlm::TLM_OK_RESPONSE);
    const std::uint64_t bytes = static_cast<std::uint64_t>(c.words * ((c.wordBits + 7) / 8));
    const std::uint64_t expected = ceilDiv(bytes, static_cast<std::uint64_t>(c.bytesPerCycle)) +
                                   static_cast<std::uint64_t>(c.latency);
    CHECK(run.completedAt[0].count() == expected);
    CHECK(run.completedAt[0].count() != expected - 1);
    // Functional: the words read are the DRAM's words, and each is counted once.
    CHECK(run.inputReads == c.words);
    const std::vector<std::int32_t> head(run.stored.begin(), run.stored.begin() + c.words);
    CHECK(run.data[0] == head);
  }
}

TEST_CASE("DRAM target: back-to-back reads queue on the data bus", "[sim][timing]") {
  ArchSpec arch = test::arch(2, 2, 4, 256, false);
  arch.wordBits = 16;
  arch.dram.bytesPerCycle = 4;
  arch.dram.latencyCycles = 10;
  // 3 words (6 bytes) then 5 words (10 bytes), both issued at time 0: the second packs after the
  // first without rounding, so it ends at ceil(16 / 4) = 4 cycles, plus the latency.
  const DramRun run = runDramReads(arch, {3, 5});
  REQUIRE(run.completedAt.size() == 2);
  CHECK(run.completedAt[0].count() == 2 + 10);
  CHECK(run.completedAt[1].count() == 4 + 10);
  CHECK(run.inputReads == 8);
}

TEST_CASE("DRAM target: unlimited bandwidth completes at the latency", "[sim][timing]") {
  ArchSpec arch = test::arch(2, 2, 4, 256, false);
  arch.dram.bytesPerCycle = kUnlimited;
  arch.dram.latencyCycles = 25;
  const DramRun run = runDramReads(arch, {40});
  REQUIRE(run.completedAt.size() == 1);
  CHECK(run.completedAt[0].count() == 25);
}
