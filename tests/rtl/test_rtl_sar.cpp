// rtl/memtile_sar_logic.v (Verilated): (1) cycle-exact against rtlref::SarLogicModel under random
// inputs (any comparator pattern, restarts, resets, odd level counts); (2) in a closed loop with
// the analog model's comparator, the code equals core::AdcQuantiser::code() for random non-tie
// inputs, and at ties follows the documented tie rule; one clock per bit.
#define BOOST_TEST_MODULE memtile rtl sar
#include "RtlBench.hpp"

#include "Vmemtile_sar_logic.h"
#include "Vmemtile_sar_logic_narrow.h"
#include "memtile/core/Converters.hpp"
#include "memtile/core/rtlref/SarLogicModel.hpp"

using namespace memtile;
using core::rtlref::SarLogicModel;
using core::rtlref::SarParams;
using core::rtlref::TieRule;
using sc_core::sc_signal;
using memtile::test::NoSystemCWarnings;
BOOST_TEST_GLOBAL_FIXTURE(NoSystemCWarnings);

namespace {

const SarParams kNarrow{5, 3};  // as Verilated in tests/rtl/CMakeLists.txt
using In = SarLogicModel::Inputs;

template <class Dut>
struct Bench : sc_core::sc_module {
  test::ManualClock ck;  // own clock: a conversion on one bench must not clock the other
  Dut dut;
  SarLogicModel model;
  sc_signal<bool> rst_n{"rst_n", false}, start{"start", false}, cmp{"cmp", false};
  sc_signal<std::uint32_t> levels{"levels", 0}, nbits{"nbits", 0};
  sc_signal<std::uint32_t> dac_code{"dac_code", 0}, code_u{"code_u", 0}, code_s{"code_s", 0};
  sc_signal<bool> busy{"busy", false}, done{"done", false};
  std::uint64_t cycles = 0, mismatches = 0;

  Bench(sc_core::sc_module_name n, const SarParams& p) : sc_core::sc_module(n), dut("dut"), model(p) {
    dut.clk(ck.clk);
    dut.rst_n(rst_n);
    dut.cfg_levels(levels);
    dut.cfg_nbits(nbits);
    dut.start(start);
    dut.cmp(cmp);
    dut.dac_code(dac_code);
    dut.busy(busy);
    dut.done(done);
    dut.code_u(code_u);
    dut.code_s(code_s);
  }
  void drive(const In& in) {
    rst_n.write(in.rst_n);
    start.write(in.start);
    cmp.write(in.cmp);
    levels.write(static_cast<std::uint32_t>(in.levels));
    nbits.write(static_cast<std::uint32_t>(in.nbits));
  }
  void compare(const In& in) {
    const bool ok = dac_code.read() == model.dac_code() && busy.read() == model.busy() &&
                    done.read() == model.done() && code_u.read() == model.code_u() &&
                    code_s.read() == model.code_s_bits(in.levels);
    if (!ok && mismatches++ < 5)
      BOOST_ERROR("cycle " << cycles << ": rtl dac " << dac_code.read() << " busy " << busy.read() << " done "
                           << done.read() << " u " << code_u.read() << " s " << code_s.read() << "; model dac "
                           << model.dac_code() << " busy " << model.busy() << " done " << model.done() << " u "
                           << model.code_u() << " s " << model.code_s_bits(in.levels));
  }
  // One clock. When `t` is given, cmp comes from the comparator on the DUT's own dac_code
  // (the analog model answering within the cycle).
  void cycle(In in, const double* t = nullptr, TieRule rule = TieRule::HalfEven) {
    drive(in);
    sc_core::sc_start(4, sc_core::SC_NS);
    if (t) {
      in.cmp = core::rtlref::sar_comparator(*t, dac_code.read(), in.levels, rule);
      cmp.write(in.cmp);
    }
    sc_core::sc_start(1, sc_core::SC_NS);
    compare(in);
    model.clock(in);
    ++cycles;
    ck.rise();
  }
  // A closed-loop conversion of t; returns the signed code read from the RTL and the clocks
  // from the start edge to done.
  std::int64_t convert(double t, std::uint64_t lv, std::uint64_t nb, TieRule rule, int* clocks) {
    In in;
    in.levels = lv;
    in.nbits = nb;
    while (busy.read()) cycle(in);  // finish whatever conversion is under way
    in.start = true;
    int n = 0;
    do {
      cycle(in, &t, rule);
      in.start = false;
      ++n;
    } while (!done.read() && n < 64);
    *clocks = n;
    return core::rtlref::sign_extend(code_s.read(), model.params().nmax);
  }
};

Bench<Vmemtile_sar_logic>* g_wide;
Bench<Vmemtile_sar_logic_narrow>* g_narrow;

struct Elaborate {
  Elaborate() {
    g_wide = new Bench<Vmemtile_sar_logic>("wide", SarParams{});
    g_narrow = new Bench<Vmemtile_sar_logic_narrow>("narrow", kNarrow);
    sc_core::sc_start(sc_core::SC_ZERO_TIME);
    In r;
    r.rst_n = false;
    g_wide->cycle(r);
    g_narrow->cycle(r);
  }
};
BOOST_TEST_GLOBAL_FIXTURE(Elaborate);

std::uint64_t random_levels(std::mt19937_64& rng, int nmax) {
  const std::uint64_t top = 1ULL << nmax;
  switch (rng() % 6) {
    case 0: return top;                       // largest
    case 1: return 2;                         // smallest
    case 2: return 1ULL << (1 + rng() % nmax);  // powers of two
    default: return 2 + rng() % (top - 1);    // anything in 2 .. 2^nmax
  }
}

}  // namespace

