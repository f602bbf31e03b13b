#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace dfsim {

/// The psum marks ("this output word was sent to this parent instance before") that a run sets,
/// in the order they are set, for skipping ahead: a skipped iteration sets the marks the
/// iteration it repeats set, one loop step further. Only marks that change a byte from 0 to 1 are
/// logged (the others change nothing to replay); the log holds at most `capacity` entries, the
/// marks beyond it are counted as dropped (a window that lost marks is not skipped).
///
/// Contract: a logged pointer stays valid while the run lasts (the seen arrays are allocated
/// once, at construction); `capacity` is reserved once, so marking never allocates.
class MarkLog {
 public:
  /// A log of at most `capacity` entries.
  explicit MarkLog(std::size_t capacity) : capacity_(capacity) { marks_.reserve(capacity); }
  /// Sets the mark at `byte`, logging it when it was not set.
  void mark(std::uint8_t* byte) {
    if (*byte != 0) return;
    *byte = 1;
    ++made_;
    if (marks_.size() < capacity_) {
      marks_.push_back(byte);
    } else {
      ++dropped_;
    }
  }
  /// The logged marks, oldest first.
  const std::vector<std::uint8_t*>& marks() const { return marks_; }
  /// Marks set so far (logged or dropped).
  std::int64_t made() const { return made_; }
  /// Marks set but not logged (the log was full).
  std::int64_t dropped() const { return dropped_; }
  /// Whether the log is at least half full (the owner may then forget old entries).
  bool halfFull() const { return 2 * marks_.size() >= capacity_; }
  /// Forgets the `n` oldest entries (n <= marks().size()); later entries move down by n.
  void forget(std::size_t n) {
    marks_.erase(marks_.begin(), marks_.begin() + static_cast<std::ptrdiff_t>(n));
  }

 private:
  std::size_t capacity_;
  std::vector<std::uint8_t*> marks_;
  std::int64_t made_ = 0;
  std::int64_t dropped_ = 0;
};

}  // namespace dfsim
