// Device and converter non-idealities behave as documented: conductance mapping, variation
// drawn once, stuck-at faults, drift, read noise, ADC clipping and full-scale choices.
#include <boost/test/unit_test.hpp>
#include <cmath>

#include "TestData.hpp"
#include "memtile/core/Converters.hpp"
#include "memtile/core/CrossbarArray.hpp"
#include "memtile/core/MatrixEngine.hpp"

using namespace memtile::core;

BOOST_AUTO_TEST_SUITE(devices)

BOOST_AUTO_TEST_CASE(conductance_levels_map_linearly_between_lgs_and_hgs) {
  DeviceParams d;
  d.HGS = 1e-5;
  d.LGS = 1e-7;
  Eigen::MatrixXd levels(2, 2);
  levels << 0, 15, 5, 10;
  const CrossbarArray a(levels, 15, d, CounterRng(1), 7, true);
  BOOST_TEST(a.conductance().cols() == 3);  // reference column appended
  BOOST_TEST(a.conductance()(0, 0) == 1e-7);
  BOOST_TEST(std::abs(a.conductance()(0, 1) - 1e-5) < 1e-20);
  BOOST_TEST(std::abs(a.conductance()(1, 0) - (1e-7 + 5 * (1e-5 - 1e-7) / 15)) < 1e-20);
  BOOST_TEST(a.conductance()(1, 2) == 1e-7);
}

BOOST_AUTO_TEST_CASE(programming_variation_is_lognormal_with_sigma_var) {
  DeviceParams d;
  d.var = 0.1;
  const Eigen::MatrixXd levels = Eigen::MatrixXd::Constant(200, 200, 15);
  const CrossbarArray a(levels, 15, d, CounterRng(3), 1, false);
  const Eigen::ArrayXXd logs = (a.conductance().array() / d.HGS).log();
  const double mean = logs.mean();
  const double sd = std::sqrt((logs - mean).square().mean());
  BOOST_TEST(std::abs(mean) < 0.003);
  BOOST_TEST(std::abs(sd - 0.1) < 0.003);
  // The same key draws the same variation: programming is reproducible.
  const CrossbarArray b(levels, 15, d, CounterRng(3), 1, false);
  BOOST_TEST((a.conductance().array() == b.conductance().array()).all());
}

BOOST_AUTO_TEST_CASE(stuck_at_faults_hit_the_configured_fraction) {
  DeviceParams d;
  d.stuck_at_lgs = 0.1;
  d.stuck_at_hgs = 0.05;
  const Eigen::MatrixXd levels = Eigen::MatrixXd::Constant(300, 300, 7);
  const CrossbarArray a(levels, 15, d, CounterRng(9), 2, false);
  const double n = static_cast<double>(levels.size());
  const double at_lgs = (a.conductance().array() == d.LGS).count() / n;
  const double at_hgs = (a.conductance().array() == d.HGS).count() / n;
  BOOST_TEST(std::abs(at_lgs - 0.1) < 0.005);
  BOOST_TEST(std::abs(at_hgs - 0.05) < 0.005);
}

BOOST_AUTO_TEST_CASE(drift_scales_conductance_by_t_over_t0_to_the_minus_nu) {
  DeviceParams d;
  d.drift_nu = 0.05;
  d.drift_t_s = 1000;
  d.drift_t0_s = 1;
  const Eigen::MatrixXd levels = Eigen::MatrixXd::Constant(4, 4, 15);
  const CrossbarArray a(levels, 15, d, CounterRng(1), 3, false);
  const Eigen::MatrixXd e = a.effective(d);
  BOOST_TEST(std::abs(e(0, 0) / a.conductance()(0, 0) - std::pow(1000.0, -0.05)) < 1e-12);
}

BOOST_AUTO_TEST_CASE(adc_is_signed_mid_tread_and_clips_at_full_scale) {
  const AdcQuantiser adc{8};  // codes -4 .. 3
  BOOST_TEST(adc.code(0.0) == 0);
  BOOST_TEST(adc.code(0.5) == 2);
  BOOST_TEST(adc.code(2.0) == 3);
  BOOST_TEST(adc.code(-5.0) == -4);
  const DacQuantiser dac{4, 0.3};  // 0, 0.1, 0.2, 0.3 V
  BOOST_TEST(std::abs(dac.unsigned_voltage(1, 3) - 0.1) < 1e-15);
  BOOST_TEST(std::abs(dac.unsigned_voltage(2, 15) - 0.0) < 1e-15);  // 0.4 steps rounds to 0
}

