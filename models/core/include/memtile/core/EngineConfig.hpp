// Parameters of the numerical in-memory-computing engine. Names follow mPimPy's so its users
// feel at home; every field documents its unit and default (docs/model.md §3).
#pragma once
#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

namespace memtile::core {

enum class EngineMode { BitSlice, DiffPair, FloatingPoint };
// ADC reference: mPimPy's worst case (HGS-LGS)*vread*rows, or calibrated to the largest
// column current the programmed array can produce, or lossless: an unsigned ADC whose code is
// one unit of the slice product sum(u*v) (codes 0 .. radc-1; bit-sliced, non-differential
// encodings), exact whenever the column sum fits (ISAAC's 8-bit ADC with flipped weights).
enum class AdcFullScale { WorstCase, Calibrated, Lossless };

// How signed weights of the bit-sliced and fp engines map onto unsigned conductances:
// two's complement (MSB slice negative, one array per slice, LGS reference column
// subtracted; mPimPy's encoding) or differential sign-magnitude (a G+ and a G- array per
// slice; not what mPimPy does, see docs/numerics.md), or ISAAC's biased encoding (bit-slice
// mode): w + 2^(n-1) in offset binary, every slice positive, the bias x sum(x) subtracted
// digitally; biased_flipped adds ISAAC's flipped columns: a column whose slice levels sum to
// more than half the maximum stores max - level, so the column sum the ADC sees is at most
// half (rows x levels), and the digital side restores it.
enum class WeightEncoding { TwosComplement, Differential, Biased, BiasedFlipped };

// Arithmetic of the crossbar reads (the V x G products, the bulk of the work): float32, the
// default (conductances and DAC voltages rounded to float, each column current one
// single-precision chain; faster), or float64 (for validation: exactness tests at 24+ bits).
// Slice products are small integers and device variation (5 %) dwarfs float32's 6e-8
// rounding: LeNet-5's class agrees on >= 99.9 % of images, mPimPy's cases keep their relative
// errors (tests). Quantisation, conversion, shift-add, energies and the circuit solver stay in
// double either way (docs/numerics.md).
enum class Precision { Float64, Float32 };

std::string to_string(EngineMode m);
std::string to_string(WeightEncoding e);    // "twos_complement" | "differential" | "biased" | "biased_flipped"
WeightEncoding parse_weight_encoding(const std::string& s);  // throws InputError        // "bitslice" | "diffpair" | "fp"
std::string to_string(AdcFullScale f);      // "worst_case" | "calibrated" | "lossless"
EngineMode parse_engine_mode(const std::string& s);     // throws InputError
AdcFullScale parse_adc_full_scale(const std::string& s);  // throws InputError

struct EngineConfig {
  EngineMode mode = EngineMode::BitSlice;
  bool software = false;          // quantisation only (mPimPy BitSliceVMM / fpvmm)
  std::uint64_t seed = 0;         // every random draw derives from it

  double HGS = 1e-5;              // high conductance state, S
  double LGS = 1e-7;              // low conductance state, S
  int g_level = 16;               // programmable conductance levels per cell
  double var = 0.05;              // lognormal sigma of programming variation (drawn once)
  double vnoise = 0.0;            // read noise: std of additive Gaussian on each row voltage, V
  double wire_resistance = 0.0;   // ohm per wire segment (rows and columns); 0 = ideal wires
  int rdac = 256;                 // DAC levels
  int radc = 1024;                // ADC levels (signed, mid-tread)
  double vread = 0.1;             // read voltage, V
  int array_rows = 32;            // crossbar rows (inputs)
  int array_cols = 32;            // crossbar columns (outputs)
  std::vector<int> xblk{1, 1, 2, 4};  // input slice widths, MSB first
  std::vector<int> mblk{1, 1, 2, 4};  // weight slice widths, MSB first
  int bw_e = 8;                   // exponent bits (fp mode)
  AdcFullScale adc_full_scale = AdcFullScale::WorstCase;
  WeightEncoding weight_encoding = WeightEncoding::TwosComplement;
  // Converter coding: false = mid-tread (DAC levels spread over both polarities, ADC codes
  // -radc/2 .. radc/2-1); true = sign-magnitude (mPimPy: +-(rdac-1) input steps, ADC codes
  // +-(radc-1), radc-1 steps per full scale). See docs/numerics.md.
  bool sign_magnitude_converters = false;
  // Digital back end rounds each converted slice product (ADC code x value of one code, in
  // units of sum(u*v)) to the nearest integer count, as mPimPy's hardware forms do: slice
  // products are integers, so when the ADC resolves finer than one count, noise below half a
  // count disappears; when it does not, rounding changes the result by less than half a code.
  bool round_slice_products = false;

  double stuck_at_lgs = 0.0;      // probability that a cell is stuck at LGS
  double stuck_at_hgs = 0.0;      // probability that a cell is stuck at HGS
  double drift_nu = 0.0;          // drift exponent: G(t) = G0 * (t/t0)^-nu
  double drift_t_s = 1.0;         // time between programming and read, s
  double drift_t0_s = 1.0;        // drift reference time, s

  Precision precision = Precision::Float32;

  int threads = 0;                // worker threads of multiply/program; 0 = hardware concurrency (results do not depend on it)

  // Throws InputError naming the first invalid field; `where` ("cfg.json", "run.json: engine")
  // prefixes the field's name (see ParamTable.hpp).
  void validate(const std::string& where = "") const;

  int input_bits() const;   // sum(xblk)
  int weight_bits() const;  // sum(mblk)
};

// The table every tunable is declared in (name, flag, unit, range, default, doc): JSON in/out,
// validation of each field's range, the `memtile dot` flags and docs/config.md derive from it.
template <class S> struct Param;
const std::vector<Param<EngineConfig>>& engine_params();
std::string engine_config_markdown();  // the table as docs/config.md shows it

// Unknown keys are an error naming the key; `source` (a file name, or "file: group") prefixes
// messages. Validates the result (the fields given and the checks between fields).
void apply_json(EngineConfig& cfg, const nlohmann::json& j, const std::string& source);
nlohmann::json to_json(const EngineConfig& cfg);
// Reads a JSON file of engine fields and applies it (throws InputError naming the file).
void apply_json_file(EngineConfig& cfg, const std::string& path);

}  // namespace memtile::core
