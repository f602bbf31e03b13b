// Paper mode's oracle (issue 15): for given values of the ISCA 2016 framework's mapping
// variables, the counts dfsim SIMULATES under `--rules isca16` equal the framework's closed-form
// access formulas (ominux/eyeriss-dataflow, "ISCA final"; restated in
// docs/design/isca16_framework.md section 3), implemented here from those formulas alone, on
// every AlexNet layer at 256 PEs. Where dfsim counts differently the difference is a named term
// (docs/design/paper_mode.md "Named differences"), computed here in closed form too:
//   [strips]    the framework's halo factor alpha/beta is continuous; dfsim fetches each ragged
//               strip's real columns (rows), U*(F - k) + k*S for k = ceil(F/f) strips;
//   [fills]     the framework never counts a fill as a write; dfsim's GLB output writes include
//               each output's first write, its GLB output reads the write-back to DRAM, its NoC
//               and RF the psum's last hop out of the PE and the psums brought back;
//   [nlr-w]     the framework charges NLR's weights no array access; dfsim's NoC carries them;
// WS runs on its line-buffer view (dram > glb > line_buffer > noc > rf), whose array does not
// reduce the filter rows (the noc's unreduced dimension R: each row's psum goes to the GLB, as
// the framework's row-delay accumulation); the line buffer is the framework's delay line, whose
// words it charges nothing for; its fills and reads are compared with the nest's own closed form
// (one write per new word, one read per distinct window word of a step). Nothing here calls the
// analytic model or the rules' mapping builder's arithmetic: the expectations come from the
// variables and the layer's sizes. The rules stream their tiles as the framework does (README
// "Streamed tiles"): a tile is reloaded once per pass of the loops outside it even when it is
// the same, so a one-strip ifmap is read from DRAM once per pass of the filters, as counted.

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/errors.hpp"
#include "dataflow/isca16_line_buffer.hpp"
#include "dataflow/isca16_rules.hpp"
#include "dataflow/isca16_search.hpp"
#include "energy/energy_breakdown.hpp"
#include "io/readers.hpp"
#include "mapping/analytic_model.hpp"
#include "mapping/tile_math.hpp"
#include "mapping/validate_loop_nest.hpp"
#include "mapping/validate_mapping.hpp"
#include "run_dfsim.hpp"
#include "sim/hierarchy_sim.hpp"
#include "sim/simulate_layer.hpp"
#include "temp_dir.hpp"
#include "test_support.hpp"

#ifndef DFSIM_SOURCE_DIR
#error "DFSIM_SOURCE_DIR must name the source tree (set by CMake)"
#endif

using namespace dfsim;

