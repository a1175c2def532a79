#include "memtile/core/ConfigDoc.hpp"

#include "memtile/core/EngineConfig.hpp"
#include "memtile/core/config/EnergyTable.hpp"
#include "memtile/core/config/TileConfig.hpp"
#include "memtile/core/config/TraceConfig.hpp"

namespace memtile::core {

std::string config_reference_markdown() {
  std::string s =
      "# Configuration reference\n\n"
      "Generated from the parameter tables in the source, one a section (each section names its "
      "table and file: `core::engine_params()`, `core::tile_params()`, `core::energy_params()`, "
      "`core::trace_params()`, `sc::accelerator_params()`, `backends::analog_params()` with the neuron's "
      "`core::neuron_params()`); the test `test_sc_config_doc` fails when this file and the tables "
      "differ and writes the regenerated file to `<build>/config.md`.\n\n"
      "A `memtile run` configuration (`--config`, the presets in configs/presets/) is one JSON "
      "object of the groups listed in [run](#run), the last section; `memtile dot --config` "
      "takes an engine object, `memtile_vp --config` an "
      "accelerator object. Every field is optional (the defaults below) and unknown keys are an "
      "error naming the key. Where the flag column names a flag, the field is also set on the "
      "command line (`memtile dot` for the engine, `memtile run --trace-vectors`; precedence: "
      "defaults < `--config` file < flags). An "
      "invalid value is refused with one line naming the file and the dotted field, values in "
      "engineering notation, e.g. `run.json: engine.HGS: must be greater than LGS (HGS 1e-9 S <= "
      "LGS 100e-9 S)`; the CLI exits with status 2. The physics behind the fields is in "
      "docs/model.md.\n\n"
      "## engine\n\n"
      "The numerical engine (`core::EngineConfig`): the `engine` group of a `memtile run` "
      "configuration, the whole file of `memtile dot --config`. Names follow mPimPy. Checks "
      "between fields: HGS > LGS; slice widths sum to 2 .. 32 bits; the widest weight slice fits "
      "in g_level levels (hardware bitslice/fp); the biased encodings need the bitslice mode and "
      "an rdac that drives every input-slice level exactly; lossless needs bitslice with a "
      "non-differential encoding; stuck_at_lgs + stuck_at_hgs <= 1.\n\n";
  s += engine_config_markdown();
  s +=
      "\n## tile\n\n"
      "Timing and structure of a tile (`core::TileConfig`, `core::tile_params()` in "
      "models/core/src/config/TileConfig.cpp): the `tile` group of a `memtile run` configuration "
      "and of the accelerator top's configuration. Nested objects are written with dots "
      "(`wire.node_nm` is `{\"wire\": {\"node_nm\": ...}}`); messages name them "
      "`run.json: tile.wire.node_nm`. Checks against the engine group: adc_mux divides "
      "engine.array_cols; 2^adc_bits >= engine.radc; any rtl block needs the hardware engine "
      "with a two's-complement or differential encoding, the worst-case ADC full scale, no "
      "rounded slice products or sign-magnitude converters, a SAR ADC and radc 2 .. 65536.\n\n";
  s += tile_config_markdown();
  s +=
      "\n## energy\n\n"
      "Energy and area figures (`core::EnergyTable`, `core::energy_params()` in "
      "models/core/src/config/EnergyTable.cpp): the `energy` group of a `memtile run` "
      "configuration, or a whole file such as configs/energy/isaac32nm.json. Each group "
      "also takes a `source` text (where its figures come from), carried into reports; "
      "`comment` and `units` at the top are free text. Defaults: ISAAC's 32 nm table, "
      "NeuroSim's write pulse.\n\n";
  s += energy_config_markdown();
  s +=
      "\n## trace\n\n"
      "What the traces of `memtile run` record (`core::TraceConfig`, `core::trace_params()` in "
      "models/core/src/config/TraceConfig.cpp): the `trace` group of a `memtile run` configuration. "
      "The files themselves are chosen by flags, not here: `--vcd PATH[.vcd]` and `--trace T.json` "
      "(docs/run.md); `--trace-vectors` overrides `trace_vectors`.\n\n";
  s += trace_config_markdown();
  return s;
}

}  // namespace memtile::core
