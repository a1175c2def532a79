// Energy and area of the tile's components, one number a field, each with its unit and its
// source (docs/model.md §5). The defaults are ISAAC's 32 nm table (Shafiee et al., ISCA 2016,
// Table 2) turned into per-operation energies; configs/energy/isaac32nm.json holds the same
// numbers with the derivation of each. Users override any field with a JSON file of the same
// shape (unknown keys are an error naming the key).
#pragma once
#include <map>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

namespace memtile::core {

template <class S>
struct Param;  // ParamTable.hpp

// How a converter's figures scale away from its reference resolution. SAR: one comparator
// decision per bit at a fixed bit clock, so the sample rate scales as ref_bits / bits; flash:
// one decision per conversion, so the sample rate is the reference rate at every resolution.
// Energy and area scale as 2^bits for both (Walden: a constant energy per conversion step).
enum class AdcKind { Sar, Flash };
std::string to_string(AdcKind k);
AdcKind parse_adc_kind(const std::string& s);  // "sar" | "flash"; throws InputError

// One converter at one resolution, every figure derived from the same reference point of the
// table (EnergyTable::adc_at): conversion time = 1 / sample rate, power = energy x sample rate.
struct AdcOperatingPoint {
  int bits = 0;
  double sample_rate_gsps = 0;  // conversions per ns
  double conversion_ns = 0;     // 1 / sample_rate_gsps
  double energy_pj = 0;         // per conversion
  double power_mw = 0;          // energy_pj x sample_rate_gsps (pJ/ns = mW) while converting
  double area_um2 = 0;
};

enum class CrossbarEnergyModel {
  Physics,  // sum over the actual reads of V^2 * G * t_read (ReadCounters::read_energy_per_s_j)
  Table     // table power of a ref_rows x ref_cols array, scaled by cells, times t_read
};

struct EnergyTable {
  std::string name = "isaac32nm";

  // ADC: one reference point (resolution, sample rate, energy per conversion, area) from which
  // both the conversion time and the energy derive (adc_at). Other resolutions scale as 2^bits
  // in energy and area (Walden): with walden_fom_fj_per_step > 0, E = FOM * 2^bits; with 0,
  // E = adc_energy_pj * 2^(bits-ref_bits) (the FOM implied by the reference point); the sample
  // rate scales as described at AdcKind.
  double adc_energy_pj = 1.5625;          // pJ / conversion: 2 mW / 1.28 GS/s (ISAAC, 8 bit)
  double adc_sample_rate_gsps = 1.28;     // GS/s at ref_bits: ISAAC's 128 columns per 100 ns
  int adc_ref_bits = 8;                   // bits of the reference point
  double adc_walden_fom_fj_per_step = 0;  // fJ / conversion step; 0 = derive from the reference
  double adc_area_um2 = 1200;             // um^2 per ADC at ref_bits (ISAAC), scaled as 2^bits

  // DAC: a b-bit DAC slice costs (2^b - 1) unit (1-bit) conversions (unit-element DAC).
  double dac_energy_1bit_pj = 0.39;       // pJ / 1-bit conversion: 3.9 uW x 100 ns ISAAC read cycle
  double dac_area_1bit_um2 = 0.17;        // um^2 per 1-bit DAC (ISAAC)

  double sample_hold_energy_pj = 0.00097; // pJ / sample: 9.7 nW x 100 ns (ISAAC)
  double sample_hold_area_um2 = 0.039;    // um^2 per S&H: 0.00004 mm^2 / 1024 (ISAAC)

  CrossbarEnergyModel crossbar_model = CrossbarEnergyModel::Physics;
  double crossbar_power_mw = 0.3;         // mW of one ref_rows x ref_cols array reading (ISAAC)
  int crossbar_ref_rows = 128;
  int crossbar_ref_cols = 128;
  double crossbar_area_um2 = 25;          // um^2 of the reference array, scaled by cell count

  // ISAAC: 4 units (0.2 mW) take the outputs of 8 ADCs at 1.28 GS/s: 10.24 G adds/s.
  double shift_add_energy_pj = 0.01953125; // pJ / add: 0.2 mW / 10.24 G adds/s (ISAAC S+A)
  double shift_add_area_um2 = 60;          // um^2 per unit: 0.00024 mm^2 / 4 (ISAAC)
  double shift_add_units_per_adc = 0.5;    // units per ADC: 4 per 8 ADCs (ISAAC)

  // Digital activation (ReLU/tanh/sigmoid/identity): an estimate, one shift-add-unit operation.
  // The analog IMAC neuron's energy comes from its resistor network instead (Neuron.hpp).
  double neuron_digital_energy_pj = 0.01953125;  // pJ / activation

  // Programming: one write pulse of write_voltage_v for write_pulse_ns per cell and pulse;
  // energy V^2 * G_target * t per pulse (first order: the device is taken as linear).
  double write_voltage_v = 2.0;           // V (NeuroSim default writeVoltage)
  double write_pulse_ns = 10.0;           // ns (NeuroSim RRAM write pulse width)
  int write_pulses_per_cell = 1;          // program-and-verify iterations (1 = single shot)

  std::map<std::string, std::string> sources;  // group -> source text, carried into reports

  // Throws InputError naming the first invalid field ("energy.<group>.<field>: ..."); `group`
  // names the object ("run.json: energy").
  void validate(const std::string& group = "energy") const;

  // The ADC at `bits` bits: time, energy, power and area from the one reference point.
  AdcOperatingPoint adc_at(int bits, AdcKind kind) const;
  // Energy of one conversion of a `bits`-bit ADC (pJ) and its area (um^2) (= adc_at's).
  double adc_conversion_pj(int bits) const;
  double adc_area_at_um2(int bits) const;
  // Energy of one b-bit DAC conversion (pJ) and area of one b-bit DAC (um^2).
  double dac_conversion_pj(int bits) const;
  double dac_area_at_um2(int bits) const;
  // Area of one rows x cols crossbar (um^2), scaled from the reference by cell count.
  double crossbar_area_at_um2(int rows, int cols) const;
};

// Unknown keys are an error naming the key; `source` prefixes messages. The JSON groups are
// adc, dac, sample_hold, crossbar, shift_add, neuron, programming (see configs/energy/).
void apply_json(EnergyTable& t, const nlohmann::json& j, const std::string& source);
nlohmann::json to_json(const EnergyTable& t);
void apply_json_file(EnergyTable& t, const std::string& path);

// EnergyTable's JSON keys, once (core/ParamTable.hpp): JSON in/out, validate()'s range checks
// and the energy section of docs/config.md follow. Each group also takes a "source" text.
const std::vector<core::Param<EnergyTable>>& energy_params();
std::string energy_config_markdown();

}  // namespace memtile::core
