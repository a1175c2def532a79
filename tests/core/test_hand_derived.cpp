// Checks against values derived by hand, not through the library's helpers: the ADC's rounding
// of ties (half to even) on the path multiply() takes, the traced ADC codes, the programming
// cost, the Elmore ladder. Each case is built so that a plausible wrong implementation (ties
// away from zero, codes rounded down, V*t instead of V^2*t) gives a different number.
#include <boost/test/unit_test.hpp>

#include <cmath>

#include "TestData.hpp"
#include "memtile/core/Errors.hpp"
#include "memtile/core/MatrixEngine.hpp"
#include "memtile/core/Programming.hpp"
#include "memtile/core/WireTechnology.hpp"

using namespace memtile::core;

namespace {

// Dyadic device values so every current is exact in binary floating point: a 1-bit slice
// reads I = count * vread * (HGS - LGS) = count * 2^-14 A, the worst-case full scale is
// vread * (HGS - LGS) * rows = 2^-9 A, and with radc = 16 (half = 8) the ADC sees
// x = I * half / fs = count / 4: every count = 2 mod 4 is an exact tie.
EngineConfig tie_config() {
  EngineConfig c;
  c.mode = EngineMode::BitSlice;
  c.HGS = std::ldexp(1.0, -12) + std::ldexp(1.0, -20);
  c.LGS = std::ldexp(1.0, -20);
  c.g_level = 2;
  c.var = 0;
  c.vread = 0.25;
  c.radc = 16;
  c.array_rows = 32;
  c.array_cols = 8;
  c.xblk = {1, 1, 1, 1};
  c.mblk = {1, 1, 1, 1};
  c.seed = 3;
  return c;
}
constexpr double kFullScaleA = 1.0 / 512;  // 2^-9
constexpr double kHalf = 8;
constexpr double kCodeValue = 4;  // fs / (half * vread * (HGS - LGS)) slice-product units per code

// Round half to even, written out (not nearbyint, not the library's round_even).
double half_even(double x) {
  const double f = std::floor(x);
  const double d = x - f;
  if (d < 0.5) return f;
  if (d > 0.5) return f + 1;
  return std::fmod(f, 2.0) == 0 ? f : f + 1;
}
double adc_code(double current_a) {
  return std::min(kHalf - 1, std::max(-kHalf, half_even(current_a * kHalf / kFullScaleA)));
}

}  // namespace

BOOST_AUTO_TEST_SUITE(hand_derived)

