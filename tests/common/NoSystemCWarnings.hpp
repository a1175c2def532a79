// Global Boost.Test fixture of the SystemC test executables: any SystemC warning or error
// reported during the run fails the executable (a model that warns is a failing model).
#pragma once
#include <cstdio>
#include <cstdlib>
#include <systemc>

namespace memtile::test {

struct NoSystemCWarnings {
  ~NoSystemCWarnings() {
    const int w = sc_core::sc_report_handler::get_count(sc_core::SC_WARNING);
    const int e = sc_core::sc_report_handler::get_count(sc_core::SC_ERROR);
    if (w + e > 0) {
      std::fprintf(stderr, "SystemC reported %d warning(s) and %d error(s)\n", w, e);
      std::_Exit(1);
    }
  }
};

}  // namespace memtile::test
