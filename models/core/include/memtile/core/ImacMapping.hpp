// IMAC-style mapping of a fully connected layer onto resistance pairs (docs/model.md §5):
// each weight (and the bias, an extra row driven at vdd) is a pair (R+, R-) on two columns
// whose current difference a difference amplifier senses.
//   binary:  q = sign(w) (0 -> +1); +1 -> (R+ = Rlow, R- = Rhigh), -1 -> swapped
//   ternary: q = 0 when |w| < ternary_threshold * max|w|, else sign(w); 0 -> both Rlow
//   analog:  G+ - G- proportional to w over [Ghigh_r, Glow_r]: the larger of G+/G- is
//            1/Rhigh + |w|/scale * (1/Rlow - 1/Rhigh), the other 1/Rhigh (multi-level cells)
// Binary/ternary layers compute sum(x * alpha * q): alpha (the mean |w| of the non-zero q) is
// the weight unit the sensing gain is calibrated to, as XNOR-style binarisation does; the
// bias keeps its own value through the same unit (quantised like the weights).
// Programming variation: every resistance is multiplied by (1 + u * variation_pct / 100),
// u uniform in [-1, 1] (IMAC-Sim's weight_var), drawn once from the seeded counter RNG.
#pragma once
#include <Eigen/Dense>
#include <cstdint>
#include <string>

namespace memtile::core {

enum class ImacWeights { Binary, Ternary, Analog };
std::string to_string(ImacWeights w);
ImacWeights parse_imac_weights(const std::string& s);  // binary|ternary|analog; InputError otherwise

struct ImacMappingConfig {
  ImacWeights weights = ImacWeights::Analog;
  double r_low_ohm = 5e3;          // IMAC-Sim rlow
  double r_high_ohm = 15e3;        // IMAC-Sim rhigh
  double variation_pct = 0;        // uniform +-x % on each resistance
  double ternary_threshold = 0.05; // fraction of max|w| below which a ternary weight is 0
  void validate() const;           // InputError naming the field
};

struct ImacLayerMapping {
  Eigen::MatrixXd g_pos, g_neg;  // (K + 1) x N conductances (S), last row = bias
  // One unit of the layer's pre-activation sum(x w) + b, with x = V/vdd, is a differential
  // current of vdd * unit_siemens amperes (before variation).
  double unit_siemens = 0;
};

// W: K x N, bias: N (zeros when the layer has none). `stream` separates the draws of layers.
ImacLayerMapping map_imac_layer(const Eigen::MatrixXd& W, const Eigen::VectorXd& bias, const ImacMappingConfig& cfg,
                                std::uint64_t seed, std::uint64_t stream);

}  // namespace memtile::core
