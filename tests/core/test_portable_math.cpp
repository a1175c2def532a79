// PortableMath (log, cos 2 pi u, exp from IEEE basic operations) against glibc's libm in long
// double, and CounterRng's block of normals against its one-at-a-time draw, bit for bit.
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <cstring>
#include <vector>

#include "memtile/core/CounterRng.hpp"
#include "memtile/core/PortableMath.hpp"

using namespace memtile::core;

namespace {
// |got - want| in units of the last place of want (a double).
double ulps(double got, long double want) {
  const double w = static_cast<double>(want);
  const double ulp = std::nextafter(std::fabs(w), INFINITY) - std::fabs(w);
  return static_cast<double>(std::fabs(static_cast<long double>(got) - want) / ulp);
}
std::uint64_t bits(double x) {
  std::uint64_t b;
  std::memcpy(&b, &x, sizeof b);
  return b;
}
}  // namespace

BOOST_AUTO_TEST_SUITE(portable_math)

BOOST_AUTO_TEST_CASE(log_is_within_two_ulp_of_libm) {
  const CounterRng rng(11);
  double worst = 0;
  for (std::uint64_t i = 0; i < 200000; ++i) {
    // Uniforms in (0, 1) as the normals draw them, then positive values over 2^-1000 .. 2^1000.
    const double u = rng.uniform(1, i);
    const double x = i % 2 ? u : std::ldexp(0.5 + u, static_cast<int>(rng.bits(2, i) % 2001) - 1000);
    worst = std::max(worst, ulps(portable::log(x), std::log(static_cast<long double>(x))));
  }
  for (double x : {1.0, 0.5, 2.0, std::sqrt(0.5), std::nextafter(std::sqrt(0.5), 0.0), 0x1.0p-54, 1.0 - 0x1.0p-54})
    worst = std::max(worst, ulps(portable::log(x), std::log(static_cast<long double>(x))));
  BOOST_TEST_MESSAGE("log: worst " << worst << " ulp");
  BOOST_TEST(worst <= 2.0);
  BOOST_TEST(portable::log(1.0) == 0.0);
}

BOOST_AUTO_TEST_CASE(cos_two_pi_is_within_two_ulp_of_one_of_libm_for_the_uniforms_it_takes) {
  const CounterRng rng(12);
  const long double two_pi = 6.283185307179586476925286766559L;
  double worst = 0;
  std::vector<double> us;
  for (std::uint64_t i = 0; i < 200000; ++i) us.push_back(rng.uniform(3, i));
  // Quadrant edges and the ends of (0, 1), all multiples of 2^-54.
  for (double u : {0.0, 0.125, 0.25, 0.375, 0.5, 0.625, 0.75, 0.875, 1.0, 0x1.0p-54, 1.0 - 0x1.0p-54})
    for (double e : {-0x1.0p-54, 0.0, 0x1.0p-54}) us.push_back(std::min(1.0, std::max(0.0, u + e)));
  for (double u : us) {
    const long double want = std::cos(two_pi * static_cast<long double>(u));
    worst = std::max(worst, static_cast<double>(std::fabs(static_cast<long double>(portable::cos_two_pi(u)) - want)));
  }
  BOOST_TEST_MESSAGE("cos(2 pi u): worst absolute error " << worst);
  BOOST_TEST(worst <= 2.3e-16);  // two ulp of 1
  BOOST_TEST(portable::cos_two_pi(0.0) == 1.0);
  BOOST_TEST(portable::cos_two_pi(0.5) == -1.0);
  BOOST_TEST(portable::cos_two_pi(1.0) == 1.0);
}

BOOST_AUTO_TEST_CASE(exp_is_within_two_ulp_of_libm_over_its_domain) {
  const CounterRng rng(13);
  double worst = 0;
  for (std::uint64_t i = 0; i < 200000; ++i) {
    // Half over the lognormal variation's range (|y| <= 5 * 8.7), half over |y| <= 700.
    const double y = (2.0 * rng.uniform(4, i) - 1.0) * (i % 2 ? 44.0 : 700.0);
    worst = std::max(worst, ulps(portable::exp(y), std::exp(static_cast<long double>(y))));
  }
  BOOST_TEST_MESSAGE("exp: worst " << worst << " ulp");
  BOOST_TEST(worst <= 2.0);
  BOOST_TEST(portable::exp(0.0) == 1.0);
}

BOOST_AUTO_TEST_CASE(normals_of_a_block_are_the_one_at_a_time_draws_bit_for_bit) {
  const CounterRng rng(14);
  for (std::size_t n : {0, 1, 3, 63, 64, 65, 200}) {
    for (std::uint64_t b0 : {std::uint64_t{0}, std::uint64_t{5}, std::uint64_t{1} << 40}) {
      std::vector<double> block(n + 1, -7.0);
      rng.normals(9, b0, n, 2, 3, block.data());
      for (std::size_t i = 0; i < n; ++i) BOOST_REQUIRE_EQUAL(bits(block[i]), bits(rng.normal(9, b0 + i, 2, 3)));
      BOOST_REQUIRE_EQUAL(block[n], -7.0);  // nothing written past n
    }
  }
}

BOOST_AUTO_TEST_CASE(normal_is_box_muller_of_the_same_uniforms_with_libm) {
  // The draws are those of the libm Box-Muller to rounding (the stream of uniforms is the one
  // of every earlier release), and standard normal.
  const CounterRng rng(15);
  const int n = 400000;
  std::vector<double> z(n);
  rng.normals(21, 0, n, 0, 0, z.data());
  double worst = 0, sum = 0, sum2 = 0;
  int beyond3 = 0;
  for (int i = 0; i < n; ++i) {
    const double u1 = rng.uniform(21, i), u2 = rng.uniform(21 ^ 0x5851f42d4c957f2dULL, i);
    const double libm = std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
    worst = std::max(worst, std::fabs(z[i] - libm));
    sum += z[i];
    sum2 += z[i] * z[i];
    beyond3 += std::fabs(z[i]) > 3.0;
  }
  BOOST_TEST_MESSAGE("normal vs libm Box-Muller: worst absolute difference " << worst);
  BOOST_TEST(worst <= 1e-14);
  const double mean = sum / n, var = sum2 / n - mean * mean;
  BOOST_TEST(std::fabs(mean) < 5.0 / std::sqrt(n));
  BOOST_TEST(std::fabs(var - 1.0) < 0.01);
  BOOST_TEST(std::fabs(beyond3 / static_cast<double>(n) - 0.0026998) < 0.0005);
}

BOOST_AUTO_TEST_SUITE_END()
