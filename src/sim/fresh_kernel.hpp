#pragma once

#include <systemc>

namespace dfsim {

/// A fresh SystemC kernel for one run or one test case (as DRAMSys' tests/util/SystemCTest.h
/// does), so that runs never share state. Contract: create it before elaborating any module and
/// destroy every module before it.
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

}  // namespace dfsim
