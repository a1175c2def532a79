// docs/config.md, generated from the configuration tables (ParamTable.hpp).
#pragma once
#include <string>

namespace memtile::core {

std::string config_reference_markdown();

}  // namespace memtile::core
