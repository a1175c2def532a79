// The activation functions of a neuron stage without time (no SystemC): the SystemC Neuron
// (components/Neuron.hpp) adds its latency, and the fully analog backend uses this alone. The
// transfer, energy and what is not modelled are described in components/Neuron.hpp.
#pragma once
#include "memtile/sc/config/EnergyTable.hpp"
#include "memtile/sc/config/TileConfig.hpp"

namespace memtile::sc {

// The activation functions, usable without a simulation (tests, the CLI).
struct NeuronModel {
  NeuronConfig cfg;
  double apply(double y) const;
  // imac_sigmoid: inverter output voltage for difference-amplifier output v_d, and the power
  // (W) of the resistor network at that point.
  double imac_vout(double v_d) const;
  double imac_power_w(double v_diff_in, double v_d, double v_out) const;
  double v_per_unit() const;  // resolved input_v_per_unit
  double energy_pj(double y, const EnergyTable& t) const;
};

}  // namespace memtile::sc
