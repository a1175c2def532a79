// Equivalence of rtl/memtile_accumulator.v (Verilated) and rtlref::PartialSumAccumulatorModel:
// random vectors and corner cases, bit for bit, every cycle, default and narrow parameters.
#define BOOST_TEST_MODULE memtile rtl accumulator
#include "RtlBench.hpp"

#include <type_traits>
#include <utility>

#include "Vmemtile_accumulator.h"
#include "Vmemtile_accumulator_narrow.h"
#include "memtile/core/rtlref/PartialSumAccumulatorModel.hpp"

using namespace memtile;
using core::rtlref::AccumulatorParams;
using core::rtlref::PartialSumAccumulatorModel;
using sc_core::sc_signal;
using memtile::test::NoSystemCWarnings;
BOOST_TEST_GLOBAL_FIXTURE(NoSystemCWarnings);

namespace {

const AccumulatorParams kNarrow{12, 5, 20, 3, 2};  // as Verilated in tests/rtl/CMakeLists.txt
using In = PartialSumAccumulatorModel::Inputs;

template <class Dut>
struct Bench : sc_core::sc_module {
  Dut dut;
  PartialSumAccumulatorModel model;
  template <class P>
  using port_t = typename std::remove_reference_t<P>::data_type;
  sc_signal<bool> rst_n{"rst_n", false}, clear{"clear", false}, valid{"valid", false};
  sc_signal<std::uint32_t> lane{"lane", 0}, shift{"shift", 0}, rd_lane{"rd_lane", 0};
  sc_signal<port_t<decltype(std::declval<Dut&>().psum)>> psum{"psum", 0};
  sc_signal<port_t<decltype(std::declval<Dut&>().rd_acc)>> rd_acc{"rd_acc", 0};
  sc_signal<bool> rd_ovf{"rd_ovf", false}, any_ovf{"any_ovf", false};
  std::uint64_t vectors = 0, mismatches = 0, nonzero = 0, saturated = 0;

  Bench(sc_core::sc_module_name n, test::ManualClock& ck, const AccumulatorParams& p)
      : sc_core::sc_module(n), dut("dut"), model(p) {
    dut.clk(ck.clk);
    dut.rst_n(rst_n);
    dut.clear(clear);
    dut.valid(valid);
    dut.lane(lane);
    dut.psum(psum);
    dut.shift(shift);
    dut.rd_lane(rd_lane);
    dut.rd_acc(rd_acc);
    dut.rd_ovf(rd_ovf);
    dut.any_ovf(any_ovf);
  }
  void drive(const In& in, std::uint32_t rl) {
    rst_n.write(in.rst_n);
    clear.write(in.clear);
    valid.write(in.valid);
    lane.write(static_cast<std::uint32_t>(in.lane));
    psum.write(static_cast<port_t<decltype(std::declval<Dut&>().psum)>>(in.psum));
    shift.write(static_cast<std::uint32_t>(in.shift));
    rd_lane.write(rl);
  }
  void compare(std::uint32_t rl) {
    const std::uint64_t want = core::rtlref::to_bits(model.acc(rl), model.params().acc_w);
    nonzero += want != 0;
    saturated += model.ovf(rl);
    const bool ok = static_cast<std::uint64_t>(rd_acc.read()) == want && rd_ovf.read() == model.ovf(rl) &&
                    any_ovf.read() == model.any_ovf();
    if (!ok && mismatches++ < 5)
      BOOST_ERROR("cycle " << vectors << " lane " << rl << ": rtl " << rd_acc.read() << " ovf " << rd_ovf.read()
                           << ", model " << want << " ovf " << model.ovf(rl));
  }
};

test::ManualClock* g_clock;
Bench<Vmemtile_accumulator>* g_wide;
Bench<Vmemtile_accumulator_narrow>* g_narrow;

void cycle(const In& a, std::uint32_t rla, const In& b, std::uint32_t rlb) {
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
    g_wide = new Bench<Vmemtile_accumulator>("wide", *g_clock, AccumulatorParams{});
    g_narrow = new Bench<Vmemtile_accumulator_narrow>("narrow", *g_clock, kNarrow);
    In r;
    r.rst_n = false;
    cycle(r, 0, r, 0);
  }
};
BOOST_TEST_GLOBAL_FIXTURE(Elaborate);

In random_inputs(std::mt19937_64& rng, const AccumulatorParams& p) {
  In in;
  const unsigned r = rng() % 1000;
  in.rst_n = r != 0;
  in.clear = r >= 1 && r < 15;
  in.valid = rng() % 8 != 0;
  in.lane = rng() % (1u << p.lane_w);
  // Wide partial sums mostly of realistic size (< 2^40), sometimes any bits.
  in.psum = rng() % 4 == 0 ? test::corner_bits(rng, p.in_w)
                           : core::rtlref::to_bits(static_cast<std::int64_t>(rng() >> 24) - (1LL << 39), p.in_w);
  in.shift = rng() % 16 == 0 ? test::corner_bits(rng, p.shift_w) : rng() % 4;
  return in;
}

}  // namespace

