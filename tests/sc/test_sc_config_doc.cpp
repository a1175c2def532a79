// docs/config.md against the engine and tile parameter tables (fails when stale; writes the
// regenerated file to <build>/config.md), and the tile table's JSON in/out and messages.
#define BOOST_TEST_MODULE sc_config_doc
#include <boost/test/unit_test.hpp>

#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "memtile/core/Errors.hpp"
#include "memtile/core/ParamTable.hpp"
#include "memtile/sc/config/ConfigDoc.hpp"
#include "memtile/sc/config/EnergyTable.hpp"
#include "memtile/sc/config/TileConfig.hpp"

// Boost owns main(); libsystemc (linked through memtile::sc) still references sc_main.
extern "C" int sc_main(int, char*[]) { return 0; }

using namespace memtile;

namespace {
std::string env(const char* k, const char* fallback) {
  const char* v = std::getenv(k);
  return v ? v : fallback;
}
std::string error_of(const char* text, const std::string& source = "run.json") {
  try {
    sc::TileConfig t;
    sc::apply_json(t, nlohmann::json::parse(text), source);
  } catch (const core::InputError& e) {
    return e.what();
  }
  return "";
}
}  // namespace

BOOST_AUTO_TEST_CASE(config_doc_matches_the_tables) {
  const std::string path = env("MEMTILE_SOURCE_DIR", ".") + "/docs/config.md";
  std::ifstream in(path);
  BOOST_REQUIRE_MESSAGE(in.good(), "cannot open " << path);
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string want = sc::config_reference_markdown();
  if (ss.str() != want) {
    const std::string out = env("MEMTILE_BINARY_DIR", ".") + "/config.md";
    std::ofstream(out) << want;
    BOOST_ERROR("docs/config.md is stale: cp " << out << " " << path);
  }
  // Nested groups appear with dotted keys.
  BOOST_TEST(want.find("| `wire.node_nm` |") != std::string::npos);
  BOOST_TEST(want.find("| `mapping.layer_replication` |") != std::string::npos);
  BOOST_TEST(want.find("| `rtl.sar_adc` |") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(tile_messages_name_file_and_dotted_field) {
  BOOST_TEST(error_of(R"({"adc_bits": 0})") == "run.json: tile.adc_bits: must be -1 or 1 .. 16 (-1 = from radc), got 0");
  BOOST_TEST(error_of(R"({"clock_ghz": 0})") == "run.json: tile.clock_ghz: must be > 0 GHz, got 0");
  BOOST_TEST(error_of(R"({"wire": {"ild_height_nm": -2e-3}})") ==
             "run.json: tile.wire.ild_height_nm: must be > 0 nm, got -2e-3");
  BOOST_TEST(error_of(R"({"wire": {"grain_reflection": 1}})") ==
             "run.json: tile.wire.grain_reflection: must be (0, 1), got 1");
  BOOST_TEST(error_of(R"({"mapping": {"layer_replication": {"fc1": 0}}})") ==
             "run.json: tile.mapping.layer_replication.fc1: must be 1 .. 2^20 copies, got 0");
  BOOST_TEST(error_of(R"({"adc_kind": "pipelined"})") == "run.json: tile.adc_kind: 'pipelined' is not one of sar, flash");
  BOOST_TEST(error_of(R"({"rtl": {"adder": true}})").find("run.json: tile.rtl.adder: unknown key (known: controller, ") ==
             0u);
  // A source that already names the group is not repeated.
  BOOST_TEST(error_of(R"({"adc_mux": 0})", "run.json: tile") == "run.json: tile.adc_mux: must be >= 1, got 0");
  BOOST_TEST(error_of(R"({"adc_mux": 0})", "") == "tile.adc_mux: must be >= 1, got 0");
}

BOOST_AUTO_TEST_CASE(every_row_round_trips_through_json) {
  sc::TileConfig c;
  c.clock_ghz = 2.5;
  c.adc_kind = sc::AdcKind::Flash;
  c.adc_bits = 7;
  c.settle_factor = 3;
  c.wire.specularity = 0.25;
  c.wire_driver_ohm = 50;
  c.mapping.layer_replication = {{"fc1", 3}, {"fc2", 2}};
  c.mapping.array_budget = 18446744073709551615ull;
  c.mapping.layer_pipeline = true;
  c.rtl.shift_add = true;
  const nlohmann::json j = sc::to_json(c);
  BOOST_TEST(j.at("wire").at("driver_ohm") == 50.0);
  BOOST_TEST(j.at("mapping").at("layer_replication").at("fc1") == 3);
  sc::TileConfig back;
  sc::apply_json(back, j, "t");
  BOOST_TEST(sc::to_json(back) == j);
  BOOST_TEST(back.mapping.array_budget == c.mapping.array_budget);
  BOOST_TEST(back.rtl.shift_add);
  for (const auto& p : sc::tile_params()) {
    BOOST_TEST(j.contains(p.name), p.name);
    BOOST_TEST(!p.doc.empty(), p.name);
    for (const auto& q : p.rows) BOOST_TEST((!q.doc.empty() && !q.range.empty()), p.name + "." + q.name);
  }
}

BOOST_AUTO_TEST_CASE(presets_round_trip) {
  // Every preset's tile group loads, and writing and reading it back changes nothing.
  for (const char* name : {"default", "ideal_devices", "imac_mlp", "isaac", "isaac_like", "mpimpy", "rtl_periphery"}) {
    const std::string path = env("MEMTILE_SOURCE_DIR", ".") + "/configs/presets/" + name + ".json";
    std::ifstream in(path);
    BOOST_REQUIRE_MESSAGE(in.good(), "cannot open " << path);
    const nlohmann::json j = nlohmann::json::parse(in);
    sc::TileConfig t;
    if (j.contains("tile")) sc::apply_json(t, j.at("tile"), path);
    sc::TileConfig back;
    sc::apply_json(back, sc::to_json(t), path);
    BOOST_TEST(sc::to_json(back) == sc::to_json(t), name);
  }
}

BOOST_AUTO_TEST_CASE(energy_table_messages_and_round_trip) {
  const auto energy_error = [](const char* text) -> std::string {
    try {
      sc::EnergyTable e;
      sc::apply_json(e, nlohmann::json::parse(text), "run.json");
    } catch (const core::InputError& e) {
      return e.what();
    }
    return "";
  };
  BOOST_TEST(energy_error(R"({"adc": {"energy_per_conversion_pj": -1.5e-3}})") ==
             "run.json: energy.adc.energy_per_conversion_pj: must be >= 0 pJ, got -1.5e-3");
  BOOST_TEST(energy_error(R"({"crossbar": {"read_energy_model": "spice"}})") ==
             "run.json: energy.crossbar.read_energy_model: 'spice' is not one of physics, table");
  BOOST_TEST(energy_error(R"({"adc": {"source": 3}})") == "run.json: energy.adc.source: must be a string");
  BOOST_TEST(energy_error(R"({"dac": {"area_um2": 1}})").find("run.json: energy.dac.area_um2: unknown key") == 0u);
  // The shipped table loads and writes back unchanged, sources included.
  sc::EnergyTable t;
  sc::apply_json_file(t, env("MEMTILE_SOURCE_DIR", ".") + "/configs/energy/isaac32nm.json");
  BOOST_TEST(!t.sources.empty());
  sc::EnergyTable back;
  sc::apply_json(back, sc::to_json(t), "t");
  BOOST_TEST(sc::to_json(back) == sc::to_json(t));
  BOOST_TEST(sc::to_json(sc::EnergyTable{}).contains("source") == false);
}
