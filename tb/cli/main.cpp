// memtile: command-line front end. Bad input (InputError, CLI parse errors) prints one line
// naming the file/field and exits with code 2; nothing is half-written.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>
#include <iostream>
#include <cstdlib>
#include <cmath>
#include <map>
#include <nlohmann/json.hpp>
#include <systemc>

#include "Commands.hpp"
#include "Mpi.hpp"
#include "ProcessMemory.hpp"
#include "memtile/core/CheckedSize.hpp"
#include "memtile/core/Errors.hpp"

namespace {
// Keep stdout for our JSON and summaries: libsystemc prints its banner before sc_main runs,
// so the switch must be set during static initialisation.
const bool kNoSystemcBanner = [] {
  ::setenv("SC_COPYRIGHT_MESSAGE", "DISABLE", 0);
  return true;
}();
}  // namespace

namespace memtile::cli {
namespace {
void check_finite(const nlohmann::json& j, const std::string& key, const std::string& origin) {
  if (j.is_object()) {
    for (auto it = j.begin(); it != j.end(); ++it) check_finite(it.value(), key.empty() ? it.key() : key + "." + it.key(), origin);
  } else if (j.is_array()) {
    for (std::size_t i = 0; i < j.size(); ++i) check_finite(j[i], key + "[" + std::to_string(i) + "]", origin);
  } else if (j.is_number_float() && !std::isfinite(j.get<double>())) {
    throw core::InputError(origin + ": result field '" + key + "' is " + std::to_string(j.get<double>()) +
                           " (the computation overflowed: inputs, weights or configuration out of range)");
  }
}
}  // namespace

void require_finite_output(const nlohmann::json& result, const std::string& origin) { check_finite(result, "", origin); }

void add_json_flag(CLI::App* cmd, bool& json) {
  cmd->add_flag("--json", json,
                "Print the machine-readable result on stdout, one JSON object, instead of the human summary");
}

void print_summary(std::ostream& out, const std::vector<std::pair<std::string, std::string>>& lines) {
  std::size_t width = 10;
  for (const auto& l : lines) width = std::max(width, l.first.size());
  for (const auto& [label, value] : lines) out << label << std::string(width + 1 - label.size(), ' ') << value << "\n";
  out << std::flush;
}

std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

}  // namespace memtile::cli

// The entry point is sc_main: libsystemc owns main() and calls it after its own set-up.
int sc_main(int argc, char** argv) {
  memtile::cli::tune_memory(argc, argv);
  // Under mpirun/srun this process is one rank (memtile sweep, data-parallel memtile run);
  // started alone it never initialises MPI.
  memtile::cli::mpi::Session mpi_session;
  CLI::App app{
      "memtile: a SystemC/TLM-2.0 model of a memristor in-memory-computing accelerator.\n"
      "Subcommands: run (a DNN testbench on the accelerator model), dot (np.dot on simulated\n"
      "crossbars), xbar (crossbar circuit solve with wire parasitics), sweep (design-space\n"
      "sweeps and Monte Carlo, also over MPI ranks). `memtile <subcommand>\n"
      "--help` lists every flag."};
  app.require_subcommand(1);
  // Accepted before or after the subcommand (fallthrough).
  std::string max_memory;
  app.add_option("--max-memory", max_memory,
                 "Largest array, tensor or dataset a file or model may declare, e.g. 4G, 512M; bigger ones\n"
                 "are refused before allocation, naming the field [4G]");
  app.fallthrough();
  // SystemC's informational reports (e.g. the VCD timescale) would clutter the summaries.
  sc_core::sc_report_handler::set_actions(sc_core::SC_INFO, sc_core::SC_DO_NOTHING);
  // stdout is the summary or the --json object: SystemC's reports (printed to stdout) go to stderr.
  sc_core::sc_report_handler::set_handler([](const sc_core::sc_report& r, const sc_core::sc_actions& a) {
    if (a & sc_core::SC_DISPLAY) std::cerr << sc_core::sc_report_compose_message(r) << std::endl;
    sc_core::sc_report_handler::default_handler(r, a & ~sc_core::SC_DISPLAY);
  });
  std::map<CLI::App*, memtile::cli::Runner> runners;
  auto add = [&](memtile::cli::Runner r) { runners[app.get_subcommands({}).back()] = std::move(r); };
  add(memtile::cli::add_dot_command(app));
  add(memtile::cli::add_xbar_command(app));
  add(memtile::cli::add_run_command(app));
  add(memtile::cli::add_sweep_command(app));
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "memtile: error: " << e.what() << "\n";
    return 2;
  }
  // A rank that fails alone (an error in its share of the images, say) would leave the others
  // waiting in a collective and itself in MPI_Finalize: end the whole job with its exit code.
  const auto failed = [&](int code) {
    if (mpi_session.active() && mpi_session.size() > 1) mpi_session.abort(code);
    return code;
  };
  try {
    if (!max_memory.empty()) memtile::core::set_max_memory_bytes(memtile::core::parse_memory_size(max_memory, "--max-memory"));
    for (auto& [sub, run] : runners)
      if (sub->parsed()) return run();
  } catch (const memtile::core::InputError& e) {
    std::cerr << "memtile: error: " << e.what() << "\n";
    return failed(2);
  } catch (const sc_core::sc_report& e) {
    // An exception escaped a SystemC process: one line (message and process), not SystemC's
    // three-line report. Bad input is refused before the simulation, so this is internal.
    std::cerr << "memtile: internal error: " << e.get_msg() << " (SystemC " << e.get_msg_type()
              << (e.get_process_name() && *e.get_process_name() ? std::string(" in ") + e.get_process_name() : std::string())
              << ")\n";
    return failed(1);
  } catch (const std::bad_alloc&) {
    std::cerr << "memtile: error: out of memory (operands too large for this machine)\n";
    return failed(2);
  } catch (const std::exception& e) {
    std::cerr << "memtile: internal error: " << e.what() << "\n";
    return failed(1);
  }
  return 0;
}
