// Converters, read time, replication and gating of one tile against values derived by hand
// from the energy table's numbers and the circuit (issue: latency and energy an architect can
// trust). Every expected number below is written out from the physics / the table, never read
// back from the library's helpers.
#define BOOST_TEST_MODULE memtile sc isaac tile
#include <boost/test/unit_test.hpp>
#include <cmath>

#include "Harness.hpp"
#include "memtile/core/MatrixEngine.hpp"

using namespace memtile;
using memtile::test::NoSystemCWarnings;
BOOST_TEST_GLOBAL_FIXTURE(NoSystemCWarnings);

namespace {
const auto kTight = boost::test_tools::tolerance(1e-12);

core::EngineConfig cfg32() {
  core::EngineConfig c;
  c.array_rows = c.array_cols = 32;
  c.xblk = c.mblk = {1, 1, 2, 4};  // 4 input slices; weights: sign + 1 + 2 + 4 bits = 4 slice arrays
  c.radc = 256;                    // 8-bit ADC: the table's reference resolution
  c.var = 0;
  c.seed = 9;
  return c;
}

core::TileConfig tile_cfg(int mux, bool pipeline, int replication, bool gate) {
  core::TileConfig t;
  t.clock_ghz = 1.0;
  t.adc_mux = mux;
  t.pipeline = pipeline;
  t.dac_settle_ns = 1.0;
  t.read_pulse_ns = 40.0;  // far above the RC settle of a 32x32 array (~0.1 ns)
  t.sample_cycles = 1;
  t.replication = replication;
  t.gate_unused = gate;
  return t;
}

struct Fixture {
  test::Bench bench;
  int adc_fast = -1, adc_slow = -1, read2x2 = -1;
  int rep1 = -1, rep2 = -1, rep1_serial = -1, rep2_serial = -1;
  int gated = -1, ungated = -1;
  Fixture() {
    const Eigen::MatrixXd W32 = test::random_matrix(32, 32, 3);
    // ADC: the same converter at 1.28 GS/s (table default) and at 0.64 GS/s.
    core::EnergyTable slow;
    slow.adc_sample_rate_gsps = 0.64;
    adc_fast = bench.add("adc_fast", core::MatrixEngine(cfg32()).program(W32), tile_cfg(32, true, 1, false));
    adc_slow = bench.add("adc_slow", core::MatrixEngine(cfg32()).program(W32), tile_cfg(32, true, 1, false), {}, slow);

    // Read energy by hand: a 2x2 array of 1-bit cells.
    core::EngineConfig c2;
    c2.array_rows = c2.array_cols = 2;
    c2.xblk = c2.mblk = {1, 1};  // 2-bit two's complement: a sign slice and one magnitude slice
    c2.g_level = 2;
    c2.var = 0;
    c2.radc = 256;
    Eigen::MatrixXd W2(2, 2);
    W2 << 1, 0, 1, 1;
    core::TileConfig t2 = tile_cfg(2, true, 1, false);
    t2.read_pulse_ns = 50.0;
    read2x2 = bench.add("read2x2", core::MatrixEngine(c2).program(W2), t2);

    // Replication: the same layer with 1 and 2 copies, pipelined and not.
    rep1 = bench.add("rep1", core::MatrixEngine(cfg32()).program(W32), tile_cfg(8, true, 1, false));
    rep2 = bench.add("rep2", core::MatrixEngine(cfg32()).program(W32), tile_cfg(8, true, 2, false));
    rep1_serial = bench.add("rep1_serial", core::MatrixEngine(cfg32()).program(W32), tile_cfg(8, false, 1, false));
    rep2_serial = bench.add("rep2_serial", core::MatrixEngine(cfg32()).program(W32), tile_cfg(8, false, 2, false));

    // Gating: a 20x6 layer on 32x32 arrays, gated and not.
    const Eigen::MatrixXd W6 = test::random_matrix(20, 6, 4);
    gated = bench.add("gated", core::MatrixEngine(cfg32()).program(W6), tile_cfg(8, true, 1, true));
    ungated = bench.add("ungated", core::MatrixEngine(cfg32()).program(W6), tile_cfg(8, true, 1, false));
  }
};
Fixture& fx() {
  static Fixture f;
  return f;
}
double ns(sc_core::sc_time t) { return t.to_seconds() * 1e9; }
}  // namespace

