#include "sim/fanout_network.hpp"

#include <algorithm>
#include <limits>
#include <string>

#include "common/errors.hpp"

namespace dfsim {

namespace {

AxisVector plus(const AxisVector& a, const AxisVector& b) {
  AxisVector c;
  for (std::size_t k = 0; k < kAxes; ++k) c[k] = a[k] + b[k];
  return c;
}

}  // namespace

FanOutNetwork::FanOutNetwork(const sc_core::sc_module_name& name, const FanOutSpec* spec,
                             std::int64_t copies, bool functional)
    : sc_core::sc_module(name), direct_(spec == nullptr), functional_(functional) {
  if (spec != nullptr) {
    multicast_ = spec->multicast;
    perTensor_ = spec->network == NetworkKind::PerTensor;
    const std::int64_t perCopy = perTensor_ ? static_cast<std::int64_t>(kNumTensors) : 1;
    wires_.assign(static_cast<std::size_t>(copies * perCopy),
                  BandwidthPort(static_cast<std::uint64_t>(spec->wordsPerCycle),
                                static_cast<std::uint64_t>(spec->hopLatencyCycles)));
  }
}

void FanOutNetwork::appendBacklog(Cycle now, std::vector<std::uint64_t>& out) const {
  for (const BandwidthPort& w : wires_) out.push_back(w.backlogUnits(now));
}

void FanOutNetwork::carryBacklog(Cycle from, Cycle to) {
  for (BandwidthPort& w : wires_) w.carryBacklog(from, to);
}

Cycle FanOutNetwork::carry(std::int64_t copy, Tensor t, std::int64_t words, Cycle now) {
  if (direct_) return now;
  const std::size_t wire = perTensor_ ? static_cast<std::size_t>(copy) * kNumTensors + idx(t)
                                      : static_cast<std::size_t>(copy);
  return wires_[wire].reserve(now, static_cast<std::uint64_t>(words));
}

void FanOutNetwork::refuseAddressed(const StorageLevel& parent) const {
  if (parent.addressed()) {
    throw InternalError("network " + std::string(name()) +
                        ": a latch streams from an addressed DRAM model (simulateHierarchy "
                        "refuses such a run up front)");
  }
}

TransferDone FanOutNetwork::parentSide(StorageLevel& parent, std::int64_t q, Tensor t,
                                       std::int64_t words, bool read, Cycle now) {
  TransferDone d{now, now, now};
  const Cycle c = read ? parent.read(q, t, words, now) : parent.write(q, t, words, now);
  (parent.offChip() ? d.dram : d.onChip) = c;
  return d;
}

TransferDone FanOutNetwork::fill(Tensor t, StorageLevel& parent, std::int64_t q,
                                 StorageLevel& child, const ChildTile* kids, std::size_t n,
                                 std::int64_t copy, Cycle now) {
  const std::uint64_t ev = ++event_;
  TileBuffer& from = parent.tile(q, t);
  std::vector<std::uint64_t>& stamp = parent.stamps(q, t);
  std::int64_t distinct = 0;
  std::int64_t delivered = 0;
  TransferDone done{now, now, now};
  // An addressed DRAM parent is told each word it sends (every delivery without multicast).
  const bool noteDistinct = parent.addressed() && multicast_;
  const bool noteEach = parent.addressed() && !multicast_;
  for (std::size_t k = 0; k < n; ++k) {
    TileBuffer& to = child.tile(kids[k].instance, t);
    const bool halo = kids[k].held != nullptr && kids[k].held->holding;
    if (halo) markKept(kids[k], to);
    to.origin = kids[k].origin;
    to.view = kids[k].view;
    to.holding = true;
    std::int64_t words = 0;
    forEachTouched(*kids[k].view, [&](const AxisVector& off) {
      const std::size_t ci = static_cast<std::size_t>(to.shape->index(off));
      if (halo && keep_[0][off[0]] && keep_[1][off[1]] && keep_[2][off[2]] && keep_[3][off[3]] &&
          keep_[4][off[4]]) {
        // A word the held tile touches too: it stays in the child (no parent read, no
        // network trip, no child write), moved to its place in the new tile.
        if (functional_) {
          std::int64_t hi = 0;
          for (std::size_t a = 0; a < kAxes; ++a) {
            hi += (to.origin[a] + off[a] - heldOrigin_[a]) * heldShape_->pitch[a];
          }
          to.data[ci] = heldData_[hi];
        }
        return;
      }
      const auto pi = static_cast<std::size_t>(from.indexOf(plus(to.origin, off)));
      if (stamp[pi] != ev) {
        stamp[pi] = ev;
        ++distinct;
        if (noteDistinct) parent.noteWord(t, static_cast<std::int64_t>(pi));
      }
      if (noteEach) parent.noteWord(t, static_cast<std::int64_t>(pi));
      if (functional_) to.data[ci] = from.data[pi];
      ++words;
    });
    delivered += words;
    // The child's writes are the fill's own end: charged with its source (the parent side).
    Cycle& side = parent.offChip() ? done.dram : done.onChip;
    side = max(side, child.write(kids[k].instance, t, words, now));
  }
  const std::int64_t reads = multicast_ ? distinct : delivered;
  done.merge(parentSide(parent, q, t, reads, true, now));
  if (!direct_) counts_[t].reads += delivered;
  done.network = max(done.network, carry(copy, t, reads, now));
  return done;
}

void FanOutNetwork::markKept(const ChildTile& kid, const TileBuffer& to) {
  const TileBuffer& held = *kid.held;
  for (std::size_t a = 0; a < kAxes; ++a) {
    std::vector<char>& keep = keep_[a];
    keep.assign(static_cast<std::size_t>(to.shape->extent[a]), 0);
    const std::vector<std::int64_t>& was = held.view->touched[a];
    for (std::int64_t off : kid.view->touched[a]) {
      const std::int64_t rel = kid.origin[a] + off - held.origin[a];
      keep[static_cast<std::size_t>(off)] = std::binary_search(was.begin(), was.end(), rel) ? 1 : 0;
    }
  }
  heldOrigin_ = held.origin;
  heldShape_ = held.shape;
  // The held values are read while the new tile is written: a copy when they share storage.
  if (!functional_) return;
  if (&held == &to) {
    heldCopy_.assign(held.data.begin(), held.data.end());
    heldData_ = heldCopy_.data();
  } else {
    heldData_ = held.data.data();
  }
}

TransferDone FanOutNetwork::takeOutputs(StorageLevel& parent, std::int64_t q, StorageLevel& child,
                                        const ChildTile* kids, std::size_t n, std::int64_t copy,
                                        std::uint8_t* seen, const AxisVector& fullPitch,
                                        Cycle now) {
  const Tensor t = Tensor::Outputs;
  const std::uint64_t ev = ++event_;
  TileBuffer& from = parent.tile(q, t);
  std::vector<std::uint64_t>& stamp = parent.stamps(q, t);
  std::int64_t distinct = 0;
  std::int64_t first = std::numeric_limits<std::int64_t>::max();
  const bool note = parent.addressed();
  for (std::size_t k = 0; k < n; ++k) {
    TileBuffer& to = child.tile(kids[k].instance, t);
    to.origin = kids[k].origin;
    to.view = kids[k].view;
    to.holding = true;
    if (functional_) std::fill(to.data.begin(), to.data.end(), 0);
    forEachTouched(*kids[k].view, [&](const AxisVector& off) {
      const AxisVector abs = plus(to.origin, off);
      const auto pi = static_cast<std::size_t>(from.indexOf(abs));
      if (stamp[pi] != ev) {
        stamp[pi] = ev;
        ++distinct;
        if (note) parent.noteWord(t, static_cast<std::int64_t>(pi));
      }
      first = std::min(first, linearIndex(abs, fullPitch));
    });
  }
  TransferDone done{now, now, now};
  if (n == 0) return done;
  const bool revisit = seen[first] != 0;
  for (std::size_t k = 0; k < n; ++k) {
    const AxisVector& o = kids[k].origin;
    forEachTouched(*kids[k].view, [&](const AxisVector& off) {
      mark(seen + linearIndex(plus(o, off), fullPitch));
    });
  }
  if (!revisit) {
    if (note) parent.dropNotes();  // nothing comes back: the words noted are not read
    return done;
  }
  // The psums come back, one word per distinct output to the first child holding it. The
  // simulator keeps their values at the parent (the drain adds the children's sums to them),
  // which gives the same sums as moving them down and back.
  done.merge(parentSide(parent, q, t, distinct, true, now));
  if (!direct_) counts_[t].reads += distinct;
  done.network = max(done.network, carry(copy, Tensor::Outputs, distinct, now));
  Cycle& side = parent.offChip() ? done.dram : done.onChip;
  side = max(side, child.write(kids[0].instance, t, distinct, now));
  return done;
}

std::int64_t FanOutNetwork::groupedDistinct(std::vector<std::uint64_t>& stamp,
                                            const std::int64_t* word, const std::uint32_t* group,
                                            std::size_t n, std::int64_t groups) {
  std::int64_t distinct = 0;
  for (std::int64_t g = 0; g < groups; ++g) {
    const std::uint64_t ev = ++event_;
    for (std::size_t k = 0; k < n; ++k) {
      if (group[k] != static_cast<std::uint32_t>(g)) continue;
      const auto pi = static_cast<std::size_t>(word[k]);
      if (stamp[pi] != ev) {
        stamp[pi] = ev;
        ++distinct;
      }
    }
  }
  return distinct;
}

TransferDone FanOutNetwork::drainOutputs(StorageLevel& parent, std::int64_t q, StorageLevel& child,
                                         const ChildTile* kids, std::size_t n, std::int64_t copy,
                                         Cycle now, std::int64_t groups) {
  const Tensor t = Tensor::Outputs;
  const std::uint64_t ev = ++event_;
  TileBuffer& to = parent.tile(q, t);
  std::vector<std::uint64_t>& stamp = parent.stamps(q, t);
  std::int64_t distinct = 0;
  std::int64_t sent = 0;
  TransferDone done{now, now, now};
  if (parent.addressed() && groups > 1) {
    throw InternalError("network " + std::string(name()) +
                        ": unreduced psums drain into an addressed DRAM model");
  }
  const bool note = parent.addressed();
  for (std::size_t k = 0; k < n; ++k) {
    TileBuffer& from = child.tile(kids[k].instance, t);
    std::int64_t words = 0;
    forEachTouched(*from.view, [&](const AxisVector& off) {
      const auto pi = static_cast<std::size_t>(to.indexOf(plus(from.origin, off)));
      if (stamp[pi] != ev) {
        stamp[pi] = ev;
        ++distinct;
        if (note) parent.noteWord(t, static_cast<std::int64_t>(pi));
      }
      if (functional_) to.data[pi] += from.data[static_cast<std::size_t>(from.shape->index(off))];
      ++words;
    });
    sent += words;
    done.onChip = max(done.onChip, child.read(kids[k].instance, t, words, now));
  }
  // Unreduced dimensions: an output once per group that sends it, each but the first of a
  // visit added to the parent's word (a read).
  std::int64_t upWords = groups > 1 ? 0 : distinct;
  for (std::int64_t g = 0; groups > 1 && g < groups; ++g) {
    const std::uint64_t gev = ++event_;
    for (std::size_t k = 0; k < n; ++k) {
      if (kids[k].group != static_cast<std::uint32_t>(g)) continue;
      const TileBuffer& from = child.tile(kids[k].instance, t);
      forEachTouched(*from.view, [&](const AxisVector& off) {
        const auto pi = static_cast<std::size_t>(to.indexOf(plus(from.origin, off)));
        if (stamp[pi] != gev) {
          stamp[pi] = gev;
          ++upWords;
        }
      });
    }
  }
  for (std::size_t k = 0; k < n; ++k) child.tile(kids[k].instance, t).holding = false;
  if (!direct_) counts_[t].writes += sent;
  // The network carries the reduced psums: one word per distinct output (and group).
  done.network = max(done.network, carry(copy, Tensor::Outputs, upWords, now));
  if (upWords > distinct) done.merge(parentSide(parent, q, t, upWords - distinct, true, now));
  done.merge(parentSide(parent, q, t, upWords, false, now));
  return done;
}

TransferDone FanOutNetwork::latchFill(Tensor t, StorageLevel& parent, std::int64_t q,
                                      const AxisVector* at, std::size_t n, std::int64_t* index,
                                      std::int64_t copy, Cycle now, std::int64_t times) {
  refuseAddressed(parent);
  const std::uint64_t ev = ++event_;
  TileBuffer& from = parent.tile(q, t);
  std::vector<std::uint64_t>& stamp = parent.stamps(q, t);
  std::int64_t distinct = 0;
  for (std::size_t k = 0; k < n; ++k) {
    const std::int64_t pi = from.indexOf(at[k]);
    index[k] = pi;
    if (stamp[static_cast<std::size_t>(pi)] != ev) {
      stamp[static_cast<std::size_t>(pi)] = ev;
      ++distinct;
    }
  }
  const auto delivered = static_cast<std::int64_t>(n) * times;
  const std::int64_t reads = (multicast_ ? distinct : static_cast<std::int64_t>(n)) * times;
  TransferDone done = parentSide(parent, q, t, reads, true, now);
  if (!direct_) counts_[t].reads += delivered;
  done.network = max(done.network, carry(copy, t, reads, now));
  return done;
}

TransferDone FanOutNetwork::latchOutputs(StorageLevel& parent, std::int64_t q, const AxisVector* at,
                                         const std::int32_t* psum, std::size_t n, std::int64_t copy,
                                         std::uint8_t* seen, const AxisVector& fullPitch,
                                         std::int64_t& sendWords, Cycle now,
                                         const std::uint32_t* group, std::int64_t groups) {
  refuseAddressed(parent);
  const Tensor t = Tensor::Outputs;
  const std::uint64_t ev = ++event_;
  TileBuffer& to = parent.tile(q, t);
  std::vector<std::uint64_t>& stamp = parent.stamps(q, t);
  std::int64_t distinct = 0;
  std::int64_t first = std::numeric_limits<std::int64_t>::max();
  if (groups > 1 && wordAt_.size() < n) wordAt_.resize(n);
  for (std::size_t k = 0; k < n; ++k) {
    const auto pi = static_cast<std::size_t>(to.indexOf(at[k]));
    if (groups > 1) wordAt_[k] = static_cast<std::int64_t>(pi);
    if (stamp[pi] != ev) {
      stamp[pi] = ev;
      ++distinct;
    }
    first = std::min(first, linearIndex(at[k], fullPitch));
    if (functional_) to.data[pi] += psum[k];
  }
  TransferDone done{now, now, now};
  sendWords = 0;
  if (n == 0) return done;
  const bool revisit = seen[first] != 0;
  for (std::size_t k = 0; k < n; ++k) mark(seen + linearIndex(at[k], fullPitch));
  const auto sent = static_cast<std::int64_t>(n);
  if (revisit) {
    done.merge(parentSide(parent, q, t, distinct, true, now));
    if (!direct_) counts_[t].reads += distinct;
    done.network = max(done.network, carry(copy, Tensor::Outputs, distinct, now));
  }
  if (!direct_) counts_[t].writes += sent;
  sendWords = distinct;  // the reduced psums' trip up: booked by sendPsums()
  if (groups > 1) {
    sendWords = groupedDistinct(stamp, wordAt_.data(), group, n, groups);
    // Each psum but an output's first of this visit is added to the parent's word: read it.
    if (sendWords > distinct) done.merge(parentSide(parent, q, t, sendWords - distinct, true, now));
  }
  return done;
}

TransferDone FanOutNetwork::latchOutputsRepeated(
    StorageLevel& parent, std::int64_t q, const AxisVector* at, std::size_t n, std::int64_t copy,
    std::uint8_t* seen, const AxisVector& fullPitch, const std::int64_t* shift,
    std::int64_t iterations, std::int64_t unsentBefore, std::int64_t& unsentAfter, Cycle now,
    const std::uint32_t* group, std::int64_t groups) {
  refuseAddressed(parent);
  const Tensor t = Tensor::Outputs;
  const std::uint64_t ev = ++event_;
  TileBuffer& to = parent.tile(q, t);
  std::vector<std::uint64_t>& stamp = parent.stamps(q, t);
  std::int64_t first = std::numeric_limits<std::int64_t>::max();
  distinctAt_.clear();
  if (groups > 1 && wordAt_.size() < n) wordAt_.resize(n);
  for (std::size_t k = 0; k < n; ++k) {
    const auto pi = static_cast<std::size_t>(to.indexOf(at[k]));
    if (groups > 1) wordAt_[k] = static_cast<std::int64_t>(pi);
    const std::int64_t word = linearIndex(at[k], fullPitch);
    if (stamp[pi] != ev) {
      stamp[pi] = ev;
      distinctAt_.push_back(word);
    }
    first = std::min(first, word);
  }
  TransferDone done{now, now, now};
  unsentAfter = unsentBefore;
  if (n == 0 || iterations == 0) return done;
  const auto distinct = static_cast<std::int64_t>(distinctAt_.size());
  // Iteration by iteration (a revisit depends on the marks the iterations before it set).
  std::int64_t revisits = 0;
  for (std::int64_t i = 0; i < iterations; ++i) {
    const std::int64_t off = shift[i];
    revisits += seen[first + off] != 0 ? 1 : 0;
    for (std::int64_t word : distinctAt_) mark(seen + word + off);
  }
  if (revisits > 0) {
    done.merge(parentSide(parent, q, t, distinct * revisits, true, now));
    if (!direct_) counts_[t].reads += distinct * revisits;
    done.network = max(done.network, carry(copy, Tensor::Outputs, distinct * revisits, now));
  }
  if (!direct_) counts_[t].writes += static_cast<std::int64_t>(n) * iterations;
  // Unreduced dimensions: an output once per group, each psum but the visit's first added to
  // the parent's word (a read), in every iteration alike.
  const std::int64_t up =
      groups > 1 ? groupedDistinct(stamp, wordAt_.data(), group, n, groups) : distinct;
  if (up > distinct) done.merge(parentSide(parent, q, t, (up - distinct) * iterations, true, now));
  // Each iteration sends the one before's reduced psums; the last one's wait for the caller.
  done.merge(sendPsums(parent, q, unsentBefore, copy, now));
  done.merge(sendPsums(parent, q, up * (iterations - 1), copy, now));
  unsentAfter = up;
  return done;
}

TransferDone FanOutNetwork::sendPsums(StorageLevel& parent, std::int64_t q, std::int64_t words,
                                      std::int64_t copy, Cycle now) {
  TransferDone done{now, now, now};
  if (words == 0) return done;
  done.network = max(done.network, carry(copy, Tensor::Outputs, words, now));
  done.merge(parentSide(parent, q, Tensor::Outputs, words, false, now));
  return done;
}

}  // namespace dfsim
