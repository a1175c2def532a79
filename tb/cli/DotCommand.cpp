// `memtile dot`: np.dot on simulated memristor crossbars (mPimPy's MapReduceDot / BitSliceVMM).
#include <chrono>
#include <cmath>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "Commands.hpp"
#include "memtile/core/Errors.hpp"
#include "memtile/core/MatrixEngine.hpp"
#include "memtile/core/Npy.hpp"

namespace memtile::cli {
namespace {

using core::EngineConfig;
using core::InputError;

std::vector<int> parse_int_list(const std::string& text, const std::string& flag) {
  std::vector<int> out;
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, ',')) {
    try {
      std::size_t used = 0;
      const int v = std::stoi(item, &used);
      if (used != item.size()) throw std::invalid_argument(item);
      out.push_back(v);
    } catch (const std::exception&) {
      throw InputError(flag + ": '" + text + "' is not a comma-separated list of integers");
    }
  }
  if (out.empty()) throw InputError(flag + ": empty list");
  return out;
}

struct DotOptions {
  std::string a_path, b_path, out_path, config_path, mode, adc_fs, encoding, array_size, xblk, mblk;
  std::uint64_t seed = 0;
  bool software = false;
  bool round_slice_products = false, sign_magnitude_converters = false;
  EngineConfig flags;  // values of explicitly given numeric flags land here
};

}  // namespace