BOOST_AUTO_TEST_CASE(non_idealities_increase_the_error) {
  const Eigen::MatrixXd a = memtile::test::randn(32, 64, 11), b = memtile::test::randn(64, 32, 12);
  EngineConfig base;
  base.var = 0;
  const double re0 = relative_error(a * b, MatrixEngine(base).dot(a, b));
  auto with = [&](auto&& tweak) {
    EngineConfig c = base;
    tweak(c);
    return relative_error(a * b, MatrixEngine(c).dot(a, b));
  };
  BOOST_TEST(with([](EngineConfig& c) { c.var = 0.05; }) > 2 * re0);
  BOOST_TEST(with([](EngineConfig& c) { c.vnoise = 0.01; }) > 2 * re0);
  BOOST_TEST(with([](EngineConfig& c) { c.stuck_at_hgs = 0.02; }) > 2 * re0);
  BOOST_TEST(with([](EngineConfig& c) { c.radc = 16; }) > 2 * re0);
  // Drift without compensation scales every product down by (t/t0)^-nu.
  const double f = std::pow(1e4, -0.1);
  BOOST_TEST(std::abs(with([](EngineConfig& c) { c.drift_nu = 0.1; c.drift_t_s = 1e4; }) - (1 - f)) < 0.05);
}

BOOST_AUTO_TEST_CASE(calibrated_full_scale_beats_worst_case_with_a_coarse_adc) {
  double worst = 0, calibrated = 0;
  for (int t = 0; t < 5; ++t) {
    const Eigen::MatrixXd a = memtile::test::randn(32, 32, 20 + t), b = memtile::test::randn(32, 32, 40 + t);
    EngineConfig c;
    c.mode = EngineMode::DiffPair;
    c.var = 0;
    c.radc = 64;
    worst += relative_error(a * b, MatrixEngine(c).dot(a, b));
    c.adc_full_scale = AdcFullScale::Calibrated;
    calibrated += relative_error(a * b, MatrixEngine(c).dot(a, b));
  }
  BOOST_TEST(calibrated < 0.8 * worst);
}

BOOST_AUTO_TEST_CASE(differential_encoding_halves_variation_error_of_twos_complement) {
  double twos = 0, diff = 0;
  for (int t = 0; t < 5; ++t) {
    const Eigen::MatrixXd a = memtile::test::randn(32, 32, 60 + t), b = memtile::test::randn(32, 32, 80 + t);
    EngineConfig c;
    c.seed = t;
    twos += relative_error(a * b, MatrixEngine(c).dot(a, b));
    c.weight_encoding = WeightEncoding::Differential;
    diff += relative_error(a * b, MatrixEngine(c).dot(a, b));
  }
  // The MSB (sign) cell of a negative two's-complement weight carries -2^(n-1): its
  // variation is not cancelled by the positive slices.
  BOOST_TEST(diff < 0.6 * twos);
}

BOOST_AUTO_TEST_CASE(read_counters_follow_the_schedule) {
  EngineConfig c;  // 4 input slices, 4 weight slices, 32x32 arrays
  MatrixEngine e(c);
  ProgrammedMatrix pm = e.program(memtile::test::randn(40, 50, 1));  // 2 row blocks, 2 col blocks
  pm.multiply(memtile::test::randn(3, 40, 2));
  const ReadCounters& n = pm.counters();
  BOOST_TEST(n.vectors == 3u);
  BOOST_TEST(n.array_reads == 3u * 2 * 2 * 4 * 4);
  BOOST_TEST(n.adc_conversions == 3u * 2 * 2 * 4 * 4 * 32);
  BOOST_TEST(n.dac_conversions == 3u * 2 * 2 * 4 * 4 * 32);
  BOOST_TEST(n.read_energy_per_s_j > 0);
}

BOOST_AUTO_TEST_CASE(wire_resistance_solves_the_circuit_for_every_array) {
  const Eigen::MatrixXd a = memtile::test::randn(16, 64, 31), b = memtile::test::randn(64, 32, 32);
  auto re_at = [&](double ohm, EngineMode mode) {
    EngineConfig c;
    c.mode = mode;
    c.var = 0;
    c.wire_resistance = ohm;
    return relative_error(a * b, MatrixEngine(c).dot(a, b));
  };
  for (EngineMode mode : {EngineMode::BitSlice, EngineMode::DiffPair}) {
    const double ideal = re_at(0, mode);
    // A vanishing wire resistance reproduces the ideal read (up to the ADC rounding).
    BOOST_TEST(std::abs(re_at(1e-9, mode) - ideal) < 1e-6);
    // IR drop grows with the segment resistance.
    BOOST_TEST(re_at(50, mode) > re_at(5, mode));
    BOOST_TEST(re_at(500, mode) > 2 * ideal);
  }
}

BOOST_AUTO_TEST_SUITE_END()
