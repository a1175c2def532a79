#include "memtile/core/EngineConfig.hpp"

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <limits>
#include <numeric>

#include "memtile/core/Errors.hpp"
#include "memtile/core/JsonField.hpp"
#include "memtile/core/ParamTable.hpp"

namespace memtile::core {

std::string to_string(EngineMode m) {
  switch (m) {
    case EngineMode::BitSlice: return "bitslice";
    case EngineMode::DiffPair: return "diffpair";
    case EngineMode::FloatingPoint: return "fp";
  }
  return "?";
}

std::string to_string(AdcFullScale f) {
  switch (f) {
    case AdcFullScale::WorstCase: return "worst_case";
    case AdcFullScale::Calibrated: return "calibrated";
    case AdcFullScale::Lossless: return "lossless";
  }
  return "?";
}

EngineMode parse_engine_mode(const std::string& s) {
  if (s == "bitslice") return EngineMode::BitSlice;
  if (s == "diffpair") return EngineMode::DiffPair;
  if (s == "fp") return EngineMode::FloatingPoint;
  throw InputError("mode: '" + s + "' is not one of bitslice, diffpair, fp");
}

std::string to_string(WeightEncoding e) {
  switch (e) {
    case WeightEncoding::TwosComplement: return "twos_complement";
    case WeightEncoding::Differential: return "differential";
    case WeightEncoding::Biased: return "biased";
    case WeightEncoding::BiasedFlipped: return "biased_flipped";
  }
  return "?";
}

WeightEncoding parse_weight_encoding(const std::string& s) {
  if (s == "twos_complement") return WeightEncoding::TwosComplement;
  if (s == "differential") return WeightEncoding::Differential;
  if (s == "biased") return WeightEncoding::Biased;
  if (s == "biased_flipped") return WeightEncoding::BiasedFlipped;
  throw InputError("weight_encoding: '" + s + "' is not one of twos_complement, differential, biased, biased_flipped");
}

AdcFullScale parse_adc_full_scale(const std::string& s) {
  if (s == "worst_case") return AdcFullScale::WorstCase;
  if (s == "calibrated") return AdcFullScale::Calibrated;
  if (s == "lossless") return AdcFullScale::Lossless;
  throw InputError("adc_full_scale: '" + s + "' is not one of worst_case, calibrated, lossless");
}

int EngineConfig::input_bits() const { return std::accumulate(xblk.begin(), xblk.end(), 0); }
int EngineConfig::weight_bits() const { return std::accumulate(mblk.begin(), mblk.end(), 0); }

const std::vector<Param<EngineConfig>>& engine_params() {
  // The engine's tunables, once. A new field is one row here (JSON, flags, --help, range
  // check and docs/config.md follow); checks between fields go in validate() below.
  static const std::vector<Param<EngineConfig>> table = [] {
    using C = EngineConfig;
    const double inf = std::numeric_limits<double>::infinity();
    const long double levels_max = 1 << 30;
    std::vector<Param<C>> t;
    t.push_back(choice_param<C>("mode", "--mode", &C::mode,
                                {{"bitslice", EngineMode::BitSlice}, {"diffpair", EngineMode::DiffPair},
                                 {"fp", EngineMode::FloatingPoint}},
                                "Engine: bitslice (integer bit slicing), diffpair (differential pair), fp (block floating point)"));
    t.push_back(bool_param<C>("software", "--software", &C::software,
                              "Quantisation only, no devices/DAC/ADC (mPimPy BitSliceVMM / fpvmm)"));
    t.push_back(int_param<C>("seed", "--seed", &C::seed, "", 0, 18446744073709551615.0L, "0 .. 2^64-1",
                             "Seed of every random draw (variation, faults, read noise)"));
    t.push_back(real_param<C>("HGS", "--HGS", &C::HGS, "S", {0, inf, true}, "High conductance state (must exceed LGS)"));
    t.push_back(real_param<C>("LGS", "--LGS", &C::LGS, "S", {0, inf, true}, "Low conductance state"));
    t.push_back(int_param<C>("g_level", "--g-level", &C::g_level, "levels", 2, levels_max, "2 .. 2^30",
                             "Programmable conductance levels per cell"));
    t.push_back(real_param<C>("var", "--var", &C::var, "", {0, 5},
                              "Programming variation: lognormal sigma, drawn once at programming"));
    t.push_back(real_param<C>("vnoise", "--vnoise", &C::vnoise, "V", {0, inf},
                              "Read noise: std of Gaussian noise on each row voltage per read"));
    t.push_back(real_param<C>("wire_resistance", "--wire-resistance", &C::wire_resistance, "ohm", {0, inf},
                              "Wire resistance per segment; 0 = ideal wires, > 0 solves the crossbar circuit"));
    t.push_back(int_param<C>("rdac", "--rdac", &C::rdac, "levels", 2, levels_max, "2 .. 2^30", "DAC levels"));
    t.push_back(int_param<C>("radc", "--radc", &C::radc, "levels", 2, levels_max, "2 .. 2^30",
                             "ADC levels (signed, mid-tread; ties round to even)"));
    t.push_back(real_param<C>("vread", "--vread", &C::vread, "V", {0, inf, true}, "Read voltage"));
    {
      // [rows, cols] in JSON, ROWSxCOLS on the command line.
      Param<C> p;
      p.name = "array_size";
      p.flag = "--array-size";
      p.unit = "cells";
      p.type_name = "RxC";
      p.range = "[1 .. 4096, 1 .. 4096]";
      p.doc = "Crossbar rows x columns (JSON [rows, cols], flag ROWSxCOLS)";
      p.get = [](const C& c) { return nlohmann::json::array({c.array_rows, c.array_cols}); };
      p.set = [](C& c, const nlohmann::json& v, const std::string& field) {
        require(v.is_array() && v.size() == 2, field, "must be [rows, cols]");
        c.array_rows = json_integer<int>(v[0], field);
        c.array_cols = json_integer<int>(v[1], field);
      };
      p.check = [](const C& c, const std::string& field) {
        require(c.array_rows >= 1 && c.array_rows <= 4096, field, "rows must be 1 .. 4096, got " + std::to_string(c.array_rows));
        require(c.array_cols >= 1 && c.array_cols <= 4096, field, "columns must be 1 .. 4096, got " + std::to_string(c.array_cols));
      };
      p.parse_text = [](const std::string& text, const std::string& flag) {
        const auto x = text.find_first_of("xX");
        std::vector<int> rc;
        if (x != std::string::npos) rc = detail::parse_int_list_text(text.substr(0, x) + "," + text.substr(x + 1), flag);
        if (rc.size() != 2) throw InputError(flag + ": '" + text + "' is not ROWSxCOLS (e.g. 32x32)");
        return nlohmann::json(rc);
      };
      t.push_back(p);
    }
    t.push_back(int_list_param<C>("xblk", "--xblk", &C::xblk, "bits", 1, 16, "widths 1 .. 16, sum 2 .. 32",
                                  "Input slice widths, MSB first (fp: fraction slices), e.g. 1,1,2,4"));
    t.push_back(int_list_param<C>("mblk", "--mblk", &C::mblk, "bits", 1, 16, "widths 1 .. 16, sum 2 .. 32",
                                  "Weight slice widths, MSB first (fp: fraction slices)"));
    t.push_back(int_param<C>("bw_e", "--bw-e", &C::bw_e, "bits", 1, 16, "1 .. 16", "Exponent bits of the fp engine"));
    t.push_back(choice_param<C>("adc_full_scale", "--adc-full-scale", &C::adc_full_scale,
                                {{"worst_case", AdcFullScale::WorstCase}, {"calibrated", AdcFullScale::Calibrated},
                                 {"lossless", AdcFullScale::Lossless}},
                                "ADC reference: worst_case ((HGS-LGS)*vread*rows, mPimPy), calibrated (largest column "
                                "current of the programmed array) or lossless (one code per unit of the slice product)"));
    t.push_back(choice_param<C>("weight_encoding", "--weight-encoding", &C::weight_encoding,
                                {{"twos_complement", WeightEncoding::TwosComplement},
                                 {"differential", WeightEncoding::Differential},
                                 {"biased", WeightEncoding::Biased},
                                 {"biased_flipped", WeightEncoding::BiasedFlipped}},
                                "Signed weights in bitslice/fp: twos_complement (MSB slice negative, LGS reference "
                                "column), differential (G+/G- arrays), biased / biased_flipped (ISAAC, bitslice only)"));
    t.push_back(bool_param<C>("sign_magnitude_converters", "--sign-magnitude-converters", &C::sign_magnitude_converters,
                              "Sign-magnitude DAC/ADC coding: +-(rdac-1) input steps, ADC codes +-(radc-1) (mPimPy) "
                              "instead of mid-tread (docs/numerics.md)"));
    t.push_back(bool_param<C>("round_slice_products", "--round-slice-products", &C::round_slice_products,
                              "Round each converted slice product to the nearest integer count (mPimPy's hardware "
                              "forms; docs/numerics.md)"));
    t.push_back(real_param<C>("stuck_at_lgs", "--stuck-at-lgs", &C::stuck_at_lgs, "", {0, 1},
                              "Probability that a cell is stuck at LGS"));
    t.push_back(real_param<C>("stuck_at_hgs", "--stuck-at-hgs", &C::stuck_at_hgs, "", {0, 1},
                              "Probability that a cell is stuck at HGS"));
    t.push_back(real_param<C>("drift_nu", "--drift-nu", &C::drift_nu, "", {0, inf},
                              "Conductance drift exponent nu, G(t) = G0 (t/t0)^-nu"));
    t.push_back(real_param<C>("drift_t_s", "--drift-t-s", &C::drift_t_s, "s", {0, inf, true},
                              "Time from programming to read"));
    t.push_back(real_param<C>("drift_t0_s", "--drift-t0-s", &C::drift_t0_s, "s", {0, inf, true}, "Drift reference time t0"));
    t.push_back(choice_param<C>("precision", "--precision", &C::precision,
                                {{"float64", Precision::Float64}, {"float32", Precision::Float32}},
                                "Arithmetic of the crossbar reads: float32 (the default, faster) or float64 (for "
                                "validation); conversion, energies and the circuit solver stay float64"));
    t.push_back(int_param<C>("threads", "--threads", &C::threads, "threads", 0, 1024, "0 .. 1024",
                             "Worker threads of multiply/program; 0 = hardware concurrency (results do not depend on it)"));
    return t;
  }();
  return table;
}

namespace {
void check_blk_sum(const std::vector<int>& blk, const std::string& field) {
  const int sum = std::accumulate(blk.begin(), blk.end(), 0);
  require(sum >= 2 && sum <= 32, field, "slice widths must sum to 2 .. 32 bits, got " + std::to_string(sum));
}
}  // namespace

void EngineConfig::validate(const std::string& where) const {
  check_params(engine_params(), *this, where);
  const auto F = [&](const char* f) { return dotted(where, f); };
  require(HGS > LGS, F("HGS"), "must be greater than LGS (HGS " + eng(HGS) + " S <= LGS " + eng(LGS) + " S)");
  check_blk_sum(xblk, F("xblk"));
  check_blk_sum(mblk, F("mblk"));
  require(stuck_at_lgs + stuck_at_hgs <= 1, F("stuck_at_hgs"),
          "stuck-at rates sum to more than 1 (" + eng(stuck_at_lgs) + " + " + eng(stuck_at_hgs) + ")");
  const bool biased = weight_encoding == WeightEncoding::Biased || weight_encoding == WeightEncoding::BiasedFlipped;
  require(!biased || mode == EngineMode::BitSlice, F("weight_encoding"),
          to_string(weight_encoding) + " applies to the bitslice mode only");
  if (biased && !software)
    for (int b : xblk)
      require((rdac - 1) % ((1 << b) - 1) == 0, F("rdac"),
              "biased weights correct the bias with the integer input sum, so the DAC must drive every level of a " +
                  std::to_string(b) + "-bit input slice exactly: rdac - 1 = " + std::to_string(rdac - 1) +
                  " is not a multiple of " + std::to_string((1 << b) - 1));
  require(adc_full_scale != AdcFullScale::Lossless ||
              (mode == EngineMode::BitSlice && weight_encoding != WeightEncoding::Differential),
          F("adc_full_scale"), "lossless needs the bitslice mode with a non-differential encoding (its column currents are >= 0)");
  if (!software && mode != EngineMode::DiffPair) {
    const int widest = *std::max_element(mblk.begin(), mblk.end());
    require((1 << widest) <= g_level, F("mblk"),
            "a " + std::to_string(widest) + "-bit weight slice needs " + std::to_string(1 << widest) +
                " conductance levels but g_level is " + std::to_string(g_level));
  }
}

void apply_json(EngineConfig& cfg, const nlohmann::json& j, const std::string& source) {
  apply_params(engine_params(), cfg, j, source);
  cfg.validate(source);
}

nlohmann::json to_json(const EngineConfig& c) { return params_to_json(engine_params(), c); }

std::string engine_config_markdown() { return params_markdown(engine_params()); }

void apply_json_file(EngineConfig& cfg, const std::string& path) {
  apply_json(cfg, read_json_file(path), path);
}

}  // namespace memtile::core
