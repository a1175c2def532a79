// Latency of an MVM against the analytic sum (SAR vs flash, mux ratios, pipelined or not),
// and energy accounting against table x counts. The expected numbers are computed here from
// the formulas of docs/model.md §4/§5 and the table values, not through the library's helpers.
#define BOOST_TEST_MODULE memtile sc timing and energy
#include <boost/test/unit_test.hpp>
#include <cmath>

#include "Harness.hpp"
#include "memtile/core/MatrixEngine.hpp"

using namespace memtile;

using memtile::test::NoSystemCWarnings;
BOOST_TEST_GLOBAL_FIXTURE(NoSystemCWarnings);

namespace {
// Independent Elmore settle: IMAC-Sim wire R and C at 9 nm (docs/model.md §4).
double settle_ns(int rows, int cols, int adc_bits) {
  const double n = 9e-9, w = 3 * n, T = 22e-9, H = 20e-9, eps = 20 * 8.854e-12;
  const double l0 = 39e-9, p = 0.25, R = 0.3, alpha = l0 * R / (w * (1 - R));
  const double rho = 1.9e-8 * (0.75 * (1 - p) * l0 / w +
                               1 / (1 - 1.5 * alpha + 3 * alpha * alpha - 3 * alpha * alpha * alpha * std::log(1 + 1 / alpha)));
  const double r_row = rho * 12 * n / (w * T), r_col = rho * 15 * n / (w * T);
  auto cpm = [&](double S) {
    return eps * (0.5 * (1.15 * w / H + 2.8 * std::pow(T / H, 0.222)) +
                  (0.03 * w / H + 0.83 * T / H - 0.07 * std::pow(T / H, 0.222)) * std::pow(H / S, 1.34));
  };
  const double c_row = cpm(12 * n) * 12 * n, c_col = cpm(5 * n) * 15 * n;
  const double tau = r_row * c_row * cols * (cols + 1) / 2.0 + r_col * c_col * rows * (rows + 1) / 2.0;
  return (adc_bits + 1) * std::log(2.0) * tau * 1e9;
}

struct TimingCase {
  std::string name;
  core::AdcKind kind;
  int mux;
  bool pipeline;
  Eigen::Index K;
  core::NeuronKind neuron;
};

core::EngineConfig engine_cfg() {
  core::EngineConfig c;
  c.array_rows = c.array_cols = 32;
  c.xblk = c.mblk = {1, 1, 2, 4};  // 4 input slices
  c.radc = 1024;                   // 10-bit ADC: a SAR at 10 bits is slower than the table's 8-bit reference
  c.seed = 5;
  return c;
}

const std::vector<TimingCase>& timing_cases() {
  static const std::vector<TimingCase> v = {
      {"sar_mux8", core::AdcKind::Sar, 8, true, 32, core::NeuronKind::None},
      {"sar_mux1", core::AdcKind::Sar, 1, true, 32, core::NeuronKind::None},
      {"sar_mux32_hpar4", core::AdcKind::Sar, 32, true, 100, core::NeuronKind::Relu},
      {"flash_mux8", core::AdcKind::Flash, 8, true, 32, core::NeuronKind::None},
      {"flash_mux1", core::AdcKind::Flash, 1, true, 32, core::NeuronKind::Relu},  // DAC/crossbar-bound
      {"sar_mux8_serial", core::AdcKind::Sar, 8, false, 100, core::NeuronKind::Relu},
  };
  return v;
}

struct Fixture {
  test::Bench bench;
  int energy_tile = -1;
  std::vector<Eigen::MatrixXd> W;
  Fixture() {
    int k = 0;
    for (const TimingCase& c : timing_cases()) {
      core::TileConfig t;
      t.adc_kind = c.kind;
      t.adc_mux = c.mux;
      t.pipeline = c.pipeline;
      t.clock_ghz = 1.25;  // 0.8 ns clock
      core::NeuronConfig n;
      n.kind = c.neuron;
      W.push_back(test::random_matrix(c.K, 32, 11 + k++));
      bench.add(c.name, core::MatrixEngine(engine_cfg()).program(W.back()), t, n);
    }
    // Energy: 1-bit slices everywhere, 100x70 on 32x32 (hpar 4, vpar 3), ReLU.
    core::EngineConfig c = engine_cfg();
    c.xblk = c.mblk = {1, 1, 1, 1, 1, 1, 1, 1};
    c.radc = 1024;
    c.var = 0.05;
    W.push_back(test::random_matrix(100, 70, 3));
    core::NeuronConfig n;
    n.kind = core::NeuronKind::Relu;
    energy_tile = bench.add("energy", core::MatrixEngine(c).program(W.back()), {}, n);
  }
};
Fixture& fx() {
  static Fixture f;
  return f;
}
}  // namespace

