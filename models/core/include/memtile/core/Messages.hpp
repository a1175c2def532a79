// How configuration errors print numbers and name fields (every layer's messages use these).
#pragma once
#include <string>

namespace memtile::core {

// Engineering notation: mantissa in [1, 1000) and an exponent that is a multiple of 3, up to 6
// significant digits: 1e-9 -> "1e-9", 1e-7 -> "100e-9", 0.05 -> "50e-3", 1024 -> "1.024e3".
std::string eng(double v);

// The name of a field in a message. `where` is "" (no context), a file ("cfg.json") or a file
// and a group path ("run.json: engine"): "HGS", "cfg.json: HGS", "run.json: engine.HGS".
std::string dotted(const std::string& where, const std::string& field);

}  // namespace memtile::core
