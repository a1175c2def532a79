#include "memtile/sc/config/ConfigDoc.hpp"

#include "memtile/core/ConfigDoc.hpp"
#include "memtile/sc/config/EnergyTable.hpp"
#include "memtile/sc/config/TileConfig.hpp"
#include "memtile/sc/soc/AcceleratorTop.hpp"
#include "memtile/sc/trace/TraceConfig.hpp"

namespace memtile::sc {

std::string config_reference_markdown() {
  std::string s = core::config_reference_markdown();
  s +=
      "\n## tile\n\n"
      "Timing and structure of a tile (`sc::TileConfig`, `sc::tile_params()` in "
      "models/sc/src/config/TileConfig.cpp): the `tile` group of a `memtile run` configuration "
      "and of the accelerator top's configuration. Nested objects are written with dots "
      "(`wire.node_nm` is `{\"wire\": {\"node_nm\": ...}}`); messages name them "
      "`run.json: tile.wire.node_nm`. Checks against the engine group: adc_mux divides "
      "engine.array_cols; 2^adc_bits >= engine.radc; any rtl block needs the hardware engine "
      "with a two's-complement or differential encoding, the worst-case ADC full scale, no "
      "rounded slice products or sign-magnitude converters, a SAR ADC and radc 2 .. 65536.\n\n";
  s += tile_config_markdown();
  s +=
      "\n## energy\n\n"
      "Energy and area figures (`sc::EnergyTable`, `sc::energy_params()` in "
      "models/sc/src/config/EnergyTable.cpp): the `energy` group of a `memtile run` "
      "configuration, or a whole file such as configs/energy/isaac32nm.json. Each group "
      "also takes a `source` text (where its figures come from), carried into reports; "
      "`comment` and `units` at the top are free text. Defaults: ISAAC's 32 nm table, "
      "NeuroSim's write pulse.\n\n";
  s += energy_config_markdown();
  s +=
      "\n## trace\n\n"
      "What the traces of `memtile run` record (`sc::TraceConfig`, `sc::trace_params()` in "
      "models/sc/src/trace/TraceConfig.cpp): the `trace` group of a `memtile run` configuration. "
      "The files themselves are chosen by flags, not here: `--vcd PATH[.vcd]` and `--trace T.json` "
      "(docs/run.md); `--trace-vectors` overrides `trace_vectors`.\n\n";
  s += trace_config_markdown();
  s +=
      "\n## accelerator\n\n"
      "The virtual-platform peripheral (`sc::AcceleratorTopConfig`, `sc::accelerator_params()` in "
      "models/sc/src/soc/AcceleratorTop.cpp): the whole file of `memtile_vp --config` and of "
      "`sc::load_accelerator_config()` (docs/integration.md). Its messages name the object "
      "`accelerator` (`accel.json: accelerator.tile_in: ...`, `accel.json: accelerator.engine.HGS: "
      "...`). The engine, tile and energy groups are read by their own loaders, with the checks "
      "between the engine and tile groups of the tile section.\n\n";
  s += accelerator_config_markdown();
  return s;
}

}  // namespace memtile::sc
