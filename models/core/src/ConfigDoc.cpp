#include "memtile/core/ConfigDoc.hpp"

#include "memtile/core/EngineConfig.hpp"

namespace memtile::core {

std::string config_reference_markdown() {
  std::string s =
      "# Configuration reference\n\n"
      "Generated from the parameter tables in the source (`core::engine_params()` in "
      "models/core/src/EngineConfig.cpp, `sc::tile_params()` and `sc::energy_params()` in models/sc/src/config/); "
      "the test `test_sc_config_doc` fails when this file and the tables differ and writes the "
      "regenerated file to `<build>/config.md`.\n\n"
      "Every field is set in JSON (unknown keys are an error naming the key), and the "
      "engine's fields also by a flag of `memtile dot` (precedence: defaults < `--config` file < flags). An "
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
