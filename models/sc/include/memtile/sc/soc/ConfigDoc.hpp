// docs/config.md up to the SystemC layer: the sections without time
// (core::config_reference_markdown(): engine, tile, energy, trace) followed by the accelerator
// top's. The whole file adds the analog backend's section: backends::config_reference_markdown().
#pragma once
#include <string>

namespace memtile::sc {

std::string config_reference_markdown();

}  // namespace memtile::sc
