#include "memtile/sc/config/TileConfig.hpp"

#include <cmath>
#include <nlohmann/json.hpp>

#include "config/JsonGroup.hpp"
#include "memtile/core/Errors.hpp"
#include "memtile/core/Messages.hpp"
#include "memtile/core/WireTechnology.hpp"

namespace memtile::sc {
using core::InputError;
using core::require;
using nlohmann::json;


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
  throw InputError("neuron.kind: '" + s + "' is not one of none, identity, relu, tanh, sigmoid, imac_sigmoid");
}

// ------------------------------------------------------------------ validation
namespace {
void finite_pos(double v, const std::string& f, bool allow_zero = false) {
  require(std::isfinite(v), f, "must be a finite number");
  require(allow_zero ? v >= 0 : v > 0, f, std::string("must be ") + (allow_zero ? ">= 0" : "> 0") + ", got " + core::eng(v));
}
}  // namespace

void NeuronConfig::validate() const {
  require(std::isfinite(digital_cycles) && digital_cycles >= 0, "neuron.digital_cycles", "must be >= 0");
  if (kind != NeuronKind::ImacSigmoid) return;
  finite_pos(gain, "neuron.gain");
  finite_pos(r1_ohm, "neuron.r1_ohm");
  finite_pos(r_in_ohm, "neuron.r_in_ohm");
  finite_pos(r_fb_ohm, "neuron.r_fb_ohm");
  require(std::isfinite(bias_v), "neuron.bias_v", "must be a finite number");
  require(std::isfinite(vdd_v) && std::isfinite(vss_v) && vdd_v > vss_v, "neuron.vdd_v", "must be finite and above vss_v");
  finite_pos(inverter_gain, "neuron.inverter_gain");
  finite_pos(sample_ns, "neuron.sample_ns", true);
  require(std::isfinite(input_v_per_unit), "neuron.input_v_per_unit", "must be a finite number");
}

void TraceConfig::validate() const {
  require(adc_trace_column >= 0, "trace.adc_trace_column", "must be >= 0");
}

void TileConfig::validate() const {
  finite_pos(clock_ghz, "tile.clock_ghz");
  require(adc_bits == -1 || (adc_bits >= 1 && adc_bits <= 16), "tile.adc_bits",
          "must be 1..16 (or -1 = from radc), got " + std::to_string(adc_bits));
  require(adc_mux >= 1, "tile.adc_mux", "must be >= 1 column per ADC, got " + std::to_string(adc_mux));
  finite_pos(dac_settle_ns, "tile.dac_settle_ns", true);
  finite_pos(read_pulse_ns, "tile.read_pulse_ns", true);
  require(replication >= 1 && replication <= 1 << 20, "tile.replication",
          "must be 1 .. 2^20 copies, got " + std::to_string(replication));
  mapping.validate();
  require(sample_cycles >= 0, "tile.sample_cycles", "must be >= 0");
  require(std::isfinite(settle_factor), "tile.settle_factor", "must be a finite number");
  require(shift_add_cycles >= 0, "tile.shift_add_cycles", "must be >= 0");
  require(reduce_cycles_per_level >= 0, "tile.reduce_cycles_per_level", "must be >= 0");
  require(scale_cycles >= 0, "tile.scale_cycles", "must be >= 0");
  finite_pos(quantum_ns, "tile.quantum_ns");
  finite_pos(wire.node_nm, "tile.wire.node_nm");
  finite_pos(wire.metal_thickness_nm, "tile.wire.thickness_nm");
  finite_pos(wire.ild_height_nm, "tile.wire.ild_height_nm");
  finite_pos(wire.relative_permittivity, "tile.wire.eps_r");
  finite_pos(wire.resistivity_ohm_m, "tile.wire.rho_ohm_m");
  finite_pos(wire.mean_free_path_nm, "tile.wire.mean_free_path_nm");
  require(std::isfinite(wire.specularity) && wire.specularity >= 0 && wire.specularity <= 1, "tile.wire.specularity", "must be in [0, 1]");
  require(std::isfinite(wire.grain_reflection) && wire.grain_reflection > 0 && wire.grain_reflection < 1,
          "tile.wire.grain_reflection", "must be in (0, 1)");
  finite_pos(wire_driver_ohm, "tile.wire.driver_ohm", true);
}

int MappingConfig::replication_of(const std::string& layer) const {
  const auto it = layer_replication.find(layer);
  return it == layer_replication.end() ? replication : it->second;
}

void MappingConfig::validate() const {
  const auto copies = [](int r, const std::string& f) {
    require(r >= 1 && r <= 1 << 20, f, "must be 1 .. 2^20 copies, got " + std::to_string(r));
  };
  copies(replication, "tile.mapping.replication");
  for (const auto& [name, r] : layer_replication) copies(r, "tile.mapping.layer_replication." + name);
}

