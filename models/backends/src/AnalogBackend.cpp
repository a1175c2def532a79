#include "memtile/backends/AnalogBackend.hpp"

#include <cmath>

#include <nlohmann/json.hpp>

#include "memtile/core/Errors.hpp"
#include "memtile/core/JsonField.hpp"
#include "memtile/core/WireTechnology.hpp"
#include "memtile/sc/config/EnergyTable.hpp"

namespace memtile::sc {

using core::InputError;
using core::require;
using nlohmann::json;

void AnalogConfig::validate() const {
  mapping.validate();
  require(array_rows >= 2, "analog.array_rows", "must be >= 2 (one input row and the bias row)");
  require(array_cols >= 1, "analog.array_cols", "must be >= 1");
  require(std::isfinite(wire_resistance), "analog.wire_resistance", "must be a finite number");
  wire.validate();
  require(std::isfinite(vdd_v) && vdd_v > 0, "analog.vdd_v", "must be > 0");
  for (double t : tia_ohm) require(std::isfinite(t), "analog.tia_ohm", "must be finite numbers (<= 0: calibrated)");
  for (double g : gains) require(std::isfinite(g) && g > 0, "analog.gains", "must be > 0");
  neuron.validate();
  require(neuron.kind != NeuronKind::None && neuron.kind != NeuronKind::Identity, "analog.neuron.kind",
          "must be an activation (imac_sigmoid, sigmoid, relu or tanh): fused layers end in a neuron");
}

void apply_json(AnalogConfig& c, const json& j, const std::string& source) {
  require(j.is_object(), source, "must be a JSON object");
  const auto num = [&](const json& v, const std::string& k) { return core::json_finite(v, source + ": " + k); };
  const auto list = [&](const json& v, const std::string& k) {
    require(v.is_array(), source + ": " + k, "must be an array of numbers");
    std::vector<double> out;
    for (const json& e : v) out.push_back(num(e, k));
    return out;
  };
  for (auto it = j.begin(); it != j.end(); ++it) {
    const std::string& k = it.key();
    const json& v = it.value();
    if (k == "weights") {
      require(v.is_string(), source + ": weights", "must be a string");
      c.mapping.weights = core::parse_imac_weights(v.get<std::string>());
    } else if (k == "r_low_ohm") c.mapping.r_low_ohm = num(v, k);
    else if (k == "r_high_ohm") c.mapping.r_high_ohm = num(v, k);
    else if (k == "variation_pct") c.mapping.variation_pct = num(v, k);
    else if (k == "ternary_threshold") c.mapping.ternary_threshold = num(v, k);
    else if (k == "array_rows" || k == "array_cols") {
      (k == "array_rows" ? c.array_rows : c.array_cols) = core::json_integer<int>(v, source + ": " + k);
    } else if (k == "wire_resistance") c.wire_resistance = num(v, k);
    else if (k == "tech_node_nm") c.wire.node_nm = num(v, k);
    else if (k == "vdd_v") c.vdd_v = num(v, k);
    else if (k == "tia_ohm") c.tia_ohm = list(v, k);
    else if (k == "gains") c.gains = list(v, k);
    else if (k == "neuron") apply_json(c.neuron, v, source);
    else if (k == "seed") {
      c.seed = core::json_integer<std::uint64_t>(v, source + ": seed");
    } else throw InputError(source + ": unknown key '" + k + "'");
  }
}

json to_json(const AnalogConfig& c) {
  return {{"weights", core::to_string(c.mapping.weights)},
          {"r_low_ohm", c.mapping.r_low_ohm},
          {"r_high_ohm", c.mapping.r_high_ohm},
          {"variation_pct", c.mapping.variation_pct},
          {"ternary_threshold", c.mapping.ternary_threshold},
          {"array_rows", c.array_rows},
          {"array_cols", c.array_cols},
          {"wire_resistance", c.wire_resistance},
          {"tech_node_nm", c.wire.node_nm},
          {"vdd_v", c.vdd_v},
          {"tia_ohm", c.tia_ohm},
          {"gains", c.gains},
          {"neuron", to_json(c.neuron)},
          {"seed", c.seed}};
}

struct AnalogBackend::Layer {
  Eigen::MatrixXd w;
  Eigen::VectorXd bias;
  std::string activation;  // fused activation op, "" = none
  core::ImacLayerMapping map;
  std::unique_ptr<core::PartitionedTransfer> circuit;
  NeuronModel neuron;
  Eigen::VectorXd row_g_sum;  // per input row (bias last): sum of G+ and G- over the outputs (S)
  double tia_ohm = 0;
  double v_per_unit = 1;      // volts at the neuron's input per unit of pre-activation
};

AnalogBackend::AnalogBackend(const AnalogConfig& cfg) : cfg_(cfg) {
  cfg_.validate();
  if (cfg_.wire_resistance >= 0) {
    wire_.row_segment_ohm = wire_.col_segment_ohm = cfg_.wire_resistance;
  } else {
    wire_ = core::wire_params(cfg_.wire);
  }
}

AnalogBackend::~AnalogBackend() = default;

void AnalogBackend::program(const nn::WeightedLayer& layer, const Eigen::MatrixXd& W) {
  require(layer.id == static_cast<int>(layers_.size()), "analog", "layers must be programmed in id order");
  const std::string name = layer.node_name.empty() ? "layer" + std::to_string(layer.id) : layer.node_name;
  require(layer.op != "Conv", name,
          "is a Conv: the fully analog (IMAC) mode maps fully connected layers only; use the default accelerator");
  auto l = std::make_unique<Layer>();
  l->w = W;
  l->bias = Eigen::VectorXd::Zero(W.cols());
  layers_.push_back(std::move(l));
  AnalogLayerStats s;
  s.name = name;
  s.k = W.rows();
  s.n = W.cols();
  stats_.push_back(s);
}

bool AnalogBackend::fuse_activation(const nn::WeightedLayer& layer, const std::string& activation_op) {
  // The configured neuron implements the activation the network was trained with: the IMAC
  // neuron and the ideal logistic stand for Sigmoid, the others for themselves.
  const NeuronKind k = cfg_.neuron.kind;
  const bool ok = (activation_op == "Sigmoid" && (k == NeuronKind::ImacSigmoid || k == NeuronKind::Sigmoid)) ||
                  (activation_op == "Relu" && k == NeuronKind::Relu) || (activation_op == "Tanh" && k == NeuronKind::Tanh);
  if (ok) layers_.at(static_cast<std::size_t>(layer.id))->activation = activation_op;
  return ok;
}

void AnalogBackend::program_bias(const nn::WeightedLayer& layer, const Eigen::VectorXd& bias) {
  layers_.at(static_cast<std::size_t>(layer.id))->bias = bias;
}

AnalogBackend::Layer& AnalogBackend::prepared(int id) {
  require(id >= 0 && id < static_cast<int>(layers_.size()), "analog", "unknown layer " + std::to_string(id));
  Layer& l = *layers_[static_cast<std::size_t>(id)];
  if (l.circuit) return l;
  AnalogLayerStats& s = stats_[static_cast<std::size_t>(id)];
  l.map = core::map_imac_layer(l.w, l.bias, cfg_.mapping, cfg_.seed, static_cast<std::uint64_t>(id));
  l.circuit = std::make_unique<core::PartitionedTransfer>(l.map.g_pos, l.map.g_neg, cfg_.array_rows, cfg_.array_cols, wire_);
  l.row_g_sum = (l.map.g_pos + l.map.g_neg).rowwise().sum();
  l.w.resize(0, 0);  // the conductances hold it now
  NeuronConfig nc = cfg_.neuron;
  if (static_cast<std::size_t>(id) < cfg_.gains.size()) nc.gain = cfg_.gains[static_cast<std::size_t>(id)];
  l.neuron = NeuronModel{nc};
  l.v_per_unit = nc.kind == NeuronKind::ImacSigmoid ? l.neuron.v_per_unit() : 1.0;
  // One unit of pre-activation is vdd * unit_siemens amperes; the transimpedance turns it into
  // v_per_unit volts at the neuron's input unless the configuration fixes tia_ohm.
  const double given = static_cast<std::size_t>(id) < cfg_.tia_ohm.size() ? cfg_.tia_ohm[static_cast<std::size_t>(id)] : 0;
  l.tia_ohm = given > 0 ? given : l.v_per_unit / (cfg_.vdd_v * l.map.unit_siemens);
  s.hpar = l.circuit->hpar();
  s.vpar = l.circuit->vpar();
  s.fused = !l.activation.empty();
  s.tia_ohm = l.tia_ohm;
  s.gain = nc.kind == NeuronKind::ImacSigmoid ? nc.gain : 1.0;
  // Settle: a partition's row line (2 x outputs segments, from its driver) and column line
  // (rows segments into the sense amplifier), Elmore each.
  const int rows = l.circuit->row_blocks().front().count, outs = l.circuit->output_blocks().front().count;
  const double settle_s =
      core::elmore_ladder_delay_s(2 * outs, wire_.row_segment_ohm, core::row_segment_capacitance_f(cfg_.wire), 0) +
      core::elmore_ladder_delay_s(rows, wire_.col_segment_ohm, core::col_segment_capacitance_f(cfg_.wire), 0);
  s.settle_ns = settle_s * 1e9;
  s.latency_ns = s.settle_ns + (s.fused ? nc.sample_ns : 0.0);
  return l;
}

Eigen::MatrixXd AnalogBackend::differential_currents(int layer, const Eigen::MatrixXd& X) {
  Layer& l = prepared(layer);
  require(X.cols() == l.map.g_pos.rows() - 1, stats_[static_cast<std::size_t>(layer)].name,
          "expects " + std::to_string(l.map.g_pos.rows() - 1) + " inputs, got " + std::to_string(X.cols()));
  return l.circuit->differential_currents(X * cfg_.vdd_v, cfg_.vdd_v);
}

const core::PartitionedTransfer& AnalogBackend::circuit(int layer) { return *prepared(layer).circuit; }
const core::ImacLayerMapping& AnalogBackend::mapping(int layer) { return prepared(layer).map; }

Eigen::MatrixXd AnalogBackend::multiply(const nn::WeightedLayer& layer, const Eigen::MatrixXd& X) {
  const Eigen::MatrixXd dI = differential_currents(layer.id, X);
  Layer& l = *layers_[static_cast<std::size_t>(layer.id)];
  AnalogLayerStats& s = stats_[static_cast<std::size_t>(layer.id)];
  // Pre-activation in units at the neuron's input (a non-fused layer's bias row carries 0: the
  // executor adds that bias digitally).
  Eigen::MatrixXd Y = dI * (l.tia_ohm / l.v_per_unit);
  const double t_ns = s.latency_ns;
  // Crossbar static power while the layer is read: sum_i V_i^2 sum_j (G+ + G-), bias row at vdd.
  const Eigen::Index K = X.cols();
  const double vdd2 = cfg_.vdd_v * cfg_.vdd_v;
  const double p_w = (X.array().square().matrix() * l.row_g_sum.head(K)).sum() * vdd2 +
                     static_cast<double>(X.rows()) * vdd2 * l.row_g_sum(K);
  s.crossbar_pj += p_w * t_ns * 1e-9 * 1e12;
  if (s.fused) {
    static const EnergyTable table;  // digital-activation energy for ideal kinds (not analog: estimate)
    for (Eigen::Index i = 0; i < Y.size(); ++i) {
      s.neuron_pj += l.neuron.energy_pj(Y.data()[i], table);
      Y.data()[i] = l.neuron.apply(Y.data()[i]);
    }
  }
  s.vectors += static_cast<std::uint64_t>(X.rows());
  return Y;
}

double AnalogBackend::latency_ns_per_vector() const {
  double t = 0;
  for (const AnalogLayerStats& s : stats_) t += s.latency_ns;
  return t;
}

double AnalogBackend::area_um2() const {
  int crossbars = 0;
  for (const AnalogLayerStats& s : stats_) crossbars += s.hpar * s.vpar;
  return core::crossbar_area_m2(crossbars, cfg_.array_rows, cfg_.array_cols, cfg_.wire) * 1e12;
}

json AnalogBackend::summary() const {
  json layers = json::array();
  double crossbar = 0, neuron = 0, ops = 0;
  for (const AnalogLayerStats& s : stats_) {
    crossbar += s.crossbar_pj;
    neuron += s.neuron_pj;
    ops += 2.0 * static_cast<double>(s.k) * static_cast<double>(s.n) * static_cast<double>(s.vectors);
    layers.push_back({{"name", s.name},
                      {"in_features", s.k},
                      {"out_features", s.n},
                      {"hpar", s.hpar},
                      {"vpar", s.vpar},
                      {"fused_activation", s.fused},
                      {"tia_ohm", s.tia_ohm},
                      {"gain", s.gain},
                      {"settle_ns", s.settle_ns},
                      {"latency_ns", s.latency_ns},
                      {"vectors", s.vectors},
                      {"energy_pj", {{"crossbar", s.crossbar_pj}, {"neuron", s.neuron_pj}}}});
  }
  const double total = crossbar + neuron;
  return {{"energy_pj", {{"crossbar", crossbar}, {"neuron", neuron}}},
          {"inference_energy_pj", total},
          {"latency_ns_per_vector", latency_ns_per_vector()},
          {"area_um2", area_um2()},
          {"tops_per_w", total > 0 ? ops / total : 0.0},
          {"layers", layers}};
}

double AnalogBackend::simulated_ns() const {
  double t = 0;  // vectors run one after the other, each settling through the layer
  for (const AnalogLayerStats& s : stats_) t += s.latency_ns * static_cast<double>(s.vectors);
  return t;
}

backends::RunReport AnalogBackend::report(std::uint64_t images, const SummaryReduction& reduce) {
  const json s = reduce ? reduce(summary()) : summary();
  backends::RunReport r;
  // One image is one input vector through every layer (the MLP has no im2col).
  r.latency_ns_per_image = s.at("latency_ns_per_vector").get<double>();
  r.inference_energy_pj = s.at("inference_energy_pj").get<double>();
  for (const auto& [k, v] : s.at("energy_pj").items())
    r.energy_breakdown_pj[k] = v.get<double>() / static_cast<double>(images);
  r.area_um2 = s.at("area_um2").get<double>();
  r.tops_per_w = s.at("tops_per_w").get<double>();
  r.layers = s.at("layers");
  r.config["analog"] = to_json(cfg_);
  return r;
}

}  // namespace memtile::sc
