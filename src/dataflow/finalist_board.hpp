#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "dataflow/mapper_search.hpp"

namespace dfsim {

/// The candidates a search hands on to be simulated (README "Mapper search": time objectives):
/// the `size` best by the search's objective and the `size / 2` best by each of the other two
/// (of energy, cycles and EDP), all by their analytic scores (energy, cycle estimate): the
/// estimate that ranks them can mislead, so the others' leaders come along. Distinct by key (the
/// caller's text of a candidate), so a candidate scored twice is listed once. Ties go to the
/// earlier offer, as in the searches. Not in a simulated-cycle path (it copies the candidates it
/// keeps).
template <typename Candidate>
class FinalistBoard {
 public:
  /// A board for `objective` keeping its `size` best (0 or 1: the board stays inactive and
  /// keeps nothing).
  FinalistBoard(Objective objective, std::size_t size) : objective_(objective), size_(size) {}

  /// Whether the board keeps anything (size > 1).
  bool active() const { return size_ > 1; }

  /// Whether a candidate whose scores are at least `energy` and `cycles` could enter one of
  /// the lists (not full, or it beats the list's last). False when inactive.
  bool couldEnter(double energy, double cycles) const {
    if (!active()) return false;
    for (std::size_t o = 0; o < kObjectives; ++o) {
      if (entersList(o, energy, cycles)) return true;
    }
    return false;
  }

  /// Offers `c` with its analytic `energy` and `cycles`; `key()` gives its text (called only
  /// when it enters a list).
  template <typename MakeKey>
  void offer(const Candidate& c, double energy, double cycles, MakeKey&& key) {
    if (!couldEnter(energy, cycles)) return;
    const std::string k = key();
    for (std::size_t o = 0; o < kObjectives; ++o) {
      if (!entersList(o, energy, cycles)) continue;
      std::vector<Entry>& list = lists_[o];
      bool listed = false;
      for (const Entry& e : list) listed = listed || e.key == k;
      if (listed) continue;
      std::size_t at = list.size();
      while (at > 0 && beats(energy, cycles, objectiveAt(o), list[at - 1])) --at;
      list.insert(list.begin() + static_cast<std::ptrdiff_t>(at), Entry{c, energy, cycles, k});
      if (list.size() > capacity(o)) list.pop_back();
    }
  }

  /// The finalists: the objective's list first, in order, then the others' (energy, cycles,
  /// EDP) less those already listed.
  std::vector<Candidate> finalists() const {
    std::vector<Candidate> out;
    std::vector<std::string> keys;
    auto add = [&](const std::vector<Entry>& list) {
      for (const Entry& e : list) {
        bool listed = false;
        for (const std::string& k : keys) listed = listed || k == e.key;
        if (listed) continue;
        keys.push_back(e.key);
        out.push_back(e.candidate);
      }
    };
    add(lists_[indexOf(objective_)]);
    for (std::size_t o = 0; o < kObjectives; ++o) {
      if (o != indexOf(objective_)) add(lists_[o]);
    }
    return out;
  }

 private:
  static constexpr std::size_t kObjectives = 3;
  struct Entry {
    Candidate candidate;
    double energy = 0.0;
    double cycles = 0.0;
    std::string key;
  };
  static Objective objectiveAt(std::size_t o) {
    return o == 0 ? Objective::Energy : (o == 1 ? Objective::Cycles : Objective::Edp);
  }
  static std::size_t indexOf(Objective o) {
    return o == Objective::Energy ? 0 : (o == Objective::Cycles ? 1 : 2);
  }
  /// List o's length: size_ for the objective's, size_ / 2 for the others.
  std::size_t capacity(std::size_t o) const { return o == indexOf(objective_) ? size_ : size_ / 2; }
  bool entersList(std::size_t o, double energy, double cycles) const {
    const std::vector<Entry>& list = lists_[o];
    if (capacity(o) == 0) return false;
    return list.size() < capacity(o) || beats(energy, cycles, objectiveAt(o), list.back());
  }
  static double scoreOf(double energy, double cycles, Objective o) {
    if (o == Objective::Cycles) return cycles;
    if (o == Objective::Edp) return energy * cycles;
    return energy;
  }
  /// Strictly better than `e` under `o` (score, then cycles), as the searches rank.
  static bool beats(double energy, double cycles, Objective o, const Entry& e) {
    const double s = scoreOf(energy, cycles, o);
    const double t = scoreOf(e.energy, e.cycles, o);
    return s < t || (s == t && cycles < e.cycles);
  }

  Objective objective_;
  std::size_t size_;
  std::array<std::vector<Entry>, kObjectives> lists_;  ///< per objective, sorted, best first
};

}  // namespace dfsim
