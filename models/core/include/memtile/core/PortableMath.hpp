#pragma once
// log, cos(2 pi u) and exp built from IEEE +, -, *, / and integer bit operations only: no libm,
// no fused multiply-add (the build compiles with -ffp-contract=off), no branches. So a call
// gives the same bits in a scalar loop and in any vector lane the compiler puts it in, at any
// x86-64 level: the random draws (CounterRng) can be computed a block at a time in SIMD and
// still equal the draw made one at a time. glibc's log/cos/exp are scalar calls that took
// three quarters of programming an array with variation.
//
// Accuracy (tests/core/test_portable_math.cpp, against libm in long double): within 2 ulp over
// the domains below (cos: 2 ulp of 1); the truncated series leave errors under 1e-17 relative.
#include <cstddef>
#include <cstdint>
#include <cstring>

namespace memtile::core::portable {

namespace detail {
inline std::uint64_t bits_of(double x) {
  std::uint64_t b;
  std::memcpy(&b, &x, sizeof b);
  return b;
}
inline double double_of(std::uint64_t b) {
  double x;
  std::memcpy(&x, &b, sizeof x);
  return x;
}
constexpr double kRoundMagic = 0x1.8p52;  // adding it rounds |x| < 2^51 to an integer, kept in the low bits
constexpr double kLn2Hi = 0x1.62e42feep-1;  // ln 2 split so that k * kLn2Hi is exact for |k| < 2^20
constexpr double kLn2Lo = 0x1.a39ef35793c76p-33;  // ln 2 - kLn2Hi, to 2^-86

// c[0] x^(N-1) + ... + c[N-1] by Horner's rule (a multiply and an add per coefficient).
template <std::size_t N>
inline double horner(double x, const double (&c)[N]) {
  double p = c[0];
  for (std::size_t i = 1; i < N; ++i) p = p * x + c[i];
  return p;
}
}  // namespace detail

// Natural log of a positive normal double (the domain of a uniform in (0, 1) and of
// conductances). x = 2^k m with m in [sqrt(1/2), sqrt(2)); log m = 2 atanh(s), s = (m-1)/(m+1),
// |s| <= 0.1716, series to s^21.
inline double log(double x) {
  using namespace detail;
  const std::uint64_t b = bits_of(x);
  // Adding (bits of 1) - (bits of sqrt(1/2)) carries into the exponent field exactly when x's
  // mantissa is >= sqrt(1/2)'s: the field then holds k + 1023.
  const std::uint64_t e = (b + (0x3ff0000000000000ULL - 0x3fe6a09e667f3bcdULL)) >> 52;
  const double m = double_of(b - (e << 52) + (1023ULL << 52));
  const double k = (double_of(e | 0x4330000000000000ULL) - 0x1p52) - 1023.0;  // e < 2^11: exact
  const double s = (m - 1.0) / (m + 1.0);
  const double z = s * s;
  constexpr double kAtanh[] = {2.0 / 21, 2.0 / 19, 2.0 / 17, 2.0 / 15, 2.0 / 13, 2.0 / 11,
                               2.0 / 9,  2.0 / 7,  2.0 / 5,  2.0 / 3};
  const double p = horner(z, kAtanh);
  const double log_m = 2.0 * s + s * (z * p);
  return k * kLn2Hi + (k * kLn2Lo + log_m);
}

// cos(2 pi u) for u in [0, 1] a multiple of 2^-54 (as every CounterRng uniform is): u = q/4 + r
// exactly, |r| <= 1/8, and cos(2 pi u) = +-cos or +-sin of x = 2 pi r, |x| <= pi/4, whose series
// (to x^16 and x^17) fall under 1e-17.
inline double cos_two_pi(double u) {
  using namespace detail;
  const double t = 4.0 * u + kRoundMagic;
  const std::uint64_t q = bits_of(t);  // low bits: round(4u)
  const double r = u - (t - kRoundMagic) * 0.25;
  const double x = r * 6.283185307179586;
  const double x2 = x * x;
  // 1/16!, -1/14!, ..., 1 and 1/17!, -1/15!, ..., -1/3!
  constexpr double kCos[] = {1.0 / 20922789888000.0, -1.0 / 87178291200.0, 1.0 / 479001600.0,
                             -1.0 / 3628800.0,       1.0 / 40320.0,        -1.0 / 720.0,
                             1.0 / 24.0,             -0.5,                 1.0};
  constexpr double kSin[] = {1.0 / 355687428096000.0, -1.0 / 1307674368000.0, 1.0 / 6227020800.0,
                             -1.0 / 39916800.0,       1.0 / 362880.0,         -1.0 / 5040.0,
                             1.0 / 120.0,             -1.0 / 6.0};
  const double c = horner(x2, kCos);
  const double s = x + x * (x2 * horner(x2, kSin));
  // Quadrant q mod 4: cos x, -sin x, -cos x, sin x. Selected and signed with integer masks.
  const std::uint64_t odd = 0 - (q & 1);
  const std::uint64_t sign = ((q + 1) & 2) << 62;
  return double_of(((bits_of(s) & odd) | (bits_of(c) & ~odd)) ^ sign);
}

// exp(y) for |y| <= 700: y = k ln 2 + r, |r| <= ln(2)/2, series to r^13. Outside that domain
// the result is meaningless (no undefined behaviour: integer arithmetic is unsigned); callers
// keep to it (lognormal variation: |y| <= var * 8.7, var <= 5). A clamp here would be
// jump-threaded by GCC into a branch and the loop would not vectorise.
inline double exp(double y) {
  using namespace detail;
  const double t = y * 1.4426950408889634 + kRoundMagic;
  const double k = t - kRoundMagic;
  const double r = (y - k * kLn2Hi) - k * kLn2Lo;
  // 1/13!, ..., 1/2!
  constexpr double kExp[] = {1.0 / 6227020800.0, 1.0 / 479001600.0, 1.0 / 39916800.0, 1.0 / 3628800.0,
                             1.0 / 362880.0,     1.0 / 40320.0,     1.0 / 5040.0,     1.0 / 720.0,
                             1.0 / 120.0,        1.0 / 24.0,        1.0 / 6.0,        0.5};
  const double p = 1.0 + (r + r * (r * horner(r, kExp)));
  // 2^k from k's two's-complement bits in t (|k| <= 1010, so k + 1023 is a normal exponent).
  const std::uint64_t two_k = (bits_of(t) - bits_of(kRoundMagic) + 1023) << 52;
  return p * double_of(two_k);
}

}  // namespace memtile::core::portable
