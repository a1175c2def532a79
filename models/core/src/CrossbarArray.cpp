#include "memtile/core/CrossbarArray.hpp"

#include <cmath>
#include <vector>

#include "memtile/core/CrossbarSolver.hpp"

namespace memtile::core {

namespace {
// A cell's key in the array's random stream (rows < 65536).
std::uint64_t cell_key(Eigen::Index r, Eigen::Index c) {
  return static_cast<std::uint64_t>(c) * 65536u + static_cast<std::uint64_t>(r);
}
}  // namespace

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
  thread_local std::vector<double> z;
  if (d.var > 0) z.resize(static_cast<std::size_t>(rows));
  for (Eigen::Index c = 0; c < cols; ++c) {
    double* g = g_.col(c).data();
    for (Eigen::Index r = 0; r < rows; ++r) {
      const double level = c < levels.cols() ? levels(r, c) : 0.0;
      g[r] = d.LGS + level * unit;
      if (faults) {
        const double u = rng.uniform(array_id, cell_key(r, c), 1);
        if (u < d.stuck_at_lgs) g[r] = d.LGS;
        else if (u < d.stuck_at_lgs + d.stuck_at_hgs) g[r] = d.HGS;
      }
    }
    // Lognormal programming variation, drawn once here and kept for every read: a column's
    // draws at once (the cell keys of a column are consecutive), exp in vector lanes.
    if (d.var > 0) {
      rng.normals(array_id, cell_key(0, c), static_cast<std::size_t>(rows), 2, 0, z.data());
      for (Eigen::Index r = 0; r < rows; ++r) g[r] *= portable::exp(d.var * z[static_cast<std::size_t>(r)]);
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

Eigen::VectorXd squared_drive_per_row(const Eigen::Ref<const Eigen::MatrixXd>& volts) {
  Eigen::VectorXd out(volts.cols());
  squared_drive_per_row(volts, out);
  return out;
}

void squared_drive_per_row(const Eigen::Ref<const Eigen::MatrixXd>& volts, Eigen::Ref<Eigen::VectorXd> out) {
  // kDriveLanes running sums over the vectors, combined in a fixed tree: a fixed order
  // whatever the matrix's address or the block it is part of (an Eigen reduction's order
  // depends on alignment), so the engine and the SystemC tile count the same bits; the lanes
  // vectorise.
  const Eigen::Index B = volts.rows();
  const Eigen::Index B8 = B - B % kDriveLanes;
  for (Eigen::Index r = 0; r < volts.cols(); ++r) {
    const double* v = volts.col(r).data();
    double s[kDriveLanes] = {0, 0, 0, 0, 0, 0, 0, 0};
    for (Eigen::Index b = 0; b < B8; b += kDriveLanes)
      for (int l = 0; l < kDriveLanes; ++l) s[l] += v[b + l] * v[b + l];
    for (Eigen::Index b = B8; b < B; ++b) s[b - B8] += v[b] * v[b];
    out(r) = combine_drive_lanes(s);
  }
}

double read_power_w(const Eigen::Ref<const Eigen::VectorXd>& v2_per_row, const Eigen::VectorXd& row_g_s) {
  double p = 0.0;  // ascending rows (not Eigen's dot, whose order depends on alignment)
  for (Eigen::Index r = 0; r < v2_per_row.size(); ++r) p += v2_per_row(r) * row_g_s(r);
  return p;
}

}  // namespace memtile::core
