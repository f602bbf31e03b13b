#include "arch/hierarchy.hpp"

#include "common/errors.hpp"

namespace dfsim {

namespace {

/// Whether `name` matches [a-z][a-z0-9_]*.
bool isLevelName(const std::string& name) {
  if (name.empty() || name[0] < 'a' || name[0] > 'z') return false;
  for (char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  }
  return true;
}

/// Whether `name` matches [A-Za-z][A-Za-z0-9_]* (a problem dimension's name).
bool isDimName(const std::string& name) {
  auto letter = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); };
  if (name.empty() || !letter(name[0])) return false;
  for (char c : name) {
    if (!(letter(c) || (c >= '0' && c <= '9') || c == '_')) return false;
  }
  return true;
}

HierarchyProblem problem(std::size_t entry, std::string key, std::string what) {
  return HierarchyProblem{entry, std::move(key), std::move(what)};
}

}  // namespace

const char* networkKindName(NetworkKind k) {
  switch (k) {
    case NetworkKind::Ideal:
      return "ideal";
    case NetworkKind::Systolic:
      return "systolic";
    case NetworkKind::PerTensor:
      return "per_tensor";
  }
  return "?";
}

bool FanOutSpec::reduces(std::string_view dimName) const {
  for (const std::string& d : unreducedDims) {
    if (d == dimName) return false;
  }
  return true;
}

std::size_t Hierarchy::find(const std::string& name) const {
  for (std::size_t i = 0; i < entries.size(); ++i) {
    if (entries[i].name() == name) return i;
  }
  return entries.size();
}

std::int64_t Hierarchy::instances(std::size_t i) const {
  std::int64_t n = 1;
  for (std::size_t j = 0; j <= i && j < entries.size(); ++j) {
    if (!isStorage(j)) n *= entries[j].fanOut.count();
  }
  return n;
}

std::vector<std::size_t> Hierarchy::storageEntries() const {
  std::vector<std::size_t> out;
  for (std::size_t i = 0; i < entries.size(); ++i) {
    if (isStorage(i)) out.push_back(i);
  }
  return out;
}

std::size_t Hierarchy::fanOutBelow(std::size_t i) const {
  if (i + 1 < entries.size() && isStorage(i) && !isStorage(i + 1)) return i + 1;
  return entries.size();
}

bool Hierarchy::isFourLevel() const {
  return entries.size() == 4 && isStorage(0) && entries[0].storage.offChip && isStorage(1) &&
         !entries[1].storage.offChip && !isStorage(2) && isStorage(3) &&
         !entries[3].storage.offChip;
}

HierarchyProblem checkHierarchy(const Hierarchy& h) {
  const std::size_t n = h.size();
  if (n < 2 || n > kMaxLevelEntries) {
    return problem(n, "",
                   "2 to " + std::to_string(kMaxLevelEntries) +
                       " entries (DRAM first, a storage level last), got " + std::to_string(n));
  }
  for (std::size_t i = 0; i < n; ++i) {
    const HierarchyEntry& e = h.entries[i];
    if (!isLevelName(e.name())) return problem(i, "name", "a name matching [a-z][a-z0-9_]*");
    for (std::size_t j = 0; j < i; ++j) {
      if (h.entries[j].name() == e.name()) {
        return problem(i, "name",
                       "a name no earlier level has (levels[" + std::to_string(j) + "] is also \"" +
                           e.name() + "\")");
      }
    }
    if (i == 0) {
      if (!h.isStorage(0) || !e.storage.offChip) {
        return problem(0, "kind", "\"dram\" first (the off-chip level)");
      }
    } else if (h.isStorage(i) && e.storage.offChip) {
      return problem(i, "kind", "\"storage\" or \"fanout\" (only the first level is \"dram\")");
    }
    if (!h.isStorage(i)) {
      if (i + 1 == n) return problem(i, "kind", "a storage level last, not a fan-out");
      if (!h.isStorage(i - 1) || !h.isStorage(i + 1)) {
        return problem(i, "kind", "a fan-out between two storage levels, not next to a fan-out");
      }
      if (e.fanOut.rows < 1) return problem(i, "rows", "a positive integer");
      if (e.fanOut.cols < 1) return problem(i, "cols", "a positive integer");
      if (e.fanOut.network == NetworkKind::Systolic && i + 2 != n) {
        return problem(i, "network",
                       "\"ideal\" here: a systolic mesh sits directly above the innermost "
                       "storage level (the PE array)");
      }
      const std::vector<std::string>& dims = e.fanOut.unreducedDims;
      for (std::size_t k = 0; k < dims.size(); ++k) {
        if (!isDimName(dims[k])) {
          return problem(i, "unreduced_dims", "dimension names matching [A-Za-z][A-Za-z0-9_]*");
        }
        for (std::size_t j = 0; j < k; ++j) {
          if (dims[j] == dims[k]) {
            return problem(i, "unreduced_dims", "each dimension once (\"" + dims[k] + "\" twice)");
          }
        }
      }
      continue;
    }
    if (e.storage.offChip && !e.storage.partitions.empty()) {
      return problem(i, "partitions", "no partitions on the off-chip level (it keeps all)");
    }
    PerTensor<bool> taken{};
    for (const StoragePartition& p : e.storage.partitions) {
      if (p.capacityWords < 0) return problem(i, "partitions", "capacities >= 0");
      for (Tensor t : kAllTensors) {
        if (p.tensors[t] && taken[t]) {
          return problem(i, "partitions",
                         "each tensor in at most one partition (" + std::string(tensorName(t)) +
                             " is in two)");
        }
        taken[t] = taken[t] || p.tensors[t];
      }
    }
  }
  return {};
}

void validateHierarchy(const Hierarchy& h) {
  const HierarchyProblem p = checkHierarchy(h);
  if (p.ok()) return;
  std::string where = "hierarchy";
  if (p.entry < h.size()) {
    where += ".entries[" + std::to_string(p.entry) + "] (" + h.entries[p.entry].name() + ")";
  }
  if (!p.key.empty()) where += "." + p.key;
  throw InputError(where + ": expected " + p.what);
}

}  // namespace dfsim
