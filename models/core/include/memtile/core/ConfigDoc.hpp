// docs/config.md, generated from the configuration tables (ParamTable.hpp), up to the sections
// without SystemC: engine, tile, energy, trace. sc::config_reference_markdown() adds the
// accelerator section, backends::config_reference_markdown() the analog one (the whole file).
#pragma once
#include <string>

namespace memtile::core {

std::string config_reference_markdown();

}  // namespace memtile::core
