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
// The scalar step of the vector kernel: the same fused operation, so the rows handled outside
// the 8-row blocks get the bits the blocks would have given them.
inline double step(double acc, double v, double d) { return std::fma(v, d, acc); }
#else
inline double step(double acc, double v, double d) { return acc + v * d; }
#endif

// Rows [b0, b1) of columns [c0, c1), one element at a time.
void scalar_part(const double* V, Index ldv, Index K, const double* D, Index ldd, double* out, Index ldo, Index b0,
                 Index b1, Index c0, Index c1) {
  for (Index c = c0; c < c1; ++c)
    for (Index b = b0; b < b1; ++b) {
      double acc = 0.0;
      for (Index k = 0; k < K; ++k) acc = step(acc, V[b + k * ldv], D[k + c * ldd]);
      out[b + c * ldo] = acc;
    }
}

#ifdef MEMTILE_FMA_KERNEL
// The same operations 8 doubles at a time, for CPUs with AVX-512 (chosen at run time, so the
// build's instruction set stays x86-64-v3): 16 rows x 4 columns per block, each element the
// very same ascending-k chain of fused multiply-adds, so both kernels give the same bits.
// Raw pointers and intrinsics only (no Eigen code is compiled with the wider ISA).
__attribute__((target("avx512f"))) Index avx512_rows(const double* V, Index ldv, Index B, Index K, const double* D,
                                                     Index ldd, Index N, double* out, Index ldo) {
  const Index B16 = B - B % 16, N4 = N - N % 4;
  for (Index c = 0; c < N4; c += 4) {
    const double* d0 = D + c * ldd;
    const double* d1 = d0 + ldd;
    const double* d2 = d1 + ldd;
    const double* d3 = d2 + ldd;
    for (Index b = 0; b < B16; b += 16) {
      __m512d a00 = _mm512_setzero_pd(), a01 = _mm512_setzero_pd(), a10 = _mm512_setzero_pd(),
              a11 = _mm512_setzero_pd(), a20 = _mm512_setzero_pd(), a21 = _mm512_setzero_pd(),
              a30 = _mm512_setzero_pd(), a31 = _mm512_setzero_pd();
      const double* v = V + b;
      for (Index k = 0; k < K; ++k, v += ldv) {
        const __m512d x0 = _mm512_loadu_pd(v), x1 = _mm512_loadu_pd(v + 8);
        __m512d w = _mm512_set1_pd(d0[k]);
        a00 = _mm512_fmadd_pd(x0, w, a00);
        a01 = _mm512_fmadd_pd(x1, w, a01);
        w = _mm512_set1_pd(d1[k]);
        a10 = _mm512_fmadd_pd(x0, w, a10);
        a11 = _mm512_fmadd_pd(x1, w, a11);
        w = _mm512_set1_pd(d2[k]);
        a20 = _mm512_fmadd_pd(x0, w, a20);
        a21 = _mm512_fmadd_pd(x1, w, a21);
        w = _mm512_set1_pd(d3[k]);
        a30 = _mm512_fmadd_pd(x0, w, a30);
        a31 = _mm512_fmadd_pd(x1, w, a31);
      }
      double* o = out + b + c * ldo;
      _mm512_storeu_pd(o, a00);
      _mm512_storeu_pd(o + 8, a01);
      _mm512_storeu_pd(o + ldo, a10);
      _mm512_storeu_pd(o + ldo + 8, a11);
      _mm512_storeu_pd(o + 2 * ldo, a20);
      _mm512_storeu_pd(o + 2 * ldo + 8, a21);
      _mm512_storeu_pd(o + 3 * ldo, a30);
      _mm512_storeu_pd(o + 3 * ldo + 8, a31);
    }
  }
  for (Index c = N4; c < N; ++c) {
    const double* d0 = D + c * ldd;
    for (Index b = 0; b < B16; b += 16) {
      __m512d a0 = _mm512_setzero_pd(), a1 = _mm512_setzero_pd();
      const double* v = V + b;
      for (Index k = 0; k < K; ++k, v += ldv) {
        const __m512d w = _mm512_set1_pd(d0[k]);
        a0 = _mm512_fmadd_pd(_mm512_loadu_pd(v), w, a0);
        a1 = _mm512_fmadd_pd(_mm512_loadu_pd(v + 8), w, a1);
      }
      _mm512_storeu_pd(out + b + c * ldo, a0);
      _mm512_storeu_pd(out + b + 8 + c * ldo, a1);
    }
  }
  return B16;  // rows done
}

bool has_avx512() {
  static const bool yes = __builtin_cpu_supports("avx512f");
  return yes;
}
#endif

}  // namespace

