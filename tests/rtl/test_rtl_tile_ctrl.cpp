// rtl/memtile_tile_ctrl.v (Verilated) against rtlref::TileControllerModel: every output, every
// cycle, under random handshakes, starts, resets, table writes and configurations (default and
// narrow parameters), and a directed operation whose sequence is counted step by step.
#define BOOST_TEST_MODULE memtile rtl tile controller
#include "RtlBench.hpp"

#include <map>

#include "Vmemtile_tile_ctrl.h"
#include "Vmemtile_tile_ctrl_narrow.h"
#include "memtile/core/rtlref/TileControllerModel.hpp"

using namespace memtile;
using core::rtlref::CtrlState;
using core::rtlref::TileControllerModel;
using core::rtlref::TileControllerParams;
using sc_core::sc_signal;
using memtile::test::NoSystemCWarnings;
BOOST_TEST_GLOBAL_FIXTURE(NoSystemCWarnings);

namespace {

const TileControllerParams kNarrow{3, 2, 3, 2};  // as Verilated in tests/rtl/CMakeLists.txt
using In = TileControllerModel::Inputs;
using Out = TileControllerModel::Outputs;

template <class Dut>
struct Bench : sc_core::sc_module {
  test::ManualClock ck;
  Dut dut;
  TileControllerModel model;
  sc_signal<bool> rst_n{"rst_n", false}, program{"program", false}, compute{"compute", false},
      activate{"activate", false}, tab_we{"tab_we", false}, tab_sel{"tab_sel", false}, tab_neg{"tab_neg", false},
      start{"start", false}, prog_ack{"prog_ack", false}, dac_ack{"dac_ack", false}, read_ack{"read_ack", false},
      adc_done{"adc_done", false}, act_ack{"act_ack", false};
  sc_signal<std::uint32_t> n_x{"n_x", 0}, n_w{"n_w", 0}, n_parts{"n_parts", 0}, mux{"mux", 0}, tab_idx{"tab_idx", 0},
      tab_lmax{"tab_lmax", 0}, tab_shift{"tab_shift", 0};
  sc_signal<std::uint32_t> state{"state", 0}, sa_mult{"sa_mult", 0}, sa_shift{"sa_shift", 0}, part_idx{"part_idx", 0},
      xs_idx{"xs_idx", 0}, ws_idx{"ws_idx", 0}, mux_idx{"mux_idx", 0};
  sc_signal<bool> busy{"busy", false}, done{"done", false}, prog_req{"prog_req", false}, dac_req{"dac_req", false},
      read_req{"read_req", false}, adc_start{"adc_start", false}, act_req{"act_req", false},
      sa_clear{"sa_clear", false}, sa_valid{"sa_valid", false}, sa_neg{"sa_neg", false},
      acc_clear{"acc_clear", false}, acc_valid{"acc_valid", false};
  std::uint64_t cycles = 0, mismatches = 0;
  std::map<std::uint32_t, std::uint64_t> state_visits;

