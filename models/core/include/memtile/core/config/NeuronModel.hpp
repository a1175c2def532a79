// The neuron stage without time (no SystemC): its configuration (declared once in a parameter
// table) and its activation functions. The SystemC stage (sc::Neuron, models/sc components)
// adds its latency, and the fully analog backend uses this alone. The transfer, energy and what
// is not modelled are described at sc::Neuron.
#pragma once
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

#include "memtile/core/config/EnergyTable.hpp"

namespace memtile::core {

template <class S>
struct Param;  // ParamTable.hpp

enum class NeuronKind { None, Identity, Relu, Tanh, Sigmoid, ImacSigmoid };
std::string to_string(NeuronKind k);
NeuronKind parse_neuron_kind(const std::string& s);  // none|identity|relu|tanh|sigmoid|imac_sigmoid

// Activation after a layer. Digital kinds act on the reduced digital output; imac_sigmoid is
// IMAC-Sim's analog neuron (docs/model.md §5) modelled behaviourally: a difference amplifier of
// gain R3/R1 followed by a CMOS inverter with resistive feedback (R_in, R_fb, a series bias
// source) between vss and vdd, solved at its DC operating point (see sc::Neuron).
struct NeuronConfig {
  NeuronKind kind = NeuronKind::None;  // None: no neuron stage (no time, no energy)
  double digital_cycles = 1;           // clocks per activation of a digital neuron
  // imac_sigmoid parameters (IMAC-Sim spice/neuron.sp and diff1.sp).
  double gain = 30.0;                  // difference-amplifier gain R3/R1 (R1 = R2 = 1 kohm)
  double r1_ohm = 1000.0;              // difference-amplifier input resistors R1 = R2
  double r_in_ohm = 8488.26363157;     // inverter input resistor (Rlow)
  double r_fb_ohm = 25464.7908947;     // inverter feedback resistor (Rhigh)
  double bias_v = -0.4;                // source in series with r_in: V(in) - V(in2) = bias_v
  double vdd_v = 0.8;                  // inverter supply
  double vss_v = 0.0;                  // inverter ground (IMAC instantiates the neuron at vdd, 0)
  double inverter_gain = 20.0;         // open-loop small-signal gain of the inverter (assumption)
  double sample_ns = 1.0;              // analog settling per sample (IMAC-Sim: 1 ns)
  // Volts at the difference amplifier's input per unit of the layer output; <= 0 = auto: the
  // slope at 0 matches the logistic's 1/4 per unit after normalisation to [0, 1].
  double input_v_per_unit = 0.0;
  // Range of every field (neuron_params()) and vdd_v > vss_v; throws InputError naming
  // `group` + "." + field ("neuron.vdd_v", "run.json: analog.neuron.vdd_v").
  void validate(const std::string& group = "neuron") const;
};

// NeuronConfig's JSON keys, once (core/ParamTable.hpp): JSON in/out, the range checks and the
// neuron rows of docs/config.md (the `neuron` object of the analog group) follow from it.
const std::vector<core::Param<NeuronConfig>>& neuron_params();
// `group` names the object in messages ("run.json: analog.neuron"); "" = "neuron".
void apply_json(NeuronConfig& n, const nlohmann::json& j, const std::string& group);
nlohmann::json to_json(const NeuronConfig& n);

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

}  // namespace memtile::core
