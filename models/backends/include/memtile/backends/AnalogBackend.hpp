// IMAC-style fully analog MLP as a backend of the nn executor (`memtile run` with an "analog"
// configuration group; preset configs/presets/imac_mlp.json; docs/analog.md).
//
// Each Gemm/MatMul layer is mapped onto resistance pairs (core::map_imac_layer: binary,
// ternary or analog weights, bias row driven at vdd, programming variation) and partitioned
// IMAC-Sim style into hpar x vpar crossbars of array_rows x array_cols outputs
// (core::PartitionedTransfer: each partition's exact effective conductance with the wire
// segments of the technology — the circuit SpiceWriter exports and ngspice validates). There is no DAC or ADC between layers:
// the inputs of layer 1 are x * vdd volts (an ideal input driver), the inputs of every later
// layer are the previous neurons' output voltages. Per output, the differential current of the
// hpar partitions is summed in analog, converted by a transimpedance stage (tia_ohm) and fed
// to the analog neuron (core::NeuronModel: IMAC-Sim's difference amplifier of gain R3/R1 and its
// CMOS-inverter sigmoid, or an ideal logistic/ReLU/tanh), which the executor fuses with the
// layer: the backend computes bias and activation. A layer with no activation after it (e.g.
// the logits) is read out at the transimpedance stage (an ideal readout: its ADC is not
// modelled) and the executor adds its bias digitally.
//
// tia_ohm per layer: <= 0 (default) calibrates it so one unit of the layer's pre-activation
// reaches the neuron as NeuronModel::v_per_unit() volts (1 V for the ideal activations): the
// analog network then computes the trained function up to device effects.
//
// Latency per image: per layer, the Elmore settle of a partition's row line (2 x outputs
// segments) plus its column line (rows segments) from the wire technology, plus the neuron's
// sampling time (IMAC-Sim samples every 1 ns); layers are sequential. Energy per image: the
// crossbars' static power sum V_i^2 (G+ + G-) (columns at virtual ground, ideal-wire estimate)
// times the layer's latency, plus the neuron's resistor-network energy (NeuronModel). Area:
// IMAC-Sim's crossbar formula (Partitioning.hpp). Not modelled: op-amp quiescent power,
// transimpedance and summing-amplifier power, wire capacitance charging energy, the input
// driver and the output readout.
#pragma once
#include <Eigen/Dense>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "memtile/backends/RunReport.hpp"
#include "memtile/core/ImacMapping.hpp"
#include "memtile/core/Partitioning.hpp"
#include "memtile/core/config/NeuronModel.hpp"  // time-free: no SystemC header through this backend
#include "memtile/nn/Backend.hpp"

namespace memtile::core {
template <class S>
struct Param;
}  // namespace memtile::core

namespace memtile::backends {

struct AnalogConfig {
  core::ImacMappingConfig mapping;  // weights, r_low_ohm, r_high_ohm, variation_pct, ternary_threshold
  int array_rows = 32;              // rows per partition (bias row included)
  int array_cols = 32;              // outputs (differential column pairs) per partition
  double wire_resistance = -1;      // ohm per segment, rows and columns; < 0: from `wire`; 0: ideal
  core::WireTechnology wire;        // technology (IMAC-Sim defaults: 9 nm, 9.24 / 11.55 ohm);
                                    // JSON sets its node as "tech_node_nm" (nm)
  double vdd_v = 0.8;               // input full scale and bias-row drive (IMAC-Sim vdd)
  std::vector<double> tia_ohm;      // per layer; missing or <= 0: calibrated (see above)
  std::vector<double> gains;        // difference-amplifier gain per layer (IMAC-Sim: 30, 30, 10); missing: neuron.gain
  core::NeuronConfig neuron = [] {  // the analog neuron after each fused layer
    core::NeuronConfig n;
    n.kind = core::NeuronKind::ImacSigmoid;
    return n;
  }();
  std::uint64_t seed = 0;           // programming variation
  // Range of every row of analog_params() and the checks between fields; throws InputError
  // naming `group` + "." + field ("run.json: analog.neuron.gain").
  void validate(const std::string& group = "analog") const;
};
// AnalogConfig's JSON keys, once (core/ParamTable.hpp): JSON in/out, range checks and the
// analog section of docs/config.md (backends::config_reference_markdown()). The neuron rows are
// NeuronConfig's own table (core::neuron_params()) nested as `neuron`.
const std::vector<core::Param<AnalogConfig>>& analog_params();
std::string analog_config_markdown();
// `source` is a file ("run.json") or already names the group ("run.json: analog"). Validates.
void apply_json(AnalogConfig& c, const nlohmann::json& j, const std::string& source);
nlohmann::json to_json(const AnalogConfig& c);

struct AnalogLayerStats {
  std::string name;
  Eigen::Index k = 0, n = 0;
  int hpar = 0, vpar = 0;
  bool fused = false;               // bias + activation in the analog neuron
  double tia_ohm = 0, gain = 0;
  double settle_ns = 0, latency_ns = 0;
  std::uint64_t vectors = 0;
  double crossbar_pj = 0, neuron_pj = 0;
};

class AnalogBackend : public nn::MatMulBackend, public AcceleratorRun {
 public:
  explicit AnalogBackend(const AnalogConfig& cfg);
  ~AnalogBackend() override;

  void program(const nn::WeightedLayer& layer, const Eigen::MatrixXd& W) override;
  bool fuse_activation(const nn::WeightedLayer& layer, const std::string& activation_op) override;
  void program_bias(const nn::WeightedLayer& layer, const Eigen::VectorXd& bias) override;
  Eigen::MatrixXd multiply(const nn::WeightedLayer& layer, const Eigen::MatrixXd& X) override;

  // Per output: the summed differential current (A) of the layer for inputs X (B x K, units of
  // vdd), bias row at vdd: the analog pre-activation, before transimpedance and neuron.
  Eigen::MatrixXd differential_currents(int layer, const Eigen::MatrixXd& X);
  const core::PartitionedTransfer& circuit(int layer);
  const core::ImacLayerMapping& mapping(int layer);
  const std::vector<AnalogLayerStats>& layers() const { return stats_; }
  double latency_ns_per_vector() const;  // one input vector through every layer
  double area_um2() const;
  nlohmann::json summary() const;
  // No clocked steps: simulated time is the settle latency of every vector run so far.
  double simulated_ns() const override;
  // summary() as a report: latency of one vector per image, per-image breakdown, no
  // programming figures (not modelled), no simulated_ns (power = energy per image / latency).
  RunReport report(std::uint64_t images, const SummaryReduction& reduce = {}) override;

 private:
  struct Layer;
  Layer& prepared(int id);
  AnalogConfig cfg_;
  core::WireParams wire_;
  std::vector<std::unique_ptr<Layer>> layers_;
  std::vector<AnalogLayerStats> stats_;
};

}  // namespace memtile::backends
