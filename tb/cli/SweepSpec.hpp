// `memtile sweep`'s plan: the spec file (docs/sweep.md) expanded into tasks, one per point x
// seed, each a complete configuration that has passed the same loaders as `memtile run
// --config` (or `memtile dot --config`) before any work starts. Everything here is a pure
// function of the spec (and the files it names), so every rank and every rerun sees the same
// plan; the tables it formats depend only on the tasks' reports, in task order.
#pragma once
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace memtile::cli::sweep {

enum class Workload { Run, Dot };

struct Plan {
  Workload kind = Workload::Run;
  // run: {model, dataset, images, batch, platform}; dot: {a: {shape, distribution, ...}, b, seed}.
  nlohmann::json workload;
  std::vector<std::string> axis_names;
  std::vector<std::vector<nlohmann::json>> point_values;  // [point][axis]
  std::vector<nlohmann::json> point_configs;              // run: {engine, tile, ...}; dot: engine object
  std::vector<std::uint64_t> seeds;                       // Monte Carlo seeds, the same for every point

  std::size_t tasks() const { return point_configs.size() * seeds.size(); }
  std::size_t point_of(std::size_t task) const { return task / seeds.size(); }
  std::size_t seed_index_of(std::size_t task) const { return task % seeds.size(); }
  // What a finished task's file must match to count as done on a rerun (the child's whole input).
  std::string task_key(std::size_t task) const;
  // The child's command line after the program name; `dir` holds its config and operands.
  std::vector<std::string> child_args(std::size_t task, const std::string& dir) const;
  // Point description for messages: "point 3 (engine.radc=256, engine.var=0.1) seed 2".
  std::string describe(std::size_t task) const;

  nlohmann::json to_json() const;
  static Plan from_json(const nlohmann::json& j);
};

// Parses and validates the spec file: InputError naming the file and field on any problem
// (unknown keys, bad axis names or values, a point whose combined configuration is invalid).
Plan load_plan(const std::string& spec_path);

// Writes the dot workload's operands a.npy and b.npy into `dir` (drawn from the spec's seed).
void write_dot_operands(const Plan& plan, const std::string& dir);

// The metrics a report yields, in column order (empty cells where a report lacks one).
std::vector<std::string> metric_names(Workload kind);
// Tables from the finished reports, indexed by task: results (one row per task), summary (one
// row per point: mean, sample std and Student-t 95 % interval over the seeds), timing.
std::string results_csv(const Plan& plan, const std::vector<nlohmann::json>& reports);
std::string summary_csv(const Plan& plan, const std::vector<nlohmann::json>& reports);
std::string timing_csv(const Plan& plan, const std::vector<double>& wall_seconds);

// Two-sided 95 % Student-t quantile t_{0.975, df} (df >= 1).
double student_t975(int df);

}  // namespace memtile::cli::sweep