  Bench(sc_core::sc_module_name n, const TileControllerParams& p) : sc_core::sc_module(n), dut("dut"), model(p) {
    dut.clk(ck.clk);
    dut.rst_n(rst_n);
    dut.cfg_n_x(n_x);
    dut.cfg_n_w(n_w);
    dut.cfg_n_parts(n_parts);
    dut.cfg_mux(mux);
    dut.cfg_program(program);
    dut.cfg_compute(compute);
    dut.cfg_activate(activate);
    dut.tab_we(tab_we);
    dut.tab_sel(tab_sel);
    dut.tab_idx(tab_idx);
    dut.tab_lmax(tab_lmax);
    dut.tab_shift(tab_shift);
    dut.tab_neg(tab_neg);
    dut.start(start);
    dut.prog_ack(prog_ack);
    dut.dac_ack(dac_ack);
    dut.read_ack(read_ack);
    dut.adc_done(adc_done);
    dut.act_ack(act_ack);
    dut.state(state);
    dut.busy(busy);
    dut.done(done);
    dut.prog_req(prog_req);
    dut.dac_req(dac_req);
    dut.read_req(read_req);
    dut.adc_start(adc_start);
    dut.act_req(act_req);
    dut.sa_clear(sa_clear);
    dut.sa_valid(sa_valid);
    dut.sa_mult(sa_mult);
    dut.sa_shift(sa_shift);
    dut.sa_neg(sa_neg);
    dut.acc_clear(acc_clear);
    dut.acc_valid(acc_valid);
    dut.part_idx(part_idx);
    dut.xs_idx(xs_idx);
    dut.ws_idx(ws_idx);
    dut.mux_idx(mux_idx);
  }
  void drive(const In& in) {
    rst_n.write(in.rst_n);
    n_x.write(static_cast<std::uint32_t>(in.n_x));
    n_w.write(static_cast<std::uint32_t>(in.n_w));
    n_parts.write(static_cast<std::uint32_t>(in.n_parts));
    mux.write(static_cast<std::uint32_t>(in.mux));
    program.write(in.program);
    compute.write(in.compute);
    activate.write(in.activate);
    tab_we.write(in.tab_we);
    tab_sel.write(in.tab_sel);
    tab_idx.write(static_cast<std::uint32_t>(in.tab_idx));
    tab_lmax.write(static_cast<std::uint32_t>(in.tab_lmax));
    tab_shift.write(static_cast<std::uint32_t>(in.tab_shift));
    tab_neg.write(in.tab_neg);
    start.write(in.start);
    prog_ack.write(in.prog_ack);
    dac_ack.write(in.dac_ack);
    read_ack.write(in.read_ack);
    adc_done.write(in.adc_done);
    act_ack.write(in.act_ack);
  }
  Out rtl() const {
    Out o;
    o.state = state.read();
    o.busy = busy.read();
    o.done = done.read();
    o.prog_req = prog_req.read();
    o.dac_req = dac_req.read();
    o.read_req = read_req.read();
    o.adc_start = adc_start.read();
    o.act_req = act_req.read();
    o.sa_clear = sa_clear.read();
    o.sa_valid = sa_valid.read();
    o.sa_neg = sa_neg.read();
    o.acc_clear = acc_clear.read();
    o.acc_valid = acc_valid.read();
    o.sa_mult = sa_mult.read();
    o.sa_shift = sa_shift.read();
    o.part_idx = part_idx.read();
    o.xs_idx = xs_idx.read();
    o.ws_idx = ws_idx.read();
    o.mux_idx = mux_idx.read();
    return o;
  }
  void compare() {
    const Out r = rtl(), m = model.outputs();
    ++state_visits[m.state];
    if (r != m && mismatches++ < 5)
      BOOST_ERROR("cycle " << cycles << ": rtl state " << r.state << " part " << r.part_idx << " xs " << r.xs_idx
                           << " ws " << r.ws_idx << " mux " << r.mux_idx << " mult " << r.sa_mult << " shift "
                           << r.sa_shift << " done " << r.done << "; model state " << m.state << " part "
                           << m.part_idx << " xs " << m.xs_idx << " ws " << m.ws_idx << " mux " << m.mux_idx
                           << " mult " << m.sa_mult << " shift " << m.sa_shift << " done " << m.done);
  }
  // Drive, settle, compare (state before the edge), clock model and RTL.
  Out cycle(const In& in) {
    drive(in);
    ck.settle();
    compare();
    const Out seen = rtl();
    model.clock(in);
    ++cycles;
    ck.rise();
    return seen;
  }
};

Bench<Vmemtile_tile_ctrl>* g_wide;
Bench<Vmemtile_tile_ctrl_narrow>* g_narrow;

struct Elaborate {
  Elaborate() {
    g_wide = new Bench<Vmemtile_tile_ctrl>("wide", TileControllerParams{});
    g_narrow = new Bench<Vmemtile_tile_ctrl_narrow>("narrow", kNarrow);
    In r;
    r.rst_n = false;
    g_wide->cycle(r);
    g_narrow->cycle(r);
  }
};
BOOST_TEST_GLOBAL_FIXTURE(Elaborate);

void randomise_config(std::mt19937_64& rng, In& in, const TileControllerParams& p) {
  auto count = [&](int w, unsigned typical) -> std::uint64_t {
    if (rng() % 10 == 0) return test::corner_bits(rng, w);  // 0, all ones, ...
    return 1 + rng() % typical;
  };
  in.n_x = count(p.idx_w + 1, 4);
  in.n_w = count(p.idx_w + 1, 4);
  in.n_parts = count(p.part_w, 3);
  in.mux = count(p.mux_w, 4);
  in.program = rng() % 3 == 0;
  in.compute = rng() % 5 != 0;
  in.activate = rng() % 2 == 0;
}

void randomise_cycle(std::mt19937_64& rng, In& in, const TileControllerParams& p) {
  in.rst_n = rng() % 5000 != 0;
  in.start = rng() % 8 == 0;
  in.prog_ack = rng() % 2 == 0;
  in.dac_ack = rng() % 2 == 0;
  in.read_ack = rng() % 2 == 0;
  in.adc_done = rng() % 3 == 0;
  in.act_ack = rng() % 2 == 0;
  in.tab_we = rng() % 20 == 0;
  in.tab_sel = rng() & 1;
  in.tab_idx = rng() % (1u << p.idx_w);
  in.tab_lmax = test::corner_bits(rng, 16);
  in.tab_shift = rng() % 64;
  in.tab_neg = rng() & 1;
}

}  // namespace

