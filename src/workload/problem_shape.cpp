#include "workload/problem_shape.hpp"

#include "common/errors.hpp"

namespace dfsim {

namespace {
[[noreturn]] void refuse(const std::string& what) {
  throw InternalError("problem shape: " + what);
}
}  // namespace

Dim ProblemShape::addDim(std::string_view name, std::int64_t size) {
  if (numDims_ == kMaxDims) refuse("more than " + std::to_string(kMaxDims) + " dimensions");
  if (name.empty()) refuse("a dimension without a name");
  Dim existing{};
  if (findDim(name, existing)) refuse("dimension " + std::string(name) + " named twice");
  if (size < 1) refuse("dimension " + std::string(name) + " of size " + std::to_string(size));
  names_[numDims_] = std::string(name);
  sizes_[numDims_] = size;
  return dimAt(numDims_++);
}

void ProblemShape::addAxis(Tensor t, std::initializer_list<AxisTerm> terms, std::int64_t extent) {
  Axes& a = axes_[t];
  const std::string who = std::string(tensorName(t)) + " coordinate " + std::to_string(a.count);
  if (a.count == kMaxAxes) refuse(who + ": more than " + std::to_string(kMaxAxes) + " coordinates");
  if (terms.size() < 1 || terms.size() > kMaxTermsPerAxis) {
    refuse(who + ": " + std::to_string(terms.size()) + " terms, expected 1 or " +
           std::to_string(kMaxTermsPerAxis));
  }
  if (extent < 1) refuse(who + ": full extent " + std::to_string(extent));
  Axis axis;
  bool unit = false;
  std::uint32_t dims = 0;
  for (const AxisTerm& term : terms) {
    if (idx(term.dim) >= numDims_) refuse(who + ": a term over an unknown dimension");
    if (term.coef < 1)
      refuse(who + ": coefficient " + std::to_string(term.coef) + ", expected >= 1");
    const std::uint32_t bit = std::uint32_t{1} << idx(term.dim);
    if ((dims & bit) != 0) refuse(who + ": dimension " + names_[idx(term.dim)] + " twice");
    if ((a.dims & bit) != 0) {
      refuse(who + ": dimension " + names_[idx(term.dim)] + " already feeds another coordinate");
    }
    dims |= bit;
    unit = unit || term.coef == 1;
    axis.term[axis.terms++] = term;
  }
  if (axis.terms == 2 && !unit) refuse(who + ": two terms and neither coefficient is 1");
  axis.extent = extent;
  a.axis[a.count++] = axis;
  a.dims |= dims;
}

bool ProblemShape::findDim(std::string_view name, Dim& out) const {
  for (std::size_t i = 0; i < numDims_; ++i) {
    if (names_[i] == name) {
      out = dimAt(i);
      return true;
    }
  }
  return false;
}

Dim ProblemShape::dimByName(std::string_view name) const {
  Dim d{};
  if (!findDim(name, d)) refuse("no dimension named " + std::string(name));
  return d;
}

std::string ProblemShape::dimNameList() const {
  std::string s;
  for (std::size_t i = 0; i < numDims_; ++i) s += (i == 0 ? "" : ", ") + names_[i];
  return s;
}

std::int64_t ProblemShape::macs() const {
  std::int64_t p = 1;
  for (std::size_t i = 0; i < numDims_; ++i) p *= sizes_[i];
  return p;
}

std::int64_t ProblemShape::tensorWords(Tensor t) const {
  std::int64_t p = 1;
  for (std::size_t k = 0; k < axes_[t].count; ++k) p *= axes_[t].axis[k].extent;
  return p;
}

std::int64_t ProblemShape::coef(Tensor t, std::size_t axis, Dim d) const {
  const Axis& a = axes_[t].axis[axis];
  for (std::size_t k = 0; k < a.terms; ++k) {
    if (a.term[k].dim == d) return a.term[k].coef;
  }
  return 0;
}

}  // namespace dfsim
