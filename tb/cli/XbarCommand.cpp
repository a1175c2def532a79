// `memtile xbar`: exact DC solve of one crossbar with wire parasitics (CrossbarSolver), column
// currents for a batch of input vectors, optional ngspice netlist of the same circuit.
#include <chrono>
#include <cmath>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "Commands.hpp"
#include "memtile/core/CrossbarSolver.hpp"
#include "memtile/core/Errors.hpp"
#include "memtile/core/Npy.hpp"
#include "memtile/core/SpiceWriter.hpp"
#include "memtile/core/WireTechnology.hpp"

namespace memtile::cli {
namespace {

using core::InputError;
using core::require;

struct XbarOptions {
  std::string g_path, v_path, out_path, spice_path;
  double wire_ohm = 0, row_ohm = 0, col_ohm = 0, tech_node_nm = 0, driver_ohm = 0, sense_ohm = 0;
  bool both_ends = false, effective = false, json = false;
};

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

int run_xbar(const XbarOptions& o, const CLI::App& cmd) {
  const core::NpyArray g = core::read_npy(o.g_path);
  require(g.ndim == 2, o.g_path, "conductances must be a 2-D array (rows x columns)");
  const core::NpyArray v = core::read_npy(o.v_path);  // 1-D: one vector

  core::WireParams w;
  nlohmann::json tech_json;
  if (cmd.count("--tech-node-nm") > 0) {
    core::WireTechnology t;
    t.node_nm = o.tech_node_nm;
    w = core::wire_params(t, o.driver_ohm, o.sense_ohm, o.both_ends);
    const core::ElmoreDelay d =
        core::elmore_delay(int(g.data.rows()), int(g.data.cols()), w, core::row_segment_capacitance_f(t),
                           core::col_segment_capacitance_f(t));
    tech_json = {{"node_nm", t.node_nm},
                 {"effective_resistivity_ohm_m", core::effective_resistivity_ohm_m(t)},
                 {"row_segment_capacitance_f", core::row_segment_capacitance_f(t)},
                 {"col_segment_capacitance_f", core::col_segment_capacitance_f(t)},
                 {"elmore_row_s", d.row_s},
                 {"elmore_col_s", d.col_s},
                 {"elmore_total_s", d.total_s()}};
  } else {
    w.row_segment_ohm = cmd.count("--wire-resistance") > 0 ? o.wire_ohm : o.row_ohm;
    w.col_segment_ohm = cmd.count("--wire-resistance") > 0 ? o.wire_ohm : o.col_ohm;
    w.driver_ohm = o.driver_ohm;
    w.sense_ohm = o.sense_ohm;
    w.both_end_drive = o.both_ends;
  }
  core::validate(w);
  require(v.data.cols() == g.data.rows(), o.v_path,
          "input vectors have " + std::to_string(v.data.cols()) + " voltages, the array has " +
              std::to_string(g.data.rows()) + " rows");

  const auto t_factor = std::chrono::steady_clock::now();
  const core::CrossbarSolver solver(g.data, w);
  const double factor_s = seconds_since(t_factor);
  const auto t_solve = std::chrono::steady_clock::now();
  const Eigen::MatrixXd I = solver.solve(v.data);
  const double solve_s = seconds_since(t_solve);
  // Finite voltages and conductances can still overflow (V ~ 1e302): refuse, do not write NaN.
  require(I.allFinite(), o.v_path, "the solved currents are NaN or Inf (voltages x conductances overflow float64)");

  nlohmann::json out = {{"command", "xbar"},
                        {"rows", g.data.rows()},
                        {"cols", g.data.cols()},
                        {"vectors", v.data.rows()},
                        {"unknowns", solver.unknowns()},
                        {"factor_nonzeros", solver.factor_nonzeros()},
                        {"port_count", solver.port_count()},
                        {"row_segment_ohm", w.row_segment_ohm},
                        {"col_segment_ohm", w.col_segment_ohm},
                        {"driver_ohm", w.driver_ohm},
                        {"sense_ohm", w.sense_ohm},
                        {"both_end_drive", w.both_end_drive},
                        {"factor_seconds", factor_s},
                        {"solve_seconds", solve_s},
                        {"solve_seconds_per_vector", v.data.rows() > 0 ? solve_s / double(v.data.rows()) : 0.0}};
  if (!tech_json.is_null()) out["technology"] = tech_json;
  if (o.effective) {
    const auto t_eff = std::chrono::steady_clock::now();
    const Eigen::MatrixXd& geff = solver.effective_conductance();
    out["effective_seconds"] = seconds_since(t_eff);
    // How much the wires lower the array's conductance, column by column (IR drop).
    out["effective_to_ideal_column_sum_min"] = (geff.colwise().sum().array() / g.data.colwise().sum().array()).minCoeff();
  }
  if (v.data.rows() > 0) {
    const Eigen::MatrixXd ideal = v.data * g.data;
    const double ref = ideal.cwiseAbs().maxCoeff();
    out["max_relative_deviation_from_ideal"] = ref > 0 ? (I - ideal).cwiseAbs().maxCoeff() / ref : 0.0;
  }
  require_finite_output(out, o.g_path + ", " + o.v_path);
  // Netlist first: a bad --spice path fails before the result file is written.
  if (!o.spice_path.empty()) {
    require(v.data.rows() >= 1, "--spice", "needs at least one input vector");
    core::write_file_atomic(o.spice_path, core::crossbar_netlist(g.data, w, v.data));
    out["spice"] = o.spice_path;
  }
  core::write_npy(o.out_path, I, v.ndim == 1 ? 1 : 2);
  out["out"] = o.out_path;
  if (o.json) {
    std::cout << out.dump() << std::endl;
    return 0;
  }
  std::vector<std::pair<std::string, std::string>> lines{
      {"array", std::to_string(g.data.rows()) + " x " + std::to_string(g.data.cols()) + ", " +
                    std::to_string(v.data.rows()) + " input vector" + (v.data.rows() == 1 ? "" : "s")},
      {"wires", "row segment " + num(w.row_segment_ohm) + " ohm, column segment " + num(w.col_segment_ohm) +
                    " ohm, driver " + num(w.driver_ohm) + " ohm, sense " + num(w.sense_ohm) + " ohm" +
                    (w.both_end_drive ? ", rows driven from both ends" : "")},
      {"solver", std::to_string(solver.unknowns()) + " unknowns, " + std::to_string(solver.factor_nonzeros()) +
                     " factor nonzeros"},
      {"time", "factor " + num(factor_s) + " s, solve " + num(solve_s) + " s"}};
  if (out.contains("technology"))
    lines.push_back({"technology", num(out["technology"]["node_nm"].get<double>()) + " nm, Elmore delay " +
                                       num(out["technology"]["elmore_total_s"].get<double>()) + " s"});
  if (out.contains("max_relative_deviation_from_ideal"))
    lines.push_back({"IR drop", "largest deviation from the ideal V.G " +
                                    num(out["max_relative_deviation_from_ideal"].get<double>()) + " of its largest current"});
  if (out.contains("effective_to_ideal_column_sum_min"))
    lines.push_back({"effective G", "smallest column sum " +
                                        num(out["effective_to_ideal_column_sum_min"].get<double>()) + " of the ideal"});
  if (!o.spice_path.empty()) lines.push_back({"spice", o.spice_path});
  lines.push_back({"out", o.out_path});
  print_summary(std::cout, lines);
  return 0;
}

}  // namespace

Runner add_xbar_command(CLI::App& app) {
  auto opt = std::make_shared<XbarOptions>();
  CLI::App* cmd = app.add_subcommand(
      "xbar",
      "Exact DC solve of one crossbar with wire parasitics (nodal analysis, sparse Cholesky factored\n"
      "once, reused for every input vector); the column currents go to --out. Prints a summary of\n"
      "sizes, timings and the IR drop; --json prints one JSON object with the same.\n"
      "Topology: rows driven at their left end, columns sensed at their bottom end into 0 V.");
  cmd->add_option("--g", opt->g_path, "Conductances G (.npy, M x N, siemens, all > 0)")->required();
  cmd->add_option("--v", opt->v_path, "Input voltages V (.npy, K x M volts, one vector per row; 1-D = one vector)")->required();
  cmd->add_option("--out", opt->out_path, "Where to write the column currents I (.npy, K x N amperes)")->required();
  auto* wr = cmd->add_option("--wire-resistance", opt->wire_ohm, "Resistance of every wire segment, rows and columns, ohm [0]");
  auto* ro = cmd->add_option("--row-ohm", opt->row_ohm, "Row (input line) segment resistance, ohm [0]");
  auto* co = cmd->add_option("--col-ohm", opt->col_ohm, "Column (output line) segment resistance, ohm [0]");
  auto* tn = cmd->add_option("--tech-node-nm", opt->tech_node_nm,
                             "Derive segment resistances from the technology node, nm (e.g. 9; IMAC-Sim size-effect model)");
  wr->excludes(ro)->excludes(co)->excludes(tn);
  tn->excludes(ro)->excludes(co);
  cmd->add_option("--driver-ohm", opt->driver_ohm, "DAC driver output resistance, ohm [0]");
  cmd->add_option("--sense-ohm", opt->sense_ohm, "Sense amplifier input resistance, ohm [0]");
  cmd->add_flag("--both-ends", opt->both_ends, "Drive every row from both ends");
  cmd->add_flag("--effective", opt->effective, "Also compute the exact effective conductance matrix and time it");
  cmd->add_option("--spice", opt->spice_path, "Also write an ngspice netlist of the same circuit and inputs");
  add_json_flag(cmd, opt->json);
  return [opt, cmd] { return run_xbar(*opt, *cmd); };
}

}  // namespace memtile::cli
