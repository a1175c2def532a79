// libFuzzer target: a JSON run configuration (its top level and every group, as `memtile run
// --config` reads them: backends::load_run_config) and its validation, on arbitrary bytes.
#include <nlohmann/json.hpp>

#include "FuzzInput.hpp"
#include "memtile/core/EngineConfig.hpp"
#include "memtile/core/Errors.hpp"
#include "memtile/backends/RunConfig.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using nlohmann::json;
  const json j = json::parse(data, data + size, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return 0;
  try {
    // The top level itself may be an engine group (`memtile dot --config`).
    memtile::core::EngineConfig flat;
    try {
      memtile::core::apply_json(flat, j, "fuzz");
      flat.validate();
    } catch (const memtile::core::InputError&) {
    }
    const memtile::backends::RunConfig rc = memtile::backends::load_run_config(j, "fuzz");
    rc.validate("fuzz");
    // Round trip: what validated serialises and reads back identically.
    memtile::core::EngineConfig again;
    memtile::core::apply_json(again, memtile::core::to_json(rc.engine), "fuzz: round trip");
    if (memtile::core::to_json(again) != memtile::core::to_json(rc.engine)) std::abort();
  } catch (const memtile::core::InputError&) {
  }
  return 0;
}

// libsystemc.so defines main() and calls sc_main(); libFuzzer's main(), linked statically, is
// the one that runs, but the shared library still needs the symbol.
extern "C" int sc_main(int, char**) { return 0; }  // C linkage, as SystemC declares it