namespace {

std::int64_t cdiv(std::int64_t a, std::int64_t b) {
  return (a + b - 1) / b;
}

/// The layer in the framework's symbols (per group; H, W padded).
struct Fw {
  std::int64_t N, C, M, H, W, R, S, U, E, F, G;
  std::int64_t Ni, Nw, No, macs;
  explicit Fw(const Layer& l)
      : N(l.N),
        C(l.cPerGroup()),
        M(l.mPerGroup()),
        H(l.paddedH()),
        W(l.paddedW()),
        R(l.R),
        S(l.S),
        U(l.rows.stride),
        E(l.P),
        F(l.Q),
        G(l.groups) {
    Ni = G * N * C * H * W;
    Nw = G * M * C * R * S;
    No = G * N * M * E * F;
    macs = No * C * R * S;
  }
};

/// Expected dfsim counts: (level, tensor) -> {reads, writes}; NoC entries hold deliveries in
/// `reads` for weights and inputs and psum sends in `writes` for outputs, as dfsim reports them.
using Expected = std::map<std::pair<Level, Tensor>, std::pair<std::int64_t, std::int64_t>>;

/// [strips]: the ifmap columns (rows) k = ceil(F/f) strips of f output columns fetch, exactly.
std::int64_t stripCols(std::int64_t F, std::int64_t f, std::int64_t U, std::int64_t S) {
  const std::int64_t k = cdiv(F, f);
  return U * (F - k) + k * S;
}

Expected expectedRs(const Fw& L, const Isca16Variables& v) {
  const std::int64_t passesC = cdiv(L.C, v.q * v.r);  // GLB round trips of a psum, plus one
  const std::int64_t passesM = cdiv(L.M, v.p * v.t);  // array passes of the filters
  const std::int64_t strips = cdiv(L.F, v.f);
  const std::int64_t cols = stripCols(L.F, v.f, L.U, L.S);  // framework: F * w / f
  const std::int64_t peChains = L.S * cdiv(L.C, v.q);       // PE passes per output
  Expected x;
  // DRAM: ifmap Ni * ceil(M/m) * alpha_h/beta_h; weight Nw * ceil(N/n) * ceil(F/f); ofmap No.
  x[{Level::Dram, Tensor::Inputs}] = {L.G * L.N * L.C * L.H * cols * cdiv(L.M, v.m), 0};
  x[{Level::Dram, Tensor::Weights}] = {L.Nw * cdiv(L.N, v.n) * strips, 0};
  x[{Level::Dram, Tensor::Outputs}] = {0, L.No};
  // GLB: ifmap Ni * ceil(M/(p t)) * alpha_h/beta_h; psum No * (ceil(C/(q r)) - 1) each way,
  // plus [fills] the first write and the write-back read of each output. Weights bypass it.
  x[{Level::Glb, Tensor::Weights}] = {0, 0};
  x[{Level::Glb, Tensor::Outputs}] = {L.No * (passesC - 1) + L.No, L.No * (passesC - 1) + L.No};
  // Array: ifmap Ni * ceil(M/p) * S * alpha_h; weight Nw * ceil(N/n) * F; psum
  // No * (S ceil(C/q) - ceil(C/(q r))). dfsim reports the psums brought back from the GLB as
  // NoC reads, No * (ceil(C/(q r)) - 1), and every PE pass's psum sent as a NoC write,
  // No * S ceil(C/q): [fills] adds to the framework's count the hop into the GLB of each GLB
  // pass and the psums brought back, No * (2 ceil(C/(q r)) - 1) in all.
  x[{Level::Noc, Tensor::Inputs}] = {L.G * L.N * L.C * L.H * L.F * L.S * (L.M / v.p), 0};
  x[{Level::Noc, Tensor::Weights}] = {L.Nw * cdiv(L.N, v.n) * L.F, 0};
  x[{Level::Noc, Tensor::Outputs}] = {L.No * (passesC - 1), L.No * peChains};
  // RF: ifmap and weight reads one per MAC; psum No * (C R S - S ceil(C/q)) each way, plus
  // [fills] a read to send each PE pass's psum and a write for each one brought back.
  const std::int64_t rfPsum = L.No * (L.C * L.R * L.S - peChains);
  x[{Level::Rf, Tensor::Outputs}] = {rfPsum + 2 * L.No * peChains,
                                     rfPsum + L.No * (peChains + passesC - 1)};
  // GLB ifmap reads with the strips' columns ([strips]); its writes are fills (not compared).
  x[{Level::Glb, Tensor::Inputs}] = {L.G * L.N * L.C * L.H * cols * passesM, -1};
  x[{Level::Rf, Tensor::Inputs}] = {L.macs, -1};
  x[{Level::Rf, Tensor::Weights}] = {L.macs, -1};
  return x;
}

Expected expectedOsC(const Fw& L, const Isca16Variables& v) {
  const std::int64_t windows = L.G * L.N * L.C * L.E * L.F * L.R * L.S;  // Ni R S alpha_v alpha_h
  Expected x;
  x[{Level::Dram, Tensor::Inputs}] = {windows * cdiv(L.M, v.m), 0};
  x[{Level::Dram, Tensor::Weights}] = {L.Nw, 0};
  x[{Level::Dram, Tensor::Outputs}] = {0, L.No};
  x[{Level::Glb, Tensor::Inputs}] = {windows * cdiv(L.M, v.p), -1};
  x[{Level::Glb, Tensor::Weights}] = {L.Nw * cdiv(L.N, v.n) * L.E * L.F, -1};
  x[{Level::Glb, Tensor::Outputs}] = {0, 0};  // psums go from the PE to DRAM
  x[{Level::Noc, Tensor::Inputs}] = {L.macs, 0};
  x[{Level::Noc, Tensor::Weights}] = {L.macs, 0};
  x[{Level::Noc, Tensor::Outputs}] = {0, L.No};  // [fills] the finished psum leaving the PE
  const std::int64_t rfPsum = L.No * (L.C * L.R * L.S - 1);
  x[{Level::Rf, Tensor::Outputs}] = {rfPsum + 2 * L.No, rfPsum + L.No};  // [fills]
  x[{Level::Rf, Tensor::Inputs}] = {0, 0};
  x[{Level::Rf, Tensor::Weights}] = {0, 0};
  return x;
}

Expected expectedNlr(const Fw& L, const Isca16Variables& v) {
  const std::int64_t ke = cdiv(L.E, v.e);
  const std::int64_t kf = cdiv(L.F, v.f);
  const std::int64_t chains = L.R * L.S * cdiv(L.C, v.q);  // GLB visits of a psum
  Expected x;
  // DRAM ifmap Ni ceil(M/m) (alpha_v/beta_v)(alpha_h/beta_h), [strips] along both axes.
  x[{Level::Dram, Tensor::Inputs}] = {L.G * L.N * L.C * stripCols(L.E, v.e, L.U, L.R) *
                                          stripCols(L.F, v.f, L.U, L.S) * cdiv(L.M, v.m),
                                      0};
  x[{Level::Dram, Tensor::Weights}] = {L.Nw * cdiv(L.N, v.n) * ke * kf, 0};
  x[{Level::Dram, Tensor::Outputs}] = {0, L.No};
  x[{Level::Glb, Tensor::Inputs}] = {L.G * L.N * L.C * L.E * L.F * L.R * L.S * cdiv(L.M, v.p), -1};
  x[{Level::Glb, Tensor::Weights}] = {L.macs, -1};
  x[{Level::Glb, Tensor::Outputs}] = {L.No * (chains - 1) + L.No, L.No * (chains - 1) + L.No};
  x[{Level::Noc, Tensor::Inputs}] = {L.macs, 0};
  x[{Level::Noc, Tensor::Weights}] = {L.macs, 0};  // [nlr-w]; the framework: 0
  // Array psum No * (C R S - R S ceil(C/q)) (an adder tree over q channels); dfsim: every PE's
  // psum sent (C R S per output) and every psum brought back ([fills]: 2 R S ceil(C/q) - 1 more).
  x[{Level::Noc, Tensor::Outputs}] = {L.No * (chains - 1), L.No * L.C * L.R * L.S};
  for (Tensor t : kAllTensors) x[{Level::Rf, t}] = {0, 0};
  return x;
}

/// Expected counts per (entry of the line-buffer view, tensor), as Expected.
using ExpectedByEntry =
    std::map<std::pair<std::size_t, Tensor>, std::pair<std::int64_t, std::int64_t>>;

/// WS on its view: entries dram 0, glb 1, line_buffer 2, noc 3, rf 4. Valid for N >= 2 (the
/// last ifmap tile of a filter pass and the first of the next are of different images, so the
/// line buffer keeps nothing across them).
ExpectedByEntry expectedWs(const Fw& L, const Isca16Variables& v) {
  const std::int64_t passesC = cdiv(L.C, v.r);              // GLB visits of a psum in dfsim
  const std::int64_t passesM = cdiv(L.M, v.t);              // streams of the ifmaps from DRAM
  const std::int64_t cols = stripCols(L.F, v.f, L.U, L.S);  // framework: F * w / f
  ExpectedByEntry x;
  // DRAM: ifmap Ni * ceil(M/t) * alpha_h/beta_h ([strips]); weight Nw; ofmap No.
  const std::int64_t dramInputs = L.G * L.N * L.C * L.H * cols * passesM;
  x[{0, Tensor::Inputs}] = {dramInputs, 0};
  x[{0, Tensor::Weights}] = {L.Nw, 0};
  x[{0, Tensor::Outputs}] = {0, L.No};
  // GLB: psums only, each filter row's on its own (the view's array does not reduce R). The
  // framework: No * (R ceil(C/r) - 1) each way; [fills] adds each output's first write and its
  // write-back.
  const std::int64_t fwGlb = L.No * (L.R * passesC - 1);
  x[{1, Tensor::Outputs}] = {fwGlb + L.No, fwGlb + L.No};
  x[{1, Tensor::Inputs}] = {0, 0};
  x[{1, Tensor::Weights}] = {0, 0};
  // The line buffer: every word DRAM sends is written once; each step reads the r R S words of
  // its window once (multicast to the t filters), N E F steps per pass of r channels.
  x[{2, Tensor::Inputs}] = {L.G * passesM * L.N * L.E * L.F * L.C * L.R * L.S, dramInputs};
  x[{2, Tensor::Weights}] = {0, 0};
  x[{2, Tensor::Outputs}] = {0, 0};
  // Array: ifmap MACs; weight 0 in the framework, Nw deliveries in dfsim ([fills]: the fill of
  // each PE's weight); psum: the framework's reduction edges No (C R S - R ceil(C/r)), dfsim
  // every PE's send, No C R S ([fills]: the R ceil(C/r) psums leaving the array),
  // and the psums brought back from the GLB, No (ceil(C/r) - 1).
  x[{3, Tensor::Inputs}] = {L.macs, 0};
  x[{3, Tensor::Weights}] = {L.Nw, 0};
  const std::int64_t fwArrayPsum = L.No * (L.C * L.R * L.S - L.R * passesC);
  x[{3, Tensor::Outputs}] = {L.No * (passesC - 1), fwArrayPsum + L.No * L.R * passesC};
  // RF: weight Nw * N * E * F (= MACs) reads; its fills are free in the framework (not compared).
  x[{4, Tensor::Weights}] = {L.macs, -1};
  x[{4, Tensor::Inputs}] = {0, 0};
  x[{4, Tensor::Outputs}] = {0, 0};
  return x;
}

/// OS_A on its view (entries as WS's). The GLB's tiles are fetched whole (the framework's 2-D
/// halo factors, [strips] along both axes); the line buffer takes one channel of the GLB's
/// ifmap tile at a time, so the GLB sends each tile word once per filter.
ExpectedByEntry expectedOsA(const Fw& L, const Isca16Variables& v) {
  const std::int64_t tiles = cdiv(L.N, v.n) * cdiv(L.E, v.e) * cdiv(L.F, v.f);
  // Ni (alpha_v/beta_v)(alpha_h/beta_h): every GLB tile's words, fetched once per DRAM pass.
  const std::int64_t tileWords =
      L.G * L.N * L.C * stripCols(L.E, v.e, L.U, L.R) * stripCols(L.F, v.f, L.U, L.S);
  const std::int64_t dramInputs = tileWords * cdiv(L.M, v.m);
  const std::int64_t glbInputs = tileWords * L.M;  // the framework's Ni M alpha/beta
  ExpectedByEntry x;
  x[{0, Tensor::Inputs}] = {dramInputs, 0};
  x[{0, Tensor::Weights}] = {L.Nw, 0};
  x[{0, Tensor::Outputs}] = {0, L.No};
  x[{1, Tensor::Inputs}] = {glbInputs, dramInputs};
  // GLB weights: Nw ceil(N/n) ceil(E/e) ceil(F/f), the framework's objective (its report has
  // N/n without ceil); the fill of each weight once.
  x[{1, Tensor::Weights}] = {L.Nw * tiles, L.Nw};
  x[{1, Tensor::Outputs}] = {0, 0};  // psums go from the PE to DRAM
  // The line buffer: each step reads one word per PE (the pixels' windows are disjoint at one
  // filter tap), the framework's shift registers; its fills are the GLB's reads.
  x[{2, Tensor::Inputs}] = {L.macs, glbInputs};
  x[{2, Tensor::Weights}] = {0, 0};
  x[{2, Tensor::Outputs}] = {0, 0};
  // Array: ifmap and weight one per MAC; psum 0 in the framework, [fills] the finished psum
  // leaving each PE.
  x[{3, Tensor::Inputs}] = {L.macs, 0};
  x[{3, Tensor::Weights}] = {L.macs, 0};
  x[{3, Tensor::Outputs}] = {0, L.No};
  // RF: psum No (C R S - 1) each way, [fills] plus the read that sends it and the first write.
  const std::int64_t rfPsum = L.No * (L.C * L.R * L.S - 1);
  x[{4, Tensor::Outputs}] = {rfPsum + 2 * L.No, rfPsum + L.No};
  x[{4, Tensor::Inputs}] = {0, 0};
  x[{4, Tensor::Weights}] = {0, 0};
  return x;
}

/// OS_B on its view (entries as WS's). A GLB tile is R ifmap rows of one ofmap row (no
/// vertical reuse: the framework's R alpha_v) and a strip of w columns ([strips]); the line
/// buffer takes one channel of it at a time, once per array pass of p filters.
ExpectedByEntry expectedOsB(const Fw& L, const Isca16Variables& v) {
  const std::int64_t tiles = cdiv(L.N, v.n) * L.E * cdiv(L.F, v.f);
  const std::int64_t passesP = cdiv(L.M, v.p);  // array passes of the filters
  // Ni R alpha_v (alpha_h/beta_h): every GLB tile's words.
  const std::int64_t tileWords = L.G * L.N * L.C * L.R * L.E * stripCols(L.F, v.f, L.U, L.S);
  const std::int64_t dramInputs = tileWords * cdiv(L.M, v.m);
  const std::int64_t glbInputs = tileWords * passesP;  // the framework's ceil(M/p) factor
  ExpectedByEntry x;
  x[{0, Tensor::Inputs}] = {dramInputs, 0};
  x[{0, Tensor::Weights}] = {L.Nw, 0};
  x[{0, Tensor::Outputs}] = {0, L.No};
  x[{1, Tensor::Inputs}] = {glbInputs, dramInputs};
  // GLB weights Nw ceil(N/n) E ceil(F/f): each step reads its p filters' weights once.
  x[{1, Tensor::Weights}] = {L.Nw * tiles, L.Nw};
  x[{1, Tensor::Outputs}] = {0, 0};
  // The line buffer: each step reads the n f words its PEs need (the p filters share them).
  x[{2, Tensor::Inputs}] = {L.G * L.N * L.E * L.F * L.C * L.R * L.S * passesP, glbInputs};
  x[{2, Tensor::Weights}] = {0, 0};
  x[{2, Tensor::Outputs}] = {0, 0};
  x[{3, Tensor::Inputs}] = {L.macs, 0};
  x[{3, Tensor::Weights}] = {L.macs, 0};
  x[{3, Tensor::Outputs}] = {0, L.No};  // [fills]
  const std::int64_t rfPsum = L.No * (L.C * L.R * L.S - 1);
  x[{4, Tensor::Outputs}] = {rfPsum + 2 * L.No, rfPsum + L.No};  // [fills]
  x[{4, Tensor::Inputs}] = {0, 0};
  x[{4, Tensor::Weights}] = {0, 0};
  return x;
}

Expected expectedFor(Dataflow d, const Layer& layer, const Isca16Variables& v) {
  const Fw L(layer);
  switch (d) {
    case Dataflow::RS:
      return expectedRs(L, v);
    case Dataflow::OS_C:
      return expectedOsC(L, v);
    default:
      return expectedNlr(L, v);
  }
}

const char* archFile(Dataflow d) {
  switch (d) {
    case Dataflow::RS:
      return "/configs/arch/isca16/rs.json";
    case Dataflow::OS_C:
      return "/configs/arch/isca16/os_c.json";
    default:
      return "/configs/arch/isca16/nlr.json";
  }
}

/// The assignments checked per layer: the search's winner and candidates spread over the
/// enumeration (deterministic picks).
std::vector<Isca16Variables> probes(const Layer& layer, const ArchSpec& view, Dataflow d,
                                    const Isca16Variables& winner, std::size_t spread) {
  std::vector<Isca16Variables> all;
  forEachIsca16Candidate(layer, view, d, false,
                         [&](const Isca16Variables& v) { all.push_back(v); });
  std::vector<Isca16Variables> out{winner};
  for (std::size_t k = 1; k <= spread && !all.empty(); ++k) {
    out.push_back(all[(all.size() - 1) * k / spread]);
  }
  return out;
}

}  // namespace

