#include "memtile/core/config/EnergyTable.hpp"

#include <cmath>
#include <functional>
#include <limits>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

#include "memtile/core/Errors.hpp"
#include "memtile/core/Messages.hpp"
#include "memtile/core/ParamTable.hpp"

namespace memtile::core {
using nlohmann::json;

std::string to_string(AdcKind k) { return k == AdcKind::Sar ? "sar" : "flash"; }
AdcKind parse_adc_kind(const std::string& s) {
  if (s == "sar") return AdcKind::Sar;
  if (s == "flash") return AdcKind::Flash;
  throw InputError("tile.adc_kind: '" + s + "' is not one of sar, flash");
}

void EnergyTable::validate(const std::string& group) const { core::check_group(energy_params(), *this, group); }

double EnergyTable::adc_conversion_pj(int bits) const {
  if (adc_walden_fom_fj_per_step > 0) return adc_walden_fom_fj_per_step * 1e-3 * std::ldexp(1.0, bits);
  return adc_energy_pj * std::ldexp(1.0, bits - adc_ref_bits);
}
AdcOperatingPoint EnergyTable::adc_at(int bits, AdcKind kind) const {
  AdcOperatingPoint a;
  a.bits = bits;
  a.sample_rate_gsps = kind == AdcKind::Sar ? adc_sample_rate_gsps * adc_ref_bits / bits : adc_sample_rate_gsps;
  a.conversion_ns = 1.0 / a.sample_rate_gsps;
  a.energy_pj = adc_conversion_pj(bits);
  a.power_mw = a.energy_pj * a.sample_rate_gsps;
  a.area_um2 = adc_area_at_um2(bits);
  return a;
}
double EnergyTable::adc_area_at_um2(int bits) const { return adc_area_um2 * std::ldexp(1.0, bits - adc_ref_bits); }
double EnergyTable::dac_conversion_pj(int bits) const { return dac_energy_1bit_pj * (std::ldexp(1.0, bits) - 1); }
double EnergyTable::dac_area_at_um2(int bits) const { return dac_area_1bit_um2 * (std::ldexp(1.0, bits) - 1); }
double EnergyTable::crossbar_area_at_um2(int rows, int cols) const {
  return crossbar_area_um2 * (static_cast<double>(rows) * cols) /
         (static_cast<double>(crossbar_ref_rows) * crossbar_ref_cols);
}

namespace {
using C = EnergyTable;

// A string row; `get` returns null when the value is not set (left out of to_json).
core::Param<C> text_row(std::string name, std::string doc, std::function<json(const C&)> get,
                        std::function<void(C&, const std::string&)> set) {
  core::Param<C> p;
  p.name = std::move(name);
  p.range = "text";
  p.type_name = "TEXT";
  p.doc = std::move(doc);
  p.get = std::move(get);
  p.set = [set](C& s, const json& v, const std::string& field) {
    require(v.is_string(), field, "must be a string");
    set(s, v.get<std::string>());
  };
  p.check = [](const C&, const std::string&) {};
  p.parse_text = [](const std::string& text, const std::string&) { return json(text); };
  return p;
}

// The "source" row of group `g`: the reference of its figures, carried into reports.
core::Param<C> source_row(const std::string& g) {
  return text_row(
      "source", "Where the figures of this group come from (carried into reports)",
      [g](const C& s) {
        const auto it = s.sources.find(g);
        return it == s.sources.end() ? json() : json(it->second);
      },
      [g](C& s, const std::string& v) {
        if (!v.empty()) s.sources[g] = v;
      });
}
}  // namespace

const std::vector<core::Param<EnergyTable>>& energy_params() {
  // The energy table's figures, once: JSON in/out, range checks and the energy section of
  // docs/config.md follow. Defaults: ISAAC (32 nm) and NeuroSim's write pulse.
  static const std::vector<core::Param<C>> table = [] {
    using core::int_param;
    using core::real_param;
    const double inf = std::numeric_limits<double>::infinity();
    const core::RealRange positive{0, inf, true}, non_negative{0, inf};
    const long double int_max = std::numeric_limits<int>::max();
    std::vector<core::Param<C>> t;
    t.push_back(text_row("name", "Name of the table, carried into reports", [](const C& s) { return json(s.name); },
                         [](C& s, const std::string& v) { s.name = v; }));
    for (const char* free : {"comment", "units"})
      t.push_back(text_row(free, "Free text for readers of the file (ignored)", [](const C&) { return json(); },
                           [](C&, const std::string&) {}));
    {
      std::vector<core::Param<C>> g{source_row("adc")};
      g.push_back(real_param<C>("energy_per_conversion_pj", "", &C::adc_energy_pj, "pJ", non_negative,
                                "Energy per conversion at ref_bits"));
      g.push_back(real_param<C>("sample_rate_gsps", "", &C::adc_sample_rate_gsps, "GS/s", positive,
                                "Sample rate at ref_bits (a SAR's scales as ref_bits / bits)"));
      g.push_back(int_param<C>("ref_bits", "", &C::adc_ref_bits, "bits", 1, 16, "1 .. 16",
                               "Resolution of the reference point"));
      g.push_back(real_param<C>("walden_fom_fj_per_step", "", &C::adc_walden_fom_fj_per_step, "fJ/step", non_negative,
                                "Walden figure of merit: E = FOM x 2^bits; 0 = implied by the reference point"));
      g.push_back(real_param<C>("area_um2", "", &C::adc_area_um2, "um^2", non_negative,
                                "Area of one ADC at ref_bits, scaled as 2^bits"));
      t.push_back(core::group_param<C>("adc", "ADC reference point", g));
    }
    {
      std::vector<core::Param<C>> g{source_row("dac")};
      g.push_back(real_param<C>("energy_per_conversion_1bit_pj", "", &C::dac_energy_1bit_pj, "pJ", non_negative,
                                "Energy of a 1-bit conversion; a b-bit slice costs 2^b - 1 of them"));
      g.push_back(real_param<C>("area_1bit_um2", "", &C::dac_area_1bit_um2, "um^2", non_negative,
                                "Area of a 1-bit DAC; a b-bit DAC is 2^b - 1 of them"));
      t.push_back(core::group_param<C>("dac", "Unit-element DAC", g));
    }
    {
      std::vector<core::Param<C>> g{source_row("sample_hold")};
      g.push_back(real_param<C>("energy_per_sample_pj", "", &C::sample_hold_energy_pj, "pJ", non_negative,
                                "Energy per sample"));
      g.push_back(real_param<C>("area_um2", "", &C::sample_hold_area_um2, "um^2", non_negative,
                                "Area of one sample-and-hold"));
      t.push_back(core::group_param<C>("sample_hold", "Sample-and-hold per column", g));
    }
    {
      std::vector<core::Param<C>> g{source_row("crossbar")};
      g.push_back(core::choice_param<C>("read_energy_model", "", &C::crossbar_model,
                                        {{"physics", CrossbarEnergyModel::Physics}, {"table", CrossbarEnergyModel::Table}},
                                        "physics: V^2 G t of the actual reads; table: power_mw scaled by cells"));
      g.push_back(real_param<C>("power_mw", "", &C::crossbar_power_mw, "mW", non_negative,
                                "Read power of the reference array (table model)"));
      g.push_back(int_param<C>("ref_rows", "", &C::crossbar_ref_rows, "rows", 1, int_max, ">= 1",
                               "Rows of the reference array"));
      g.push_back(int_param<C>("ref_cols", "", &C::crossbar_ref_cols, "columns", 1, int_max, ">= 1",
                               "Columns of the reference array"));
      g.push_back(real_param<C>("area_um2", "", &C::crossbar_area_um2, "um^2", non_negative,
                                "Area of the reference array, scaled by cell count"));
      t.push_back(core::group_param<C>("crossbar", "Crossbar array", g));
    }
    {
      std::vector<core::Param<C>> g{source_row("shift_add")};
      g.push_back(real_param<C>("energy_per_op_pj", "", &C::shift_add_energy_pj, "pJ", non_negative,
                                "Energy per add"));
      g.push_back(real_param<C>("area_um2", "", &C::shift_add_area_um2, "um^2", non_negative, "Area of one unit"));
      g.push_back(real_param<C>("units_per_adc", "", &C::shift_add_units_per_adc, "units", non_negative,
                                "Shift-add units per ADC"));
      t.push_back(core::group_param<C>("shift_add", "Shift-and-add units", g));
    }
    {
      std::vector<core::Param<C>> g{source_row("neuron")};
      g.push_back(real_param<C>("digital_energy_per_op_pj", "", &C::neuron_digital_energy_pj, "pJ", non_negative,
                                "Energy per digital activation (the analog neuron's comes from its circuit)"));
      t.push_back(core::group_param<C>("neuron", "Digital activation", g));
    }
    {
      std::vector<core::Param<C>> g{source_row("programming")};
      g.push_back(real_param<C>("write_voltage_v", "", &C::write_voltage_v, "V", non_negative,
                                "Write pulse amplitude; energy V^2 G t per pulse"));
      g.push_back(real_param<C>("write_pulse_ns", "", &C::write_pulse_ns, "ns", non_negative, "Write pulse width"));
      g.push_back(int_param<C>("pulses_per_cell", "", &C::write_pulses_per_cell, "pulses", 0, int_max, ">= 0",
                               "Program-and-verify pulses per cell (1 = single shot)"));
      t.push_back(core::group_param<C>("programming", "Cell programming", g));
    }
    return t;
  }();
  return table;
}

std::string energy_config_markdown() { return core::params_markdown(energy_params()); }

void apply_json(EnergyTable& t, const json& j, const std::string& source) {
  // `source` is a file or already names the group ("run.json: energy").
  const bool named = source.size() >= 6 && source.compare(source.size() - 6, 6, "energy") == 0;
  const std::string group = source.empty() ? "energy" : named ? source : source + ": energy";
  core::apply_group(energy_params(), t, j, group);
  t.validate(group);
}

json to_json(const EnergyTable& t) { return core::params_to_json(energy_params(), t); }

void apply_json_file(EnergyTable& t, const std::string& path) {
  std::ifstream f(path);
  require(static_cast<bool>(f), path, "cannot open energy table");
  json j;
  try {
    j = json::parse(f);
  } catch (const json::exception& e) {
    throw InputError(path + ": not valid JSON (" + e.what() + ")");
  }
  apply_json(t, j, path);
}

}  // namespace memtile::core
