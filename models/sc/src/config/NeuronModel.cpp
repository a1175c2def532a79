#include "memtile/sc/config/NeuronModel.hpp"

#include <cmath>

namespace memtile::sc {

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

}  // namespace memtile::sc