// Random inputs every cycle (comparator bits at random, starts at random, level counts and
// bit counts changing, including out-of-contract values: levels 0/1, nbits 0 or > nmax).
BOOST_AUTO_TEST_CASE(random_cycles_bit_exact) {
  std::mt19937_64 rng(0x5a400001);
  const int n = 120000;
  In a, b;
  for (int k = 0; k < n; ++k) {
    if (k % 37 == 0) {  // new configuration now and then
      a.levels = rng() % 50 == 0 ? rng() % 2 : random_levels(rng, 16);
      a.nbits = rng() % 20 == 0 ? rng() % 32 : SarLogicModel::bits_for(a.levels);
      b.levels = rng() % 50 == 0 ? rng() % 64 : random_levels(rng, 5);
      b.nbits = rng() % 8;
    }
    a.rst_n = rng() % 2000 != 0;
    b.rst_n = rng() % 2000 != 0;
    a.start = rng() % 4 == 0;
    b.start = rng() % 4 == 0;
    a.cmp = rng() & 1;
    b.cmp = rng() & 1;
    g_wide->drive(a);
    g_narrow->drive(b);
    g_wide->ck.settle();
    g_wide->compare(a);
    g_narrow->compare(b);
    g_wide->model.clock(a);
    g_narrow->model.clock(b);
    ++g_wide->cycles;
    ++g_narrow->cycles;
    g_wide->ck.rise();
    g_narrow->ck.rise();
  }
  BOOST_TEST_MESSAGE("sar random cycles: " << n << " per variant");
  BOOST_TEST(g_wide->mismatches == 0u);
  BOOST_TEST(g_narrow->mismatches == 0u);
}

