#include "memtile/core/EngineConfig.hpp"

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <numeric>

#include "memtile/core/Errors.hpp"
#include "memtile/core/JsonField.hpp"

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

namespace {
void check_finite(double v, const char* name) {
  require(std::isfinite(v), name, "must be a finite number");
}
void check_blk(const std::vector<int>& blk, const char* name) {
  require(!blk.empty(), name, "needs at least one slice width");
  for (int w : blk) require(w >= 1 && w <= 16, name, "each slice width must be 1..16 bits, got " + std::to_string(w));
  const int sum = std::accumulate(blk.begin(), blk.end(), 0);
  require(sum >= 2 && sum <= 32, name, "slice widths must sum to 2..32 bits, got " + std::to_string(sum));
}
}  // namespace

void EngineConfig::validate() const {
  for (auto [v, n] : {std::pair{HGS, "HGS"}, {LGS, "LGS"}, {var, "var"}, {vnoise, "vnoise"},
                      {wire_resistance, "wire_resistance"}, {vread, "vread"},
                      {stuck_at_lgs, "stuck_at_lgs"}, {stuck_at_hgs, "stuck_at_hgs"},
                      {drift_nu, "drift_nu"}, {drift_t_s, "drift_t_s"}, {drift_t0_s, "drift_t0_s"}})
    check_finite(v, n);
  require(LGS > 0, "LGS", "must be > 0 S");
  require(HGS > LGS, "HGS", "must be greater than LGS (HGS " + std::to_string(HGS) + " <= LGS " + std::to_string(LGS) + ")");
  require(g_level >= 2, "g_level", "needs at least 2 levels, got " + std::to_string(g_level));
  require(rdac >= 2, "rdac", "needs at least 2 levels, got " + std::to_string(rdac));
  require(radc >= 2, "radc", "needs at least 2 levels, got " + std::to_string(radc));
  require(g_level <= (1 << 30) && rdac <= (1 << 30) && radc <= (1 << 30), "levels", "at most 2^30 levels are supported");
  require(var >= 0, "var", "programming variation must be >= 0");
  // A lognormal sigma of 5 already spreads one level over a factor e^5 = 148 per sigma; far
  // beyond that the drawn conductances overflow (var 1e29 gave NaN energies).
  require(var <= 5, "var", "programming variation (lognormal sigma) must be <= 5");
  require(vnoise >= 0, "vnoise", "read noise must be >= 0 V");
  require(wire_resistance >= 0, "wire_resistance", "must be >= 0 ohm");
  require(vread > 0, "vread", "must be > 0 V");
  require(array_rows >= 1 && array_rows <= 4096, "array_size", "rows must be 1..4096");
  require(array_cols >= 1 && array_cols <= 4096, "array_size", "columns must be 1..4096");
  check_blk(xblk, "xblk");
  check_blk(mblk, "mblk");
  require(bw_e >= 1 && bw_e <= 16, "bw_e", "exponent bits must be 1..16");
  require(stuck_at_lgs >= 0 && stuck_at_lgs <= 1, "stuck_at_lgs", "must be a probability in [0, 1]");
  require(stuck_at_hgs >= 0 && stuck_at_hgs <= 1, "stuck_at_hgs", "must be a probability in [0, 1]");
  require(stuck_at_lgs + stuck_at_hgs <= 1, "stuck_at_hgs", "stuck-at rates sum to more than 1");
  require(drift_nu >= 0, "drift_nu", "must be >= 0");
  require(drift_t_s > 0, "drift_t_s", "must be > 0 s");
  require(drift_t0_s > 0, "drift_t0_s", "must be > 0 s");
  require(threads >= 0 && threads <= 1024, "threads", "must be 0 (hardware concurrency) .. 1024");
  const bool biased = weight_encoding == WeightEncoding::Biased || weight_encoding == WeightEncoding::BiasedFlipped;
  require(!biased || mode == EngineMode::BitSlice, "weight_encoding",
          to_string(weight_encoding) + " applies to the bitslice mode only");
  if (biased && !software)
    for (int b : xblk)
      require((rdac - 1) % ((1 << b) - 1) == 0, "rdac",
              "biased weights correct the bias with the integer input sum, so the DAC must drive every level of a " +
                  std::to_string(b) + "-bit input slice exactly: rdac - 1 = " + std::to_string(rdac - 1) +
                  " is not a multiple of " + std::to_string((1 << b) - 1));
  require(adc_full_scale != AdcFullScale::Lossless ||
              (mode == EngineMode::BitSlice && weight_encoding != WeightEncoding::Differential),
          "adc_full_scale", "lossless needs the bitslice mode with a non-differential encoding (its column currents are >= 0)");
  if (!software && mode != EngineMode::DiffPair) {
    const int widest = *std::max_element(mblk.begin(), mblk.end());
    require((1 << widest) <= g_level, "mblk",
            "a " + std::to_string(widest) + "-bit weight slice needs " + std::to_string(1 << widest) +
                " conductance levels but g_level is " + std::to_string(g_level));
  }
}

