#include "memtile/core/ImacMapping.hpp"

#include <cmath>

#include "memtile/core/CounterRng.hpp"
#include "memtile/core/Errors.hpp"

namespace memtile::core {

std::string to_string(ImacWeights w) {
  switch (w) {
    case ImacWeights::Binary: return "binary";
    case ImacWeights::Ternary: return "ternary";
    default: return "analog";
  }
}

ImacWeights parse_imac_weights(const std::string& s) {
  if (s == "binary") return ImacWeights::Binary;
  if (s == "ternary") return ImacWeights::Ternary;
  if (s == "analog") return ImacWeights::Analog;
  throw InputError("weights: '" + s + "' is not binary, ternary or analog");
}

void ImacMappingConfig::validate() const {
  require(std::isfinite(r_low_ohm) && r_low_ohm > 0, "r_low_ohm", "must be > 0");
  require(std::isfinite(r_high_ohm) && r_high_ohm > r_low_ohm, "r_high_ohm", "must be > r_low_ohm");
  require(std::isfinite(variation_pct) && variation_pct >= 0 && variation_pct < 100, "variation_pct", "must be in [0, 100)");
  require(std::isfinite(ternary_threshold) && ternary_threshold >= 0 && ternary_threshold < 1, "ternary_threshold",
          "must be in [0, 1)");
}

ImacLayerMapping map_imac_layer(const Eigen::MatrixXd& W, const Eigen::VectorXd& bias, const ImacMappingConfig& cfg,
                                std::uint64_t seed, std::uint64_t stream) {
  cfg.validate();
  require(W.size() > 0 && bias.size() == W.cols(), "layer", "needs K x N weights and N biases");
  require(W.allFinite() && bias.allFinite(), "layer", "weights or bias are not finite");
  const Eigen::Index K = W.rows(), N = W.cols();
  Eigen::MatrixXd Wb(K + 1, N);
  Wb.topRows(K) = W;
  Wb.row(K) = bias.transpose();
  const double g_on = 1.0 / cfg.r_low_ohm, g_off = 1.0 / cfg.r_high_ohm, dg = g_on - g_off;
  const double max_abs = Wb.cwiseAbs().maxCoeff();

  ImacLayerMapping m;
  m.g_pos.resize(K + 1, N);
  m.g_neg.resize(K + 1, N);
  if (cfg.weights == ImacWeights::Analog) {
    const double scale = max_abs > 0 ? max_abs : 1.0;
    const Eigen::ArrayXXd mag = Wb.array().abs() / scale * dg;
    m.g_pos = (g_off + (Wb.array() > 0).cast<double>() * mag).matrix();
    m.g_neg = (g_off + (Wb.array() < 0).cast<double>() * mag).matrix();
    m.unit_siemens = dg / scale;
  } else {
    Eigen::ArrayXXd q = Wb.array().sign();
    if (cfg.weights == ImacWeights::Binary) q = (q == 0).select(1.0, q);
    else q = (Wb.array().abs() < cfg.ternary_threshold * max_abs).select(0.0, q);
    const double nonzero = (q != 0).cast<double>().sum();
    const double alpha = nonzero > 0 ? ((q != 0).cast<double>() * Wb.array().abs()).sum() / nonzero : 1.0;
    // +1 -> (Rlow, Rhigh), -1 -> (Rhigh, Rlow), 0 -> (Rlow, Rlow): the difference is q * dg.
    m.g_pos = (q >= 0).select(g_on, Eigen::ArrayXXd::Constant(K + 1, N, g_off)).matrix();
    m.g_neg = (q <= 0).select(g_on, Eigen::ArrayXXd::Constant(K + 1, N, g_off)).matrix();
    m.unit_siemens = dg / (alpha > 0 ? alpha : 1.0);
  }
  if (cfg.variation_pct > 0) {
    const CounterRng rng(seed);
    const double v = cfg.variation_pct / 100.0;
    for (Eigen::Index j = 0; j < N; ++j)
      for (Eigen::Index i = 0; i <= K; ++i) {
        const auto a = static_cast<std::uint64_t>(i), b = static_cast<std::uint64_t>(j);
        // Resistances vary: G = 1 / (R (1 + u v)).
        m.g_pos(i, j) /= 1.0 + (2.0 * rng.uniform(stream, a, b, 0) - 1.0) * v;
        m.g_neg(i, j) /= 1.0 + (2.0 * rng.uniform(stream, a, b, 1) - 1.0) * v;
      }
  }
  return m;
}

}  // namespace memtile::core
