// Equivalence of rtl/memtile_shift_add.v (Verilated) and rtlref::ShiftAddModel: random vectors
// and corner cases, bit for bit, every cycle, for the default and a narrow parameter set.
#define BOOST_TEST_MODULE memtile rtl shift add
#include "RtlBench.hpp"

#include <type_traits>
#include <utility>

#include "Vmemtile_shift_add.h"
#include "Vmemtile_shift_add_narrow.h"
#include "memtile/core/rtlref/ShiftAddModel.hpp"

using namespace memtile;
using core::rtlref::ShiftAddModel;
using core::rtlref::ShiftAddParams;
using sc_core::sc_signal;

using memtile::test::NoSystemCWarnings;
BOOST_TEST_GLOBAL_FIXTURE(NoSystemCWarnings);

namespace {

// Parameters the narrow variant is Verilated with (tests/rtl/CMakeLists.txt).
const ShiftAddParams kNarrow{6, 8, 5, 20, 3, 2};

template <class Dut>
struct Bench : sc_core::sc_module {
  test::ManualClock& ck;
  Dut dut;
  ShiftAddModel model;
  sc_signal<bool> rst_n{"rst_n", false}, clear{"clear", false}, valid{"valid", false}, neg{"neg", false};
  sc_signal<std::uint32_t> lane{"lane", 0}, code{"code", 0}, mult{"mult", 0}, shift{"shift", 0}, rd_lane{"rd_lane", 0};
  using AccT = typename std::remove_reference_t<decltype(std::declval<Dut&>().rd_acc)>::data_type;
  sc_signal<AccT> rd_acc{"rd_acc", 0};
  sc_signal<bool> rd_ovf{"rd_ovf", false}, any_ovf{"any_ovf", false};
  std::uint64_t vectors = 0, mismatches = 0, nonzero = 0, saturated = 0;

  Bench(sc_core::sc_module_name name, test::ManualClock& c, const ShiftAddParams& p)
      : sc_core::sc_module(name), ck(c), dut("dut"), model(p) {
    dut.clk(ck.clk);
    dut.rst_n(rst_n);
    dut.clear(clear);
    dut.valid(valid);
    dut.lane(lane);
    dut.code(code);
    dut.mult(mult);
    dut.shift(shift);
    dut.neg(neg);
    dut.rd_lane(rd_lane);
    dut.rd_acc(rd_acc);
    dut.rd_ovf(rd_ovf);
    dut.any_ovf(any_ovf);
  }
  void drive(const ShiftAddModel::Inputs& in, std::uint32_t rl) {
    rst_n.write(in.rst_n);
    clear.write(in.clear);
    valid.write(in.valid);
    neg.write(in.neg);
    lane.write(static_cast<std::uint32_t>(in.lane));
    code.write(static_cast<std::uint32_t>(in.code));
    mult.write(static_cast<std::uint32_t>(in.mult));
    shift.write(static_cast<std::uint32_t>(in.shift));
    rd_lane.write(rl);
  }
  // Compare the read port (state before the coming edge) for read lane rl.
  void compare(std::uint32_t rl) {
    const auto& p = model.params();
    const std::uint64_t want = core::rtlref::to_bits(model.acc(rl), p.acc_w);
    nonzero += want != 0;
    saturated += model.ovf(rl);
    const bool ok = static_cast<std::uint64_t>(rd_acc.read()) == want && rd_ovf.read() == model.ovf(rl) && any_ovf.read() == model.any_ovf();
    if (!ok && mismatches++ < 5)
      BOOST_ERROR("cycle " << vectors << " lane " << rl << ": rtl acc " << rd_acc.read() << " ovf " << rd_ovf.read()
                           << " any " << any_ovf.read() << ", model " << want << " ovf " << model.ovf(rl) << " any "
                           << model.any_ovf());
  }
};

test::ManualClock* g_clock;
Bench<Vmemtile_shift_add>* g_wide;
Bench<Vmemtile_shift_add_narrow>* g_narrow;

// Both benches share the clock: a cycle drives both, compares both, clocks both.
void cycle(const ShiftAddModel::Inputs& a, std::uint32_t rla, const ShiftAddModel::Inputs& b, std::uint32_t rlb) {
  g_wide->drive(a, rla);
  g_narrow->drive(b, rlb);
  g_clock->settle();
  g_wide->compare(rla);
  g_narrow->compare(rlb);
  g_wide->model.clock(a);
  g_narrow->model.clock(b);
  ++g_wide->vectors;
  ++g_narrow->vectors;
  g_clock->rise();
}

struct Elaborate {
  Elaborate() {
    g_clock = new test::ManualClock;
    g_wide = new Bench<Vmemtile_shift_add>("wide", *g_clock, ShiftAddParams{});
    g_narrow = new Bench<Vmemtile_shift_add_narrow>("narrow", *g_clock, kNarrow);
    // Reset both.
    ShiftAddModel::Inputs r;
    r.rst_n = false;
    cycle(r, 0, r, 0);
  }
};
BOOST_TEST_GLOBAL_FIXTURE(Elaborate);

ShiftAddModel::Inputs random_inputs(std::mt19937_64& rng, const ShiftAddParams& p) {
  ShiftAddModel::Inputs in;
  const unsigned r = rng() % 1000;
  in.rst_n = r != 0;
  in.clear = r >= 1 && r < 15;
  in.valid = rng() % 8 != 0;
  in.neg = rng() & 1;
  in.lane = rng() % (1u << p.lane_w);
  in.code = test::corner_bits(rng, p.code_w);
  in.mult = test::corner_bits(rng, p.mult_w);
  // Mostly moderate shifts; sometimes anything up to all ones (beyond acc_w: saturation).
  in.shift = rng() % 16 == 0 ? test::corner_bits(rng, p.shift_w) : rng() % (p.acc_w - p.code_w - p.mult_w + 4);
  return in;
}

}  // namespace

