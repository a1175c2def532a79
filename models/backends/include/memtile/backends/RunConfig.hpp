// The file of `memtile run --config` (and of a sweep point): one JSON object of groups,
// {"engine": {...}, "tile": {...}, "energy": {...}, "trace": {...}, "analog": {...},
// "description": "..."}. Its top level is declared once, in run_config_groups(): the loader,
// the unknown-key message and the `run` section of docs/config.md follow from it. Each group's
// own keys are its parameter table's (its section of docs/config.md).
#pragma once
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "memtile/backends/AnalogBackend.hpp"
#include "memtile/core/EngineConfig.hpp"
#include "memtile/core/config/EnergyTable.hpp"
#include "memtile/core/config/TileConfig.hpp"
#include "memtile/core/config/TraceConfig.hpp"

namespace memtile::backends {

struct RunConfig {
  core::EngineConfig engine;
  core::TileConfig tile;
  core::EnergyTable energy;
  core::TraceConfig trace;
  AnalogConfig analog;
  bool has_analog = false;  // a group with selects_analog was given: the fully analog (IMAC) mode
  std::string description;  // free text (presets describe themselves)
  // The checks between groups (tile against engine) and every group's own, as `memtile run`
  // does before simulating; messages start with `source` (a file, or "" for none).
  void validate(const std::string& source) const;
};

// One top-level key of the file.
struct RunConfigGroup {
  std::string name;     // JSON key
  std::string type;     // "object" or "string"
  std::string section;  // its section of docs/config.md ("" = none)
  std::string doc;      // one line
  bool selects_analog = false;  // given: the run is the fully analog mode (--platform analog)
  // Loads the value; `group` names it in messages ("run.json: tile", ": tile" without a file).
  std::function<void(RunConfig&, const nlohmann::json&, const std::string& group)> apply;
};
const std::vector<RunConfigGroup>& run_config_groups();

// The file's object through the table; every group is validated on its own as it loads (the
// checks between groups are RunConfig::validate()). `source` names the file in messages:
// "run.json: tile.adc_mux: ...", "run.json: bogus: unknown key (known: engine, ...)". Throws
// core::InputError.
RunConfig load_run_config(const nlohmann::json& j, const std::string& source);
RunConfig load_run_config_file(const std::string& path);  // "" = the defaults
// The top-level table as docs/config.md shows it.
std::string run_config_markdown();

}  // namespace memtile::backends
