// ngspice-compatible netlists of the circuits that CrossbarSolver and PartitionedLayer solve,
// for validation with `ngspice -b` and for users who want transistor-level follow-up work.
// Every value is written with 17 significant digits (round-trips a double). Zero resistances
// are never written: the nodes are merged exactly as CrossbarSolver merges them. Each netlist
// ends with a .control block that runs one operating point per input vector (`alter` on the
// input sources) and prints the outputs with `set numdgt=16`, one "name = value" line each,
// after an `echo memtile_vector <k>` marker; it ends with `quit 0` (clean batch exit status).
#pragma once
#include <Eigen/Dense>
#include <string>

#include "memtile/core/CrossbarSolver.hpp"

namespace memtile::core {

// One crossbar (topology of CrossbarSolver.hpp). V: K x M input voltages, one operating point
// per row of V. Output k prints i(vsense_j) for j = 0..N-1: the column current (A) into the
// sense amplifier's virtual ground, positive for positive inputs and conductances.
std::string crossbar_netlist(const Eigen::MatrixXd& G, const WireParams& w, const Eigen::MatrixXd& V,
                             const std::string& title = "memtile crossbar");

// One fully connected layer partitioned as in PartitionedLayer (differential pairs, bias row).
struct LayerNetlistSpec {
  Eigen::MatrixXd g_pos, g_neg;  // (n_in + 1) x n_out conductances (S); last row = bias
  Eigen::MatrixXd inputs;        // K x n_in input voltages
  double bias_v = 1.0;           // voltage driving the bias row (IMAC-Sim drives it from vdd)
  int rows = 32;                 // crossbar rows per partition
  int cols = 32;                 // outputs (differential column pairs) per partition
  WireParams wire;
  // Sense: each column ends at the virtual ground of a transimpedance amplifier (VCVS op-amp
  // with feedback resistor tia_ohm), v_t = -I * tia_ohm.
  double tia_ohm = 1e3;
  // Differential amplifier per output and partition: IMAC-Sim's op-amp difference amplifier
  // (R1 = R2 = diff_in_ohm, R3 = R4 = diff_gain * diff_in_ohm) computing
  // diff_gain * (v_t+ - v_t-) = -diff_gain * tia_ohm * (I+ - I-).
  double diff_gain = 30.0;
  double diff_in_ohm = 1e3;
  // Partial results of the horizontal partitions are summed by an inverting summing amplifier
  // (all resistors sum_ohm), which also restores the sign: s = diff_gain * tia_ohm * sum(I+ - I-).
  double sum_ohm = 1e4;
  double opamp_gain = 1e6;       // open-loop gain of every VCVS op-amp (finite-gain error ~ 1/A)
  // Behavioural sigmoid neuron: y = neuron_vdd / (1 + exp(-s / neuron_scale_v)).
  double neuron_vdd = 1.0;
  double neuron_scale_v = 1.0;
  std::string title = "memtile partitioned layer";
};
// Output k prints v(sum_j) (pre-activation s, V) and v(y_j) (neuron output, V) for every output j.
std::string layer_netlist(const LayerNetlistSpec& spec);

// What layer_netlist computes with ideal op-amps (infinite open-loop gain), through
// PartitionedLayer: K x n_out pre-activations s and outputs y.
struct LayerResponse {
  Eigen::MatrixXd pre_activation_v;
  Eigen::MatrixXd output_v;
};
LayerResponse layer_reference(const LayerNetlistSpec& spec);

}  // namespace memtile::core