BOOST_AUTO_TEST_CASE(random_vectors_bit_exact) {
  std::mt19937_64 rng(0xacc00001);
  const int n = 150000;
  for (int k = 0; k < n; ++k) {
    const In a = random_inputs(rng, g_wide->model.params());
    const In b = random_inputs(rng, kNarrow);
    cycle(a, static_cast<std::uint32_t>(rng() % 8), b, static_cast<std::uint32_t>(rng() % 4));
  }
  BOOST_TEST_MESSAGE("accumulator random vectors: " << n << " per variant; non-zero reads " << g_wide->nonzero
                     << " / " << g_narrow->nonzero << ", saturated reads " << g_wide->saturated << " / "
                     << g_narrow->saturated);
  BOOST_TEST(g_wide->mismatches == 0u);
  BOOST_TEST(g_narrow->mismatches == 0u);
  BOOST_TEST(g_wide->nonzero > g_wide->vectors / 2);
  BOOST_TEST(g_narrow->nonzero > g_narrow->vectors / 2);
  BOOST_TEST(g_wide->saturated > 1000u);
  BOOST_TEST(g_narrow->saturated > 1000u);
}

BOOST_AUTO_TEST_CASE(saturation_boundaries) {
  In idle, clr;
  clr.clear = true;
  cycle(clr, 0, clr, 0);
  auto& m = g_narrow->model;
  auto add = [&](std::int64_t psum, unsigned shift, std::uint32_t lane = 0) {
    In in;
    in.valid = true;
    in.lane = lane;
    in.psum = core::rtlref::to_bits(psum, kNarrow.in_w);
    in.shift = shift;
    cycle(idle, 0, in, lane);
  };
  // in_w 12: psum in [-2048, 2047]; acc_w 20: [-524288, 524287].
  add(2047, 8);  // 524032
  add(255, 0);   // 524287 = max
  BOOST_TEST(m.acc(0) == 524287);
  BOOST_TEST(!m.ovf(0));
  add(1, 0);
  BOOST_TEST(m.acc(0) == 524287);
  BOOST_TEST(m.ovf(0));
  add(-2048, 0);  // sticky flag, value moves on from the bound
  BOOST_TEST(m.acc(0) == 524287 - 2048);
  BOOST_TEST(m.ovf(0));
  add(-2048, 8, 1);  // -524288 = min exactly
  BOOST_TEST(m.acc(1) == -524288);
  BOOST_TEST(!m.ovf(1));
  add(-1, 0, 1);
  BOOST_TEST(m.acc(1) == -524288);
  BOOST_TEST(m.ovf(1));
  add(0, 31, 2);  // zero never overflows, whatever the shift
  BOOST_TEST(!m.ovf(2));
  add(-1, 19, 2);  // -2^19 fits
  BOOST_TEST(m.acc(2) == -524288);
  BOOST_TEST(!m.ovf(2));
  add(1, 20, 2);  // +2^20: from min to max, saturated
  BOOST_TEST(m.acc(2) == 524287);
  BOOST_TEST(m.ovf(2));
  add(100, 0, 3);  // lane 3 does not exist: ignored
  BOOST_TEST(m.acc(3) == 0);
  // Wide: most negative and all-ones 64-bit partial sums.
  auto addw = [&](std::uint64_t bits, unsigned shift, std::uint32_t lane) {
    In in;
    in.valid = true;
    in.lane = lane;
    in.psum = bits;
    in.shift = shift;
    cycle(in, lane, idle, 0);
  };
  cycle(clr, 0, idle, 0);
  addw(1ULL << 63, 0, 5);  // INT64_MIN fits
  BOOST_TEST(g_wide->model.acc(5) == INT64_MIN);
  BOOST_TEST(!g_wide->model.ovf(5));
  addw(~0ULL, 0, 5);  // -1 more: saturates
  BOOST_TEST(g_wide->model.acc(5) == INT64_MIN);
  BOOST_TEST(g_wide->model.ovf(5));
  addw(1ULL << 63, 63, 6);  // -2^126: saturates
  BOOST_TEST(g_wide->model.acc(6) == INT64_MIN);
  addw(~0ULL >> 1, 63, 7);  // INT64_MAX << 63: saturates high
  BOOST_TEST(g_wide->model.acc(7) == INT64_MAX);
  cycle(idle, 7, idle, 0);
  BOOST_TEST(g_wide->mismatches == 0u);
  BOOST_TEST(g_narrow->mismatches == 0u);
}
