// libFuzzer target: the JSON run-configuration groups (engine, tile, energy, analog, as
// `memtile run --config` reads them) and their validation, on arbitrary bytes.
#include <nlohmann/json.hpp>

#include "FuzzInput.hpp"
#include "memtile/backends/AnalogBackend.hpp"
#include "memtile/core/EngineConfig.hpp"
#include "memtile/core/Errors.hpp"
#include "memtile/core/config/EnergyTable.hpp"
#include "memtile/core/config/TileConfig.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using nlohmann::json;
  const json j = json::parse(data, data + size, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return 0;
  memtile::core::EngineConfig engine;
  memtile::core::TileConfig tile;
  memtile::core::EnergyTable energy;
  memtile::sc::AnalogConfig analog;
  try {
    for (auto it = j.begin(); it != j.end(); ++it) {
      if (it.key() == "engine") memtile::core::apply_json(engine, it.value(), "fuzz: engine");
      else if (it.key() == "tile") memtile::core::apply_json(tile, it.value(), "fuzz: tile");
      else if (it.key() == "energy") memtile::core::apply_json(energy, it.value(), "fuzz: energy");
      else if (it.key() == "analog") memtile::sc::apply_json(analog, it.value(), "fuzz: analog");
    }
    // The top level itself may be an engine group (`memtile dot --config`).
    memtile::core::EngineConfig flat;
    try {
      memtile::core::apply_json(flat, j, "fuzz");
      flat.validate();
    } catch (const memtile::core::InputError&) {
    }
    engine.validate();
    tile.validate(engine);
    energy.validate();
    analog.validate();
    // Round trip: what validated serialises and reads back identically.
    memtile::core::EngineConfig again;
    memtile::core::apply_json(again, memtile::core::to_json(engine), "fuzz: round trip");
    if (memtile::core::to_json(again) != memtile::core::to_json(engine)) std::abort();
  } catch (const memtile::core::InputError&) {
  }
  return 0;
}

// libsystemc.so defines main() and calls sc_main(); libFuzzer's main(), linked statically, is
// the one that runs, but the shared library still needs the symbol.
extern "C" int sc_main(int, char**) { return 0; }  // C linkage, as SystemC declares it
