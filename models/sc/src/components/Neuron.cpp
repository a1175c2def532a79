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

bool Neuron::execute(MvmExtension& ext, sc_core::sc_time& delay) {
  if (ext.op != MvmOp::Activate) return false;
  Eigen::MatrixXd& y = *ext.y;
  double e = 0;
  if (model_.cfg.kind == core::NeuronKind::ImacSigmoid) {
    for (Eigen::Index k = 0; k < y.size(); ++k) {  // energy depends on the operating point
      e += model_.energy_pj(y.data()[k], energy_);
      y.data()[k] = model_.apply(y.data()[k]);
    }
  } else if (model_.cfg.kind != core::NeuronKind::None) {
    e = static_cast<double>(y.size()) * energy_.neuron_digital_energy_pj;
    y = y.unaryExpr([this](double v) { return model_.apply(v); });
  }
  ops_ += static_cast<std::uint64_t>(y.size());
  ext.energy_pj = e;
  delay += latency_;
  return true;
}

}  // namespace memtile::sc
