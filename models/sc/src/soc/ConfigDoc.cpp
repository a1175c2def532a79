#include "memtile/sc/soc/ConfigDoc.hpp"

#include "memtile/core/ConfigDoc.hpp"
#include "memtile/sc/soc/AcceleratorTop.hpp"

namespace memtile::sc {

std::string config_reference_markdown() {
  std::string s = core::config_reference_markdown();
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