BOOST_AUTO_TEST_CASE(random_vectors_bit_exact) {
  std::mt19937_64 rng(0x5ead0001);
  const int n = 150000;
  for (int k = 0; k < n; ++k) {
    const auto a = random_inputs(rng, g_wide->model.params());
    const auto b = random_inputs(rng, kNarrow);
    cycle(a, static_cast<std::uint32_t>(rng() % 8), b, static_cast<std::uint32_t>(rng() % 4));
  }
  BOOST_TEST(g_wide->mismatches == 0u);
  BOOST_TEST(g_narrow->mismatches == 0u);
  BOOST_TEST_MESSAGE("shift-add random vectors: " << n << " per variant; non-zero reads " << g_wide->nonzero
                     << " / " << g_narrow->nonzero << ", saturated reads " << g_wide->saturated << " / "
                     << g_narrow->saturated);
  // The comparison is not vacuous: most reads see data, and saturation is exercised.
  BOOST_TEST(g_wide->nonzero > g_wide->vectors / 2);
  BOOST_TEST(g_narrow->nonzero > g_narrow->vectors / 2);
  BOOST_TEST(g_wide->saturated > 1000u);
  BOOST_TEST(g_narrow->saturated > 1000u);
}

// The engine's use: codes in [-512, 511], the [1,1,2,4] slice table (with the sign slices),
// 32 rows of 10-bit ADC: never saturates a 64-bit accumulator; matches the model.
BOOST_AUTO_TEST_CASE(engine_like_slices_do_not_saturate) {
  std::mt19937_64 rng(0x5ead0002);
  struct S { std::uint32_t lmax, shift; bool neg; };
  const S plan[] = {{1, 7, true}, {1, 6, false}, {3, 4, false}, {15, 0, false}};
  ShiftAddModel::Inputs clr;
  clr.clear = true;
  cycle(clr, 0, clr, 0);
  for (int v = 0; v < 4000; ++v) {
    for (const S& x : plan)
      for (const S& w : plan) {
        ShiftAddModel::Inputs in;
        in.valid = true;
        in.lane = rng() % 8;
        in.code = core::rtlref::to_bits(static_cast<std::int64_t>(rng() % 1024) - 512, 16);
        in.mult = x.lmax * w.lmax;
        in.shift = x.shift + w.shift;
        in.neg = x.neg != w.neg;
        cycle(in, static_cast<std::uint32_t>(in.lane), clr, 0);
      }
  }
  BOOST_TEST(!g_wide->model.any_ovf());
  BOOST_TEST(g_wide->mismatches == 0u);
}

