// With every non-ideality off, each engine converges to the exact product as precision grows:
// about 2x less error per added bit, <= 1e-4 at 16 bits and <= 1e-7 at 28 bits, in the
// software form and in the hardware form with enough DAC/ADC/conductance levels.
#include <boost/test/unit_test.hpp>
#include <cmath>

#include "TestData.hpp"
#include "memtile/core/MatrixEngine.hpp"

using namespace memtile::core;

namespace {

// Slice widths of `bits` bits in slices of at most `w` bits, MSB first.
std::vector<int> slices_of(int bits, int w) {
  std::vector<int> out;
  while (bits > 0) {
    out.insert(out.begin(), std::min(w, bits));
    bits -= std::min(w, bits);
  }
  return out;
}

EngineConfig ideal(EngineMode mode, bool software, int bits) {
  EngineConfig c;
  c.mode = mode;
  c.software = software;
  // float64 reads: at 24+ bits the exact product is resolved beyond float32's 6e-8 rounding
  // of the conductances and voltages.
  c.precision = Precision::Float64;
  c.var = 0;
  c.vnoise = 0;
  c.wire_resistance = 0;
  c.radc = 1 << 30;  // resolves every slice product
  if (mode == EngineMode::DiffPair) {
    c.rdac = (1 << std::min(bits, 30)) + 1;  // signed input of `bits` bits: +-(2^(bits-1))
    c.g_level = (1 << std::min(bits - 1, 29)) + 1;
  } else if (mode == EngineMode::FloatingPoint) {
    c.xblk = slices_of(bits - 2, 1);  // [1,1] + fraction slices: `bits` bits in all
    c.mblk = c.xblk;
  } else {
    // Software: 4-bit slices. Hardware: 1-bit slices, so that a 2^30-level ADC resolves every
    // slice product exactly (half scale 2^29 is a multiple of rows * 1 * 1).
    c.xblk = slices_of(bits, software ? 4 : 1);
    c.mblk = c.xblk;
  }
  return c;
}

double mean_re(const EngineConfig& cfg, int trials = 3) {
  double sum = 0;
  for (int t = 0; t < trials; ++t) {
    const Eigen::MatrixXd a = memtile::test::randn(24, 64, 100 + t), b = memtile::test::randn(64, 20, 200 + t);
    MatrixEngine e(cfg);
    sum += relative_error(a * b, e.dot(a, b));
  }
  return sum / trials;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(convergence)

BOOST_AUTO_TEST_CASE(every_engine_converges_to_the_exact_product) {
  for (EngineMode mode : {EngineMode::BitSlice, EngineMode::DiffPair, EngineMode::FloatingPoint}) {
    for (bool software : {true, false}) {
      BOOST_TEST_CONTEXT("mode " << to_string(mode) << (software ? " software" : " hardware")) {
        const double re8 = mean_re(ideal(mode, software, 8));
        const double re12 = mean_re(ideal(mode, software, 12));
        const double re16 = mean_re(ideal(mode, software, 16));
        const double re28 = mean_re(ideal(mode, software, 28));
        BOOST_TEST_MESSAGE(to_string(mode) << (software ? " sw" : " hw") << ": RE 8b " << re8
                                           << " 12b " << re12 << " 16b " << re16 << " 28b " << re28);
        // About 2x per bit: 4 more bits give 16x (accept 8x..32x).
        BOOST_TEST(re8 / re12 > 8.0);
        BOOST_TEST(re8 / re12 < 32.0);
        BOOST_TEST(re12 / re16 > 8.0);
        BOOST_TEST(re12 / re16 < 32.0);
        BOOST_TEST(re16 <= 1e-4);
        BOOST_TEST(re28 <= 1e-7);
      }
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()