BOOST_AUTO_TEST_CASE(engine_adc_rounds_ties_to_even_on_the_multiply_path) {
  const EngineConfig cfg = tie_config();
  MatrixEngine engine(cfg);
  const Eigen::MatrixXd W = memtile::test::randn(64, 16, 5);
  const Eigen::MatrixXd X = memtile::test::randn(24, 64, 6);
  ProgrammedMatrix pm = engine.program(W);
  // The reference: the engine's own encode/read/shift-add/finish steps, with the ADC written
  // out here (code = round-half-even(I * half / fs), clipped, times the code value).
  Eigen::MatrixXd Yref = Eigen::MatrixXd::Zero(X.rows(), W.cols());
  int ties = 0, ties_that_differ_from_away = 0;
  for (int kb = 0; kb < pm.row_blocks(); ++kb) {
    const EncodedInput in = pm.encode(X, kb);
    Eigen::MatrixXd acc = Eigen::MatrixXd::Zero(X.rows(), W.cols());
    for (int i = 0; i < static_cast<int>(in.volts.size()); ++i)
      for (int j = 0; j < static_cast<int>(pm.block(kb).slices.size()); ++j) {
        const Eigen::MatrixXd I = pm.read(kb, j, i, in.volts[i], 0);
        Eigen::MatrixXd P(I.rows(), I.cols());
        for (Eigen::Index e = 0; e < I.size(); ++e) {
          const double x = I.data()[e] * kHalf / kFullScaleA;
          if (x - std::floor(x) == 0.5 && std::abs(x) < kHalf - 1) {
            ++ties;
            if (half_even(x) != std::round(x)) ++ties_that_differ_from_away;
          }
          P.data()[e] = adc_code(I.data()[e]) * kCodeValue;
        }
        // The traced codes (what the tile's VCD shows) are the same codes.
        for (Eigen::Index col = 0; col < I.cols(); ++col) {
          const Eigen::VectorXd traced = pm.adc_codes(kb, j, i, I, col);
          for (Eigen::Index b = 0; b < I.rows(); ++b) BOOST_REQUIRE_EQUAL(traced(b), adc_code(I(b, col)));
        }
        pm.shift_add(acc, j, i, P);
      }
    pm.finish_block(Yref, kb, in, acc);
  }
  BOOST_TEST_MESSAGE(ties << " exact ties, " << ties_that_differ_from_away << " where away-from-zero differs");
  BOOST_REQUIRE_GT(ties_that_differ_from_away, 20);  // the case exercises ties at all
  const Eigen::MatrixXd Y = pm.multiply(X);
  BOOST_TEST((Y - Yref).cwiseAbs().maxCoeff() == 0.0);
  // The separate conversion step (what the SystemC tile calls) gives the same products.
  const EncodedInput in = pm.encode(X, 0);
  const Eigen::MatrixXd I = pm.read(0, 1, 2, in.volts[2], 0);
  const Eigen::MatrixXd P = pm.convert(0, 1, 2, I);
  for (Eigen::Index e = 0; e < I.size(); ++e) BOOST_REQUIRE_EQUAL(P.data()[e], adc_code(I.data()[e]) * kCodeValue);
}

BOOST_AUTO_TEST_CASE(traced_codes_round_to_nearest_not_down) {
  // Currents of 0.75 and -0.25 codes: rounding down would give 0 and -1.
  const EngineConfig cfg = tie_config();
  MatrixEngine engine(cfg);
  ProgrammedMatrix pm = engine.program(memtile::test::randn(32, 8, 9));
  Eigen::MatrixXd I(4, 8);
  const double code_a = kFullScaleA / kHalf;
  I.setConstant(0.75 * code_a);
  I.row(1).setConstant(-0.25 * code_a);
  I.row(2).setConstant(2.5 * code_a);   // tie: 2
  I.row(3).setConstant(-3.5 * code_a);  // tie: -4
  const Eigen::VectorXd c = pm.adc_codes(0, 0, 0, I, 3);
  BOOST_TEST(c(0) == 1.0);
  BOOST_TEST(c(1) == 0.0);
  BOOST_TEST(c(2) == 2.0);
  BOOST_TEST(c(3) == -4.0);
}