BOOST_AUTO_TEST_CASE(random_cycles_bit_exact) {
  std::mt19937_64 rng(0xc7a10001);
  const int n = 150000;
  In a, b;
  for (int k = 0; k < n; ++k) {
    if (k % 400 == 0) {
      randomise_config(rng, a, g_wide->model.params());
      randomise_config(rng, b, kNarrow);
    }
    randomise_cycle(rng, a, g_wide->model.params());
    randomise_cycle(rng, b, kNarrow);
    g_wide->cycle(a);
    g_narrow->cycle(b);
  }
  BOOST_TEST(g_wide->mismatches == 0u);
  BOOST_TEST(g_narrow->mismatches == 0u);
  // Every state was visited many times on both variants.
  for (std::uint32_t s = 0; s <= static_cast<std::uint32_t>(CtrlState::Act); ++s) {
    BOOST_TEST_INFO("state " << s);
    BOOST_TEST(g_wide->state_visits[s] > 500u);
    BOOST_TEST_INFO("state " << s);
    BOOST_TEST(g_narrow->state_visits[s] > 500u);
  }
  BOOST_TEST_MESSAGE("tile controller random cycles: " << n << " per variant");
}

// One program + compute + activate operation with the [1,1,2,4] slice table and its sign
// slice (5 slices per operand), 3 row partitions, mux 4; acks after fixed latencies. Counts
// every step and checks the shift-add controls against the table.
BOOST_AUTO_TEST_CASE(directed_operation_sequence) {
  auto& b = *g_wide;
  In in;
  in.rst_n = false;
  b.cycle(in);
  in.rst_n = true;
  struct E { std::uint32_t lmax, shift; bool neg; };
  // Inputs: make_slice_plan({2, 2, 2, 2}) (MSB slice wider than 1: extra sign slice, -2^8);
  // weights: make_slice_plan({1, 1, 2, 4}) (the 1-bit MSB slice is the sign bit, -2^7).
  const E x[] = {{3, 6, false}, {3, 4, false}, {3, 2, false}, {3, 0, false}, {1, 8, true}};
  const E w[] = {{1, 7, true}, {1, 6, false}, {3, 4, false}, {15, 0, false}};
  for (int s = 0; s < 5; ++s) {
    in.tab_we = true;
    in.tab_sel = false;
    in.tab_idx = s;
    in.tab_lmax = x[s].lmax;
    in.tab_shift = x[s].shift;
    in.tab_neg = x[s].neg;
    b.cycle(in);
  }
  for (int s = 0; s < 4; ++s) {
    in.tab_we = true;
    in.tab_sel = true;
    in.tab_idx = s;
    in.tab_lmax = w[s].lmax;
    in.tab_shift = w[s].shift;
    in.tab_neg = w[s].neg;
    b.cycle(in);
  }
  in.tab_we = false;
  in.n_x = 5;
  in.n_w = 4;
  in.n_parts = 3;
  in.mux = 4;
  in.program = in.compute = in.activate = true;
  in.start = true;
  std::map<std::string, int> count;
  bool bad_controls = false;
  int wait = 0, cycles = 0;
  Out o = b.cycle(in);
  in.start = false;
  for (; cycles < 100000; ++cycles) {
    // Acknowledge every request after 3 clocks, the ADC after 11.
    in.prog_ack = in.dac_ack = in.read_ack = in.act_ack = in.adc_done = false;
    if (o.prog_req || o.dac_req || o.read_req || o.act_req) {
      if (++wait >= 3) { in.prog_ack = o.prog_req; in.dac_ack = o.dac_req; in.read_ack = o.read_req; in.act_ack = o.act_req; wait = 0; }
    } else if (o.state == static_cast<std::uint32_t>(CtrlState::Wait)) {
      if (++wait >= 11) { in.adc_done = true; wait = 0; }
    }
    o = b.cycle(in);
    if (o.prog_req && in.prog_ack) ++count["program"];
    if (o.dac_req && in.dac_ack) ++count["dac"];
    if (o.read_req && in.read_ack) ++count["read"];
    if (o.adc_start) ++count["convert"];
    if (o.sa_clear) ++count["sa_clear"];
    if (o.acc_clear) ++count["acc_clear"];
    if (o.acc_valid) ++count["psum"];
    if (o.act_req && in.act_ack) ++count["activate"];
    if (o.sa_valid) {
      ++count["shift_add"];
      const E& ex = x[o.xs_idx];
      const E& ew = w[o.ws_idx];
      if (o.sa_mult != ex.lmax * ew.lmax || o.sa_shift != ex.shift + ew.shift || o.sa_neg != (ex.neg != ew.neg))
        bad_controls = true;
    }
    if (o.done) break;
  }
  BOOST_TEST(!bad_controls);
  BOOST_TEST(count["program"] == 3 * 4);
  BOOST_TEST(count["sa_clear"] == 3);
  BOOST_TEST(count["acc_clear"] == 1);
  BOOST_TEST(count["dac"] == 3 * 5);
  BOOST_TEST(count["read"] == 3 * 5 * 4);
  BOOST_TEST(count["convert"] == 3 * 5 * 4 * 4);
  BOOST_TEST(count["shift_add"] == 3 * 5 * 4 * 4);
  BOOST_TEST(count["psum"] == 3 * 4);
  BOOST_TEST(count["activate"] == 1);
  BOOST_TEST(o.done);
  BOOST_TEST(!o.busy);
  BOOST_TEST(b.mismatches == 0u);
  BOOST_TEST_MESSAGE("directed operation: " << cycles << " clocks");
}