void apply_json(EngineConfig& cfg, const nlohmann::json& j, const std::string& source) {
  require(j.is_object(), source, "configuration must be a JSON object");
  auto field = [&](const std::string& key) { return source + ": field '" + key + "'"; };
  auto num = [&](const nlohmann::json& v, const std::string& key) { return json_finite(v, field(key)); };
  auto integer = [&](const nlohmann::json& v, const std::string& key) { return json_integer<int>(v, field(key)); };
  auto int_list = [&](const nlohmann::json& v, const std::string& key) {
    require(v.is_array(), source, "field '" + key + "' must be an array of integers");
    std::vector<int> out;
    for (const auto& e : v) out.push_back(integer(e, key));
    return out;
  };
  for (auto it = j.begin(); it != j.end(); ++it) {
    const std::string& k = it.key();
    const auto& v = it.value();
    if (k == "mode") { require(v.is_string(), source, "field 'mode' must be a string"); cfg.mode = parse_engine_mode(v.get<std::string>()); }
    else if (k == "software") { require(v.is_boolean(), source, "field 'software' must be true or false"); cfg.software = v.get<bool>(); }
    else if (k == "seed") cfg.seed = json_integer<std::uint64_t>(v, field(k));
    else if (k == "HGS") cfg.HGS = num(v, k);
    else if (k == "LGS") cfg.LGS = num(v, k);
    else if (k == "g_level") cfg.g_level = integer(v, k);
    else if (k == "var") cfg.var = num(v, k);
    else if (k == "vnoise") cfg.vnoise = num(v, k);
    else if (k == "wire_resistance") cfg.wire_resistance = num(v, k);
    else if (k == "rdac") cfg.rdac = integer(v, k);
    else if (k == "radc") cfg.radc = integer(v, k);
    else if (k == "vread") cfg.vread = num(v, k);
    else if (k == "array_size") {
      const auto rc = int_list(v, k);
      require(rc.size() == 2, source, "field 'array_size' must be [rows, cols]");
      cfg.array_rows = rc[0];
      cfg.array_cols = rc[1];
    }
    else if (k == "xblk") cfg.xblk = int_list(v, k);
    else if (k == "mblk") cfg.mblk = int_list(v, k);
    else if (k == "bw_e") cfg.bw_e = integer(v, k);
    else if (k == "adc_full_scale") { require(v.is_string(), source, "field 'adc_full_scale' must be a string"); cfg.adc_full_scale = parse_adc_full_scale(v.get<std::string>()); }
    else if (k == "weight_encoding") { require(v.is_string(), source, "field 'weight_encoding' must be a string"); cfg.weight_encoding = parse_weight_encoding(v.get<std::string>()); }
    else if (k == "sign_magnitude_converters") { require(v.is_boolean(), source, "field 'sign_magnitude_converters' must be true or false"); cfg.sign_magnitude_converters = v.get<bool>(); }
    else if (k == "round_slice_products") { require(v.is_boolean(), source, "field 'round_slice_products' must be true or false"); cfg.round_slice_products = v.get<bool>(); }
    else if (k == "stuck_at_lgs") cfg.stuck_at_lgs = num(v, k);
    else if (k == "stuck_at_hgs") cfg.stuck_at_hgs = num(v, k);
    else if (k == "drift_nu") cfg.drift_nu = num(v, k);
    else if (k == "drift_t_s") cfg.drift_t_s = num(v, k);
    else if (k == "drift_t0_s") cfg.drift_t0_s = num(v, k);
    else if (k == "threads") cfg.threads = integer(v, k);
    else throw InputError(source + ": unknown configuration key '" + k + "'");
  }
}

nlohmann::json to_json(const EngineConfig& c) {
  return nlohmann::json{{"mode", to_string(c.mode)}, {"software", c.software}, {"seed", c.seed},
                        {"HGS", c.HGS}, {"LGS", c.LGS}, {"g_level", c.g_level}, {"var", c.var},
                        {"vnoise", c.vnoise}, {"wire_resistance", c.wire_resistance},
                        {"rdac", c.rdac}, {"radc", c.radc}, {"vread", c.vread},
                        {"array_size", {c.array_rows, c.array_cols}}, {"xblk", c.xblk},
                        {"mblk", c.mblk}, {"bw_e", c.bw_e},
                        {"adc_full_scale", to_string(c.adc_full_scale)},
                        {"weight_encoding", to_string(c.weight_encoding)},
                        {"sign_magnitude_converters", c.sign_magnitude_converters},
                        {"round_slice_products", c.round_slice_products},
                        {"stuck_at_lgs", c.stuck_at_lgs}, {"stuck_at_hgs", c.stuck_at_hgs},
                        {"drift_nu", c.drift_nu}, {"drift_t_s", c.drift_t_s},
                        {"drift_t0_s", c.drift_t0_s}, {"threads", c.threads}};
}

void apply_json_file(EngineConfig& cfg, const std::string& path) {
  apply_json(cfg, read_json_file(path), path);
}

}  // namespace memtile::core
