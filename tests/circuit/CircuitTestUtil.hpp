// Shared helpers of the circuit tests: random arrays and an independent dense nodal model.
#pragma once
#include <Eigen/Dense>
#include <limits>
#include <string>
#include <utility>
#include <cmath>
#include <random>

#include "memtile/core/CrossbarSolver.hpp"

namespace memtile::test {

// Conductances log-uniform between 1/r_max_ohm and 1/r_min_ohm.
inline Eigen::MatrixXd random_conductances(int M, int N, std::mt19937_64& rng, double r_min_ohm = 1e3,
                                           double r_max_ohm = 1e7) {
  std::uniform_real_distribution<double> u(std::log(r_min_ohm), std::log(r_max_ohm));
  Eigen::MatrixXd G(M, N);
  for (int i = 0; i < M; ++i)
    for (int j = 0; j < N; ++j) G(i, j) = 1.0 / std::exp(u(rng));
  return G;
}

inline Eigen::MatrixXd random_inputs(int K, int M, std::mt19937_64& rng, double lo = 0.05, double hi = 0.3) {
  std::uniform_real_distribution<double> u(lo, hi);
  Eigen::MatrixXd V(K, M);
  for (int k = 0; k < K; ++k)
    for (int i = 0; i < M; ++i) V(k, i) = u(rng);
  return V;
}

inline double max_rel_diff(const Eigen::MatrixXd& a, const Eigen::MatrixXd& ref) {
  return (a - ref).cwiseAbs().maxCoeff() / ref.cwiseAbs().maxCoeff();
}

// Independent dense model of the standard topology with every resistance > 0 (no merging):
// unknowns are all 2*M*N nodes, numbered like CrossbarSolver::node_voltages (row nodes i*N+j,
// then column nodes M*N + j*M + i). Returns node voltages (K x 2MN) and column currents (K x N)
// from a dense LU of the full nodal matrix.
struct DenseSolution {
  Eigen::MatrixXd nodes, currents;
};
inline DenseSolution dense_reference(const Eigen::MatrixXd& G, const core::WireParams& w, const Eigen::MatrixXd& V) {
  const int M = int(G.rows()), N = int(G.cols()), n = 2 * M * N;
  auto r = [&](int i, int j) { return i * N + j; };
  auto c = [&](int i, int j) { return M * N + j * M + i; };
  Eigen::MatrixXd A = Eigen::MatrixXd::Zero(n, n), B = Eigen::MatrixXd::Zero(n, M);
  auto link = [&](int p, int q, double g) { A(p, p) += g; A(q, q) += g; A(p, q) -= g; A(q, p) -= g; };
  const double g_feed = 1.0 / (w.driver_ohm + w.row_segment_ohm);
  for (int i = 0; i < M; ++i) {
    A(r(i, 0), r(i, 0)) += g_feed;
    B(r(i, 0), i) += g_feed;
    if (w.both_end_drive) {
      A(r(i, N - 1), r(i, N - 1)) += g_feed;
      B(r(i, N - 1), i) += g_feed;
    }
    for (int j = 0; j + 1 < N; ++j) link(r(i, j), r(i, j + 1), 1.0 / w.row_segment_ohm);
  }
  const double g_out = 1.0 / (w.col_segment_ohm + w.sense_ohm);
  for (int j = 0; j < N; ++j) {
    for (int i = 0; i + 1 < M; ++i) link(c(i, j), c(i + 1, j), 1.0 / w.col_segment_ohm);
    A(c(M - 1, j), c(M - 1, j)) += g_out;
  }
  for (int i = 0; i < M; ++i)
    for (int j = 0; j < N; ++j) link(r(i, j), c(i, j), G(i, j));
  const Eigen::MatrixXd X = A.fullPivLu().solve(B * V.transpose());  // n x K
  DenseSolution s;
  s.nodes = X.transpose();
  s.currents.resize(V.rows(), N);
  for (int j = 0; j < N; ++j) s.currents.col(j) = X.row(c(M - 1, j)).transpose() * g_out;
  return s;
}

}  // namespace memtile::test
