// Finiteness checks of inputs on the hot path of every product.
#pragma once
#include <Eigen/Core>

namespace memtile::core {

// Whether every element of x is finite. One vectorised pass: x * 0 is +-0 for a finite x and
// NaN for an infinite or NaN one, so the sum is 0 exactly when all are finite (Eigen's
// allFinite() is an element-by-element loop).
inline bool all_finite(const Eigen::Ref<const Eigen::MatrixXd>& x) { return (x.array() * 0.0).sum() == 0.0; }

}  // namespace memtile::core
