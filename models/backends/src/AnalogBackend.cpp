#include "memtile/backends/AnalogBackend.hpp"

#include <cmath>
#include <functional>
#include <limits>

#include <nlohmann/json.hpp>

#include "memtile/core/Errors.hpp"
#include "memtile/core/JsonField.hpp"
#include "memtile/core/ParamTable.hpp"
#include "memtile/core/WireTechnology.hpp"
#include "memtile/core/config/EnergyTable.hpp"

namespace memtile::backends {

using core::InputError;
using core::require;
using nlohmann::json;

namespace {
using C = AnalogConfig;

// A list of finite numbers; `each` checks one entry (throws naming field[i]).
core::Param<C> real_list_row(std::string name, std::vector<double> C::*m, std::string unit, std::string range,
                             std::string doc, std::function<void(double, const std::string&)> each) {
  core::Param<C> p;
  p.name = std::move(name);
  p.unit = std::move(unit);
  p.range = std::move(range);
  p.type_name = "LIST";
  p.doc = std::move(doc);
  p.get = [m](const C& c) { return json(c.*m); };
  p.set = [m](C& c, const json& v, const std::string& field) {
    require(v.is_array(), field, "must be an array of numbers");
    std::vector<double> out;
    for (std::size_t i = 0; i < v.size(); ++i) out.push_back(core::json_finite(v[i], field + "[" + std::to_string(i) + "]"));
    c.*m = out;
  };
  p.check = [m, each](const C& c, const std::string& field) {
    for (std::size_t i = 0; i < (c.*m).size(); ++i) each((c.*m)[i], field + "[" + std::to_string(i) + "]");
  };
  p.parse_text = [](const std::string& text, const std::string& f) -> json {
    throw InputError(f + ": '" + text + "': no flag for this list");
  };
  return p;
}
}  // namespace

const std::vector<core::Param<AnalogConfig>>& analog_params() {
  // The analog group's tunables, once: JSON in/out, range checks and the analog section of
  // docs/config.md. Checks between fields stay in validate().
  static const std::vector<core::Param<C>> table = [] {
    using core::int_param;
    using core::real_param;
    const double inf = std::numeric_limits<double>::infinity();
    const core::RealRange positive{0, inf, true}, any{-inf, inf};
    const long double int_max = std::numeric_limits<int>::max();
    std::vector<core::Param<C>> t;
    t.push_back(core::choice_param<C>(
        "weights", "", [](auto& c) -> auto& { return c.mapping.weights; },
        {{"binary", core::ImacWeights::Binary}, {"ternary", core::ImacWeights::Ternary}, {"analog", core::ImacWeights::Analog}},
        "Weight mapping onto resistance pairs: binary / ternary (IMAC's quantised networks) or analog (multi-level)"));
    t.push_back(real_param<C>("r_low_ohm", "", [](auto& c) -> auto& { return c.mapping.r_low_ohm; }, "ohm", positive,
                              "Low resistance state (IMAC-Sim rlow)"));
    t.push_back(real_param<C>("r_high_ohm", "", [](auto& c) -> auto& { return c.mapping.r_high_ohm; }, "ohm", positive,
                              "High resistance state (IMAC-Sim rhigh; must exceed r_low_ohm)"));
    t.push_back(real_param<C>("variation_pct", "", [](auto& c) -> auto& { return c.mapping.variation_pct; }, "%",
                              {0, 100, false, true}, "Uniform +-x % variation drawn on each resistance at programming"));
    t.push_back(real_param<C>("ternary_threshold", "", [](auto& c) -> auto& { return c.mapping.ternary_threshold; }, "",
                              {0, 1, false, true}, "ternary: fraction of max|w| below which a weight maps to 0"));
    t.push_back(int_param<C>("array_rows", "", &C::array_rows, "rows", 2, int_max, ">= 2",
                             "Rows per partition, the bias row included"));
    t.push_back(int_param<C>("array_cols", "", &C::array_cols, "outputs", 1, int_max, ">= 1",
                             "Outputs (differential column pairs) per partition"));
    t.push_back(real_param<C>("wire_resistance", "", &C::wire_resistance, "ohm", any,
                              "Wire segment resistance, rows and columns; < 0 = from the technology node; 0 = ideal"));
    t.push_back(real_param<C>("tech_node_nm", "", [](auto& c) -> auto& { return c.wire.node_nm; }, "nm", positive,
                              "Technology node of the wire segments and the Elmore settle (IMAC-Sim size-effect model)"));
    t.push_back(real_param<C>("vdd_v", "", &C::vdd_v, "V", positive, "Input full scale and bias-row drive"));
    t.push_back(real_list_row("tia_ohm", &C::tia_ohm, "ohm", "finite each",
                              "Transimpedance per layer; missing or <= 0 = calibrated (one unit of pre-activation "
                              "reaches the neuron as its volts per unit)",
                              [](double v, const std::string& f) { require(std::isfinite(v), f, "must be a finite number"); }));
    t.push_back(real_list_row("gains", &C::gains, "", "> 0 each",
                              "Difference-amplifier gain per layer (IMAC-Sim: 30, 30, 10); missing = neuron.gain",
                              [](double v, const std::string& f) {
                                require(std::isfinite(v) && v > 0, f, "must be > 0, got " + core::eng(v));
                              }));
    t.push_back(core::nested_group_param<C>("neuron", "The analog neuron after each fused layer",
                                            [](auto& c) -> auto& { return c.neuron; }, core::neuron_params()));
    t.push_back(int_param<C>("seed", "", &C::seed, "", 0, 18446744073709551615.0L, "0 .. 2^64-1",
                             "Seed of the programming variation"));
    return t;
  }();
  return table;
}

std::string analog_config_markdown() { return core::params_markdown(analog_params()); }

void AnalogConfig::validate(const std::string& group) const {
  core::check_group(analog_params(), *this, group);
  require(mapping.r_high_ohm > mapping.r_low_ohm, group + ".r_high_ohm",
          "must exceed r_low_ohm (r_high_ohm " + core::eng(mapping.r_high_ohm) + " ohm <= r_low_ohm " +
              core::eng(mapping.r_low_ohm) + " ohm)");
  wire.validate();
  neuron.validate(group + ".neuron");
  require(neuron.kind != core::NeuronKind::None && neuron.kind != core::NeuronKind::Identity, group + ".neuron.kind",
          "must be an activation (imac_sigmoid, sigmoid, relu or tanh): fused layers end in a neuron");
}

void apply_json(AnalogConfig& c, const json& j, const std::string& source) {
  // `source` is a file ("run.json") or already names the group ("run.json: analog").
  const bool named = source.size() >= 6 && source.compare(source.size() - 6, 6, "analog") == 0;
  const std::string group = source.empty() ? "analog" : named ? source : source + ": analog";
  core::apply_group(analog_params(), c, j, group);
  c.validate(group);
}

json to_json(const AnalogConfig& c) { return core::params_to_json(analog_params(), c); }

struct AnalogBackend::Layer {
  Eigen::MatrixXd w;
  Eigen::VectorXd bias;
  std::string activation;  // fused activation op, "" = none
  core::ImacLayerMapping map;
  std::unique_ptr<core::PartitionedTransfer> circuit;
  core::NeuronModel neuron;
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
  using core::NeuronKind;
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
  core::NeuronConfig nc = cfg_.neuron;
  if (static_cast<std::size_t>(id) < cfg_.gains.size()) nc.gain = cfg_.gains[static_cast<std::size_t>(id)];
  l.neuron = core::NeuronModel{nc};
  l.v_per_unit = nc.kind == core::NeuronKind::ImacSigmoid ? l.neuron.v_per_unit() : 1.0;
  // One unit of pre-activation is vdd * unit_siemens amperes; the transimpedance turns it into
  // v_per_unit volts at the neuron's input unless the configuration fixes tia_ohm.
  const double given = static_cast<std::size_t>(id) < cfg_.tia_ohm.size() ? cfg_.tia_ohm[static_cast<std::size_t>(id)] : 0;
  l.tia_ohm = given > 0 ? given : l.v_per_unit / (cfg_.vdd_v * l.map.unit_siemens);
  s.hpar = l.circuit->hpar();
  s.vpar = l.circuit->vpar();
  s.fused = !l.activation.empty();
  s.tia_ohm = l.tia_ohm;
  s.gain = nc.kind == core::NeuronKind::ImacSigmoid ? nc.gain : 1.0;
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
    static const core::EnergyTable table;  // digital-activation energy for ideal kinds (not analog: estimate)
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

RunReport AnalogBackend::report(std::uint64_t images, const SummaryReduction& reduce) {
  const json s = reduce ? reduce(summary()) : summary();
  RunReport r;
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

}  // namespace memtile::backends