BOOST_AUTO_TEST_CASE(adc_time_and_energy_come_from_one_sample_rate) {
  Fixture& f = fx();
  const Eigen::MatrixXd X = test::random_matrix(3, 32, 5);
  f.bench.run(f.adc_fast, X);
  f.bench.run(f.adc_slow, X);
  const sc::Tile& fast = f.bench.tile(f.adc_fast);
  const sc::Tile& slow = f.bench.tile(f.adc_slow);
  // ISAAC: 8-bit ADC, 2 mW at 1.28 GS/s -> 1/1.28 ns and 2 mW / 1.28 GS/s = 1.5625 pJ per conversion.
  BOOST_TEST(fast.adc0().operating_point().conversion_ns == 1 / 1.28, kTight);
  BOOST_TEST(fast.adc0().operating_point().energy_pj == 1.5625, kTight);
  BOOST_TEST(fast.adc0().operating_point().power_mw == 2.0, kTight);
  // Halving the sample rate doubles the conversion time and halves the power; the energy per
  // conversion (the table's Walden reference) is unchanged: time x power stays 1.5625 pJ.
  BOOST_TEST(slow.adc0().operating_point().conversion_ns == 1 / 0.64, kTight);
  BOOST_TEST(slow.adc0().operating_point().power_mw == 1.0, kTight);
  BOOST_TEST(slow.adc0().operating_point().energy_pj == 1.5625, kTight);
  // 32 columns on one ADC (mux 32): 32 conversions per read, 25 ns at 1.28 GS/s, 50 ns at 0.64.
  BOOST_TEST(ns(fast.latencies().adc) == 25.0, boost::test_tools::tolerance(1e-9));
  BOOST_TEST(ns(slow.latencies().adc) == 50.0, boost::test_tools::tolerance(1e-9));
  // Energy: 3 vectors x 4 input slices x 4 weight slices x 32 columns conversions at 1.5625 pJ.
  const double conversions = 3.0 * 4 * 4 * 32;
  BOOST_TEST(fast.stats().energy.adc_pj == conversions * 1.5625, kTight);
  BOOST_TEST(slow.stats().energy.adc_pj == conversions * 1.5625, kTight);
  // The ADC is the slow stage at 0.64 GS/s (50 ns > 42 ns read): the batch takes longer.
  BOOST_TEST(slow.stats().last_batch_time_ns > fast.stats().last_batch_time_ns);
  // A SAR keeps its bit clock: at 10 bits it samples at 1.28 x 8 / 10 GS/s; a flash keeps 1.28.
  const core::EnergyTable table;
  BOOST_TEST(table.adc_at(10, core::AdcKind::Sar).sample_rate_gsps == 1.024, kTight);
  BOOST_TEST(table.adc_at(10, core::AdcKind::Flash).sample_rate_gsps == 1.28, kTight);
  BOOST_TEST(table.adc_at(10, core::AdcKind::Sar).energy_pj == 1.5625 * 4, kTight);
}

BOOST_AUTO_TEST_CASE(read_energy_is_v2_g_t_read_on_a_2x2_array) {
  Fixture& f = fx();
  // x = [1, 1] quantises to q = 1 = 0b01 in 2-bit two's complement: the sign slice drives 0 V,
  // the magnitude slice vread on both rows.
  Eigen::MatrixXd X(3, 2);
  X << 1, 1, 1, 1, 1, 1;
  f.bench.run(f.read2x2, X);
  const sc::Tile& t = f.bench.tile(f.read2x2);
  // W = [[1, 0], [1, 1]] -> q = W. Magnitude slice: row 0 holds HGS, LGS (+ the LGS reference
  // column), row 1 HGS, HGS (+ LGS); sign slice: all three cells of each row at LGS.
  const double HGS = 1e-5, LGS = 1e-7, vread = 0.1;
  const double g_rows = (HGS + 2 * LGS) + (2 * HGS + LGS) + 3 * LGS + 3 * LGS;
  // The rows are driven for DAC settle + t_read + sample = 1 + max(50 ns pulse, settle) + 1 ns.
  const double t_drive_s = (1.0 + 50.0 + 1.0) * 1e-9;
  const double expect_pj = 3 * vread * vread * g_rows * t_drive_s * 1e12;
  BOOST_TEST(t.stats().energy.crossbar_pj == expect_pj, boost::test_tools::tolerance(1e-9));
  // The read time and the settle are reported apart.
  BOOST_TEST(t.crossbar_timing().read_pulse_ns == 50.0);
  BOOST_TEST(t.crossbar_timing().read_ns == 50.0);
  BOOST_TEST(t.crossbar_timing().settle_ns < 1e-3);
  BOOST_TEST(ns(t.latencies().read) == 51.0, boost::test_tools::tolerance(1e-9));  // t_read + 1 clock sample
}