BOOST_AUTO_TEST_CASE(programming_cost_is_v_squared_g_t_per_pulse) {
  // 2 V pulses of 10 ns, 3 pulses per cell, 1 mS of programmed conductance in total:
  // E = 2^2 * 10e-9 s * 3 * 1e-3 S = 1.2e-10 J = 120 pJ; 32 rows one after the other: 960 ns.
  const ProgrammingCost c = programming_cost(32, 1e-3, 2.0, 10.0, 3);
  BOOST_TEST(c.energy_pj == 120.0, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(c.time_ns == 960.0, boost::test_tools::tolerance(1e-12));
  // 0.5 V: a V*t model would scale by 1/4, V^2*t by 1/16.
  BOOST_TEST(programming_cost(32, 1e-3, 0.5, 10.0, 3).energy_pj == 7.5, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(programming_cost(32, 1e-3, 2.0, 10.0, 3, true).time_ns == 0.0);  // software: no arrays to write
  BOOST_CHECK_THROW(programming_cost(32, -1e-3, 2.0, 10.0, 3), InputError);
}

BOOST_AUTO_TEST_CASE(elmore_ladder_is_the_sum_over_nodes) {
  // Three segments of 2 ohm / 5 F behind a 7 ohm driver: node k sees 7 + 2k ohm upstream:
  // 5 (9 + 11 + 13) = 165 s.
  BOOST_TEST(elmore_ladder_delay_s(3, 2.0, 5.0, 7.0) == 165.0);
  WireParams w;
  w.row_segment_ohm = 2;
  w.col_segment_ohm = 3;
  w.driver_ohm = 7;
  w.sense_ohm = 1;
  // Rows: the ladder above; columns: 4 segments of 3 ohm / 0.5 F, sense 1 ohm:
  // 0.5 (4 + 7 + 10 + 13) = 17 s.
  const ElmoreDelay d = elmore_delay(4, 3, w, 5.0, 0.5);
  BOOST_TEST(d.row_s == 165.0);
  BOOST_TEST(d.col_s == 17.0, boost::test_tools::tolerance(1e-15));
}

// encode's DAC voltages against the slicing written out here: the two's-complement word of q
// (q + 2^n for q < 0), its bits [shift, shift + bits) or the sign, and the DAC level
// vread * round-half-even(u / levels_max * (rdac - 1)) / (rdac - 1). Covers a table slice
// (<= 8 bits), a 9-bit slice (the formula), fp words of 34 bits (the 64-bit path), a
// partial last row block and a batch of 7 (the vector loop's tail).
BOOST_AUTO_TEST_CASE(encode_drives_each_slice_value_at_its_dac_level) {
  struct Case {
    EngineMode mode;
    std::vector<int> xblk;
  };
  int mismatches = 0, negatives = 0, checked = 0;
  for (const Case& c : {Case{EngineMode::BitSlice, {1, 1, 2, 4}}, Case{EngineMode::BitSlice, {3, 9}},
                        Case{EngineMode::FloatingPoint, {16, 16}}}) {
    EngineConfig cfg;
    cfg.mode = c.mode;
    cfg.xblk = c.xblk;
    cfg.var = 0;
    MatrixEngine engine(cfg);
    ProgrammedMatrix pm = engine.program(memtile::test::randn(45, 5, 1));
    const Eigen::MatrixXd X = memtile::test::randn(7, 45, 2);
    const SlicePlan& plan = pm.input_plan();
    const int n = plan.total_bits;
    const double steps = cfg.rdac - 1;
    for (int kb = 0; kb < pm.row_blocks(); ++kb) {
      const EncodedInput in = pm.encode(X, kb);
      const Eigen::Index used = std::min<Eigen::Index>(cfg.array_rows, 45 - kb * cfg.array_rows);
      BOOST_REQUIRE_EQUAL(in.volts.size(), plan.slices.size());
      for (std::size_t s = 0; s < plan.slices.size(); ++s) {
        const Slice& sl = plan.slices[s];
        BOOST_REQUIRE_EQUAL(in.volts[s].rows(), 7);
        BOOST_REQUIRE_EQUAL(in.volts[s].cols(), used);
        const double levels_max = std::ldexp(1.0, sl.bits) - 1;
        for (Eigen::Index b = 0; b < 7; ++b)
          for (Eigen::Index r = 0; r < used; ++r) {
            const long long q = static_cast<long long>(in.q(b, r));
            const long long word = q < 0 ? q + (1LL << n) : q;
            const long long u = sl.sign ? (q < 0 ? 1 : 0) : (word >> sl.shift) & ((1LL << sl.bits) - 1);
            const double v = cfg.vread * std::nearbyint(static_cast<double>(u) / levels_max * steps) / steps;
            mismatches += in.volts[s](b, r) != v;
            negatives += q < 0;
            ++checked;
          }
      }
    }
  }
  BOOST_CHECK_EQUAL(mismatches, 0);
  BOOST_CHECK_GT(negatives, 100);
  BOOST_CHECK_GT(checked, 2000);
}

BOOST_AUTO_TEST_SUITE_END()
