#include "memtile/core/Quantiser.hpp"

#include <cmath>

#include "memtile/core/Errors.hpp"

namespace memtile::core {

SlicePlan make_slice_plan(const std::vector<int>& widths) {
  SlicePlan plan;
  for (int w : widths) plan.total_bits += w;
  require(!widths.empty() && plan.total_bits >= 1 && plan.total_bits <= 62, "slice widths",
          "must be non-empty and sum to at most 62 bits");
  int shift = plan.total_bits;
  for (std::size_t k = 0; k < widths.size(); ++k) {
    require(widths[k] >= 1 && widths[k] <= 16, "slice widths", "each slice must be 1..16 bits");
    shift -= widths[k];
    Slice s;
    s.bits = widths[k];
    s.shift = shift;
    s.weight = std::ldexp(1.0, shift);
    if (k == 0 && widths[k] == 1) s.weight = -s.weight;  // the sign bit itself
    plan.slices.push_back(s);
  }
  if (widths.front() > 1) {
    Slice sign;
    sign.bits = 1;
    sign.shift = plan.total_bits;
    sign.sign = true;
    sign.weight = -std::ldexp(1.0, plan.total_bits);
    plan.slices.push_back(sign);
  }
  return plan;
}

SlicePlan make_magnitude_plan(const std::vector<int>& widths) {
  std::vector<int> w = widths;
  require(!w.empty(), "slice widths", "must be non-empty");
  if (--w.front() == 0) w.erase(w.begin());
  require(!w.empty(), "slice widths", "need at least 2 bits for a signed magnitude");
  SlicePlan plan;
  for (int b : w) plan.total_bits += b;
  int shift = plan.total_bits;
  for (int b : w) {
    require(b >= 1 && b <= 16, "slice widths", "each slice must be 1..16 bits");
    shift -= b;
    Slice s;
    s.bits = b;
    s.shift = shift;
    s.weight = std::ldexp(1.0, shift);
    plan.slices.push_back(s);
  }
  return plan;
}

QuantisedBlock quantise_int(const Eigen::Ref<const Eigen::MatrixXd>& x, double qmax, bool by_rows) {
  QuantisedBlock out;
  const Eigen::Index n = by_rows ? x.rows() : x.cols();
  out.scale.resize(n);
  out.q.resize(x.rows(), x.cols());
  for (Eigen::Index v = 0; v < n; ++v) {
    const double m = by_rows ? x.row(v).cwiseAbs().maxCoeff() : x.col(v).cwiseAbs().maxCoeff();
    const double s = m > 0 ? m / qmax : 0.0;
    out.scale(v) = s;
    const double inv = s > 0 ? 1.0 / s : 0.0;
    if (by_rows) {
      out.q.row(v) = (x.row(v) * inv).unaryExpr([qmax](double t) {
        return std::min(qmax, std::max(-qmax, std::nearbyint(t)));
      });
    } else {
      out.q.col(v) = (x.col(v) * inv).unaryExpr([qmax](double t) {
        return std::min(qmax, std::max(-qmax, std::nearbyint(t)));
      });
    }
  }
  return out;
}

QuantisedBlock quantise_fp(const Eigen::Ref<const Eigen::MatrixXd>& x, int fraction_bits, int bw_e,
                           bool by_rows) {
  QuantisedBlock out;
  const Eigen::Index n = by_rows ? x.rows() : x.cols();
  out.scale.resize(n);
  out.q.resize(x.rows(), x.cols());
  const int emax = (1 << (bw_e - 1)) - 1;
  const int emin = -(1 << (bw_e - 1));
  const double qhi = std::ldexp(1.0, fraction_bits + 1) - 1;
  const double qlo = -qhi;  // symmetric, so a magnitude fits in F+1 bits
  for (Eigen::Index v = 0; v < n; ++v) {
    const double m = by_rows ? x.row(v).cwiseAbs().maxCoeff() : x.col(v).cwiseAbs().maxCoeff();
    if (!(m > 0)) {
      out.scale(v) = 0.0;
      if (by_rows) out.q.row(v).setZero(); else out.q.col(v).setZero();
      continue;
    }
    int e = static_cast<int>(std::floor(std::log2(m)));
    e = std::min(emax, std::max(emin, e));
    const double up = std::ldexp(1.0, fraction_bits - e);
    out.scale(v) = std::ldexp(1.0, e - fraction_bits);
    auto f = [=](double t) { return std::min(qhi, std::max(qlo, std::nearbyint(t * up))); };
    if (by_rows) out.q.row(v) = x.row(v).unaryExpr(f);
    else out.q.col(v) = x.col(v).unaryExpr(f);
  }
  return out;
}

}  // namespace memtile::core