BOOST_AUTO_TEST_CASE(replication_halves_the_stage_time) {
  Fixture& f = fx();
  const Eigen::MatrixXd X = test::random_matrix(8, 32, 6);
  for (int k : {f.rep1, f.rep2, f.rep1_serial, f.rep2_serial}) f.bench.run(k, X);
  // Stages: A = 1 (DAC) + 40 (read pulse) + 1 (sample) = 42 ns, B = 8 conversions at 1.28 GS/s
  // = 6.25 ns, C = 1 ns, R = 1 ns (one row partition: scaling only), no neuron; 4 input slices.
  const double LA = 42, LB = 6.25, LC = 1, LR = 1, S = 4;
  const auto serial = [&](double slots) { return slots * (S * (LA + LB + LC) + LR); };
  const auto piped = [&](double slots) { return LA + LB + LC + (slots * S - 1) * LA + LR; };
  const auto tol = boost::test_tools::tolerance(1e-6);
  BOOST_TEST(f.bench.tile(f.rep1_serial).stats().last_batch_time_ns == serial(8), tol);
  BOOST_TEST(f.bench.tile(f.rep2_serial).stats().last_batch_time_ns == serial(4), tol);
  BOOST_TEST(f.bench.tile(f.rep2_serial).stats().last_batch_time_ns ==
             0.5 * f.bench.tile(f.rep1_serial).stats().last_batch_time_ns, tol);
  BOOST_TEST(f.bench.tile(f.rep1).stats().last_batch_time_ns == piped(8), tol);
  BOOST_TEST(f.bench.tile(f.rep2).stats().last_batch_time_ns == piped(4), tol);
  // Two copies: twice the area, the same inference energy, the same numbers.
  BOOST_TEST(f.bench.tile(f.rep2).area().total_um2() == 2 * f.bench.tile(f.rep1).area().total_um2(), kTight);
  BOOST_TEST(f.bench.tile(f.rep2).stats().energy.inference_pj() == f.bench.tile(f.rep1).stats().energy.inference_pj(), kTight);
  BOOST_TEST(f.bench.tile(f.rep2).stats().energy.program_pj == 2 * f.bench.tile(f.rep1).stats().energy.program_pj, kTight);
}

BOOST_AUTO_TEST_CASE(gated_columns_cost_nothing) {
  Fixture& f = fx();
  // x = 1 everywhere: q = 127 = 0111 1111; slices [1,1,2,4] = 0, 1, 3, 15: every row at 0 V in
  // the sign slice and at vread in the other three.
  const Eigen::MatrixXd X = Eigen::MatrixXd::Ones(3, 20);
  const Eigen::MatrixXd yg = f.bench.run(f.gated, X);
  const Eigen::MatrixXd yu = f.bench.run(f.ungated, X);
  const sc::TileStats g = f.bench.tile(f.gated).stats(), u = f.bench.tile(f.ungated).stats();
  const double B = 3, S = 4, Wsl = 4;
  // Conversions, samples and shift-adds of the 6 used columns only (26 of 32 are gated).
  BOOST_TEST(g.adc_conversions == B * S * Wsl * 6);
  BOOST_TEST(u.adc_conversions == B * S * Wsl * 32);
  BOOST_TEST(g.energy.adc_pj == B * S * Wsl * 6 * 1.5625, kTight);
  BOOST_TEST(g.energy.sample_hold_pj == B * S * Wsl * 6 * 0.00097, kTight);
  // Shift-add: 0.2 mW / (8 ADCs x 1.28 GS/s) = 0.01953125 pJ per add.
  BOOST_TEST(g.energy.shift_add_pj == B * S * Wsl * 6 * 0.01953125, kTight);
  BOOST_TEST(g.energy.reduce_pj == B * 6 * 0.01953125, kTight);
  // DACs: only the 20 used rows; a b-bit slice costs 2^b - 1 unit conversions of 0.39 pJ.
  BOOST_TEST(g.dac_conversions == B * S * Wsl * 20);
  BOOST_TEST(g.energy.dac_pj == B * 20 * Wsl * (1 + 1 + 3 + 15) * 0.39, kTight);
  BOOST_TEST(u.energy.dac_pj == B * 32 * Wsl * (1 + 1 + 3 + 15) * 0.39, kTight);
  // Crossbar: the 26 gated columns' cells (LGS) draw no current: 3 driven slices x 20 rows x
  // vread^2 x 26 LGS x t_drive (1 + 40 + 1 ns) x 4 weight-slice arrays x 3 vectors less.
  const double dE = B * 3 * 20 * 0.01 * 26 * 1e-7 * 42e-9 * Wsl * 1e12;
  BOOST_TEST(u.energy.crossbar_pj - g.energy.crossbar_pj == dE, boost::test_tools::tolerance(1e-9));
  // Time: 8 columns per ADC (4 ADCs per array); gated, the 6 used columns interleave over the
  // 4 ADCs: 2 conversions (1.5625 ns) instead of 8 (6.25 ns).
  // (1.5625 ns is 1562.5 ps: the 1 ps SystemC resolution rounds it.)
  BOOST_TEST(ns(f.bench.tile(f.gated).latencies().adc) == 2 / 1.28, boost::test_tools::tolerance(1e-3));
  BOOST_TEST(ns(f.bench.tile(f.ungated).latencies().adc) == 8 / 1.28, boost::test_tools::tolerance(1e-6));
  // Gating changes no number.
  BOOST_TEST((yg - yu).cwiseAbs().maxCoeff() == 0.0);
}
