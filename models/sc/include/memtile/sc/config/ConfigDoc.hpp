// docs/config.md up to the SystemC layer: the engine section (core::config_reference_markdown())
// followed by the sections of the SystemC layer's configuration tables (tile, energy, trace,
// accelerator). The whole file adds the analog backend's section: backends::config_reference_markdown().
#pragma once
#include <string>

namespace memtile::sc {

std::string config_reference_markdown();

}  // namespace memtile::sc
