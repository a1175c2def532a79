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

namespace {
// Unsigned slices of the given widths (MSB first), every one with positive weight 2^shift.
SlicePlan positive_plan(const std::vector<int>& w) {
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
}  // namespace

SlicePlan make_magnitude_plan(const std::vector<int>& widths) {
  std::vector<int> w = widths;
  require(!w.empty(), "slice widths", "must be non-empty");
  if (--w.front() == 0) w.erase(w.begin());
  require(!w.empty(), "slice widths", "need at least 2 bits for a signed magnitude");
  return positive_plan(w);
}

SlicePlan make_offset_plan(const std::vector<int>& widths) {
  require(!widths.empty(), "slice widths", "must be non-empty");
  SlicePlan plan = positive_plan(widths);
  require(plan.total_bits >= 2 && plan.total_bits <= 62, "slice widths", "need 2..62 bits for an offset-binary word");
  plan.offset = 1LL << (plan.total_bits - 1);
  return plan;
}

namespace {
// Per-vector scale application, rounding (half to even) and clamping, vectorised.
// `inv` holds 1/scale per vector (0 for all-zero vectors). Clamping before rounding equals
// rounding before clamping because the bounds are integers, and keeps round_even in range.
void scale_round_clamp(const Eigen::Ref<const Eigen::MatrixXd>& x, const Eigen::VectorXd& inv, double lo,
                       double hi, bool by_rows, Eigen::Ref<Eigen::MatrixXd> q) {
  if (by_rows)
    q.array() = round_even((x.array().colwise() * inv.array()).max(lo).min(hi));
  else
    q.array() = round_even((x.array().rowwise() * inv.transpose().array()).max(lo).min(hi));
}

void max_abs(const Eigen::Ref<const Eigen::MatrixXd>& x, bool by_rows, Eigen::VectorXd& m) {
  if (by_rows) {  // column by column, vectorised down the rows (max is exact in any order)
    if (x.cols() == 0) {
      m.setZero(x.rows());
      return;
    }
    m = x.col(0).cwiseAbs();
    for (Eigen::Index c = 1; c < x.cols(); ++c) m = m.cwiseMax(x.col(c).cwiseAbs());
    return;
  }
  m = x.cwiseAbs().colwise().maxCoeff().transpose();
}
}  // namespace

QuantisedBlock quantise_int(const Eigen::Ref<const Eigen::MatrixXd>& x, double qmax, bool by_rows) {
  QuantisedBlock out;
  out.q.resize(x.rows(), x.cols());
  quantise_int(x, qmax, by_rows, out.q, out.scale);
  return out;
}

void quantise_int(const Eigen::Ref<const Eigen::MatrixXd>& x, double qmax, bool by_rows, Eigen::Ref<Eigen::MatrixXd> q,
                  Eigen::VectorXd& scale) {
  max_abs(x, by_rows, scale);  // then the scale, in place
  scale = (scale.array() > 0).select(scale.array() / qmax, 0.0);
  const Eigen::VectorXd inv = (scale.array() > 0).select(1.0 / scale.array(), 0.0);
  scale_round_clamp(x, inv, -qmax, qmax, by_rows, q);
}

QuantisedBlock quantise_fp(const Eigen::Ref<const Eigen::MatrixXd>& x, int fraction_bits, int bw_e,
                           bool by_rows) {
  QuantisedBlock out;
  out.q.resize(x.rows(), x.cols());
  quantise_fp(x, fraction_bits, bw_e, by_rows, out.q, out.scale);
  return out;
}

void quantise_fp(const Eigen::Ref<const Eigen::MatrixXd>& x, int fraction_bits, int bw_e, bool by_rows,
                 Eigen::Ref<Eigen::MatrixXd> q, Eigen::VectorXd& scale) {
  const int emax = (1 << (bw_e - 1)) - 1;
  const int emin = -(1 << (bw_e - 1));
  const double qhi = std::ldexp(1.0, fraction_bits + 1) - 1;
  Eigen::VectorXd m;
  max_abs(x, by_rows, m);
  scale.resize(m.size());
  Eigen::VectorXd up(m.size());
  for (Eigen::Index v = 0; v < m.size(); ++v) {
    if (!(m(v) > 0)) {
      scale(v) = 0.0;
      up(v) = 0.0;
      continue;
    }
    const int e = std::min(emax, std::max(emin, static_cast<int>(std::floor(std::log2(m(v))))));
    up(v) = std::ldexp(1.0, fraction_bits - e);
    scale(v) = std::ldexp(1.0, e - fraction_bits);
  }
  scale_round_clamp(x, up, -qhi, qhi, by_rows, q);  // symmetric, so a magnitude fits in F+1 bits
}

}  // namespace memtile::core
