#include "memtile/core/ConfigDoc.hpp"

#include "memtile/core/EngineConfig.hpp"

namespace memtile::core {

std::string config_reference_markdown() {
  std::string s =
      "# Configuration reference\n\n"
      "Generated from the parameter tables in the source, one a section (each section names its "
      "table and file: `core::engine_params()`, `sc::tile_params()`, `sc::energy_params()`, "
      "`sc::trace_params()`, `sc::accelerator_params()`, `sc::analog_params()` with the neuron's "
      "`sc::neuron_params()`); the test `test_sc_config_doc` fails when this file and the tables "
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
  return s;
}

}  // namespace memtile::core