int TileConfig::resolved_adc_bits(const core::EngineConfig& engine) const {
  if (adc_bits > 0) return adc_bits;
  int b = 0;
  while ((1LL << b) < engine.radc) ++b;
  return b;
}

void TileConfig::validate(const core::EngineConfig& engine) const {
  validate();
  require(engine.array_cols % adc_mux == 0, "tile.adc_mux",
          std::to_string(adc_mux) + " columns per ADC does not divide array_cols " + std::to_string(engine.array_cols));
  const int bits = resolved_adc_bits(engine);
  require(bits >= 1 && bits <= 16, adc_bits > 0 ? "tile.adc_bits" : "tile.adc_bits (from radc)",
          "must be 1..16, got " + std::to_string(bits) + " for radc " + std::to_string(engine.radc));
  require((1LL << bits) >= engine.radc, "tile.adc_bits",
          std::to_string(bits) + " bits cannot resolve radc = " + std::to_string(engine.radc) + " levels");
  if (rtl.any()) {
    // The RTL periphery recombines integer ADC codes (rtlref::integer_form): the checks that
    // need only the engine configuration fail here; the rest when the tile is elaborated.
    require(!engine.software, "tile.rtl",
            "the software engine (engine.software) has no ADC codes for the RTL periphery; use the hardware form");
    require(engine.weight_encoding != core::WeightEncoding::Biased &&
                engine.weight_encoding != core::WeightEncoding::BiasedFlipped &&
                engine.adc_full_scale != core::AdcFullScale::Lossless,
            "tile.rtl", "the RTL periphery implements the two's-complement/differential encodings with a worst-case full scale, "
                        "not biased weights or the lossless ADC; turn the RTL blocks off");
    require(engine.adc_full_scale != core::AdcFullScale::Calibrated, "tile.rtl",
            "the calibrated ADC full scale differs per array, so the codes have no common integer unit "
            "(rtlref::integer_form not applicable); use engine.adc_full_scale = worst_case or turn the RTL blocks off");
    require(!engine.round_slice_products && !engine.sign_magnitude_converters, "tile.rtl",
            "the RTL periphery implements mid-tread converters without rounding of the slice products; set "
            "engine.round_slice_products and engine.sign_magnitude_converters to false or turn the RTL blocks off");
    require(adc_kind == AdcKind::Sar, "tile.rtl", "the RTL periphery is a SAR ADC: tile.adc_kind must be sar");
    require(engine.radc >= 2 && engine.radc <= 65536, "tile.rtl",
            "the RTL SAR resolves 2..65536 levels, engine.radc = " + std::to_string(engine.radc));
  }
}

// ------------------------------------------------------------------ JSON
void apply_json(NeuronConfig& n, const json& j, const std::string& source) {
  const std::string pre = source.empty() ? "neuron" : source + ": neuron";
  require(j.is_object(), pre, "must be a JSON object");
  detail::JsonGroup G{j, pre, {}};
  std::string kind;
  G.get("kind", kind);
  if (!kind.empty()) n.kind = parse_neuron_kind(kind);
  G.get("digital_cycles", n.digital_cycles);
  G.get("gain", n.gain);
  G.get("r1_ohm", n.r1_ohm);
  G.get("r_in_ohm", n.r_in_ohm);
  G.get("r_fb_ohm", n.r_fb_ohm);
  G.get("bias_v", n.bias_v);
  G.get("vdd_v", n.vdd_v);
  G.get("vss_v", n.vss_v);
  G.get("inverter_gain", n.inverter_gain);
  G.get("sample_ns", n.sample_ns);
  G.get("input_v_per_unit", n.input_v_per_unit);
  G.finish();
  n.validate();
}

json to_json(const NeuronConfig& n) {
  return {{"kind", to_string(n.kind)}, {"digital_cycles", n.digital_cycles}, {"gain", n.gain},
          {"r1_ohm", n.r1_ohm}, {"r_in_ohm", n.r_in_ohm}, {"r_fb_ohm", n.r_fb_ohm}, {"bias_v", n.bias_v},
          {"vdd_v", n.vdd_v}, {"vss_v", n.vss_v}, {"inverter_gain", n.inverter_gain},
          {"sample_ns", n.sample_ns}, {"input_v_per_unit", n.input_v_per_unit}};
}