TEST_CASE("paper mode: simulated counts equal the framework's formulas on AlexNet at 256 PEs",
          "[isca16][oracle]") {
  const std::string root = DFSIM_SOURCE_DIR;
  const std::int64_t batch = test::cases(4, 2);
  const Network net = readNetwork(root + "/models/alexnet.json", {}, batch);
  const EnergyTable table = readEnergy(root + "/configs/energy/isca16_normalized.json", {});
  const std::vector<std::string> layers =
      test::cases(1, 0) ? std::vector<std::string>{"conv1", "conv2", "conv3", "conv4",
                                                   "conv5", "fc1",   "fc2",   "fc3"}
                        : std::vector<std::string>{"conv2", "fc1"};
  for (Dataflow d : {Dataflow::RS, Dataflow::OS_C, Dataflow::NLR}) {
    const std::string path = root + archFile(d);
    const ArchSpec view = isca16View(readArch(path, {}), d, path);
    for (const Layer& layer : net.layers) {
      if (std::find(layers.begin(), layers.end(), layer.name) == layers.end()) continue;
      const Isca16SearchResult won = searchIsca16(layer, view, d, table, Objective::Energy);
      for (const Isca16Variables& v :
           probes(layer, view, d, won.variables, static_cast<std::size_t>(test::cases(2, 1)))) {
        const std::string what =
            std::string(dataflowName(d)) + " " + layer.name + " " + renderIsca16Variables(d, v);
        INFO(what);
        REQUIRE(isca16Problem(layer, view, d, v).empty());
        const Mapping m = isca16Mapping(layer, d, v);
        validateMapping(layer, view, m, what);
        const SimResult sim = simulateLayer(layer, view, m, SimOptions{1, false, false});
        const Expected x = expectedFor(d, layer, v);
        for (const auto& [key, rw] : x) {
          const auto [level, tensor] = key;
          INFO(std::string(levelName(level)) + " " + std::string(tensorName(tensor)));
          const ReadWrite& got = sim.counts(level, tensor);
          CHECK(got.reads == rw.first);
          if (rw.second >= 0) CHECK(got.writes == rw.second);  // -1: a fill, not compared
        }
        CHECK(sim.counts.macs == Fw(layer).macs);
      }
    }
  }
}

