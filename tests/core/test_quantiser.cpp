#include <boost/test/unit_test.hpp>

#include <limits>

#include "TestData.hpp"
#include "memtile/core/Errors.hpp"
#include "memtile/core/Finite.hpp"
#include "memtile/core/Quantiser.hpp"

using namespace memtile::core;

namespace {
double recombine(double q, const SlicePlan& plan) {
  double v = 0;
  for (const Slice& s : plan.slices) v += s.weight * slice_value(q, plan, s);
  return v;
}
}  // namespace

BOOST_AUTO_TEST_SUITE(quantiser)

BOOST_AUTO_TEST_CASE(twos_complement_slices_recombine_exactly_for_any_widths) {
  for (const std::vector<int>& widths : std::vector<std::vector<int>>{
           {1, 1, 2, 4}, {1, 1, 1, 1, 1, 1, 1, 1}, {4, 4}, {3, 5}, {8}, {2, 3, 3}, {1, 7}}) {
    const SlicePlan plan = make_slice_plan(widths);
    const int n = plan.total_bits;
    const long long lo = -(1LL << (n - 1)), hi = (1LL << (n - 1)) - 1;
    for (long long q = lo; q <= hi; ++q)
      BOOST_REQUIRE_EQUAL(recombine(static_cast<double>(q), plan), static_cast<double>(q));
    // The MSB slice carries negative weight when it is the sign bit alone.
    if (widths.front() == 1) BOOST_TEST(plan.slices.front().weight < 0);
    else BOOST_TEST(plan.slices.back().sign);
  }
}

BOOST_AUTO_TEST_CASE(magnitude_slices_recombine_exactly) {
  const SlicePlan plan = make_magnitude_plan({1, 1, 2, 4});
  BOOST_TEST(plan.total_bits == 7);
  BOOST_TEST(plan.slices.size() == 3u);
  for (int q = 0; q < 128; ++q) BOOST_REQUIRE_EQUAL(recombine(q, plan), q);
  const SlicePlan wide = make_magnitude_plan({4, 4});
  BOOST_TEST(wide.slices.front().bits == 3);
  for (int q = 0; q < 128; ++q) BOOST_REQUIRE_EQUAL(recombine(q, wide), q);
}

BOOST_AUTO_TEST_CASE(integer_quantisation_is_per_vector_max_abs) {
  Eigen::MatrixXd x(2, 3);
  x << 1.0, -2.0, 0.5, 0.0, 0.0, 0.0;
  const QuantisedBlock q = quantise_int(x, 127, true);
  BOOST_TEST(q.scale(0) == 2.0 / 127);
  BOOST_TEST(q.q(0, 1) == -127);
  BOOST_TEST(q.q(0, 0) == 64);  // 63.5 rounds half to even
  BOOST_TEST(q.scale(1) == 0.0);
  BOOST_TEST(q.q.row(1).isZero());
}

BOOST_AUTO_TEST_CASE(fp_prealignment_puts_the_max_in_one_to_two) {
  Eigen::MatrixXd x(1, 3);
  x << 3.0, -0.75, 1e-9;
  const QuantisedBlock q = quantise_fp(x, 10, 8, true);
  BOOST_TEST(q.scale(0) == std::ldexp(1.0, 1 - 10));  // e = floor(log2 3) = 1
  BOOST_TEST(q.q(0, 0) * q.scale(0) == 3.0);
  BOOST_TEST(q.q(0, 1) * q.scale(0) == -0.75);
  BOOST_TEST(q.q(0, 2) == 0.0);
  // Exponent clipped to bw_e bits: 2^20 needs e = 20 > 2^(3-1)-1 = 3, so values saturate.
  Eigen::MatrixXd big(1, 1);
  big << 1048576.0;
  const QuantisedBlock s = quantise_fp(big, 10, 3, true);
  BOOST_TEST(s.q(0, 0) * s.scale(0) < 16.0);
}

BOOST_AUTO_TEST_CASE(bad_slice_widths_throw) {
  BOOST_CHECK_THROW(make_slice_plan({}), InputError);
  BOOST_CHECK_THROW(make_slice_plan({0, 4}), InputError);
  BOOST_CHECK_THROW(make_slice_plan({17}), InputError);
}

BOOST_AUTO_TEST_CASE(all_finite_sees_every_nan_and_inf) {
  const Eigen::MatrixXd x = memtile::test::randn(37, 11, 3) * 1e300;  // huge but finite
  BOOST_CHECK(all_finite(x));
  BOOST_CHECK(all_finite(Eigen::MatrixXd(0, 4)));
  for (double bad : {std::numeric_limits<double>::quiet_NaN(), std::numeric_limits<double>::infinity(),
                     -std::numeric_limits<double>::infinity()})
    for (auto [r, c] : {std::pair{0, 0}, {36, 10}, {17, 5}, {3, 9}}) {
      Eigen::MatrixXd y = x;
      y(r, c) = bad;
      BOOST_CHECK_MESSAGE(!all_finite(y), "missed " << bad << " at " << r << "," << c);
      // A block sees only its own elements (an outer stride between its columns).
      BOOST_CHECK_EQUAL(all_finite(y.block(18, 0, 19, 5)), !(r >= 18 && c < 5));
    }
  Eigen::MatrixXd z = Eigen::MatrixXd::Zero(3, 3);
  z(1, 1) = -0.0;
  BOOST_CHECK(all_finite(z));
}

BOOST_AUTO_TEST_SUITE_END()
