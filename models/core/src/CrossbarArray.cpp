#include "memtile/core/CrossbarArray.hpp"

#include <cmath>

#include "memtile/core/CrossbarSolver.hpp"

namespace memtile::core {

double DeviceParams::drift_factor() const {
  if (drift_nu == 0.0) return 1.0;
  return std::pow(drift_t_s / drift_t0_s, -drift_nu);
}

CrossbarArray::CrossbarArray(const Eigen::MatrixXd& levels, int levels_max, const DeviceParams& d,
                             const CounterRng& rng, std::uint64_t array_id, bool reference_column) {
  const Eigen::Index rows = levels.rows();
  const Eigen::Index cols = levels.cols() + (reference_column ? 1 : 0);
  g_.resize(rows, cols);
  const double unit = (d.HGS - d.LGS) / levels_max;
  const bool faults = d.stuck_at_lgs > 0 || d.stuck_at_hgs > 0;
  for (Eigen::Index c = 0; c < cols; ++c) {
    for (Eigen::Index r = 0; r < rows; ++r) {
      const double level = c < levels.cols() ? levels(r, c) : 0.0;
      double g = d.LGS + level * unit;
      const std::uint64_t cell = static_cast<std::uint64_t>(c) * 65536u + static_cast<std::uint64_t>(r);
      if (faults) {
        const double u = rng.uniform(array_id, cell, 1);
        if (u < d.stuck_at_lgs) g = d.LGS;
        else if (u < d.stuck_at_lgs + d.stuck_at_hgs) g = d.HGS;
      }
      // Lognormal programming variation, drawn once here and kept for every read.
      if (d.var > 0) g *= std::exp(d.var * rng.normal(array_id, cell, 2));
      g_(r, c) = g;
    }
  }
}

Eigen::MatrixXd effective_conductance(const Eigen::MatrixXd& g, const DeviceParams& d) {
  Eigen::MatrixXd geff;
  if (d.ideal_wires()) {
    geff = g;
  } else {
    WireParams w;
    w.row_segment_ohm = d.row_segment_ohm;
    w.col_segment_ohm = d.col_segment_ohm;
    geff = CrossbarSolver(g, w).effective_conductance();
  }
  return geff;
}

Eigen::MatrixXd CrossbarArray::effective(const DeviceParams& d) const {
  const double f = d.drift_factor();
  if (f == 1.0) return effective_conductance(g_, d);
  return effective_conductance(g_ * f, d);
}

}  // namespace memtile::core
