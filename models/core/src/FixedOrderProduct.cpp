#include "memtile/core/FixedOrderProduct.hpp"

#include <cmath>

#include "memtile/core/Errors.hpp"
#include "memtile/core/Quantiser.hpp"

#if defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>
#define MEMTILE_FMA_KERNEL 1
// GCC 12 warns inside its own AVX-512 headers: _mm512_undefined_pd() initialises a register
// from itself on purpose (the conversions' unused pass-through operand).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#endif

namespace memtile::core {
namespace {

using Index = Eigen::Index;

#ifdef MEMTILE_FMA_KERNEL
// The scalar step of the vector kernels: the same fused operation (one rounding, in T), so the
// rows handled outside the vector blocks get the bits the blocks would have given them.
inline double step(double acc, double v, double d) { return std::fma(v, d, acc); }
inline float step(float acc, float v, float d) { return std::fma(v, d, acc); }
#else
inline double step(double acc, double v, double d) { return acc + v * d; }
inline float step(float acc, float v, float d) { return acc + v * d; }
#endif

// Rows [b0, b1) of columns [c0, c1), one element at a time; put(b, c, sum) takes each sum.
template <typename T, typename Put>
void scalar_part(const T* V, Index ldv, Index K, const T* D, Index ldd, Index b0, Index b1, Index c0, Index c1,
                 Put&& put) {
  for (Index c = c0; c < c1; ++c)
    for (Index b = b0; b < b1; ++b) {
      T acc = 0;
      for (Index k = 0; k < K; ++k) acc = step(acc, V[b + k * ldv], D[k + c * ldd]);
      put(b, c, acc);
    }
}

// The ADC conversion and shift-add of one current, element by element as
// ProgrammedMatrix::convert_into (round_even(I k).max(lo).min(hi) * u, then round_even when
// counting) and shift_add (acc + weight * P): the vector forms below make the same IEEE
// operations in the same order (the build never contracts a multiply and an add).
inline void convert_add(double& acc, double I, double k, double u, const AdcConversion& cv) {
  double t = round_even(I * k);
  t = std::min(cv.hi, std::max(cv.lo, t));
  double p = t * u;
  if (cv.round_to_count) p = round_even(p);
  acc = acc + cv.weight * p;
}

#ifdef MEMTILE_FMA_KERNEL
#define MEMTILE_AVX512 __attribute__((target("avx512f"), always_inline)) inline
#define MEMTILE_AVX2 __attribute__((always_inline)) inline

// convert_add on a register of currents in double: acc[0..W) += weight * P.
#define MEMTILE_CONVERT_ADD(TARGET, VEC, WIDTH)                                                          \
  TARGET void convert_add(double* acc, VEC I, double k, double u, const AdcConversion& cv) {              \
    const VEC magic = _mm##WIDTH##_set1_pd(kRoundEvenMagic);                                             \
    VEC t = _mm##WIDTH##_sub_pd(_mm##WIDTH##_add_pd(_mm##WIDTH##_mul_pd(I, _mm##WIDTH##_set1_pd(k)), magic), \
                                magic);                                                                  \
    t = _mm##WIDTH##_min_pd(_mm##WIDTH##_max_pd(t, _mm##WIDTH##_set1_pd(cv.lo)), _mm##WIDTH##_set1_pd(cv.hi)); \
    t = _mm##WIDTH##_mul_pd(t, _mm##WIDTH##_set1_pd(u));                                                 \
    if (cv.round_to_count) t = _mm##WIDTH##_sub_pd(_mm##WIDTH##_add_pd(t, magic), magic);                \
    _mm##WIDTH##_storeu_pd(acc, _mm##WIDTH##_add_pd(_mm##WIDTH##_loadu_pd(acc),                          \
                                                    _mm##WIDTH##_mul_pd(_mm##WIDTH##_set1_pd(cv.weight), t))); \
  }
MEMTILE_CONVERT_ADD(MEMTILE_AVX512, __m512d, 512)
MEMTILE_CONVERT_ADD(MEMTILE_AVX2, __m256d, 256)
#undef MEMTILE_CONVERT_ADD

// One vector register of T: W lanes. The AVX-512 sets are compiled for that target only (the
// build's instruction set stays x86-64-v3; the kernel is chosen at run time). Raw pointers and
// intrinsics only: no Eigen code is compiled with the wider ISA. convert_add(acc, sums, cv, c)
// converts the register's sums (column c) into the shift-add accumulator.
#define MEMTILE_OPS(NAME, TARGET, T, VEC, W_, SUFFIX, WIDTH, WIDEN)                                                      \
  struct NAME {                                                                                                \
    using Scalar = T;                                                                                          \
    using Vec = VEC;                                                                                           \
    static constexpr Index W = W_;                                                                             \
    TARGET static Vec zero() { return _mm##WIDTH##_setzero_##SUFFIX(); }                                       \
    TARGET static Vec load(const T* p) { return _mm##WIDTH##_loadu_##SUFFIX(p); }                              \
    TARGET static Vec bcast(T x) { return _mm##WIDTH##_set1_##SUFFIX(x); }                                     \
    TARGET static Vec fmadd(Vec a, Vec b, Vec c) { return _mm##WIDTH##_fmadd_##SUFFIX(a, b, c); }              \
    TARGET static void store(T* p, Vec v) { _mm##WIDTH##_storeu_##SUFFIX(p, v); }                              \
    WIDEN                                                                                                      \
  };
// Double precision converts its sums as they are.
#define MEMTILE_CONVERT_DOUBLE(TARGET, VEC)                                                                    \
  TARGET static void convert_add(double* p, VEC v, const AdcConversion& cv, Index c) {                         \
    memtile::core::convert_add(p, v, cv.inv_fs[c], cv.code_value[c], cv);                                      \
  }
// Single precision stores its sums widened to double (exactly), and converts them in double:
// the register's two halves low(v), high(v) of HALF lanes each.
#define MEMTILE_WIDENED(TARGET, VEC, WIDTH, HALF)                                                              \
  TARGET static void store(double* p, VEC v) {                                                                 \
    _mm##WIDTH##_storeu_pd(p, low(v));                                                                         \
    _mm##WIDTH##_storeu_pd(p + HALF, high(v));                                                                 \
  }                                                                                                            \
  TARGET static void convert_add(double* p, VEC v, const AdcConversion& cv, Index c) {                         \
    memtile::core::convert_add(p, low(v), cv.inv_fs[c], cv.code_value[c], cv);                                 \
    memtile::core::convert_add(p + HALF, high(v), cv.inv_fs[c], cv.code_value[c], cv);                         \
  }
#define MEMTILE_WIDEN_512                                                                                      \
  MEMTILE_AVX512 static __m512d low(__m512 v) { return _mm512_cvtps_pd(_mm512_castps512_ps256(v)); }            \
  MEMTILE_AVX512 static __m512d high(__m512 v) {                                                               \
    return _mm512_cvtps_pd(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1)));                  \
  }                                                                                                            \
  MEMTILE_WIDENED(MEMTILE_AVX512, __m512, 512, 8)
#define MEMTILE_WIDEN_256                                                                                      \
  MEMTILE_AVX2 static __m256d low(__m256 v) { return _mm256_cvtps_pd(_mm256_castps256_ps128(v)); }              \
  MEMTILE_AVX2 static __m256d high(__m256 v) { return _mm256_cvtps_pd(_mm256_extractf128_ps(v, 1)); }          \
  MEMTILE_WIDENED(MEMTILE_AVX2, __m256, 256, 4)
MEMTILE_OPS(Avx512d, MEMTILE_AVX512, double, __m512d, 8, pd, 512, MEMTILE_CONVERT_DOUBLE(MEMTILE_AVX512, __m512d))
MEMTILE_OPS(Avx512f, MEMTILE_AVX512, float, __m512, 16, ps, 512, MEMTILE_WIDEN_512)
MEMTILE_OPS(Avx2d, MEMTILE_AVX2, double, __m256d, 4, pd, 256, MEMTILE_CONVERT_DOUBLE(MEMTILE_AVX2, __m256d))
MEMTILE_OPS(Avx2f, MEMTILE_AVX2, float, __m256, 8, ps, 256, MEMTILE_WIDEN_256)
#undef MEMTILE_CONVERT_DOUBLE
#undef MEMTILE_WIDENED
#undef MEMTILE_WIDEN_512
#undef MEMTILE_WIDEN_256
#undef MEMTILE_OPS

// Blocks of 2W rows x 4 columns (then 2W rows x 1 column) in registers, k ascending: every
// element is the same ascending chain of fused multiply-adds as scalar_part. PUT(p, sums, c)
// takes a register of sums of column c for rows p. Returns the rows done (a multiple of 2W).
// One body for both instruction sets and both sinks (a function's target attribute cannot be
// inherited by a shared template, hence the macro).
#define MEMTILE_FIXED_ORDER_BLOCKS(PUT)                                                                        \
  using T = typename Ops::Scalar;                                                                              \
  using Vec = typename Ops::Vec;                                                                               \
  constexpr Index R = 2 * Ops::W;                                                                              \
  const Index BR = B - B % R, N4 = N - N % 4;                                                                  \
  for (Index c = 0; c < N4; c += 4) {                                                                          \
    const T* d0 = D + c * ldd;                                                                                 \
    const T* d1 = d0 + ldd;                                                                                    \
    const T* d2 = d1 + ldd;                                                                                    \
    const T* d3 = d2 + ldd;                                                                                    \
    for (Index b = 0; b < BR; b += R) {                                                                        \
      Vec a00 = Ops::zero(), a01 = Ops::zero(), a10 = Ops::zero(), a11 = Ops::zero(), a20 = Ops::zero(),       \
          a21 = Ops::zero(), a30 = Ops::zero(), a31 = Ops::zero();                                             \
      const T* v = V + b;                                                                                      \
      for (Index k = 0; k < K; ++k, v += ldv) {                                                                \
        const Vec x0 = Ops::load(v), x1 = Ops::load(v + Ops::W);                                               \
        Vec w = Ops::bcast(d0[k]);                                                                             \
        a00 = Ops::fmadd(x0, w, a00);                                                                          \
        a01 = Ops::fmadd(x1, w, a01);                                                                          \
        w = Ops::bcast(d1[k]);                                                                                 \
        a10 = Ops::fmadd(x0, w, a10);                                                                          \
        a11 = Ops::fmadd(x1, w, a11);                                                                          \
        w = Ops::bcast(d2[k]);                                                                                 \
        a20 = Ops::fmadd(x0, w, a20);                                                                          \
        a21 = Ops::fmadd(x1, w, a21);                                                                          \
        w = Ops::bcast(d3[k]);                                                                                 \
        a30 = Ops::fmadd(x0, w, a30);                                                                          \
        a31 = Ops::fmadd(x1, w, a31);                                                                          \
      }                                                                                                        \
      auto* o = out + b + c * ldo;                                                                             \
      PUT(o, a00, c);                                                                                          \
      PUT(o + Ops::W, a01, c);                                                                                 \
      PUT(o + ldo, a10, c + 1);                                                                                \
      PUT(o + ldo + Ops::W, a11, c + 1);                                                                       \
      PUT(o + 2 * ldo, a20, c + 2);                                                                            \
      PUT(o + 2 * ldo + Ops::W, a21, c + 2);                                                                   \
      PUT(o + 3 * ldo, a30, c + 3);                                                                            \
      PUT(o + 3 * ldo + Ops::W, a31, c + 3);                                                                   \
    }                                                                                                          \
  }                                                                                                            \
  for (Index c = N4; c < N; ++c) {                                                                             \
    const T* d0 = D + c * ldd;                                                                                 \
    for (Index b = 0; b < BR; b += R) {                                                                        \
      Vec a0 = Ops::zero(), a1 = Ops::zero();                                                                  \
      const T* v = V + b;                                                                                      \
      for (Index k = 0; k < K; ++k, v += ldv) {                                                                \
        const Vec w = Ops::bcast(d0[k]);                                                                       \
        a0 = Ops::fmadd(Ops::load(v), w, a0);                                                                  \
        a1 = Ops::fmadd(Ops::load(v + Ops::W), w, a1);                                                         \
      }                                                                                                        \
      PUT(out + b + c * ldo, a0, c);                                                                           \
      PUT(out + b + Ops::W + c * ldo, a1, c);                                                                  \
    }                                                                                                          \
  }                                                                                                            \
  return BR;
#define MEMTILE_STORE(p, v, c) Ops::store(p, v)
#define MEMTILE_CONVERT(p, v, c) Ops::convert_add(p, v, cv, c)

// O: the output's type (T, or double for T = float).
template <class Ops, typename O>
__attribute__((target("avx512f"))) Index avx512_rows(const typename Ops::Scalar* V, Index ldv, Index B, Index K,
                                                     const typename Ops::Scalar* D, Index ldd, Index N, O* out,
                                                     Index ldo) {
  MEMTILE_FIXED_ORDER_BLOCKS(MEMTILE_STORE)
}

template <class Ops, typename O>
Index avx2_rows(const typename Ops::Scalar* V, Index ldv, Index B, Index K, const typename Ops::Scalar* D, Index ldd,
                Index N, O* out, Index ldo) {
  MEMTILE_FIXED_ORDER_BLOCKS(MEMTILE_STORE)
}

// The sums converted into the accumulator `out` (double) instead of stored.
template <class Ops>
__attribute__((target("avx512f"))) Index avx512_convert_rows(const typename Ops::Scalar* V, Index ldv, Index B,
                                                             Index K, const typename Ops::Scalar* D, Index ldd,
                                                             Index N, const AdcConversion& cv, double* out,
                                                             Index ldo) {
  MEMTILE_FIXED_ORDER_BLOCKS(MEMTILE_CONVERT)
}

template <class Ops>
Index avx2_convert_rows(const typename Ops::Scalar* V, Index ldv, Index B, Index K, const typename Ops::Scalar* D,
                        Index ldd, Index N, const AdcConversion& cv, double* out, Index ldo) {
  MEMTILE_FIXED_ORDER_BLOCKS(MEMTILE_CONVERT)
}
#undef MEMTILE_STORE
#undef MEMTILE_CONVERT
#undef MEMTILE_FIXED_ORDER_BLOCKS
#undef MEMTILE_AVX512
#undef MEMTILE_AVX2

#endif

template <typename T, typename O>
struct Operands {
  const T* V;
  const T* D;
  O* out;
  Index B, K, N, ldv, ldd, ldo;
  template <typename VM, typename DM, typename OM>
  Operands(const VM& Vm, const DM& Dm, OM& outm, const char* what)
      : V(Vm.data()), D(Dm.data()), out(outm.data()), B(Vm.rows()), K(Vm.cols()), N(Dm.cols()),
        ldv(Vm.outerStride()), ldd(Dm.outerStride()), ldo(outm.outerStride()) {
    require(Vm.cols() == Dm.rows() && outm.rows() == Vm.rows() && outm.cols() == Dm.cols(), what, "shape mismatch");
  }
};

template <class Ops512, class Ops256, typename T, typename O>
void product(const Eigen::Ref<const Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic>>& Vm,
             const Eigen::Ref<const Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic>>& Dm,
             Eigen::Ref<Eigen::Matrix<O, Eigen::Dynamic, Eigen::Dynamic>> outm) {
  const Operands<T, O> m(Vm, Dm, outm, "fixed_order_product");
  if (m.K == 0) {
    outm.setZero();
    return;
  }
  const auto put = [&](Index b, Index c, T sum) { m.out[b + c * m.ldo] = sum; };
#ifdef MEMTILE_FMA_KERNEL
  // Rows [0, done) by the AVX-512 kernel where the CPU has it, the next ones by AVX2 blocks,
  // the last few one at a time.
  Index done = cpu_has_avx512() ? avx512_rows<Ops512, O>(m.V, m.ldv, m.B, m.K, m.D, m.ldd, m.N, m.out, m.ldo) : 0;
  done += avx2_rows<Ops256, O>(m.V + done, m.ldv, m.B - done, m.K, m.D, m.ldd, m.N, m.out + done, m.ldo);
  scalar_part(m.V, m.ldv, m.K, m.D, m.ldd, done, m.B, 0, m.N, put);
#else
  scalar_part(m.V, m.ldv, m.K, m.D, m.ldd, Index{0}, m.B, Index{0}, m.N, put);
#endif
}

template <class Ops512, class Ops256, typename T>
void product_convert(const Eigen::Ref<const Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic>>& Vm,
                     const Eigen::Ref<const Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic>>& Dm,
                     const AdcConversion& cv, Eigen::Ref<Eigen::MatrixXd> accm) {
  const Operands<T, double> m(Vm, Dm, accm, "fixed_order_product_convert");
  const auto put = [&](Index b, Index c, T sum) {
    convert_add(m.out[b + c * m.ldo], static_cast<double>(sum), cv.inv_fs[c], cv.code_value[c], cv);
  };
#ifdef MEMTILE_FMA_KERNEL
  if (m.K > 0) {
    Index done = cpu_has_avx512() ? avx512_convert_rows<Ops512>(m.V, m.ldv, m.B, m.K, m.D, m.ldd, m.N, cv, m.out, m.ldo) : 0;
    done += avx2_convert_rows<Ops256>(m.V + done, m.ldv, m.B - done, m.K, m.D, m.ldd, m.N, cv, m.out + done, m.ldo);
    scalar_part(m.V, m.ldv, m.K, m.D, m.ldd, done, m.B, 0, m.N, put);
    return;
  }
#endif
  scalar_part(m.V, m.ldv, m.K, m.D, m.ldd, Index{0}, m.B, Index{0}, m.N, put);
}

#ifndef MEMTILE_FMA_KERNEL
struct Avx512d {};
struct Avx2d {};
struct Avx512f {};
struct Avx2f {};
#endif

}  // namespace

bool cpu_has_avx512() {
#ifdef MEMTILE_FMA_KERNEL
  static const bool yes = __builtin_cpu_supports("avx512f");
  return yes;
#else
  return false;
#endif
}

void fixed_order_product(const Eigen::Ref<const Eigen::MatrixXd>& V, const Eigen::Ref<const Eigen::MatrixXd>& D,
                         Eigen::Ref<Eigen::MatrixXd> out) {
  product<Avx512d, Avx2d, double, double>(V, D, out);
}

void fixed_order_product(const Eigen::Ref<const Eigen::MatrixXf>& V, const Eigen::Ref<const Eigen::MatrixXf>& D,
                         Eigen::Ref<Eigen::MatrixXf> out) {
  product<Avx512f, Avx2f, float, float>(V, D, out);
}

void fixed_order_product(const Eigen::Ref<const Eigen::MatrixXf>& V, const Eigen::Ref<const Eigen::MatrixXf>& D,
                         Eigen::Ref<Eigen::MatrixXd> out) {
  product<Avx512f, Avx2f, float, double>(V, D, out);
}

void fixed_order_product_convert(const Eigen::Ref<const Eigen::MatrixXd>& V, const Eigen::Ref<const Eigen::MatrixXd>& D,
                                 const AdcConversion& cv, Eigen::Ref<Eigen::MatrixXd> acc) {
  product_convert<Avx512d, Avx2d, double>(V, D, cv, acc);
}

void fixed_order_product_convert(const Eigen::Ref<const Eigen::MatrixXf>& V, const Eigen::Ref<const Eigen::MatrixXf>& D,
                                 const AdcConversion& cv, Eigen::Ref<Eigen::MatrixXd> acc) {
  product_convert<Avx512f, Avx2f, float>(V, D, cv, acc);
}

}  // namespace memtile::core