BOOST_AUTO_TEST_CASE(mvm_latency_matches_the_analytic_sum) {
  Fixture& f = fx();
  const double clk = 0.8;
  const int S = 4, bits = 10;
  for (std::size_t k = 0; k < timing_cases().size(); ++k) {
    const TimingCase& c = timing_cases()[k];
    BOOST_TEST_CONTEXT(c.name) {
      const double LA = 1.0 /*dac_settle_ns*/ + settle_ns(32, 32, bits) + 1 * clk /*sample*/;
      // ISAAC's reference ADC: 8 bits at 1.28 GS/s. A SAR keeps its bit clock (8 x 1.28 GHz),
      // so at 10 bits it samples at 1.28 x 8 / 10 GS/s; a flash keeps 1.28 GS/s.
      const double fs_gsps = c.kind == core::AdcKind::Sar ? 1.28 * 8 / bits : 1.28;
      const double LB = c.mux / fs_gsps;
      const double LC = 1 * clk;
      const int hpar = static_cast<int>((c.K + 31) / 32);
      const double LR = (std::ceil(std::log2(hpar)) * 1 + 1) * clk;
      const double LN = c.neuron == core::NeuronKind::None ? 0.0 : 1 * clk;
      const double mx = std::max({LA, LB, LC});
      for (int B : {1, 3}) {
        double expect;
        if (c.pipeline) expect = LA + LB + LC + (B * S - 1) * mx + LR + LN;
        else expect = B * (S * (LA + LB + LC) + LR + LN);
        sc_core::sc_time took;
        f.bench.run(static_cast<int>(k), test::random_matrix(B, c.K, 40 + B), &took);
        const double got = took.to_seconds() * 1e9;
        BOOST_TEST_INFO("B=" << B << " got " << got << " ns, analytic " << expect << " ns");
        BOOST_TEST(std::abs(got - expect) <= 0.004 * (B * S + 2));  // one ps rounding per term
        if (B == 1) BOOST_TEST(std::abs(f.bench.tile(static_cast<int>(k)).stats().mvm_latency_ns - expect) <= 0.01);
      }
    }
  }
  // At 10 bits the SAR is slower than the flash (10/8) in the ADC-bound case.
  BOOST_TEST(fx().bench.tile(0).stats().mvm_latency_ns > fx().bench.tile(3).stats().mvm_latency_ns);
}

BOOST_AUTO_TEST_CASE(energy_is_table_times_counts) {
  Fixture& f = fx();
  const int k = f.energy_tile;
  const Eigen::MatrixXd X = test::random_matrix(6, 100, 77);
  f.bench.run(k, X);
  f.bench.run(k, test::random_matrix(2, 100, 78));
  const sc::Tile& t = f.bench.tile(k);
  const core::ReadCounters& rc = t.matrix().counters();
  const sc::TileStats s = t.stats();
  const double tol = 1e-12;
  // ISAAC table: 1-bit DAC 3.9 uW x 100 ns; 10-bit ADC = 2 mW/1.28 GS/s x 2^(10-8); S&H 9.7 nW x 100 ns;
  // shift-add 0.2 mW / 10.24 G adds/s; ReLU one shift-add op.
  const double e_dac = 3.9e-6 * 100e-9 * 1e12, e_adc = 2e-3 / 1.28e9 * 4 * 1e12, e_sh = 9.7e-9 * 100e-9 * 1e12;
  const double e_sa = 0.2e-3 / (8 * 1.28e9) * 1e12;  // 4 units, 0.2 mW, adding 8 ADCs' outputs
  BOOST_TEST(s.energy.dac_pj == rc.dac_conversions * e_dac, boost::test_tools::tolerance(tol));
  BOOST_TEST(s.energy.adc_pj == rc.adc_conversions * e_adc, boost::test_tools::tolerance(tol));
  BOOST_TEST(s.energy.sample_hold_pj == rc.adc_conversions * e_sh, boost::test_tools::tolerance(tol));
  BOOST_TEST(s.energy.shift_add_pj == rc.adc_conversions * e_sa, boost::test_tools::tolerance(tol));
  const double vectors = 8, npad = 96, hpar = 4;
  BOOST_TEST(s.energy.reduce_pj == vectors * npad * hpar * e_sa, boost::test_tools::tolerance(tol));
  BOOST_TEST(s.energy.neuron_pj == vectors * 70 * e_sa, boost::test_tools::tolerance(tol));
  // Crossbar: sum V^2 G over the reads x the row-drive time (DAC settle + settle + sample).
  const double drive_ns = 1.0 + settle_ns(32, 32, 10) + 1.0;
  BOOST_TEST(s.energy.crossbar_pj == rc.read_energy_per_s_j * drive_ns * 1e-9 * 1e12, boost::test_tools::tolerance(1e-9));
  BOOST_TEST(s.energy.crossbar_pj > 0.0);
  // Programming: 2 V, 10 ns, one pulse per cell, sum of programmed conductances.
  double g = 0;
  for (int kb = 0; kb < t.matrix().row_blocks(); ++kb)
    for (const core::ProgrammedSlice& ps : t.matrix().block(kb).slices) g += ps.row_g_sum_s.sum();
  BOOST_TEST(s.energy.program_pj == 4.0 * 10e-9 * g * 1e12, boost::test_tools::tolerance(tol));
  BOOST_TEST(s.program_time_ns == 32 * 10.0, boost::test_tools::tolerance(tol));
  // Counts.
  BOOST_TEST(s.dac_conversions == rc.dac_conversions);
  BOOST_TEST(rc.dac_conversions == 8u * 32 * 8 * 8 * 3 * 4);  // vectors x rows x nx x nw x vpar x hpar
  BOOST_TEST(s.neuron_ops == 8u * 70);
}