TEST_CASE("paper mode: WS and OS_A on their line buffer count as the framework's formulas",
          "[isca16][oracle]") {
  const std::string root = DFSIM_SOURCE_DIR;
  const std::int64_t batch = test::cases(4, 2);
  REQUIRE(batch >= 2);  // expectedWs's premise
  const Network net = readNetwork(root + "/models/alexnet.json", {}, batch);
  const EnergyTable file = readEnergy(root + "/configs/energy/isca16_normalized.json", {});
  for (Dataflow d : {Dataflow::WS, Dataflow::OS_A, Dataflow::OS_B}) {
    const std::string path = root + "/configs/arch/isca16/" + dataflowName(d) + ".json";
    const ArchSpec arch = readArch(path, {});
    const ArchSpec view = isca16View(arch, d, path);
    REQUIRE_FALSE(view.isFourLevel());
    const Hierarchy h = view.hierarchy();
    REQUIRE(h.size() == 5);
    CHECK(h.entries[2].name() == kLineBufferName);
    const EnergyTable table = isca16LineBufferTable(file, view);
    // The line buffer is free; every other entry costs what the file says.
    for (Tensor t : kAllTensors) {
      CHECK(table.cost(2, t).read == 0.0);
      CHECK(table.cost(2, t).write == 0.0);
      CHECK(table.cost(0, t) == file.cost(Level::Dram, t));
      CHECK(table.cost(1, t) == file.cost(Level::Glb, t));
      CHECK(table.cost(3, t) == file.cost(Level::Noc, t));
      CHECK(table.cost(4, t) == file.cost(Level::Rf, t));
    }
    const std::vector<std::string> layers =
        test::cases(1, 0) ? std::vector<std::string>{"conv1", "conv2", "conv3", "conv4",
                                                     "conv5", "fc1",   "fc2",   "fc3"}
                          : std::vector<std::string>{"conv2", "fc1"};
    std::size_t probed = 0;
    for (const Layer& layer : net.layers) {
      if (std::find(layers.begin(), layers.end(), layer.name) == layers.end()) continue;
      const Isca16SearchResult won = searchIsca16(layer, view, d, table, Objective::Energy);
      REQUIRE(won.lineBuffer);
      for (const Isca16Variables& v :
           probes(layer, view, d, won.variables, static_cast<std::size_t>(test::cases(3, 1)))) {
        const std::string what =
            std::string(dataflowName(d)) + " " + layer.name + " " + renderIsca16Variables(d, v);
        INFO(what);
        REQUIRE(isca16Problem(layer, view, d, v).empty());
        const LoopNest nest = isca16LineBufferNest(layer, d, v);
        validateLoopNest(layer.shape(), view, h, nest, what);
        const SimResult sim = simulateHierarchy(layer, view, nest, SimOptions{1, false, false});
        const ExpectedByEntry x = d == Dataflow::WS     ? expectedWs(Fw(layer), v)
                                  : d == Dataflow::OS_A ? expectedOsA(Fw(layer), v)
                                                        : expectedOsB(Fw(layer), v);
        for (const auto& [key, rw] : x) {
          const auto [entry, tensor] = key;
          INFO(h.entries[entry].name() + " " + std::string(tensorName(tensor)));
          const ReadWrite& got = sim.counts(entry, tensor);
          CHECK(got.reads == rw.first);
          if (rw.second >= 0) CHECK(got.writes == rw.second);  // -1: a fill, not compared
        }
        CHECK(sim.counts.macs == Fw(layer).macs);
        ++probed;
      }
    }
    CHECK(probed >= 2 * layers.size());
  }
}

