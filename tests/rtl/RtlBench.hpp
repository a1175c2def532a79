// Shared pieces of the RTL equivalence benches (docs/rtl.md). Each bench executable elaborates
// its Verilated models once, before the first sc_start (one elaboration per process), and
// drives them cycle by cycle from the Boost test cases with a hand-driven clock: inputs change
// with the clock low, combinational outputs are compared half a period later, then the rising
// edge. Period 10 ns; SystemC's default 1 ps resolution equals the RTL's `timescale 1ns/1ps
// precision. SystemC warnings fail the bench.
#pragma once
#include <boost/test/unit_test.hpp>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <systemc>

#include "../common/NoSystemCWarnings.hpp"

namespace memtile::test {

constexpr double kHalfPeriodNs = 5.0;


// Hand-driven clock: settle() runs the low half period (inputs written before it propagate),
// rise() the high half period (the rising edge clocks the RTL).
struct ManualClock {
  sc_core::sc_signal<bool> clk{"clk", false};
  void settle() { sc_core::sc_start(kHalfPeriodNs, sc_core::SC_NS); }
  void rise() {
    clk.write(true);
    sc_core::sc_start(kHalfPeriodNs, sc_core::SC_NS);
    clk.write(false);
  }
};

// Random raw bits of width w with a bias towards the corners (0, all ones, sign boundaries).
inline std::uint64_t corner_bits(std::mt19937_64& rng, int w) {
  const std::uint64_t m = w >= 64 ? ~0ULL : ((1ULL << w) - 1);
  switch (rng() % 16) {
    case 0: return 0;
    case 1: return m;                              // all ones (-1 signed)
    case 2: return 1ULL << (w - 1);                // most negative
    case 3: return m >> 1;                         // most positive
    case 4: return 1;
    case 5: return (rng() % 8) & m;                // small
    default: return rng() & m;
  }
}

}  // namespace memtile::test

// Boost.Test owns main(); libsystemc still references sc_main, which is never called.
int sc_main(int, char*[]) { return 0; }
