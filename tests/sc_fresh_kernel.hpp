#pragma once
// A fresh SystemC kernel for one test case (the pattern of src/sim/simulate_layer.cpp, after
// DRAMSys' tests/util/SystemCTest.h): a test case that elaborates modules creates one of these
// first, builds its modules, runs sc_start() and destroys the modules before the kernel.

#include <systemc>

namespace dfsim::test {

/// Installs a new sc_simcontext for its lifetime; modules must be destroyed before it.
class FreshKernel {
 public:
  FreshKernel() : context_(new sc_core::sc_simcontext()) {
    sc_core::sc_curr_simcontext = context_;
    sc_core::sc_default_global_context = context_;
  }
  FreshKernel(const FreshKernel&) = delete;
  FreshKernel& operator=(const FreshKernel&) = delete;
  ~FreshKernel() {
    sc_core::sc_curr_simcontext = nullptr;
    sc_core::sc_default_global_context = nullptr;
    delete context_;
  }

 private:
  sc_core::sc_simcontext* context_;
};

}  // namespace dfsim::test
