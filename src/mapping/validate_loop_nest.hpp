#pragma once

#include <optional>
#include <string>

#include "arch/arch_spec.hpp"
#include "arch/hierarchy.hpp"
#include "mapping/loop_nest.hpp"
#include "workload/problem_shape.hpp"

namespace dfsim {

/// Checks that `n` is a legal loop nest of `shape` on hierarchy `h` (README "Ragged tiles",
/// src/mapping/README "Any hierarchy"): one LevelLoops per storage level; the outermost (DRAM)
/// keeps every tensor; spatial loops only at a level with a fan-out directly below, their
/// products along rows and cols within its rows and cols; every bound >= 1 and the ragged-tile
/// rules over the flat nest (the innermost level's extent divides each dimension, so a ragged
/// edge falls at a fan-out or above); a level keeps a tensor only if one of its partitions
/// lists it; the one-fan-out rule (between two consecutive levels keeping a tensor, or the
/// innermost level keeping it and its operand latch, the tensor crosses at most one fan-out,
/// and only the one directly above the lower level); per on-chip level and partition, the
/// largest tiles kept (clipped to the layer) fit in bits, twice over where the level is double
/// buffered; and an upper bound on the cycles of a run stays within kMaxCycles. Words are
/// `arch.bitsOf(t)` bits wide where the level's tensorBits are 0, and capacities count words of
/// `arch.wordBits` bits. Throws InputError "<context>: <what>", naming a loop or level by its
/// path (`levels[1].spatial[0]`, `levels[2].keeps`). After it returns, the products of bounds
/// are at most 2^60 (later arithmetic needs no checks). Contract: `h` satisfies Hierarchy's.
void validateLoopNest(const ProblemShape& shape, const ArchSpec& arch, const Hierarchy& h,
                      const LoopNest& n, const std::string& context);

/// Checks what a DRAM model with rows (DramTimingSpec::Kind::RowBuffer) needs of `n`, which
/// validateLoopNest checks too: every tensor kept by some on-chip level (a tensor streamed from
/// DRAM into the PEs' latches has no addressed transfer) and no unreduced dimensions on a
/// fan-out directly below DRAM. Nothing for the bandwidth model. Throws InputError
/// "<context>: <what>". Contract: `h`'s first entry is its DRAM and `n` has a level per storage
/// level.
void validateDramModel(const Hierarchy& h, const LoopNest& n, const std::string& context);

/// An upper bound on the cycles of simulating `n` (validateLoopNest refuses one past 2^62),
/// or nullopt past 2^63: macs + (1 + fan-outs) * W * (bytes per DRAM word + 2 + every latency),
/// W the words read and written at every storage level but the innermost (entry `innermost`).
/// On the 4-level instance it is cycleUpperBound's. Contract: `n` passed validateLoopNest().
std::optional<std::int64_t> cycleBound(const ProblemShape& shape, const ArchSpec& arch,
                                       const Hierarchy& h, const LoopNest& n,
                                       std::size_t innermost);

}  // namespace dfsim
