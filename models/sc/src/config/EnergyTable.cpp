#include "memtile/sc/config/EnergyTable.hpp"

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

#include "memtile/core/Errors.hpp"
#include "memtile/core/Messages.hpp"
#include "config/JsonGroup.hpp"

namespace memtile::sc {
using core::InputError;
using core::require;
using nlohmann::json;

namespace {
void nonneg(double v, const std::string& field) {
  require(std::isfinite(v), "energy." + field, "must be a finite number");
  require(v >= 0, "energy." + field, "must be >= 0, got " + core::eng(v));
}
}  // namespace

std::string to_string(AdcKind k) { return k == AdcKind::Sar ? "sar" : "flash"; }
AdcKind parse_adc_kind(const std::string& s) {
  if (s == "sar") return AdcKind::Sar;
  if (s == "flash") return AdcKind::Flash;
  throw InputError("tile.adc_kind: '" + s + "' is not one of sar, flash");
}

void EnergyTable::validate() const {
  nonneg(adc_energy_pj, "adc.energy_per_conversion_pj");
  require(std::isfinite(adc_sample_rate_gsps) && adc_sample_rate_gsps > 0, "energy.adc.sample_rate_gsps",
          "must be a finite number > 0, got " + core::eng(adc_sample_rate_gsps));
  require(adc_ref_bits >= 1 && adc_ref_bits <= 16, "energy.adc.ref_bits", "must be 1..16");
  nonneg(adc_walden_fom_fj_per_step, "adc.walden_fom_fj_per_step");
  nonneg(adc_area_um2, "adc.area_um2");
  nonneg(dac_energy_1bit_pj, "dac.energy_per_conversion_1bit_pj");
  nonneg(dac_area_1bit_um2, "dac.area_1bit_um2");
  nonneg(sample_hold_energy_pj, "sample_hold.energy_per_sample_pj");
  nonneg(sample_hold_area_um2, "sample_hold.area_um2");
  nonneg(crossbar_power_mw, "crossbar.power_mw");
  require(crossbar_ref_rows >= 1, "energy.crossbar.ref_rows", "must be >= 1");
  require(crossbar_ref_cols >= 1, "energy.crossbar.ref_cols", "must be >= 1");
  nonneg(crossbar_area_um2, "crossbar.area_um2");
  nonneg(shift_add_energy_pj, "shift_add.energy_per_op_pj");
  nonneg(shift_add_area_um2, "shift_add.area_um2");
  nonneg(shift_add_units_per_adc, "shift_add.units_per_adc");
  nonneg(neuron_digital_energy_pj, "neuron.digital_energy_per_op_pj");
  nonneg(write_voltage_v, "programming.write_voltage_v");
  nonneg(write_pulse_ns, "programming.write_pulse_ns");
  require(write_pulses_per_cell >= 0, "energy.programming.pulses_per_cell", "must be >= 0");
}

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

void apply_json(EnergyTable& t, const json& j, const std::string& source) {
  const std::string pre = source.empty() ? "energy" : source + ": energy";
  require(j.is_object(), pre, "must be a JSON object");
  for (auto it = j.begin(); it != j.end(); ++it) {
    const std::string& g = it.key();
    if (g == "name") {
      require(it->is_string(), pre + ".name", "must be a string");
      t.name = it->get<std::string>();
      continue;
    }
    if (g == "comment" || g == "units") continue;  // free text for readers of the file
    require(it->is_object(), pre + "." + g, "must be an object");
    detail::JsonGroup G{*it, pre + "." + g, {}};
    std::string src;
    G.get("source", src);
    if (!src.empty()) t.sources[g] = src;
    if (g == "adc") {
      G.get("energy_per_conversion_pj", t.adc_energy_pj);
      G.get("sample_rate_gsps", t.adc_sample_rate_gsps);
      G.get("ref_bits", t.adc_ref_bits);
      G.get("walden_fom_fj_per_step", t.adc_walden_fom_fj_per_step);
      G.get("area_um2", t.adc_area_um2);
    } else if (g == "dac") {
      G.get("energy_per_conversion_1bit_pj", t.dac_energy_1bit_pj);
      G.get("area_1bit_um2", t.dac_area_1bit_um2);
    } else if (g == "sample_hold") {
      G.get("energy_per_sample_pj", t.sample_hold_energy_pj);
      G.get("area_um2", t.sample_hold_area_um2);
    } else if (g == "crossbar") {
      std::string model;
      G.get("read_energy_model", model);
      if (!model.empty()) {
        if (model == "physics") t.crossbar_model = CrossbarEnergyModel::Physics;
        else if (model == "table") t.crossbar_model = CrossbarEnergyModel::Table;
        else throw InputError(pre + ".crossbar.read_energy_model: '" + model + "' is not one of physics, table");
      }
      G.get("power_mw", t.crossbar_power_mw);
      G.get("ref_rows", t.crossbar_ref_rows);
      G.get("ref_cols", t.crossbar_ref_cols);
      G.get("area_um2", t.crossbar_area_um2);
    } else if (g == "shift_add") {
      G.get("energy_per_op_pj", t.shift_add_energy_pj);
      G.get("area_um2", t.shift_add_area_um2);
      G.get("units_per_adc", t.shift_add_units_per_adc);
    } else if (g == "neuron") {
      G.get("digital_energy_per_op_pj", t.neuron_digital_energy_pj);
    } else if (g == "programming") {
      G.get("write_voltage_v", t.write_voltage_v);
      G.get("write_pulse_ns", t.write_pulse_ns);
      G.get("pulses_per_cell", t.write_pulses_per_cell);
    } else {
      throw InputError(pre + "." + g + ": unknown key");
    }
    G.finish();
  }
  t.validate();
}

json to_json(const EnergyTable& t) {
  json j;
  j["name"] = t.name;
  j["adc"] = {{"energy_per_conversion_pj", t.adc_energy_pj}, {"sample_rate_gsps", t.adc_sample_rate_gsps},
              {"ref_bits", t.adc_ref_bits},
              {"walden_fom_fj_per_step", t.adc_walden_fom_fj_per_step}, {"area_um2", t.adc_area_um2}};
  j["dac"] = {{"energy_per_conversion_1bit_pj", t.dac_energy_1bit_pj}, {"area_1bit_um2", t.dac_area_1bit_um2}};
  j["sample_hold"] = {{"energy_per_sample_pj", t.sample_hold_energy_pj}, {"area_um2", t.sample_hold_area_um2}};
  j["crossbar"] = {{"read_energy_model", t.crossbar_model == CrossbarEnergyModel::Physics ? "physics" : "table"},
                   {"power_mw", t.crossbar_power_mw}, {"ref_rows", t.crossbar_ref_rows},
                   {"ref_cols", t.crossbar_ref_cols}, {"area_um2", t.crossbar_area_um2}};
  j["shift_add"] = {{"energy_per_op_pj", t.shift_add_energy_pj}, {"area_um2", t.shift_add_area_um2},
                    {"units_per_adc", t.shift_add_units_per_adc}};
  j["neuron"] = {{"digital_energy_per_op_pj", t.neuron_digital_energy_pj}};
  j["programming"] = {{"write_voltage_v", t.write_voltage_v}, {"write_pulse_ns", t.write_pulse_ns},
                      {"pulses_per_cell", t.write_pulses_per_cell}};
  for (const auto& [g, s] : t.sources)
    if (j.contains(g)) j[g]["source"] = s;
  return j;
}

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

}  // namespace memtile::sc
