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

// out = V * D with V B x K, D K x N, out B x N (all column-major with unit inner stride).
void fixed_order_product(const Eigen::Ref<const Eigen::MatrixXd>& V, const Eigen::Ref<const Eigen::MatrixXd>& D,
                         Eigen::Ref<Eigen::MatrixXd> out);
// The same in single precision (EngineConfig::precision float32): every element one ascending
// chain of single-precision fused multiply-adds.
void fixed_order_product(const Eigen::Ref<const Eigen::MatrixXf>& V, const Eigen::Ref<const Eigen::MatrixXf>& D,
                         Eigen::Ref<Eigen::MatrixXf> out);

}  // namespace memtile::core
