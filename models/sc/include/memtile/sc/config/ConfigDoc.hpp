// docs/config.md: the engine section (core::config_reference_markdown()) followed by the
// sections of the SystemC layer's configuration tables (tile, energy).
#pragma once
#include <string>

namespace memtile::sc {

std::string config_reference_markdown();

}  // namespace memtile::sc