TEST_CASE("paper mode: WS's rules are the framework's constraints", "[isca16]") {
  const std::string root = DFSIM_SOURCE_DIR;
  const Network net = readNetwork(root + "/models/alexnet.json", {}, 16);
  const std::string path = root + "/configs/arch/isca16/ws.json";
  const ArchSpec view = isca16View(readArch(path, {}), Dataflow::WS, path);
  const Layer& conv1 = net.layers[0];
  REQUIRE(conv1.name == "conv1");
  // The GLB holds N t E F = 16 * t * 55 * 55 psums of its 171,161 words: t <= 3 (the framework
  // note's "only t <= 3 filters fit" at N = 16), and R S = 121 leaves r t <= 2 on 256 PEs.
  Isca16Variables v;
  v.r = 1;
  v.t = 2;
  v.f = 55;
  CHECK(isca16Problem(conv1, view, Dataflow::WS, v).empty());
  Isca16Variables wide = v;
  wide.t = 3;
  CHECK(isca16Problem(conv1, view, Dataflow::WS, wide) == "r*t*R*S = 363 > PEs = 256");
  Isca16Variables other = v;
  other.m = 2;
  CHECK(isca16Problem(conv1, view, Dataflow::WS, other).rfind("WS has no variables", 0) == 0);
  std::int64_t visited = 0;
  forEachIsca16Candidate(conv1, view, Dataflow::WS, false, [&](const Isca16Variables& c) {
    CHECK(c.r * c.t * 121 <= 256);
    ++visited;
  });
  CHECK(visited == 2 * 55 + 55);  // (r, t) in {(1, 1), (1, 2), (2, 1)}, every f
  const Network big = readNetwork(root + "/models/alexnet.json", {}, 64);
  // At N = 64 the psums of one filter, 64 * 55 * 55 = 193,600 words, overflow the GLB.
  Isca16Variables one;
  CHECK(isca16Problem(big.layers[0], view, Dataflow::WS, one)
            .rfind("N*t*E*F + r*t*(w-S)*(R-1) = ", 0) == 0);
  CHECK_THROWS_AS(searchIsca16(big.layers[0], view, Dataflow::WS,
                               isca16LineBufferTable(EnergyTable{}, view), Objective::Energy),
                  InputError);
}