void fixed_order_product(const Eigen::Ref<const Eigen::MatrixXd>& Vm, const Eigen::Ref<const Eigen::MatrixXd>& Dm,
                         Eigen::Ref<Eigen::MatrixXd> outm) {
  require(Vm.cols() == Dm.rows() && outm.rows() == Vm.rows() && outm.cols() == Dm.cols(), "fixed_order_product",
          "shape mismatch");
  const Index B = Vm.rows(), K = Vm.cols(), N = Dm.cols();
  const double* V = Vm.data();
  const double* D = Dm.data();
  double* out = outm.data();
  const Index ldv = Vm.outerStride(), ldd = Dm.outerStride(), ldo = outm.outerStride();
  if (K == 0) {
    outm.setZero();
    return;
  }
#ifdef MEMTILE_FMA_KERNEL
  // Rows [0, done) by the AVX-512 kernel where the CPU has it, the rest 8 at a time.
  const Index done = has_avx512() ? avx512_rows(V, ldv, B, K, D, ldd, N, out, ldo) : 0;
  V += done;
  out += done;
  const Index rest = B - done;
  // 8 rows x 4 columns of accumulators in registers; k ascending.
  const Index B8 = rest - rest % 8, N4 = N - N % 4;
  for (Index c = 0; c < N4; c += 4) {
    const double* d0 = D + c * ldd;
    const double* d1 = d0 + ldd;
    const double* d2 = d1 + ldd;
    const double* d3 = d2 + ldd;
    for (Index b = 0; b < B8; b += 8) {
      __m256d a00 = _mm256_setzero_pd(), a01 = _mm256_setzero_pd(), a10 = _mm256_setzero_pd(),
              a11 = _mm256_setzero_pd(), a20 = _mm256_setzero_pd(), a21 = _mm256_setzero_pd(),
              a30 = _mm256_setzero_pd(), a31 = _mm256_setzero_pd();
      const double* v = V + b;
      for (Index k = 0; k < K; ++k, v += ldv) {
        const __m256d x0 = _mm256_loadu_pd(v), x1 = _mm256_loadu_pd(v + 4);
        __m256d w = _mm256_broadcast_sd(d0 + k);
        a00 = _mm256_fmadd_pd(x0, w, a00);
        a01 = _mm256_fmadd_pd(x1, w, a01);
        w = _mm256_broadcast_sd(d1 + k);
        a10 = _mm256_fmadd_pd(x0, w, a10);
        a11 = _mm256_fmadd_pd(x1, w, a11);
        w = _mm256_broadcast_sd(d2 + k);
        a20 = _mm256_fmadd_pd(x0, w, a20);
        a21 = _mm256_fmadd_pd(x1, w, a21);
        w = _mm256_broadcast_sd(d3 + k);
        a30 = _mm256_fmadd_pd(x0, w, a30);
        a31 = _mm256_fmadd_pd(x1, w, a31);
      }
      double* o = out + b + c * ldo;
      _mm256_storeu_pd(o, a00);
      _mm256_storeu_pd(o + 4, a01);
      _mm256_storeu_pd(o + ldo, a10);
      _mm256_storeu_pd(o + ldo + 4, a11);
      _mm256_storeu_pd(o + 2 * ldo, a20);
      _mm256_storeu_pd(o + 2 * ldo + 4, a21);
      _mm256_storeu_pd(o + 3 * ldo, a30);
      _mm256_storeu_pd(o + 3 * ldo + 4, a31);
    }
  }
  // Remaining columns: 8 rows x 1 column.
  for (Index c = N4; c < N; ++c) {
    const double* d0 = D + c * ldd;
    for (Index b = 0; b < B8; b += 8) {
      __m256d a0 = _mm256_setzero_pd(), a1 = _mm256_setzero_pd();
      const double* v = V + b;
      for (Index k = 0; k < K; ++k, v += ldv) {
        const __m256d w = _mm256_broadcast_sd(d0 + k);
        a0 = _mm256_fmadd_pd(_mm256_loadu_pd(v), w, a0);
        a1 = _mm256_fmadd_pd(_mm256_loadu_pd(v + 4), w, a1);
      }
      _mm256_storeu_pd(out + b + c * ldo, a0);
      _mm256_storeu_pd(out + b + 4 + c * ldo, a1);
    }
  }
  scalar_part(V, ldv, K, D, ldd, out, ldo, B8, rest, 0, N);
#else
  scalar_part(V, ldv, K, D, ldd, out, ldo, 0, B, 0, N);
#endif
}

}  // namespace memtile::core