// RTL + comparator loop against AdcQuantiser on random non-tie analog values, including
// values beyond full scale (clipping) and level counts that are not powers of two.
BOOST_AUTO_TEST_CASE(closed_loop_matches_adc_quantiser) {
  std::mt19937_64 rng(0x5a400002);
  std::uniform_real_distribution<double> over(-1.02, 1.02);
  const std::uint64_t fixed[] = {1024, 256, 4096, 65536, 2, 3, 1000, 777};
  const int n = 100000;
  int checked = 0, bad = 0, bad_clocks = 0, clipped = 0;
  for (int k = 0; k < n; ++k) {
    const std::uint64_t lv = k % 4 == 0 ? random_levels(rng, 16) : fixed[rng() % 8];
    const core::AdcQuantiser adc{static_cast<int>(lv)};
    const double x = over(rng);
    const double t = x * adc.half();  // as AdcQuantiser::code() forms it
    if (t - std::floor(t) == 0.5) continue;  // ties: see the next test
    const std::uint64_t nb = SarLogicModel::bits_for(lv);
    int clocks = 0;
    const std::int64_t rtl = g_wide->convert(t, lv, nb, k % 2 ? TieRule::HalfEven : TieRule::AtOrAbove, &clocks);
    const double want = adc.code(x);
    ++checked;
    clipped += want == -adc.half() || want == adc.levels - 1 - adc.half();
    if (static_cast<double>(rtl) != want && bad++ < 5)
      BOOST_ERROR("levels " << lv << " x " << x << ": rtl " << rtl << " AdcQuantiser " << want);
    if (clocks != static_cast<int>(nb) + 1) ++bad_clocks;
  }
  BOOST_TEST_MESSAGE("sar closed-loop conversions: " << checked << " (" << clipped << " clipped), " << g_wide->cycles
                     << " RTL clocks so far, simulated time " << sc_core::sc_time_stamp());
  BOOST_TEST(checked > 99000);
  BOOST_TEST(clipped > 100);
  BOOST_TEST(bad == 0);
  BOOST_TEST(bad_clocks == 0);  // start edge + one clock per bit
  BOOST_TEST(g_wide->mismatches == 0u);
}

// Every tie of a 1024-level ADC (and the two ties beyond full scale): a half-even comparator
// reproduces AdcQuantiser's round-half-even; a plain >= comparator rounds half up.
BOOST_AUTO_TEST_CASE(ties_follow_the_comparator_rule) {
  const core::AdcQuantiser adc{1024};
  int even_bad = 0, up_bad = 0, differ = 0;
  for (int k = -adc.half() - 1; k <= adc.levels - adc.half(); ++k) {
    const double t = k + 0.5;
    const double x = t / adc.half();  // exact: half is a power of two
    int clocks = 0;
    const std::int64_t he = g_wide->convert(t, 1024, 10, TieRule::HalfEven, &clocks);
    const std::int64_t up = g_wide->convert(t, 1024, 10, TieRule::AtOrAbove, &clocks);
    even_bad += static_cast<double>(he) != adc.code(x);
    const double half_up = std::min<double>(adc.levels - 1 - adc.half(), std::max<double>(-adc.half(), k + 1));
    up_bad += static_cast<double>(up) != half_up;
    differ += he != up;
  }
  BOOST_TEST(even_bad == 0);
  BOOST_TEST(up_bad == 0);
  BOOST_TEST(differ == adc.levels / 2);  // the ties inside the range whose upper code is odd
  BOOST_TEST(g_wide->mismatches == 0u);
}

// Narrow SAR (nmax 5): level counts that are not powers of two clip at levels-1, bit counts
// above nmax act as nmax, and the loop still matches AdcQuantiser.
BOOST_AUTO_TEST_CASE(narrow_levels_and_bit_counts) {
  std::mt19937_64 rng(0x5a400003);
  std::uniform_real_distribution<double> over(-1.2, 1.2);
  int bad = 0, n = 0;
  for (std::uint64_t lv : {2, 3, 5, 7, 10, 17, 31, 32}) {
    const core::AdcQuantiser adc{static_cast<int>(lv)};
    for (int k = 0; k < 400; ++k) {
      const double x = over(rng), t = x * adc.half();
      if (t - std::floor(t) == 0.5) continue;
      const std::uint64_t nb = k % 3 == 0 ? 7 : SarLogicModel::bits_for(lv) + (k % 3 == 1 ? 1 : 0);
      int clocks = 0;
      const std::int64_t rtl = g_narrow->convert(t, lv, nb, TieRule::HalfEven, &clocks);
      ++n;
      if (static_cast<double>(rtl) != adc.code(x) && bad++ < 5)
        BOOST_ERROR("levels " << lv << " nbits " << nb << " x " << x << ": rtl " << rtl << " want " << adc.code(x));
      BOOST_TEST(clocks == static_cast<int>(std::min<std::uint64_t>(nb, 5)) + 1);
    }
  }
  BOOST_TEST(bad == 0);
  BOOST_TEST(n > 3000);
  BOOST_TEST(g_narrow->mismatches == 0u);
}
