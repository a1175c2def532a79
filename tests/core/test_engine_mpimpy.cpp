// Statistical comparison with mPimPy's published behaviour (docs/model.md §3): 32x32 random-normal
// matrices, 30 seeds, no wire resistance, mPimPy's example parameters.
//
// mPimPy's INT8/FP32 hardware figures correspond to signed weights on differential
// (sign-magnitude) arrays; with two's-complement weights the sign cell's variation is scaled
// by 2^(n-1) and the error is about 2.5x larger (checked here too, and in docs/numerics.md).
#include <boost/test/unit_test.hpp>

#include "TestData.hpp"
#include "memtile/core/MatrixEngine.hpp"

using namespace memtile::core;

namespace {

struct Stats {
  double mean = 0, min = 1e300, max = 0;
};

Stats run(EngineConfig cfg, int seeds = 30) {
  Stats s;
  for (int k = 0; k < seeds; ++k) {
    const Eigen::MatrixXd a = memtile::test::randn(32, 32, 5000 + 2 * k);
    const Eigen::MatrixXd b = memtile::test::randn(32, 32, 5001 + 2 * k);
    cfg.seed = static_cast<std::uint64_t>(k);
    const double re = relative_error(a * b, MatrixEngine(cfg).dot(a, b));
    s.mean += re / seeds;
    s.min = std::min(s.min, re);
    s.max = std::max(s.max, re);
  }
  BOOST_TEST_MESSAGE("RE mean " << s.mean << " min " << s.min << " max " << s.max);
  return s;
}

EngineConfig int8() {
  EngineConfig c;
  c.HGS = 1 / 1.3e5;
  c.LGS = 1 / 2.1e6;
  return c;
}

EngineConfig fp32() {
  EngineConfig c;
  c.mode = EngineMode::FloatingPoint;
  c.xblk = c.mblk = std::vector<int>(23, 1);
  c.bw_e = 8;
  return c;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(mpimpy_reference)

BOOST_AUTO_TEST_CASE(int4_diffpair_hardware) {  // mPimPy: mean 0.068 (0.063-0.073)
  EngineConfig c;
  c.mode = EngineMode::DiffPair;
  const Stats s = run(c);
  BOOST_TEST(s.mean >= 0.063);
  BOOST_TEST(s.mean <= 0.073);
}

BOOST_AUTO_TEST_CASE(int8_bitslice_software) {  // mPimPy: 0.0076
  EngineConfig c = int8();
  c.software = true;
  const Stats s = run(c);
  BOOST_TEST(s.mean >= 0.0076 * 0.8);
  BOOST_TEST(s.mean <= 0.0076 * 1.2);
}

BOOST_AUTO_TEST_CASE(int8_bitslice_hardware_one_bit_slices) {  // mPimPy: mean 0.045 (0.009-0.088)
  EngineConfig c = int8();
  c.xblk = c.mblk = std::vector<int>(8, 1);
  c.weight_encoding = WeightEncoding::Differential;
  const Stats s = run(c);
  BOOST_TEST(s.mean >= 0.009);
  BOOST_TEST(s.mean <= 0.088);
  BOOST_TEST(s.mean >= 0.045 * 0.75);
  BOOST_TEST(s.mean <= 0.045 * 1.25);
  // Two's complement: same physics, sign cell variation amplified.
  c.weight_encoding = WeightEncoding::TwosComplement;
  const Stats t = run(c, 10);
  BOOST_TEST(t.mean > 1.8 * s.mean);
}

BOOST_AUTO_TEST_CASE(fp32_software) {  // mPimPy: 1.8e-7 (it truncates; we round: about half)
  EngineConfig c = fp32();
  c.software = true;
  const Stats s = run(c);
  BOOST_TEST(s.mean >= 1.8e-7 / 3);
  BOOST_TEST(s.mean <= 1.8e-7 * 1.5);
}

BOOST_AUTO_TEST_CASE(fp32_hardware) {  // mPimPy: mean 0.055
  EngineConfig c = fp32();
  c.weight_encoding = WeightEncoding::Differential;
  const Stats s = run(c);
  BOOST_TEST(s.mean >= 0.055 * 0.6);
  BOOST_TEST(s.mean <= 0.055 * 1.4);
}

BOOST_AUTO_TEST_SUITE_END()
