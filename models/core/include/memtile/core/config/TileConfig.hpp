// Timing and structure parameters of a tile, plain numbers (the SystemC tile, sc::Tile,
// applies them). Every tunable is a named field with its unit and documented default;
// validate() (called when a Tile is elaborated) throws InputError naming the field
// ("tile.adc_mux: ..."), never an abort in the middle of a run. The numerical parameters (array
// size, slicing, levels) stay in core::EngineConfig; fields here that depend on them are
// checked against it in validate(const core::EngineConfig&).
#pragma once
#include <cstdint>
#include <map>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

#include "memtile/core/EngineConfig.hpp"
#include "memtile/core/WireTechnology.hpp"
#include "memtile/core/config/EnergyTable.hpp"  // AdcKind
// The neuron stage's and the traces' settings have their own homes (NeuronModel.hpp,
// TraceConfig.hpp); the tile is configured with all three, so they come along.
#include "memtile/core/config/NeuronModel.hpp"
#include "memtile/core/config/TraceConfig.hpp"

namespace memtile::core {

template <class S>
struct Param;  // ParamTable.hpp

// Interconnect technology for the crossbar settle time: core::WireTechnology (docs/model.md §4,
// IMAC-Sim's formulas), JSON group tile.wire with the keys node_nm, thickness_nm (->
// metal_thickness_nm), ild_height_nm, eps_r (-> relative_permittivity), rho_ohm_m (->
// resistivity_ohm_m), mean_free_path_nm, specularity, grain_reflection and driver_ohm
// (TileConfig::wire_driver_ohm). The settle time is settle_factor x (Elmore delay of a row line +
// of a column line), core::elmore_ladder_delay_s.

// Per-block choice between the Verilated RTL (rtl/, docs/rtl.md) and the behavioural C++ model.
// Defaults: all behavioural, i.e. the tile exactly as without RTL (numbers and timing). When any
// block is RTL the tile runs its clocked digital periphery (models/sc/src/rtl/RtlPeriphery.hpp):
// controller -> SAR logic -> shift-add -> partial-sum accumulator, every block either Verilated
// or its bit- and cycle-exact rtlref C++ model, driven with a real clock of the tile's period.
// JSON: "rtl": {"controller": true, "sar_adc": true, "shift_add": true, "accumulator": true}.
struct RtlConfig {
  bool controller = false;   // memtile_tile_ctrl: sequences program / DAC / read / convert / accumulate / activate
  bool sar_adc = false;      // memtile_sar_logic: SAR successive approximation (comparator from the analog model)
  bool shift_add = false;    // memtile_shift_add: integer recombination of the slice codes
  bool accumulator = false;  // memtile_accumulator: reduction across row partitions (where it applies)
  bool any() const { return controller || sar_adc || shift_add || accumulator; }
  bool all() const { return controller && sar_adc && shift_add && accumulator; }
};

// How the layers of a model map onto hardware (AcceleratorModel): weight replication per layer
// and the inter-layer pipeline. JSON: the "mapping" object of the tile group.
struct MappingConfig {
  int replication = 1;                          // copies of every layer's arrays, unless listed below
  std::map<std::string, int> layer_replication; // layer name -> copies
  // Layers of consecutive inputs (images) overlap: layer l works on image n while layer l+1
  // works on image n-1 (ISAAC's inter-layer pipeline). Throughput is set by the slowest stage;
  // the first image's latency is reported separately. false: layers run one after another.
  bool layer_pipeline = false;
  // Arrays available to the replication planner (AcceleratorModel::plan_replication); 0 = no plan.
  std::uint64_t array_budget = 0;
  int replication_of(const std::string& layer) const;
  void validate() const;
};

struct TileConfig {
  double clock_ghz = 1.0;          // digital clock of shift-add/control, GHz (the ADC has its own rate)
  AdcKind adc_kind = AdcKind::Sar; // how the table's ADC reference point scales with resolution
  int adc_bits = -1;               // ADC resolution; -1 = ceil(log2(radc)); else 1..16 and 2^bits >= radc
  int adc_mux = 8;                 // columns sharing one ADC (must divide array_cols): conversions serialise
  bool pipeline = true;            // S&H decouples read, ADC and shift-add stages (ISAAC-style pipeline)
  double dac_settle_ns = 1.0;      // DAC output settling per input slice, ns (model parameter)
  // Read pulse (integration time) during which the rows are driven and the column currents are
  // integrated before the sample, ns. The read lasts max(read_pulse_ns, RC settle): 0 = the
  // settle alone (the shortest read the wires allow). ISAAC: 100 ns per crossbar read.
  double read_pulse_ns = 0.0;
  int sample_cycles = 1;           // S&H acquisition clocks after the read
  double settle_factor = -1;       // settle = factor x Elmore; <= 0 = ln(2^(adc_bits+1)) (half-LSB)
  // Unused rows (beyond in_features in the last row partition) get no DAC conversion, unused
  // columns (beyond out_features) no sample, conversion or shift-add: no time, no energy.
  // false: every row and column of every array is driven and converted.
  bool gate_unused = false;
  int replication = 1;             // copies of this tile's arrays; set by AcceleratorModel from `mapping`
  MappingConfig mapping;
  int shift_add_cycles = 1;        // clocks per input slice for shift-add of all weight slices
  int reduce_cycles_per_level = 1; // clocks per level of the adder tree across row partitions
  int scale_cycles = 1;            // clocks to apply input/weight scales (finish_block)
  double quantum_ns = 1000.0;      // tlm_quantumkeeper global quantum, ns
  core::WireTechnology wire;
  double wire_driver_ohm = 0.0;    // DAC output resistance in series with each row (0 = ideal); JSON wire.driver_ohm
  RtlConfig rtl;                   // Verilated RTL per block (default: all behavioural)

  // Field checks alone; plus checks against the engine. `group` names the object in messages
  // ("run.json: tile" gives "run.json: tile.adc_mux: ...").
  void validate(const std::string& group = "tile") const;
  void validate(const core::EngineConfig& engine, const std::string& group = "tile") const;
  int resolved_adc_bits(const core::EngineConfig& engine) const;
  double clock_ns() const { return 1.0 / clock_ghz; }
};

void apply_json(TileConfig& t, const nlohmann::json& j, const std::string& source);
nlohmann::json to_json(const TileConfig& t);

// TileConfig's JSON keys, once (core/ParamTable.hpp): JSON in/out, the range checks of
// validate() and the tile section of docs/config.md follow from it. The groups wire, mapping
// and rtl are nested rows (fields "tile.wire.node_nm").
const std::vector<core::Param<TileConfig>>& tile_params();
std::string tile_config_markdown();

}  // namespace memtile::core
