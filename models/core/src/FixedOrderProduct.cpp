#include "memtile/core/FixedOrderProduct.hpp"

#include <cmath>

#include "memtile/core/Errors.hpp"

#if defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>
#define MEMTILE_FMA_KERNEL 1
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

// Rows [b0, b1) of columns [c0, c1), one element at a time.
template <typename T>
void scalar_part(const T* V, Index ldv, Index K, const T* D, Index ldd, T* out, Index ldo, Index b0, Index b1,
                 Index c0, Index c1) {
  for (Index c = c0; c < c1; ++c)
    for (Index b = b0; b < b1; ++b) {
      T acc = 0;
      for (Index k = 0; k < K; ++k) acc = step(acc, V[b + k * ldv], D[k + c * ldd]);
      out[b + c * ldo] = acc;
    }
}

#ifdef MEMTILE_FMA_KERNEL
// One vector register of T: W lanes. The AVX-512 sets are compiled for that target only (the
// build's instruction set stays x86-64-v3; the kernel is chosen at run time). Raw pointers and
// intrinsics only: no Eigen code is compiled with the wider ISA.
#define MEMTILE_OPS(NAME, TARGET, T, VEC, W_, SUFFIX, WIDTH)                                                      \
  struct NAME {                                                                                                \
    using Scalar = T;                                                                                          \
    using Vec = VEC;                                                                                           \
    static constexpr Index W = W_;                                                                             \
    TARGET static Vec zero() { return _mm##WIDTH##_setzero_##SUFFIX(); }                                       \
    TARGET static Vec load(const T* p) { return _mm##WIDTH##_loadu_##SUFFIX(p); }                              \
    TARGET static Vec bcast(T x) { return _mm##WIDTH##_set1_##SUFFIX(x); }                                     \
    TARGET static Vec fmadd(Vec a, Vec b, Vec c) { return _mm##WIDTH##_fmadd_##SUFFIX(a, b, c); }              \
    TARGET static void store(T* p, Vec v) { _mm##WIDTH##_storeu_##SUFFIX(p, v); }                              \
  };
#define MEMTILE_AVX512 __attribute__((target("avx512f"), always_inline)) inline
#define MEMTILE_AVX2 __attribute__((always_inline)) inline
MEMTILE_OPS(Avx512d, MEMTILE_AVX512, double, __m512d, 8, pd, 512)
MEMTILE_OPS(Avx512f, MEMTILE_AVX512, float, __m512, 16, ps, 512)
MEMTILE_OPS(Avx2d, MEMTILE_AVX2, double, __m256d, 4, pd, 256)
MEMTILE_OPS(Avx2f, MEMTILE_AVX2, float, __m256, 8, ps, 256)
#undef MEMTILE_OPS

// Blocks of 2W rows x 4 columns (then 2W rows x 1 column) in registers, k ascending: every
// element is the same ascending chain of fused multiply-adds as scalar_part. Returns the rows
// done (a multiple of 2W). One body for both instruction sets (a function's target attribute
// cannot be inherited by a shared template, hence the macro).
#define MEMTILE_FIXED_ORDER_BLOCKS                                                                                 \
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
      T* o = out + b + c * ldo;                                                                                \
      Ops::store(o, a00);                                                                                      \
      Ops::store(o + Ops::W, a01);                                                                             \
      Ops::store(o + ldo, a10);                                                                                \
      Ops::store(o + ldo + Ops::W, a11);                                                                       \
      Ops::store(o + 2 * ldo, a20);                                                                            \
      Ops::store(o + 2 * ldo + Ops::W, a21);                                                                   \
      Ops::store(o + 3 * ldo, a30);                                                                            \
      Ops::store(o + 3 * ldo + Ops::W, a31);                                                                   \
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
      Ops::store(out + b + c * ldo, a0);                                                                       \
      Ops::store(out + b + Ops::W + c * ldo, a1);                                                              \
    }                                                                                                          \
  }                                                                                                            \
  return BR;

template <class Ops>
__attribute__((target("avx512f"))) Index avx512_rows(const typename Ops::Scalar* V, Index ldv, Index B, Index K,
                                                     const typename Ops::Scalar* D, Index ldd, Index N,
                                                     typename Ops::Scalar* out, Index ldo) {
  MEMTILE_FIXED_ORDER_BLOCKS
}

template <class Ops>
Index avx2_rows(const typename Ops::Scalar* V, Index ldv, Index B, Index K, const typename Ops::Scalar* D, Index ldd,
                Index N, typename Ops::Scalar* out, Index ldo) {
  MEMTILE_FIXED_ORDER_BLOCKS
}
#undef MEMTILE_FIXED_ORDER_BLOCKS

bool has_avx512() {
  static const bool yes = __builtin_cpu_supports("avx512f");
  return yes;
}
#endif

template <class Ops512, class Ops256, typename T>
void product(const Eigen::Ref<const Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic>>& Vm,
             const Eigen::Ref<const Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic>>& Dm,
             Eigen::Ref<Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic>> outm) {
  require(Vm.cols() == Dm.rows() && outm.rows() == Vm.rows() && outm.cols() == Dm.cols(), "fixed_order_product",
          "shape mismatch");
  const Index B = Vm.rows(), K = Vm.cols(), N = Dm.cols();
  const T* V = Vm.data();
  const T* D = Dm.data();
  T* out = outm.data();
  const Index ldv = Vm.outerStride(), ldd = Dm.outerStride(), ldo = outm.outerStride();
  if (K == 0) {
    outm.setZero();
    return;
  }
#ifdef MEMTILE_FMA_KERNEL
  // Rows [0, done) by the AVX-512 kernel where the CPU has it, the next ones by AVX2 blocks,
  // the last few one at a time.
  Index done = has_avx512() ? avx512_rows<Ops512>(V, ldv, B, K, D, ldd, N, out, ldo) : 0;
  done += avx2_rows<Ops256>(V + done, ldv, B - done, K, D, ldd, N, out + done, ldo);
  scalar_part(V, ldv, K, D, ldd, out, ldo, done, B, 0, N);
#else
  scalar_part(V, ldv, K, D, ldd, out, ldo, 0, B, 0, N);
#endif
}

#ifndef MEMTILE_FMA_KERNEL
struct Avx512d {};
struct Avx2d {};
struct Avx512f {};
struct Avx2f {};
#endif

}  // namespace

void fixed_order_product(const Eigen::Ref<const Eigen::MatrixXd>& V, const Eigen::Ref<const Eigen::MatrixXd>& D,
                         Eigen::Ref<Eigen::MatrixXd> out) {
  product<Avx512d, Avx2d, double>(V, D, out);
}

void fixed_order_product(const Eigen::Ref<const Eigen::MatrixXf>& V, const Eigen::Ref<const Eigen::MatrixXf>& D,
                         Eigen::Ref<Eigen::MatrixXf> out) {
  product<Avx512f, Avx2f, float>(V, D, out);
}

}  // namespace memtile::core
