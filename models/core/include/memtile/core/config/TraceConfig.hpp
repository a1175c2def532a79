// What the traces record (no SystemC here: the tile configuration and the CLI use it without a
// simulation). The output files are chosen by flags (`--vcd`, `--trace`), not by a configuration
// file; the JSON group `trace` of a `memtile run` configuration holds the rest, declared once in
// trace_params() (docs/config.md, section trace).
#pragma once
#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

namespace memtile::core {

template <class S>
struct Param;  // ParamTable.hpp

struct TraceConfig {
  std::string vcd_path;       // without ".vcd" (sc_create_vcd_trace_file appends it); "" = off
  std::string perfetto_path;  // Chrome/Perfetto JSON; "" = off
  // Only the first trace_vectors input vectors of the run produce per-operation VCD changes and
  // Perfetto X events, so long runs keep memory and file size bounded (0 = none).
  std::uint64_t trace_vectors = 16;
  int adc_trace_column = 0;   // output column whose ADC codes are traced (row partition 0, weight slice 0)
  // Range of every row of trace_params(); throws InputError naming `group` + "." + field.
  void validate(const std::string& group = "trace") const;
};

// TraceConfig's JSON keys (trace_vectors, adc_trace_column), once: JSON in/out, range checks,
// the `--trace-vectors` flag of `memtile run` and the trace section of docs/config.md.
const std::vector<core::Param<TraceConfig>>& trace_params();
// `source` is a file ("run.json") or already names the group ("run.json: trace").
void apply_json(TraceConfig& t, const nlohmann::json& j, const std::string& source);
nlohmann::json to_json(const TraceConfig& t);  // the JSON keys only (not the output paths)
std::string trace_config_markdown();

// The VCD base name (TraceConfig::vcd_path) of a `--vcd` flag value, the same for every
// command: "out/w.vcd" and "out/w" both give "out/w" (the file written is out/w.vcd).
std::string vcd_base_path(const std::string& flag_value);

}  // namespace memtile::core
