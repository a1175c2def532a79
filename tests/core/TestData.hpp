// Random operands for the tests (test data only; the engine owns its own RNG).
#pragma once
#include <Eigen/Dense>
#include <random>

namespace memtile::test {

inline Eigen::MatrixXd randn(Eigen::Index rows, Eigen::Index cols, std::uint64_t seed) {
  std::mt19937_64 g(seed);
  std::normal_distribution<double> n;
  Eigen::MatrixXd m(rows, cols);
  for (Eigen::Index i = 0; i < m.size(); ++i) m.data()[i] = n(g);
  return m;
}

}  // namespace memtile::test