Runner add_dot_command(CLI::App& app) {
  auto opt = std::make_shared<DotOptions>();
  CLI::App* cmd = app.add_subcommand(
      "dot",
      "C = A . B on simulated memristor crossbars (like np.dot). Prints one JSON object with the\n"
      "relative error against the exact float64 product, timing and the effective parameters.\n"
      "Precedence: defaults < --config file < flags.");
  cmd->add_option("--a", opt->a_path, "Left operand A (.npy, float32/float64, 1-D or 2-D, C order): inputs, M x K")->required();
  cmd->add_option("--b", opt->b_path, "Right operand B (.npy): weights, K x N, programmed onto the crossbars")->required();
  cmd->add_option("--out", opt->out_path, "Where to write C (.npy, float64); written only on success")->required();
  cmd->add_option("--mode", opt->mode, "Engine: bitslice (integer bit slicing), diffpair (differential pair), fp (block floating point) [bitslice]");
  cmd->add_flag("--software", opt->software, "Quantisation only, no devices/DAC/ADC (mPimPy BitSliceVMM / fpvmm)");
  cmd->add_option("--seed", opt->seed, "Seed of every random draw (variation, faults, read noise) [0]");
  cmd->add_option("--threads", opt->flags.threads, "Worker threads; 0 = hardware concurrency; results do not depend on it [0]");
  cmd->add_option("--config", opt->config_path, "JSON file with the same parameter names (HGS, LGS, g_level, ..., array_size: [r, c])");
  cmd->add_option("--HGS", opt->flags.HGS, "High conductance state, S [1e-5]");
  cmd->add_option("--LGS", opt->flags.LGS, "Low conductance state, S [1e-7]");
  cmd->add_option("--g-level", opt->flags.g_level, "Conductance levels per cell [16]");
  cmd->add_option("--var", opt->flags.var, "Programming variation: lognormal sigma, drawn once at programming [0.05]");
  cmd->add_option("--vnoise", opt->flags.vnoise, "Read noise: std of Gaussian noise on each row voltage per read, V [0]");
  cmd->add_option("--rdac", opt->flags.rdac, "DAC levels [256]");
  cmd->add_option("--radc", opt->flags.radc, "ADC levels (signed, mid-tread) [1024]");
  cmd->add_option("--vread", opt->flags.vread, "Read voltage, V [0.1]");
  cmd->add_option("--array-size", opt->array_size, "Crossbar rows x columns, e.g. 32x32 [32x32]");
  cmd->add_option("--xblk", opt->xblk, "Input slice widths MSB first, bits, e.g. 1,1,2,4 [1,1,2,4]; fp: fraction slices");
  cmd->add_option("--mblk", opt->mblk, "Weight slice widths MSB first, bits [1,1,2,4]; fp: fraction slices");
  cmd->add_option("--bw-e", opt->flags.bw_e, "Exponent bits of the fp engine [8]");
  cmd->add_option("--wire-resistance", opt->flags.wire_resistance, "Wire resistance per segment, ohm; 0 = ideal wires, > 0 solves the crossbar circuit [0]");
  cmd->add_option("--adc-full-scale", opt->adc_fs, "ADC reference: worst_case ((HGS-LGS)*vread*rows, mPimPy) or calibrated (largest column current of the programmed array) [worst_case]");
  cmd->add_option("--weight-encoding", opt->encoding, "Signed weights in bitslice/fp: twos_complement (MSB slice negative, LGS reference column) or differential (G+/G- arrays of magnitudes) [twos_complement]");
  cmd->add_flag("--round-slice-products", opt->round_slice_products,
                "Round each converted slice product to the nearest integer count (mPimPy's hardware forms; docs/numerics.md) [off]");
  cmd->add_flag("--sign-magnitude-converters", opt->sign_magnitude_converters,
                "Sign-magnitude DAC/ADC coding: +-(rdac-1) input steps, ADC codes +-(radc-1) (mPimPy) instead of mid-tread [off]");
  cmd->add_option("--stuck-at-lgs", opt->flags.stuck_at_lgs, "Probability that a cell is stuck at LGS [0]");
  cmd->add_option("--stuck-at-hgs", opt->flags.stuck_at_hgs, "Probability that a cell is stuck at HGS [0]");
  cmd->add_option("--drift-nu", opt->flags.drift_nu, "Conductance drift exponent nu, G(t) = G0 (t/t0)^-nu [0]");
  cmd->add_option("--drift-t", opt->flags.drift_t_s, "Time from programming to read, s [1]");
  cmd->add_option("--drift-t0", opt->flags.drift_t0_s, "Drift reference time t0, s [1]");

  return [cmd, opt]() -> int {
    EngineConfig cfg;
    if (!opt->config_path.empty()) core::apply_json_file(cfg, opt->config_path);
    auto given = [cmd](const char* flag) { return cmd->count(flag) > 0; };
    const EngineConfig& f = opt->flags;
    if (given("--mode")) cfg.mode = core::parse_engine_mode(opt->mode);
    if (given("--software")) cfg.software = true;
    if (given("--seed")) cfg.seed = opt->seed;
    if (given("--HGS")) cfg.HGS = f.HGS;
    if (given("--LGS")) cfg.LGS = f.LGS;
    if (given("--g-level")) cfg.g_level = f.g_level;
    if (given("--var")) cfg.var = f.var;
    if (given("--vnoise")) cfg.vnoise = f.vnoise;
    if (given("--rdac")) cfg.rdac = f.rdac;
    if (given("--radc")) cfg.radc = f.radc;
    if (given("--vread")) cfg.vread = f.vread;
    if (given("--bw-e")) cfg.bw_e = f.bw_e;
    if (given("--wire-resistance")) cfg.wire_resistance = f.wire_resistance;
    if (given("--stuck-at-lgs")) cfg.stuck_at_lgs = f.stuck_at_lgs;
    if (given("--stuck-at-hgs")) cfg.stuck_at_hgs = f.stuck_at_hgs;
    if (given("--drift-nu")) cfg.drift_nu = f.drift_nu;
    if (given("--drift-t")) cfg.drift_t_s = f.drift_t_s;
    if (given("--drift-t0")) cfg.drift_t0_s = f.drift_t0_s;
    if (given("--threads")) cfg.threads = f.threads;
    if (given("--adc-full-scale")) cfg.adc_full_scale = core::parse_adc_full_scale(opt->adc_fs);
    if (given("--weight-encoding")) cfg.weight_encoding = core::parse_weight_encoding(opt->encoding);
    if (given("--round-slice-products")) cfg.round_slice_products = true;
    if (given("--sign-magnitude-converters")) cfg.sign_magnitude_converters = true;
    if (given("--xblk")) cfg.xblk = parse_int_list(opt->xblk, "--xblk");
    if (given("--mblk")) cfg.mblk = parse_int_list(opt->mblk, "--mblk");
    if (given("--array-size")) {
      const auto x = opt->array_size.find_first_of("xX");
      std::vector<int> rc;
      if (x != std::string::npos)
        rc = parse_int_list(opt->array_size.substr(0, x) + "," + opt->array_size.substr(x + 1), "--array-size");
      if (rc.size() != 2) throw InputError("--array-size: '" + opt->array_size + "' is not ROWSxCOLS (e.g. 32x32)");
      cfg.array_rows = rc[0];
      cfg.array_cols = rc[1];
    }
    core::MatrixEngine engine(cfg);  // validates

    const core::NpyArray a = core::read_npy(opt->a_path);
    const core::NpyArray b = core::read_npy(opt->b_path);
    // np.dot semantics for 1-D operands: a 1-D A is one input vector, a 1-D B one weight column.
    const Eigen::MatrixXd A = a.data;
    const Eigen::MatrixXd B = b.ndim == 1 ? Eigen::MatrixXd(b.data.transpose()) : b.data;
    if (A.cols() != B.rows())
      throw InputError(opt->a_path + ", " + opt->b_path + ": shapes do not align for a product (A has " +
                       std::to_string(A.cols()) + " columns, B has " + std::to_string(B.rows()) + " rows)");
    if (!A.allFinite()) throw InputError(opt->a_path + ": contains NaN or Inf");
    if (!B.allFinite()) throw InputError(opt->b_path + ": contains NaN or Inf");

    const auto t0 = std::chrono::steady_clock::now();
    core::ProgrammedMatrix pm = engine.program(B);
    const auto t1 = std::chrono::steady_clock::now();
    const Eigen::MatrixXd C = pm.multiply(A);
    const auto t2 = std::chrono::steady_clock::now();
    const Eigen::MatrixXd exact = A * B;
    // Finite operands can still overflow (entries near 1e308): refuse, do not write -inf.
    if (!exact.allFinite())
      throw InputError(opt->a_path + ", " + opt->b_path + ": the exact product overflows float64 (entries too large)");
    if (!C.allFinite())
      throw InputError(opt->a_path + ", " + opt->b_path +
                       ": the simulated product is NaN or Inf (entries too large for the engine's scaling)");
    const double rel_err = core::relative_error(exact, C);
    const int out_ndim = (a.ndim == 1 || b.ndim == 1) ? 1 : 2;

    const auto secs = [](auto d) { return std::chrono::duration<double>(d).count(); };
    const auto& cnt = pm.counters();
    nlohmann::json out{
        {"relative_error", rel_err},
        {"seconds", secs(t2 - t0)},
        {"program_seconds", secs(t1 - t0)},
        {"multiply_seconds", secs(t2 - t1)},
        {"shape", {{"a", {A.rows(), A.cols()}}, {"b", {B.rows(), B.cols()}}, {"out", {C.rows(), C.cols()}}}},
        {"out", opt->out_path},
        {"arrays", pm.array_count()},
        {"tiling", {{"row_blocks", pm.row_blocks()}, {"col_blocks", pm.col_blocks()}}},
        {"counters", {{"dac_conversions", cnt.dac_conversions}, {"array_reads", cnt.array_reads},
                      {"adc_conversions", cnt.adc_conversions}}},
        {"parameters", core::to_json(engine.config())}};
    require_finite_output(out, opt->a_path + ", " + opt->b_path);
    core::write_npy(opt->out_path, C, out_ndim);
    std::cout << out.dump(2) << std::endl;
    return 0;
  };
}

}  // namespace memtile::cli