TEST_CASE("paper mode: every candidate is legal and the largest m per assignment wins",
          "[isca16]") {
  const std::string root = DFSIM_SOURCE_DIR;
  const Network net = readNetwork(root + "/models/alexnet.json", {}, 2);
  const EnergyTable table = readEnergy(root + "/configs/energy/isca16_normalized.json", {});
  // The group bound's premise, member by member: no candidate's energy is below the bound its
  // group's first member gives (isca16GroupBound).
  for (Dataflow d : {Dataflow::RS, Dataflow::OS_C, Dataflow::NLR}) {
    const std::string path = root + archFile(d);
    const ArchSpec view = isca16View(readArch(path, {}), d, path);
    // Sanitized: one layer with a small enumeration (RS's FC ones are its largest).
    const std::vector<std::string> names =
        test::cases(1, 0) ? std::vector<std::string>{"conv5", "fc3"}
                          : std::vector<std::string>{d == Dataflow::RS ? "conv1" : "fc3"};
    for (const Layer& layer : net.layers) {
      if (std::find(names.begin(), names.end(), layer.name) == names.end()) continue;
      INFO(std::string(dataflowName(d)) + " " + layer.name);
      std::int64_t seen = 0;
      std::int64_t checked = 0;
      std::int64_t broken = 0;
      std::string firstBroken;
      const ProblemShape shape = layer.shape();
      PerTensor<std::int64_t> footprint{};
      for (Tensor t : kAllTensors) footprint[t] = tileWords(shape, t, dimSizes(shape));
      std::int64_t groups = 0;
      std::int64_t boundChecks = 0;
      std::int64_t belowBound = 0;
      Isca16Variables first;
      double groupBound = 0.0;
      forEachIsca16Candidate(layer, view, d, true, [&](const Isca16Variables& v) {
        // Every candidate of the full enumeration (every m) obeys the rules; a sample of them
        // also passes dfsim's own validation of the mapping it makes.
        if (seen == 0 || !isca16SameArrayLoops(d, first, v)) {
          first = v;
          ++groups;
          if (groups % 5 == 1) {
            const AccessCounts c = analyticCounts(shape, view, isca16Mapping(layer, d, v));
            groupBound = energyTotal(isca16GroupBound(layer, d, c, footprint), Cycle(0), table);
          }
        }
        if (groups % 5 == 1) {  // every member of every fifth group against its bound
          const AccessCounts c = analyticCounts(shape, view, isca16Mapping(layer, d, v));
          if (energyTotal(c, Cycle(0), table) < groupBound) ++belowBound;
          ++boundChecks;
        }
        const std::string problem = isca16Problem(layer, view, d, v);
        if (!problem.empty() && broken++ == 0) {
          firstBroken = renderIsca16Variables(d, v) + ": " + problem;
        }
        if (seen++ % 97 == 0) {
          validateMapping(layer, view, isca16Mapping(layer, d, v), "candidate");
          ++checked;
        }
      });
      INFO(firstBroken);
      CHECK(broken == 0);
      CHECK(checked > 0);
      CHECK(boundChecks > groups / 5);
      CHECK(belowBound == 0);
      // Visiting only the largest m that fits does not change the winner.
      const Isca16SearchResult fewer = searchIsca16(layer, view, d, table, Objective::Energy);
      const Isca16SearchResult every = searchIsca16(layer, view, d, table, Objective::Energy, true);
      CHECK(every.stats.tried > fewer.stats.tried);
      CHECK(every.energy == fewer.energy);
      CHECK(every.variables == fewer.variables);
      // The groups' lower bound does not change the winner either.
      const Isca16SearchResult unbounded =
          searchIsca16(layer, view, d, table, Objective::Energy, false, false);
      CHECK(unbounded.stats.pruned == 0);
      CHECK(unbounded.energy == fewer.energy);
      CHECK(unbounded.variables == fewer.variables);
    }
  }
}

