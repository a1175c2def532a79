// The crossbar read as a matrix product whose every element is summed in one fixed order:
// out(b, c) = sum over k = 0, 1, ..., K-1 of V(b, k) * D(k, c), accumulated in ascending k
// from 0 (with a fused multiply-add where the build's instruction set has one, else a
// multiply then an add). A general GEMM (Eigen's) picks its kernel and its summation order by
// the matrix shape and by the row's position in it, so one input vector's result would change
// with the batch it is read in and with how a batch is split over threads; here it cannot:
// results are bit-identical for any batch size, row offset and thread count.
#pragma once
#include <Eigen/Dense>

namespace memtile::core {

// Whether this CPU runs the AVX-512 kernels (checked once; the build's instruction set stays
// the portable one and the wider kernels are chosen at run time).
bool cpu_has_avx512();

// out = V * D with V B x K, D K x N, out B x N (all column-major with unit inner stride).
void fixed_order_product(const Eigen::Ref<const Eigen::MatrixXd>& V, const Eigen::Ref<const Eigen::MatrixXd>& D,
                         Eigen::Ref<Eigen::MatrixXd> out);
// The same in single precision (EngineConfig::precision float32): every element one ascending
// chain of single-precision fused multiply-adds.
void fixed_order_product(const Eigen::Ref<const Eigen::MatrixXf>& V, const Eigen::Ref<const Eigen::MatrixXf>& D,
                         Eigen::Ref<Eigen::MatrixXf> out);
// The same single-precision sums, each widened (exactly) to double on the way out.
void fixed_order_product(const Eigen::Ref<const Eigen::MatrixXf>& V, const Eigen::Ref<const Eigen::MatrixXf>& D,
                         Eigen::Ref<Eigen::MatrixXd> out);

// What the ADC and the shift-add make of one slice pair's currents (ProgrammedMatrix::
// convert_into then shift_add, element by element): per column c,
//   code = min(hi, max(lo, round_even(I * inv_fs[c]))),  P = code * code_value[c]
//   (P = round_even(P) when round_to_count), acc += weight * P.
struct AdcConversion {
  const double* inv_fs = nullptr;      // codes per ampere, one per column
  const double* code_value = nullptr;  // value of one code, one per column
  double lo = 0, hi = 0;               // lowest and highest code
  bool round_to_count = false;         // EngineConfig::round_slice_products
  double weight = 1;                   // the slice pair's shift-add weight
};
// acc(b, c) += weight * P(sum_k V(b, k) D(k, c)): the product's sums (the same bits as
// fixed_order_product gives) converted in registers as they are made, never stored. Bit for
// bit the same as fixed_order_product, then convert_into, then shift_add.
void fixed_order_product_convert(const Eigen::Ref<const Eigen::MatrixXd>& V, const Eigen::Ref<const Eigen::MatrixXd>& D,
                                 const AdcConversion& cv, Eigen::Ref<Eigen::MatrixXd> acc);
// Single-precision sums, widened to double, then converted as above.
void fixed_order_product_convert(const Eigen::Ref<const Eigen::MatrixXf>& V, const Eigen::Ref<const Eigen::MatrixXf>& D,
                                 const AdcConversion& cv, Eigen::Ref<Eigen::MatrixXd> acc);

}  // namespace memtile::core