void apply_json(TileConfig& t, const json& j, const std::string& source) {
  const std::string pre = source.empty() ? "tile" : source + ": tile";
  require(j.is_object(), pre, "must be a JSON object");
  detail::JsonGroup G{j, pre, {}};
  G.get("clock_ghz", t.clock_ghz);
  std::string kind;
  G.get("adc_kind", kind);
  if (!kind.empty()) t.adc_kind = parse_adc_kind(kind);
  G.get("adc_bits", t.adc_bits);
  G.get("adc_mux", t.adc_mux);
  G.get("pipeline", t.pipeline);
  G.get("dac_settle_ns", t.dac_settle_ns);
  G.get("read_pulse_ns", t.read_pulse_ns);
  G.get("gate_unused", t.gate_unused);
  G.get("sample_cycles", t.sample_cycles);
  G.get("settle_factor", t.settle_factor);
  G.get("shift_add_cycles", t.shift_add_cycles);
  G.get("reduce_cycles_per_level", t.reduce_cycles_per_level);
  G.get("scale_cycles", t.scale_cycles);
  G.get("quantum_ns", t.quantum_ns);
  G.seen.insert("wire");
  if (j.contains("wire")) {
    const json& w = j.at("wire");
    require(w.is_object(), pre + ".wire", "must be an object");
    detail::JsonGroup W{w, pre + ".wire", {}};
    W.get("node_nm", t.wire.node_nm);
    W.get("thickness_nm", t.wire.metal_thickness_nm);
    W.get("ild_height_nm", t.wire.ild_height_nm);
    W.get("eps_r", t.wire.relative_permittivity);
    W.get("rho_ohm_m", t.wire.resistivity_ohm_m);
    W.get("mean_free_path_nm", t.wire.mean_free_path_nm);
    W.get("specularity", t.wire.specularity);
    W.get("grain_reflection", t.wire.grain_reflection);
    W.get("driver_ohm", t.wire_driver_ohm);
    W.finish();
  }
  G.seen.insert("mapping");
  if (j.contains("mapping")) {
    const json& m = j.at("mapping");
    require(m.is_object(), pre + ".mapping", "must be an object {\"replication\", \"layer_replication\", \"layer_pipeline\", \"array_budget\"}");
    detail::JsonGroup M{m, pre + ".mapping", {}};
    M.get("replication", t.mapping.replication);
    M.seen.insert("layer_replication");
    if (m.contains("layer_replication")) {
      const json& r = m.at("layer_replication");
      require(r.is_object(), pre + ".mapping.layer_replication", "must be an object {layer name: copies}");
      for (auto it = r.begin(); it != r.end(); ++it) {
        require(it->is_number_integer(), pre + ".mapping.layer_replication." + it.key(), "must be an integer number of copies");
        t.mapping.layer_replication[it.key()] = it->get<int>();
      }
    }
    M.get("layer_pipeline", t.mapping.layer_pipeline);
    M.get("array_budget", t.mapping.array_budget);
    M.finish();
  }
  G.seen.insert("rtl");
  if (j.contains("rtl")) {
    const json& r = j.at("rtl");
    require(r.is_object(), pre + ".rtl",
            "must be an object {\"controller\", \"sar_adc\", \"shift_add\", \"accumulator\"} of booleans");
    detail::JsonGroup R{r, pre + ".rtl", {}};
    R.get("controller", t.rtl.controller);
    R.get("sar_adc", t.rtl.sar_adc);
    R.get("shift_add", t.rtl.shift_add);
    R.get("accumulator", t.rtl.accumulator);
    R.finish();
  }
  G.finish();
  t.validate();
}

json to_json(const TileConfig& t) {
  return {{"clock_ghz", t.clock_ghz}, {"adc_kind", to_string(t.adc_kind)}, {"adc_bits", t.adc_bits},
          {"adc_mux", t.adc_mux}, {"pipeline", t.pipeline},
          {"dac_settle_ns", t.dac_settle_ns}, {"read_pulse_ns", t.read_pulse_ns}, {"sample_cycles", t.sample_cycles},
          {"gate_unused", t.gate_unused},
          {"mapping", {{"replication", t.mapping.replication}, {"layer_replication", t.mapping.layer_replication},
                       {"layer_pipeline", t.mapping.layer_pipeline}, {"array_budget", t.mapping.array_budget}}},
          {"settle_factor", t.settle_factor}, {"shift_add_cycles", t.shift_add_cycles},
          {"reduce_cycles_per_level", t.reduce_cycles_per_level}, {"scale_cycles", t.scale_cycles},
          {"quantum_ns", t.quantum_ns},
          {"wire", {{"node_nm", t.wire.node_nm}, {"thickness_nm", t.wire.metal_thickness_nm},
                    {"ild_height_nm", t.wire.ild_height_nm}, {"eps_r", t.wire.relative_permittivity},
                    {"rho_ohm_m", t.wire.resistivity_ohm_m}, {"mean_free_path_nm", t.wire.mean_free_path_nm},
                    {"specularity", t.wire.specularity}, {"grain_reflection", t.wire.grain_reflection},
                    {"driver_ohm", t.wire_driver_ohm}}},
          {"rtl", {{"controller", t.rtl.controller}, {"sar_adc", t.rtl.sar_adc}, {"shift_add", t.rtl.shift_add},
                   {"accumulator", t.rtl.accumulator}}}};
}

}  // namespace memtile::sc
