#include "memtile/core/config/TileConfig.hpp"

#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>

#include "memtile/core/Errors.hpp"
#include "memtile/core/Messages.hpp"
#include "memtile/core/ParamTable.hpp"
#include "memtile/core/WireTechnology.hpp"

namespace memtile::core {
using nlohmann::json;


void TileConfig::validate(const std::string& group) const {
  core::check_group(tile_params(), *this, group);
  // Not a JSON key (AcceleratorModel sets it from `mapping`), so not a row.
  require(replication >= 1 && replication <= 1 << 20, group + ".replication",
          "must be 1 .. 2^20 copies, got " + std::to_string(replication));
}

int MappingConfig::replication_of(const std::string& layer) const {
  const auto it = layer_replication.find(layer);
  return it == layer_replication.end() ? replication : it->second;
}

void MappingConfig::validate() const {
  for (const auto& row : tile_params())
    if (row.name == "mapping") {
      TileConfig t;
      t.mapping = *this;
      row.check(t, "tile.mapping");
    }
}

int TileConfig::resolved_adc_bits(const core::EngineConfig& engine) const {
  if (adc_bits > 0) return adc_bits;
  int b = 0;
  while ((1LL << b) < engine.radc) ++b;
  return b;
}

void TileConfig::validate(const core::EngineConfig& engine, const std::string& group) const {
  validate(group);
  const auto F = [&](const char* f) { return group + "." + f; };
  require(engine.array_cols % adc_mux == 0, F("adc_mux"),
          std::to_string(adc_mux) + " columns per ADC does not divide array_cols " + std::to_string(engine.array_cols));
  const int bits = resolved_adc_bits(engine);
  require(bits >= 1 && bits <= 16, adc_bits > 0 ? F("adc_bits") : F("adc_bits") + " (from radc)",
          "must be 1 .. 16, got " + std::to_string(bits) + " for radc " + std::to_string(engine.radc));
  require((1LL << bits) >= engine.radc, F("adc_bits"),
          std::to_string(bits) + " bits cannot resolve radc = " + std::to_string(engine.radc) + " levels");
  if (rtl.any()) {
    // The RTL periphery recombines integer ADC codes (rtlref::integer_form): the checks that
    // need only the engine configuration fail here; the rest when the tile is elaborated.
    require(!engine.software, F("rtl"),
            "the software engine (engine.software) has no ADC codes for the RTL periphery; use the hardware form");
    require(engine.weight_encoding != core::WeightEncoding::Biased &&
                engine.weight_encoding != core::WeightEncoding::BiasedFlipped &&
                engine.adc_full_scale != core::AdcFullScale::Lossless,
            F("rtl"), "the RTL periphery implements the two's-complement/differential encodings with a worst-case full scale, "
                        "not biased weights or the lossless ADC; turn the RTL blocks off");
    require(engine.adc_full_scale != core::AdcFullScale::Calibrated, F("rtl"),
            "the calibrated ADC full scale differs per array, so the codes have no common integer unit "
            "(rtlref::integer_form not applicable); use engine.adc_full_scale = worst_case or turn the RTL blocks off");
    require(!engine.round_slice_products && !engine.sign_magnitude_converters, F("rtl"),
            "the RTL periphery implements mid-tread converters without rounding of the slice products; set "
            "engine.round_slice_products and engine.sign_magnitude_converters to false or turn the RTL blocks off");
    require(adc_kind == AdcKind::Sar, F("rtl"), "the RTL periphery is a SAR ADC: tile.adc_kind must be sar");
    require(engine.radc >= 2 && engine.radc <= 65536, F("rtl"),
            "the RTL SAR resolves 2..65536 levels, engine.radc = " + std::to_string(engine.radc));
  }
}

const std::vector<core::Param<TileConfig>>& tile_params() {
  // The tile's tunables, once: JSON in/out, range checks and docs/config.md follow from these
  // rows. Checks against the engine configuration stay in validate(const core::EngineConfig&).
  static const std::vector<core::Param<TileConfig>> table = [] {
    using C = TileConfig;
    using core::bool_param;
    using core::int_param;
    using core::real_param;
    const double inf = std::numeric_limits<double>::infinity();
    const core::RealRange positive{0, inf, true}, non_negative{0, inf}, any{-inf, inf};
    const long double int_max = std::numeric_limits<int>::max();
    std::vector<core::Param<C>> t;
    t.push_back(real_param<C>("clock_ghz", "", &C::clock_ghz, "GHz", positive,
                              "Digital clock of shift-add and control (the ADC has its own rate)"));
    t.push_back(core::choice_param<C>("adc_kind", "", &C::adc_kind, {{"sar", AdcKind::Sar}, {"flash", AdcKind::Flash}},
                                      "How the energy table's ADC reference point scales with resolution"));
    {
      auto bits = int_param<C>("adc_bits", "", &C::adc_bits, "bits", -1, 16, "-1 or 1 .. 16",
                               "ADC resolution; -1 = ceil(log2(engine.radc)); 2^bits must reach radc");
      const std::string range = bits.range;
      bits.check = [range](const C& s, const std::string& field) {
        require(s.adc_bits == -1 || (s.adc_bits >= 1 && s.adc_bits <= 16), field,
                "must be " + range + " (-1 = from radc), got " + std::to_string(s.adc_bits));
      };
      t.push_back(bits);
    }
    t.push_back(int_param<C>("adc_mux", "", &C::adc_mux, "columns", 1, int_max, ">= 1",
                             "Columns sharing one ADC (must divide engine.array_cols); their conversions serialise"));
    t.push_back(bool_param<C>("pipeline", "", &C::pipeline,
                              "Sample-and-hold decouples read, ADC and shift-add stages (ISAAC-style pipeline)"));
    t.push_back(real_param<C>("dac_settle_ns", "", &C::dac_settle_ns, "ns", non_negative,
                              "DAC output settling per input slice"));
    t.push_back(real_param<C>("read_pulse_ns", "", &C::read_pulse_ns, "ns", non_negative,
                              "Read pulse (integration time); the read lasts max(this, RC settle); 0 = the settle alone"));
    t.push_back(int_param<C>("sample_cycles", "", &C::sample_cycles, "cycles", 0, int_max, ">= 0",
                             "Sample-and-hold acquisition clocks after the read"));
    t.push_back(real_param<C>("settle_factor", "", &C::settle_factor, "", any,
                              "Settle time = factor x Elmore delay; <= 0 = ln(2^(adc_bits+1)) (half an LSB)"));
    t.push_back(bool_param<C>("gate_unused", "", &C::gate_unused,
                              "Unused rows/columns of partly filled arrays get no conversion (no time, no energy)"));
    t.push_back(int_param<C>("shift_add_cycles", "", &C::shift_add_cycles, "cycles", 0, int_max, ">= 0",
                             "Clocks per input slice for the shift-add of all weight slices"));
    t.push_back(int_param<C>("reduce_cycles_per_level", "", &C::reduce_cycles_per_level, "cycles", 0, int_max, ">= 0",
                             "Clocks per level of the adder tree across row partitions"));
    t.push_back(int_param<C>("scale_cycles", "", &C::scale_cycles, "cycles", 0, int_max, ">= 0",
                             "Clocks to apply the input and weight scales"));
    t.push_back(real_param<C>("quantum_ns", "", &C::quantum_ns, "ns", positive, "TLM quantum keeper global quantum"));
    {
      std::vector<core::Param<C>> w;
      w.push_back(real_param<C>("node_nm", "", [](auto& s) -> auto& { return s.wire.node_nm; }, "nm", positive,
                                "Technology node (wire width and pitch)"));
      w.push_back(real_param<C>("thickness_nm", "", [](auto& s) -> auto& { return s.wire.metal_thickness_nm; }, "nm",
                                positive, "Metal thickness"));
      w.push_back(real_param<C>("ild_height_nm", "", [](auto& s) -> auto& { return s.wire.ild_height_nm; }, "nm",
                                positive, "Inter-layer dielectric height"));
      w.push_back(real_param<C>("eps_r", "", [](auto& s) -> auto& { return s.wire.relative_permittivity; }, "",
                                positive, "Relative permittivity of the dielectric"));
      w.push_back(real_param<C>("rho_ohm_m", "", [](auto& s) -> auto& { return s.wire.resistivity_ohm_m; }, "ohm m",
                                positive, "Bulk resistivity of the metal"));
      w.push_back(real_param<C>("mean_free_path_nm", "", [](auto& s) -> auto& { return s.wire.mean_free_path_nm; },
                                "nm", positive, "Electron mean free path (size effect)"));
      w.push_back(real_param<C>("specularity", "", [](auto& s) -> auto& { return s.wire.specularity; }, "", {0, 1},
                                "Surface specularity p (Fuchs-Sondheimer)"));
      w.push_back(real_param<C>("grain_reflection", "", [](auto& s) -> auto& { return s.wire.grain_reflection; }, "",
                                {0, 1, true, true}, "Grain-boundary reflection coefficient R (Mayadas-Shatzkes)"));
      w.push_back(real_param<C>("driver_ohm", "", &C::wire_driver_ohm, "ohm", non_negative,
                                "DAC output resistance in series with each row (0 = ideal)"));
      t.push_back(core::group_param<C>("wire", "Interconnect technology of the crossbar lines (settle time)", w));
    }
    {
      std::vector<core::Param<C>> m;
      const auto copies = [](int r, const std::string& f) {
        require(r >= 1 && r <= 1 << 20, f, "must be 1 .. 2^20 copies, got " + std::to_string(r));
      };
      auto rep = int_param<C>("replication", "", [](auto& s) -> auto& { return s.mapping.replication; }, "copies", 1,
                              1 << 20, "1 .. 2^20", "Copies of every layer's arrays, unless listed in layer_replication");
      rep.check = [copies](const C& s, const std::string& f) { copies(s.mapping.replication, f); };
      m.push_back(rep);
      core::Param<C> per_layer;
      per_layer.name = "layer_replication";
      per_layer.unit = "copies";
      per_layer.range = "{layer: 1 .. 2^20}";
      per_layer.type_name = "MAP";
      per_layer.doc = "Copies per layer name (overrides replication)";
      per_layer.get = [](const C& s) { return json(s.mapping.layer_replication); };
      per_layer.set = [](C& s, const json& v, const std::string& field) {
        require(v.is_object(), field, "must be an object {layer name: copies}");
        std::map<std::string, int> out;
        for (auto it = v.begin(); it != v.end(); ++it)
          out[it.key()] = core::json_integer<int>(it.value(), field + "." + it.key());
        s.mapping.layer_replication = out;
      };
      per_layer.check = [copies](const C& s, const std::string& field) {
        for (const auto& [name, r] : s.mapping.layer_replication) copies(r, field + "." + name);
      };
      per_layer.parse_text = [](const std::string& text, const std::string& f) -> json {
        throw InputError(f + ": '" + text + "': no flag for a map");
      };
      m.push_back(per_layer);
      m.push_back(bool_param<C>("layer_pipeline", "", [](auto& s) -> auto& { return s.mapping.layer_pipeline; },
                                "Layers of consecutive images overlap (inter-layer pipeline); false: one after another"));
      m.push_back(int_param<C>("array_budget", "", [](auto& s) -> auto& { return s.mapping.array_budget; }, "arrays", 0,
                               18446744073709551615.0L, "0 .. 2^64-1",
                               "Arrays available to the replication planner; 0 = no plan"));
      t.push_back(core::group_param<C>("mapping", "How the layers of a model map onto arrays", m));
    }
    {
      std::vector<core::Param<C>> r;
      r.push_back(bool_param<C>("controller", "", [](auto& s) -> auto& { return s.rtl.controller; },
                                "Verilated tile controller (sequencing) instead of the C++ model"));
      r.push_back(bool_param<C>("sar_adc", "", [](auto& s) -> auto& { return s.rtl.sar_adc; },
                                "Verilated SAR successive-approximation logic"));
      r.push_back(bool_param<C>("shift_add", "", [](auto& s) -> auto& { return s.rtl.shift_add; },
                                "Verilated shift-add recombination of the slice codes"));
      r.push_back(bool_param<C>("accumulator", "", [](auto& s) -> auto& { return s.rtl.accumulator; },
                                "Verilated partial-sum accumulator across row partitions"));
      t.push_back(core::group_param<C>("rtl", "Verilated RTL per block (default: all behavioural)", r));
    }
    return t;
  }();
  return table;
}

std::string tile_config_markdown() { return core::params_markdown(tile_params()); }

void apply_json(TileConfig& t, const json& j, const std::string& source) {
  // `source` is a file ("run.json") or already names the group ("run.json: tile").
  const bool named = source.size() >= 4 && source.compare(source.size() - 4, 4, "tile") == 0;
  const std::string group = source.empty() ? "tile" : named ? source : source + ": tile";
  core::apply_group(tile_params(), t, j, group);
  t.validate(group);
}

json to_json(const TileConfig& t) { return core::params_to_json(tile_params(), t); }

}  // namespace memtile::core