TEST_CASE("paper mode: a broken rule is named", "[isca16]") {
  const std::string root = DFSIM_SOURCE_DIR;
  const Network net = readNetwork(root + "/models/alexnet.json", {}, 4);
  const std::string path = root + "/configs/arch/isca16/rs.json";
  const ArchSpec view = isca16View(readArch(path, {}), Dataflow::RS, path);
  const Layer& conv3 = net.layers[4];
  REQUIRE(conv3.name == "conv3");
  Isca16Variables v;
  v.m = 64;
  v.n = 4;
  v.f = 13;
  v.p = 8;
  v.q = 8;
  v.r = 3;
  v.t = 2;
  CHECK(isca16Problem(conv3, view, Dataflow::RS, v).empty());
  Isca16Variables big = v;
  big.t = 3;  // S*f*r*t = 3*13*3*3 = 351 > 256
  big.m = 72;
  CHECK(isca16Problem(conv3, view, Dataflow::RS, big) == "S*f*r*t = 351 > PEs = 256");
  Isca16Variables ragged = v;
  ragged.m = 60;
  CHECK(isca16Problem(conv3, view, Dataflow::RS, ragged).rfind("m = 60 is neither", 0) == 0);
  Isca16Variables odd = v;
  odd.q = 5;
  CHECK(isca16Problem(conv3, view, Dataflow::RS, odd) ==
        "q does not divide C (an RF factor of a ragged nest must)");
}

TEST_CASE("dfsim run --rules isca16 searches the paper's space and its mapping file replays",
          "[isca16][cli]") {
  const test::TempDir scratch("isca16");
  const std::string out = (scratch.path() / "res").string();
  const std::string common =
      "run --arch configs/arch/isca16/rs.json --network models/alexnet.json --layer conv3 "
      "--batch 2 --fast -q";
  const test::Outcome run =
      test::runDfsim(common + " --dataflow rs --rules isca16 --out '" + out + "'", scratch.path());
  REQUIRE(run.code == 0);
  const nlohmann::json stats = nlohmann::json::parse(test::readFile(out + "/stats.json"));
  const nlohmann::json& row = stats["layers"][0];
  CHECK(row["mapper"]["kind"] == "isca16:energy");
  CHECK(row["mapper"]["rules"] == "isca16");
  CHECK(row["mapper"]["variables"].size() == 7);  // m n f p q r t
  const std::string file = out + "/mappings/conv3.rs.json";
  const nlohmann::json mapping = nlohmann::json::parse(test::readFile(file));
  CHECK(mapping["rules"] == "isca16");
  // The file runs on the same paper-mode view of the arch: the same counts.
  const std::string replay = (scratch.path() / "replay").string();
  const test::Outcome again =
      test::runDfsim(common + " --mapping '" + file + "' --out '" + replay + "'", scratch.path());
  REQUIRE(again.code == 0);
  const nlohmann::json replayed = nlohmann::json::parse(test::readFile(replay + "/stats.json"));
  CHECK(replayed["layers"][0]["accesses"] == row["accesses"]);
  CHECK(replayed["layers"][0]["cycles"] == row["cycles"]);
  // dfsim evaluate takes the file on the same view: the analytic counts equal the simulated.
  const test::Outcome eval = test::runDfsim(
      "evaluate --arch configs/arch/isca16/rs.json --network models/alexnet.json --batch 2 "
      "--mapping '" +
          file + "' --json",
      scratch.path());
  REQUIRE(eval.code == 0);
  CHECK(nlohmann::json::parse(eval.out)["layers"][0]["accesses"] == row["accesses"]);
  // WS runs on its line-buffer view: its file is in the general form, with the view's levels,
  // and replays on that view (run and evaluate alike).
  const std::string wsCommon =
      "run --arch configs/arch/isca16/ws.json --network models/alexnet.json --layer conv3 "
      "--batch 2 --fast -q";
  const std::string wsOut = (scratch.path() / "ws").string();
  REQUIRE(test::runDfsim(wsCommon + " --dataflow ws --rules isca16 --out '" + wsOut + "'",
                         scratch.path())
              .code == 0);
  const nlohmann::json wsStats = nlohmann::json::parse(test::readFile(wsOut + "/stats.json"));
  const nlohmann::json& wsRow = wsStats["layers"][0];
  for (const char* level : {"dram", "glb", "line_buffer", "noc", "rf"}) {
    CHECK(wsRow["accesses"].contains(level));
  }
  CHECK(wsRow["mapper"]["variables"].size() == 3);  // r t f
  const std::string wsFile = wsOut + "/mappings/conv3.ws.json";
  const nlohmann::json wsMapping = nlohmann::json::parse(test::readFile(wsFile));
  CHECK(wsMapping["rules"] == "isca16");
  CHECK(wsMapping["levels"].size() == 4);
  const std::string wsReplay = (scratch.path() / "ws-replay").string();
  REQUIRE(test::runDfsim(wsCommon + " --mapping '" + wsFile + "' --out '" + wsReplay + "'",
                         scratch.path())
              .code == 0);
  const nlohmann::json wsAgain = nlohmann::json::parse(test::readFile(wsReplay + "/stats.json"));
  CHECK(wsAgain["layers"][0]["accesses"] == wsRow["accesses"]);
  CHECK(wsAgain["layers"][0]["energy"] == wsRow["energy"]);
  const test::Outcome wsEval = test::runDfsim(
      "evaluate --arch configs/arch/isca16/ws.json --network models/alexnet.json --batch 2 "
      "--mapping '" +
          wsFile + "' --json",
      scratch.path());
  REQUIRE(wsEval.code == 0);
  CHECK(nlohmann::json::parse(wsEval.out)["layers"][0]["accesses"] == wsRow["accesses"]);
  // The same file with its levels renamed is refused, naming the view's levels.
  nlohmann::json renamed = wsMapping;
  renamed["levels"][2]["level"] = "lb";
  const std::string renamedFile = (scratch.path() / "renamed.json").string();
  test::writeFile(renamedFile, renamed.dump());
  const test::Outcome r =
      test::runDfsim(wsCommon + " --mapping '" + renamedFile + "'", scratch.path());
  CHECK(r.code == 2);
  CHECK(r.err.find("line_buffer") != std::string::npos);
  // A free-mode run writes no "rules" key, and its rows say "free".
  const std::string freeOut = (scratch.path() / "free").string();
  REQUIRE(test::runDfsim(common + " --dataflow rs --out '" + freeOut + "'", scratch.path()).code ==
          0);
  CHECK_FALSE(
      nlohmann::json::parse(test::readFile(freeOut + "/mappings/conv3.rs.json")).contains("rules"));
  CHECK(nlohmann::json::parse(
            test::readFile(freeOut + "/stats.json"))["layers"][0]["mapper"]["rules"] == "free");
  // Bad requests: exit 2, one line, nothing written.
  for (const std::string& bad : {std::string(" --dataflow rs --rules paper"),
                                 std::string(" --dataflow ws,rs --rules isca16"),
                                 std::string(" --dataflow rs --rules isca16 --tiling perfect")}) {
    INFO(bad);
    const std::string none = (scratch.path() / "none").string();
    const test::Outcome o = test::runDfsim(common + bad + " --out '" + none + "'", scratch.path());
    CHECK(o.code == 2);
    CHECK(o.err.rfind("dfsim: error: ", 0) == 0);
    CHECK(std::count(o.err.begin(), o.err.end(), '\n') == 1);
    CHECK_FALSE(std::filesystem::exists(none));
  }
  // A mapping file claiming isca16 rules for a dataflow without them.
  nlohmann::json wrong = mapping;
  wrong["dataflow"] = "custom";
  const std::string wrongFile = (scratch.path() / "wrong.json").string();
  test::writeFile(wrongFile, wrong.dump());
  const test::Outcome w = test::runDfsim(common + " --mapping '" + wrongFile + "'", scratch.path());
  CHECK(w.code == 2);
  CHECK(w.err.find("mapping.dataflow: expected a dataflow's name") != std::string::npos);
}

