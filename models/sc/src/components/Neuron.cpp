#include "memtile/sc/components/Neuron.hpp"

#include <cmath>

namespace memtile::sc {

Neuron::Neuron(sc_core::sc_module_name name, const core::NeuronConfig& cfg, const core::TileConfig& tile,
               const core::EnergyTable& energy)
    : Component(name), model_{cfg}, energy_(energy) {
  cfg.validate();
  const double ns = cfg.kind == core::NeuronKind::ImacSigmoid ? cfg.sample_ns
                    : cfg.kind == core::NeuronKind::None     ? 0.0
                                                       : cfg.digital_cycles * tile.clock_ns();
  latency_ = sc_core::sc_time(ns, sc_core::SC_NS);
}

double activate(Eigen::MatrixXd& y, const core::NeuronModel& model, const core::EnergyTable& energy) {
  double e = 0;
  if (model.cfg.kind == core::NeuronKind::ImacSigmoid) {
    for (Eigen::Index k = 0; k < y.size(); ++k) {  // energy depends on the operating point
      e += model.energy_pj(y.data()[k], energy);
      y.data()[k] = model.apply(y.data()[k]);
    }
  } else if (model.cfg.kind != core::NeuronKind::None) {
    e = static_cast<double>(y.size()) * energy.neuron_digital_energy_pj;
    y = y.unaryExpr([&model](double v) { return model.apply(v); });
  }
  return e;
}

bool Neuron::execute(MvmExtension& ext, sc_core::sc_time& delay) {
  if (ext.op != MvmOp::Activate) return false;
  ext.energy_pj = activate(*ext.y, model_, energy_);
  ops_ += static_cast<std::uint64_t>(ext.y->size());
  delay += latency_;
  return true;
}

}  // namespace memtile::sc
