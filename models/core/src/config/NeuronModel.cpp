#include "memtile/core/config/NeuronModel.hpp"

#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>

#include "memtile/core/Errors.hpp"
#include "memtile/core/ParamTable.hpp"

namespace memtile::core {

std::string to_string(NeuronKind k) {
  switch (k) {
    case NeuronKind::None: return "none";
    case NeuronKind::Identity: return "identity";
    case NeuronKind::Relu: return "relu";
    case NeuronKind::Tanh: return "tanh";
    case NeuronKind::Sigmoid: return "sigmoid";
    case NeuronKind::ImacSigmoid: return "imac_sigmoid";
  }
  return "?";
}

NeuronKind parse_neuron_kind(const std::string& s) {
  for (NeuronKind k : {NeuronKind::None, NeuronKind::Identity, NeuronKind::Relu, NeuronKind::Tanh,
                       NeuronKind::Sigmoid, NeuronKind::ImacSigmoid})
    if (s == to_string(k)) return k;
  throw core::InputError("neuron.kind: '" + s + "' is not one of none, identity, relu, tanh, sigmoid, imac_sigmoid");
}

const std::vector<core::Param<NeuronConfig>>& neuron_params() {
  // The neuron's tunables, once. The imac_sigmoid rows are checked whatever the kind (a value
  // that is not physical is refused even while it is unused).
  static const std::vector<core::Param<NeuronConfig>> table = [] {
    using C = NeuronConfig;
    using core::real_param;
    const double inf = std::numeric_limits<double>::infinity();
    const core::RealRange positive{0, inf, true}, non_negative{0, inf}, any{-inf, inf};
    std::vector<core::Param<C>> t;
    t.push_back(core::choice_param<C>("kind", "", &C::kind,
                                      {{"none", NeuronKind::None}, {"identity", NeuronKind::Identity},
                                       {"relu", NeuronKind::Relu}, {"tanh", NeuronKind::Tanh},
                                       {"sigmoid", NeuronKind::Sigmoid}, {"imac_sigmoid", NeuronKind::ImacSigmoid}},
                                      "Activation: none (no stage), digital identity/relu/tanh/sigmoid, or IMAC-Sim's "
                                      "analog imac_sigmoid (difference amplifier + CMOS-inverter sigmoid)"));
    t.push_back(real_param<C>("digital_cycles", "", &C::digital_cycles, "cycles", non_negative,
                              "Clocks per activation of a digital neuron"));
    t.push_back(real_param<C>("gain", "", &C::gain, "", positive,
                              "imac_sigmoid: difference-amplifier gain R3/R1"));
    t.push_back(real_param<C>("r1_ohm", "", &C::r1_ohm, "ohm", positive,
                              "imac_sigmoid: difference-amplifier input resistors R1 = R2"));
    t.push_back(real_param<C>("r_in_ohm", "", &C::r_in_ohm, "ohm", positive,
                              "imac_sigmoid: inverter input resistor (IMAC-Sim Rlow)"));
    t.push_back(real_param<C>("r_fb_ohm", "", &C::r_fb_ohm, "ohm", positive,
                              "imac_sigmoid: inverter feedback resistor (IMAC-Sim Rhigh)"));
    t.push_back(real_param<C>("bias_v", "", &C::bias_v, "V", any,
                              "imac_sigmoid: source in series with r_in, V(in) - V(in2)"));
    t.push_back(real_param<C>("vdd_v", "", &C::vdd_v, "V", any, "imac_sigmoid: inverter supply (must exceed vss_v)"));
    t.push_back(real_param<C>("vss_v", "", &C::vss_v, "V", any, "imac_sigmoid: inverter ground"));
    t.push_back(real_param<C>("inverter_gain", "", &C::inverter_gain, "", positive,
                              "imac_sigmoid: open-loop small-signal gain of the inverter (an assumption)"));
    t.push_back(real_param<C>("sample_ns", "", &C::sample_ns, "ns", non_negative,
                              "imac_sigmoid: analog settling per sample (IMAC-Sim samples every 1 ns)"));
    t.push_back(real_param<C>("input_v_per_unit", "", &C::input_v_per_unit, "V", any,
                              "imac_sigmoid: volts at the amplifier input per unit of the layer output; <= 0 = "
                              "slope 1/4 at 0 like the logistic"));
    return t;
  }();
  return table;
}

void NeuronConfig::validate(const std::string& group) const {
  core::check_group(neuron_params(), *this, group);
  require(vdd_v > vss_v, group + ".vdd_v",
          "must be above vss_v (vdd_v " + core::eng(vdd_v) + " V <= vss_v " + core::eng(vss_v) + " V)");
}

void apply_json(NeuronConfig& n, const nlohmann::json& j, const std::string& group) {
  const std::string g = group.empty() ? "neuron" : group;
  core::apply_group(neuron_params(), n, j, g);
  n.validate(g);
}

nlohmann::json to_json(const NeuronConfig& n) { return core::params_to_json(neuron_params(), n); }

double NeuronModel::v_per_unit() const {
  if (cfg.input_v_per_unit > 0) return cfg.input_v_per_unit;
  // Closed-loop slope of the inverter stage ~ r_fb / r_in (ideal inverter); normalised to the
  // supply, the composite slope at 0 is gain * v * (r_fb/r_in) / (vdd - vss): make it 1/4.
  return 0.25 * (cfg.vdd_v - cfg.vss_v) / (cfg.gain * cfg.r_fb_ohm / cfg.r_in_ohm);
}

double NeuronModel::imac_vout(double v_d) const {
  const double vmid = 0.5 * (cfg.vdd_v + cfg.vss_v), half = 0.5 * (cfg.vdd_v - cfg.vss_v);
  const double v_in2 = v_d - cfg.bias_v;  // neuron.sp: V(in) - V(in2) = bias_v
  const double rin = cfg.r_in_ohm, rfb = cfg.r_fb_ohm;
  auto residual = [&](double vout) {
    const double vx = (rfb * v_in2 + rin * vout) / (rin + rfb);
    return vout - (vmid - half * std::tanh(cfg.inverter_gain * (vx - vmid) / half));
  };
  // residual is increasing in vout; the inverter output lies in [vss, vdd].
  double lo = cfg.vss_v, hi = cfg.vdd_v;
  for (int it = 0; it < 80; ++it) {
    const double mid = 0.5 * (lo + hi);
    (residual(mid) > 0 ? hi : lo) = mid;
  }
  return 0.5 * (lo + hi);
}

double NeuronModel::imac_power_w(double v_diff_in, double v_d, double v_out) const {
  // Difference amplifier with V- = 0, V+ = v_diff_in, ideal op-amp: n1 = n2 = V+ R4/(R2+R4).
  const double r1 = cfg.r1_ohm, r3 = cfg.gain * cfg.r1_ohm;
  const double n = v_diff_in * r3 / (r1 + r3);
  const double p_amp = v_diff_in * v_diff_in / (r1 + r3)      // R2 + R4 branch
                       + n * n / r1 + (n - v_d) * (n - v_d) / r3;  // R1 and R3
  const double v_in2 = v_d - cfg.bias_v;
  const double p_fb = (v_in2 - v_out) * (v_in2 - v_out) / (cfg.r_in_ohm + cfg.r_fb_ohm);
  return p_amp + p_fb;
}

double NeuronModel::apply(double y) const {
  switch (cfg.kind) {
    case NeuronKind::None:
    case NeuronKind::Identity: return y;
    case NeuronKind::Relu: return y > 0 ? y : 0.0;
    case NeuronKind::Tanh: return std::tanh(y);
    case NeuronKind::Sigmoid: return 1.0 / (1.0 + std::exp(-y));
    case NeuronKind::ImacSigmoid: {
      // The mapping swaps the I+/I- lines at the amplifier: V+ - V- = -y v_per_unit, so the
      // inverting neuron's output rises with y.
      const double v_d = cfg.gain * (-y * v_per_unit());
      return (imac_vout(v_d) - cfg.vss_v) / (cfg.vdd_v - cfg.vss_v);
    }
  }
  return y;
}

double NeuronModel::energy_pj(double y, const EnergyTable& t) const {
  switch (cfg.kind) {
    case NeuronKind::None: return 0;
    case NeuronKind::ImacSigmoid: {
      const double vin = -y * v_per_unit(), v_d = cfg.gain * vin;  // as apply()
      return imac_power_w(vin, v_d, imac_vout(v_d)) * cfg.sample_ns * 1e-9 * 1e12;
    }
    default: return t.neuron_digital_energy_pj;
  }
}

}  // namespace memtile::core
