// Activation after a layer (docs/model.md §5): the SystemC stage (Neuron, components/) around
// the time-free transfer and energy model (core::NeuronModel, memtile/core/config/NeuronModel.hpp).
//  * identity / relu / tanh / sigmoid: digital, digital_cycles clocks per vector (one unit per
//    output column, in parallel), energy EnergyTable::neuron_digital_energy_pj per activation.
//  * imac_sigmoid: IMAC-Sim's analog neuron, behaviourally at its DC operating point:
//      difference amplifier (ideal op-amp, R1 = R2 = r1_ohm, R3 = R4 = gain x r1_ohm):
//        v_d = gain x (V+ - V-), with V+ - V- = -y x input_v_per_unit
//        (IMAC-Sim's inverter is inverting; the mapping swaps the I+/I- lines at the amplifier
//        so the composite transfer rises; we model that compensated orientation);
//      inverter with resistive feedback: node in2 = v_d - bias_v, r_in from in2 to the
//        inverter input x, r_fb from x to the output; the inverter is
//        v_out = v_mid - (swing/2) tanh(A (v_x - v_mid) / (swing/2)), v_mid = (vdd+vss)/2,
//        swing = vdd - vss, A = inverter_gain; v_x = (r_fb v_in2 + r_in v_out)/(r_in + r_fb).
//        Solved by bisection (v_out - inv(v_x(v_out)) is monotone). Output normalised to
//        (v_out - vss)/(vdd - vss) in [0, 1].
//      Energy per activation: sample_ns x the static power of the resistor network (both
//        amplifier branches, with V- = 0, and the feedback path). Not modelled: the
//        inverter's crowbar current and the op-amp's quiescent power.
//      Latency: sample_ns per vector (IMAC-Sim samples every 1 ns).
#pragma once
#include "memtile/core/config/NeuronModel.hpp"
#include "memtile/core/config/TileConfig.hpp"
#include "memtile/sc/components/Component.hpp"

namespace memtile::sc {

class Neuron : public Component {
 public:
  Neuron(sc_core::sc_module_name name, const core::NeuronConfig& cfg, const core::TileConfig& tile,
         const core::EnergyTable& energy);
  const core::NeuronModel& model() const { return model_; }
  sc_core::sc_time latency() const { return latency_; }
  double area_um2() const override { return 0; }  // no area figure in the table: not counted

 protected:
  bool execute(MvmExtension& ext, sc_core::sc_time& delay) override;

 private:
  core::NeuronModel model_;
  const core::EnergyTable& energy_;
  sc_core::sc_time latency_;
};

// Applies `model` to every element of y in place; returns the energy (pJ): per element
// EnergyTable::neuron_digital_energy_pj for the digital kinds, from its operating point for
// imac_sigmoid, none for kind none. One activation for the tile's Neuron stage and for
// AcceleratorTop's activation unit (each has its own timing).
double activate(Eigen::MatrixXd& y, const core::NeuronModel& model, const core::EnergyTable& energy);

}  // namespace memtile::sc
