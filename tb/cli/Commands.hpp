// Subcommands of the memtile CLI. Each lives in its own file and adds itself to the app;
// the returned runner is called when that subcommand was selected on the command line.
#pragma once
#include <CLI/CLI.hpp>
#include <functional>
#include <nlohmann/json_fwd.hpp>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

namespace memtile::cli {

using Runner = std::function<int()>;

Runner add_dot_command(CLI::App& app);   // DotCommand.cpp
Runner add_xbar_command(CLI::App& app);  // XbarCommand.cpp
Runner add_run_command(CLI::App& app);   // RunCommand.cpp
Runner add_sweep_command(CLI::App& app); // SweepCommand.cpp

// A data file of the CLI (folder "networks" or "presets"): <prefix>/share/memtile/<folder>/<file>
// next to an installed binary, else `source_dir` in the source tree it was built from.
// RunCommand.cpp.
std::string data_file_path(const std::string& folder, const std::string& file, const std::string& source_dir);
// The default network (LeNet-5), through data_file_path.
std::string default_model_path();

// Checks a `memtile run` configuration object (backends::RunConfig) exactly as
// `memtile run --config` would before simulating: unknown keys, types, ranges, cross-field
// checks. Throws InputError; `origin` prefixes the loaders' messages. RunCommand.cpp.
void validate_run_config(const nlohmann::json& config, const std::string& origin);

// The output convention of every subcommand (docs/run.md, "Output convention"): stdout carries
// a human summary, or with --json the machine-readable result instead, one JSON object (dot and
// xbar: shape, timings, counters, parameters; run: the report; sweep: where the tables are).
// Results proper go to the files named by flags. main.cpp.
void add_json_flag(CLI::App* cmd, bool& json);
// The human summary: one "label      value" line each, labels padded to one column.
void print_summary(std::ostream& out, const std::vector<std::pair<std::string, std::string>>& lines);
// A number for the summary: 6 significant digits.
std::string num(double v);

// InputError naming the first NaN/Inf number of a result (a report, a printed summary) and
// `origin` (the input files): finite inputs can still overflow, and a result with NaN in it is
// a failed run, not one to print with "null" in it. main.cpp.
void require_finite_output(const nlohmann::json& result, const std::string& origin);

}  // namespace memtile::cli
