// `memtile dot`: np.dot on simulated memristor crossbars (mPimPy's MapReduceDot / BitSliceVMM).
#include <chrono>
#include <cmath>
#include <iostream>
#include <nlohmann/json.hpp>
#include <map>
#include <sstream>

#include "Commands.hpp"
#include "memtile/core/Errors.hpp"
#include "memtile/core/ParamTable.hpp"
#include "memtile/core/MatrixEngine.hpp"
#include "memtile/core/Npy.hpp"

namespace memtile::cli {
namespace {

using core::EngineConfig;
using core::InputError;

struct DotOptions {
  std::string a_path, b_path, out_path, config_path;
  std::map<std::string, std::string> values;  // engine flag -> text given (table rows)
  std::map<std::string, bool> switches;       // engine switch flags
  bool json = false;
};

}  // namespace

Runner add_dot_command(CLI::App& app) {
  auto opt = std::make_shared<DotOptions>();
  CLI::App* cmd = app.add_subcommand(
      "dot",
      "C = A . B on simulated memristor crossbars (like np.dot), written to --out. Prints a summary\n"
      "(relative error against the exact float64 product, tiling, counters, timing); --json prints\n"
      "one JSON object with the same and the effective parameters. Precedence: defaults < --config\n"
      "file < flags.");
  cmd->add_option("--a", opt->a_path, "Left operand A (.npy, float32/float64, 1-D or 2-D, C order): inputs, M x K")->required();
  cmd->add_option("--b", opt->b_path, "Right operand B (.npy): weights, K x N, programmed onto the crossbars")->required();
  cmd->add_option("--out", opt->out_path, "Where to write C (.npy, float64); written only on success")->required();
  add_json_flag(cmd, opt->json);
  cmd->add_option("--config", opt->config_path, "JSON file with the engine's fields (HGS, LGS, g_level, ..., array_size: [r, c]; docs/config.md)");
  // One flag per row of the engine's parameter table (core::engine_params): the help text,
  // unit, range and default come from the table, and so does the parsing.
  const core::EngineConfig defaults;
  for (const auto& p : core::engine_params()) {
    if (p.flag.empty()) continue;
    std::string help = p.doc;
    if (!p.unit.empty()) help += ", " + p.unit;
    help += " (" + p.range + ") [" + p.get(defaults).dump() + "]";
    if (p.is_switch) cmd->add_flag(p.flag, opt->switches[p.flag], help);
    else cmd->add_option(p.flag, opt->values[p.flag], help)->type_name(p.type_name);
  }

  return [cmd, opt]() -> int {
    EngineConfig cfg;
    if (!opt->config_path.empty()) core::apply_json_file(cfg, opt->config_path);
    // Flags override the file, in table order; each is type- and range-checked by its row.
    for (const auto& p : core::engine_params()) {
      if (p.flag.empty() || cmd->count(p.flag) == 0) continue;
      const std::string field = p.name + " (" + p.flag + ")";
      p.set(cfg, p.parse_text(p.is_switch ? "" : opt->values.at(p.flag), field), field);
      p.check(cfg, field);
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
    if (opt->json) {
      std::cout << out.dump(2) << std::endl;
      return 0;
    }
    const auto shape = [](const Eigen::MatrixXd& m) { return std::to_string(m.rows()) + " x " + std::to_string(m.cols()); };
    print_summary(std::cout,
                  {{"relative error", num(rel_err) + " (against the exact float64 product)"},
                   {"shape", "A " + shape(A) + " . B " + shape(B) + " -> C " + shape(C)},
                   {"arrays", std::to_string(pm.array_count()) + ", tiled as " + std::to_string(pm.row_blocks()) +
                                  " row x " + std::to_string(pm.col_blocks()) + " column blocks of " +
                                  std::to_string(engine.config().array_rows) + " x " +
                                  std::to_string(engine.config().array_cols) + " (" + core::to_string(engine.config().mode) +
                                  (engine.config().software ? ", software" : "") + ")"},
                   {"conversions", "DAC " + std::to_string(cnt.dac_conversions) + ", ADC " +
                                       std::to_string(cnt.adc_conversions) + ", array reads " +
                                       std::to_string(cnt.array_reads)},
                   {"time", num(secs(t2 - t0)) + " s (program " + num(secs(t1 - t0)) + " s, multiply " +
                                num(secs(t2 - t1)) + " s)"},
                   {"out", opt->out_path}});
    return 0;
  };
}

}  // namespace memtile::cli