// Overflow boundaries on the narrow variant (acc_w 20: range [-2^19, 2^19-1]).
BOOST_AUTO_TEST_CASE(saturation_boundaries) {
  ShiftAddModel::Inputs idle, clr;
  clr.clear = true;
  auto add = [&](std::int64_t code, std::uint64_t mult, unsigned shift, bool neg, std::uint32_t lane = 1) {
    ShiftAddModel::Inputs in;
    in.valid = true;
    in.lane = lane;
    in.code = core::rtlref::to_bits(code, kNarrow.code_w);
    in.mult = mult;
    in.shift = shift;
    in.neg = neg;
    cycle(idle, 0, in, lane);
  };
  auto& m = g_narrow->model;
  cycle(clr, 0, clr, 0);
  // 2^19 - 1 = 31*255*2^6 + 8191*... build it exactly: 31*255 = 7905; 7905 << 6 = 505920;
  // remaining 18367 = 31*255*2 + 2557 ; 2557 = 31*82 + 15 ; 15 = 15*1.
  add(31, 255, 6, false);
  add(31, 255, 1, false);
  add(31, 82, 0, false);
  add(15, 1, 0, false);
  BOOST_TEST(m.acc(1) == (1 << 19) - 1);
  BOOST_TEST(!m.ovf(1));
  add(1, 1, 0, false);  // one above the maximum
  BOOST_TEST(m.acc(1) == (1 << 19) - 1);
  BOOST_TEST(m.ovf(1));
  add(-1, 1, 0, false);  // sticky flag, saturated value continues
  BOOST_TEST(m.acc(1) == (1 << 19) - 2);
  BOOST_TEST(m.ovf(1));
  cycle(idle, 0, clr, 1);
  BOOST_TEST(!m.ovf(1));
  // Exactly the most negative value, then one below it. -32 (most negative code) * 255 << 6.
  add(-32, 255, 6, false);  // -522240 < -2^19 = -524288? no: -522240 is in range
  add(-32, 64, 0, false);   // -2048 -> -524288 exactly
  BOOST_TEST(m.acc(1) == -(1 << 19));
  BOOST_TEST(!m.ovf(1));
  add(1, 1, 0, true);  // neg: -1 -> below the range
  BOOST_TEST(m.acc(1) == -(1 << 19));
  BOOST_TEST(m.ovf(1));
  cycle(idle, 0, clr, 1);
  // Shifts at and beyond the accumulator width: a zero product never overflows, a non-zero one
  // always saturates towards its sign; the most negative code negated is positive.
  add(0, 255, 31, false);
  BOOST_TEST(!m.ovf(1));
  add(-32, 255, 31, true);
  BOOST_TEST(m.acc(1) == (1 << 19) - 1);
  BOOST_TEST(m.ovf(1));
  cycle(idle, 0, clr, 1);
  add(1, 1, 20, false);
  BOOST_TEST(m.acc(1) == (1 << 19) - 1);
  add(-1, 1, 19, false, 2);  // -2^19 exactly: fits
  BOOST_TEST(m.acc(2) == -(1 << 19));
  BOOST_TEST(!m.ovf(2));
  add(5, 5, 0, false, 3);  // lane 3 does not exist (lanes = 3): ignored
  BOOST_TEST(m.acc(3) == 0);
  // The wide variant: all-ones inputs everywhere.
  ShiftAddModel::Inputs ones;
  ones.valid = true;
  ones.neg = true;
  ones.lane = 7;
  ones.code = 0xFFFF;       // -1
  ones.mult = 0xFFFFFFFF;   // 2^32 - 1
  ones.shift = 31;
  cycle(ones, 7, idle, 0);  // +(2^32-1) << 31 = 2^63 - 2^31: fits
  BOOST_TEST(g_wide->model.acc(7) == static_cast<std::int64_t>(0xFFFFFFFFULL << 31));
  BOOST_TEST(!g_wide->model.ovf(7));
  cycle(ones, 7, idle, 0);  // twice that: saturates at 2^63 - 1
  BOOST_TEST(g_wide->model.acc(7) == INT64_MAX);
  BOOST_TEST(g_wide->model.ovf(7));
  ShiftAddModel::Inputs wclr;
  wclr.clear = true;
  cycle(wclr, 7, idle, 0);
  ones.neg = false;
  ones.code = 0x8000;  // most negative code, largest multiplier, largest shift
  ones.shift = 127;
  cycle(ones, 7, idle, 0);
  BOOST_TEST(g_wide->model.acc(7) == INT64_MIN);
  BOOST_TEST(g_wide->model.ovf(7));
  cycle(idle, 7, idle, 0);
  BOOST_TEST(g_wide->mismatches == 0u);
  BOOST_TEST(g_narrow->mismatches == 0u);
}