TEST_CASE("paper mode prices NLR's weight deliveries at 0 as the framework does and counts them",
          "[isca16][cli]") {
  const test::TempDir scratch("isca16-nlr");
  const std::string common =
      "run --arch configs/arch/isca16/nlr.json --network models/alexnet.json --layer conv3 "
      "--batch 2 --fast -q --dataflow nlr";
  auto row = [&](const std::string& extra, const std::string& dir) {
    const std::string out = (scratch.path() / dir).string();
    const test::Outcome o = test::runDfsim(common + extra + " --out '" + out + "'", scratch.path());
    REQUIRE(o.code == 0);
    return nlohmann::json::parse(test::readFile(out + "/stats.json"))["layers"][0];
  };
  const nlohmann::json paper = row(" --rules isca16", "paper");
  const nlohmann::json free = row("", "free");
  const auto macs = paper["macs"].get<std::int64_t>();
  // The NoC still carries one weight per MAC in both modes.
  CHECK(paper["accesses"]["noc"]["weights"]["reads"].get<std::int64_t>() == macs);
  CHECK(free["accesses"]["noc"]["weights"]["reads"].get<std::int64_t>() == macs);
  // Paper mode charges them nothing (the framework's array weight count is 0); free mode its
  // table's NoC cost (2 MAC-energy per word in the isca16 table).
  const nlohmann::json& pe = paper["energy"]["by_level_tensor"]["noc"]["weights"];
  const nlohmann::json& fe = free["energy"]["by_level_tensor"]["noc"]["weights"];
  CHECK(pe.get<double>() == 0.0);
  CHECK(fe.get<double>() == Approx(2.0 * static_cast<double>(macs)));
  // The rest of NoC's energy is priced as the table says in both.
  CHECK(paper["energy"]["by_level_tensor"]["noc"]["inputs"].get<double>() > 0.0);
  // Its mapping file replays at the same prices (run and evaluate).
  const std::string file = (scratch.path() / "paper" / "mappings" / "conv3.nlr.json").string();
  const std::string replay = (scratch.path() / "replay").string();
  REQUIRE(test::runDfsim(
              "run --arch configs/arch/isca16/nlr.json --network models/alexnet.json --batch 2 "
              "--layer conv3 --fast -q --mapping '" +
                  file + "' --out '" + replay + "'",
              scratch.path())
              .code == 0);
  CHECK(nlohmann::json::parse(test::readFile(replay + "/stats.json"))["layers"][0]["energy"] ==
        paper["energy"]);
  const test::Outcome eval = test::runDfsim(
      "evaluate --arch configs/arch/isca16/nlr.json --network models/alexnet.json --batch 2 "
      "--mapping '" +
          file + "' --json",
      scratch.path());
  REQUIRE(eval.code == 0);
  const nlohmann::json ev = nlohmann::json::parse(eval.out)["layers"][0];
  CHECK(ev["energy"]["total"].get<double>() == Approx(paper["energy"]["total"].get<double>()));
}
