// docs/config.md against every parameter table (engine, tile, energy, trace, accelerator, analog
// with the neuron's rows; fails when stale and writes the regenerated file to <build>/config.md),
// and the tables' JSON in/out and messages. Links memtile::backends for the analog table.
#define BOOST_TEST_MODULE sc_config_doc
#include <boost/test/unit_test.hpp>

#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "memtile/backends/AnalogBackend.hpp"
#include "memtile/backends/ConfigDoc.hpp"
#include "memtile/core/Errors.hpp"
#include "memtile/core/ParamTable.hpp"
#include "memtile/core/config/EnergyTable.hpp"
#include "memtile/core/config/NeuronModel.hpp"
#include "memtile/core/config/TileConfig.hpp"
#include "memtile/core/config/TraceConfig.hpp"
#include "memtile/sc/soc/AcceleratorTop.hpp"
#include "memtile/sc/soc/ConfigDoc.hpp"

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
    core::TileConfig t;
    core::apply_json(t, nlohmann::json::parse(text), source);
  } catch (const core::InputError& e) {
    return e.what();
  }
  return "";
}
// The message of loading `text` into a default T through apply_json(T&, json, source).
template <class T>
std::string error_in(const char* text, const std::string& source) {
  try {
    T t;
    apply_json(t, nlohmann::json::parse(text), source);
  } catch (const core::InputError& e) {
    return e.what();
  }
  return "";
}
nlohmann::json preset(const std::string& name) {
  const std::string path = env("MEMTILE_SOURCE_DIR", ".") + "/configs/presets/" + name + ".json";
  std::ifstream in(path);
  BOOST_REQUIRE_MESSAGE(in.good(), "cannot open " << path);
  return nlohmann::json::parse(in);
}
// Every key of `given` is in `written` with the same value (objects compared key by key):
// loading a file and writing it back changes none of the values it gave.
bool writes_back(const nlohmann::json& given, const nlohmann::json& written) {
  if (!given.is_object()) return given == written || (given.is_number() && written.is_number() &&
                                                      given.get<double>() == written.get<double>());
  for (auto it = given.begin(); it != given.end(); ++it)
    if (!written.contains(it.key()) || !writes_back(it.value(), written.at(it.key()))) return false;
  return true;
}
}  // namespace

BOOST_AUTO_TEST_CASE(config_doc_matches_the_tables) {
  const std::string path = env("MEMTILE_SOURCE_DIR", ".") + "/docs/config.md";
  std::ifstream in(path);
  BOOST_REQUIRE_MESSAGE(in.good(), "cannot open " << path);
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string want = backends::config_reference_markdown();
  BOOST_TEST(want.rfind(sc::config_reference_markdown(), 0) == 0u);  // the SystemC sections, then analog
  if (ss.str() != want) {
    const std::string out = env("MEMTILE_BINARY_DIR", ".") + "/config.md";
    std::ofstream(out) << want;
    BOOST_ERROR("docs/config.md is stale: cp " << out << " " << path);
  }
  // Nested groups appear with dotted keys.
  BOOST_TEST(want.find("| `wire.node_nm` |") != std::string::npos);
  BOOST_TEST(want.find("| `mapping.layer_replication` |") != std::string::npos);
  BOOST_TEST(want.find("| `rtl.sar_adc` |") != std::string::npos);
  // One section a table, in this order; nested tables by their dotted rows or a reference.
  std::size_t at = 0;
  for (const char* h : {"## engine", "## tile", "## energy", "## trace", "## accelerator", "## analog"}) {
    const std::size_t next = want.find(std::string("\n") + h + "\n", at);
    BOOST_TEST(next != std::string::npos, h);
    at = next == std::string::npos ? at : next;
  }
  BOOST_TEST(want.find("| `trace_vectors` | `--trace-vectors` |") != std::string::npos);
  BOOST_TEST(want.find("| `protocol.incomplete_is_ok` |") != std::string::npos);
  BOOST_TEST(want.find("| `engine` |  |  | object | see [engine](#engine) |") != std::string::npos);
  BOOST_TEST(want.find("| `neuron.kind` |  |  | none, identity, relu, tanh, sigmoid, imac_sigmoid | `\"imac_sigmoid\"` |") !=
             std::string::npos);
  BOOST_TEST(want.find("| `neuron.r_fb_ohm` |") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(neuron_and_analog_messages_name_file_and_dotted_field) {
  using A = backends::AnalogConfig;
  BOOST_TEST(error_in<A>(R"({"neuron": {"gain": 0}})", "run.json") == "run.json: analog.neuron.gain: must be > 0, got 0");
  BOOST_TEST(error_in<A>(R"({"neuron": {"sample_ns": -2e-3}})", "run.json: analog") ==
             "run.json: analog.neuron.sample_ns: must be >= 0 ns, got -2e-3");
  BOOST_TEST(error_in<A>(R"({"neuron": {"vdd_v": 0}})", "run.json") ==
             "run.json: analog.neuron.vdd_v: must be above vss_v (vdd_v 0 V <= vss_v 0 V)");
  BOOST_TEST(error_in<A>(R"({"neuron": {"kind": "softmax"}})", "run.json") ==
             "run.json: analog.neuron.kind: 'softmax' is not one of none, identity, relu, tanh, sigmoid, imac_sigmoid");
  BOOST_TEST(error_in<A>(R"({"neuron": {"kind": "identity"}})", "run.json").rfind("run.json: analog.neuron.kind: must be an activation", 0) == 0u);
  BOOST_TEST(error_in<A>(R"({"neuron": {"gian": 3}})", "run.json").rfind("run.json: analog.neuron.gian: unknown key (known: kind, ", 0) ==
             0u);
  BOOST_TEST(error_in<A>(R"({"variation_pct": 100})", "run.json") == "run.json: analog.variation_pct: must be [0, 100) %, got 100");
  BOOST_TEST(error_in<A>(R"({"r_high_ohm": 4.7e3})", "run.json") ==
             "run.json: analog.r_high_ohm: must exceed r_low_ohm (r_high_ohm 4.7e3 ohm <= r_low_ohm 5e3 ohm)");
  BOOST_TEST(error_in<A>(R"({"gains": [30, -1e-6]})", "run.json") == "run.json: analog.gains[1]: must be > 0, got -1e-6");
  BOOST_TEST(error_in<A>(R"({"tia_ohm": [1, "x"]})", "run.json").rfind("run.json: analog.tia_ohm[1]: ", 0) == 0u);
  BOOST_TEST(error_in<A>(R"({"array_rows": 1})", "run.json") == "run.json: analog.array_rows: must be >= 2, got 1");
  BOOST_TEST(error_in<A>(R"({"weights": "quaternary"})", "run.json") ==
             "run.json: analog.weights: 'quaternary' is not one of binary, ternary, analog");
  // The neuron alone (its own table), as the SystemC tiles' neuron.
  BOOST_TEST(error_in<core::NeuronConfig>(R"({"r1_ohm": -1})", "") == "neuron.r1_ohm: must be > 0 ohm, got -1");
}

BOOST_AUTO_TEST_CASE(trace_and_accelerator_messages_name_file_and_dotted_field) {
  BOOST_TEST(error_in<core::TraceConfig>(R"({"adc_trace_column": -1})", "run.json") ==
             "run.json: trace.adc_trace_column: must be >= 0, got -1");
  BOOST_TEST(error_in<core::TraceConfig>(R"({"vectors": 3})", "run.json") ==
             "run.json: trace.vectors: unknown key (known: trace_vectors, adc_trace_column)");
  BOOST_TEST(error_in<core::TraceConfig>(R"({"trace_vectors": -1})", "run.json").rfind("run.json: trace.trace_vectors: ", 0) == 0u);
  using T = sc::AcceleratorTopConfig;
  BOOST_TEST(error_in<T>(R"({"tile_in": 0})", "accel.json") == "accel.json: accelerator.tile_in: must be 1 .. 65536, got 0");
  BOOST_TEST(error_in<T>(R"({"dma_burst_bytes": 6})", "accel.json") ==
             "accel.json: accelerator.dma_burst_bytes: must be 4 .. 2^20, a multiple of 4 B, got 6");
  BOOST_TEST(error_in<T>(R"({"clock_ghz": -1.5e-3})", "accel.json") ==
             "accel.json: accelerator.clock_ghz: must be > 0 GHz, got -1.5e-3");
  BOOST_TEST(error_in<T>(R"({"protocol": {"strict": true}})", "accel.json")
                 .rfind("accel.json: accelerator.protocol.strict: unknown key (known: strict_streaming_width, ", 0) == 0u);
  BOOST_TEST(error_in<T>(R"({"engine": {"HGS": 1e-9}})", "accel.json") ==
             "accel.json: accelerator.engine.HGS: must be greater than LGS (HGS 1e-9 S <= LGS 100e-9 S)");
  BOOST_TEST(error_in<T>(R"({"tile": {"adc_mux": 0}})", "accel.json") ==
             "accel.json: accelerator.tile.adc_mux: must be >= 1, got 0");
  BOOST_TEST(error_in<T>(R"({"energy": {"dac": {"area_1bit_um2": -1}}})", "accel.json") ==
             "accel.json: accelerator.energy.dac.area_1bit_um2: must be >= 0 um^2, got -1");
  // Checks between the groups: adc_mux must divide the engine's columns.
  BOOST_TEST(error_in<T>(R"({"tile": {"adc_mux": 3}})", "accel.json") ==
             "accel.json: accelerator.tile.adc_mux: 3 columns per ADC does not divide array_cols 32");
  // A hand-built configuration is checked with the same rows.
  T bad;
  bad.max_batch = 0;
  BOOST_CHECK_EXCEPTION(bad.validate(), core::InputError, [](const core::InputError& e) {
    return std::string(e.what()) == "accelerator.max_batch: must be 1 .. 2^32-1, got 0";
  });
}

BOOST_AUTO_TEST_CASE(trace_analog_and_accelerator_round_trip) {
  core::TraceConfig tr;
  tr.trace_vectors = 18446744073709551615ull;
  tr.adc_trace_column = 7;
  core::TraceConfig tr_back;
  core::apply_json(tr_back, core::to_json(tr), "t");
  BOOST_TEST(tr_back.trace_vectors == tr.trace_vectors);
  BOOST_TEST(core::to_json(tr_back) == core::to_json(tr));

  backends::AnalogConfig a;
  a.mapping.weights = core::ImacWeights::Ternary;
  a.tia_ohm = {1e3, -1};
  a.gains = {30, 30, 10};
  a.neuron.kind = core::NeuronKind::Tanh;
  a.neuron.bias_v = -0.25;
  a.wire.node_nm = 45;
  a.seed = 9;
  const nlohmann::json aj = backends::to_json(a);
  BOOST_TEST(aj.at("tech_node_nm") == 45.0);
  BOOST_TEST(aj.at("neuron").at("kind") == "tanh");
  backends::AnalogConfig a_back;
  backends::apply_json(a_back, aj, "t");
  BOOST_TEST(backends::to_json(a_back) == aj);
  for (const auto& p : backends::analog_params()) BOOST_TEST(aj.contains(p.name), p.name);

  sc::AcceleratorTopConfig c;
  c.tiles = 3, c.tile_in = 48, c.max_job_bytes = 4ull << 30, c.exact = true;
  c.protocol.incomplete_is_ok = true;
  c.engine.seed = 11, c.tile.adc_mux = 4, c.energy.adc_energy_pj = 1.25;
  const nlohmann::json cj = sc::to_json(c);
  BOOST_TEST(cj.at("engine").at("seed") == 11);
  BOOST_TEST(cj.at("energy").at("adc").at("energy_per_conversion_pj") == 1.25);
  sc::AcceleratorTopConfig c_back;
  sc::apply_json(c_back, cj, "cfg.json");
  BOOST_TEST(sc::to_json(c_back) == cj);
  BOOST_TEST(c_back.max_job_bytes == c.max_job_bytes);
}

BOOST_AUTO_TEST_CASE(presets_write_back_unchanged) {
  // Every preset's trace and analog groups load and write back the values they gave.
  for (const char* name : {"default", "ideal_devices", "imac_mlp", "isaac", "isaac_like", "mpimpy", "rtl_periphery"}) {
    const nlohmann::json j = preset(name);
    if (j.contains("analog")) {
      backends::AnalogConfig a;
      backends::apply_json(a, j.at("analog"), name);
      BOOST_TEST(writes_back(j.at("analog"), backends::to_json(a)), name);
    }
    if (j.contains("trace")) {
      core::TraceConfig t;
      core::apply_json(t, j.at("trace"), name);
      BOOST_TEST(writes_back(j.at("trace"), core::to_json(t)), name);
    }
  }
  BOOST_TEST(preset("imac_mlp").contains("analog"));
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
  core::TileConfig c;
  c.clock_ghz = 2.5;
  c.adc_kind = core::AdcKind::Flash;
  c.adc_bits = 7;
  c.settle_factor = 3;
  c.wire.specularity = 0.25;
  c.wire_driver_ohm = 50;
  c.mapping.layer_replication = {{"fc1", 3}, {"fc2", 2}};
  c.mapping.array_budget = 18446744073709551615ull;
  c.mapping.layer_pipeline = true;
  c.rtl.shift_add = true;
  const nlohmann::json j = core::to_json(c);
  BOOST_TEST(j.at("wire").at("driver_ohm") == 50.0);
  BOOST_TEST(j.at("mapping").at("layer_replication").at("fc1") == 3);
  core::TileConfig back;
  core::apply_json(back, j, "t");
  BOOST_TEST(core::to_json(back) == j);
  BOOST_TEST(back.mapping.array_budget == c.mapping.array_budget);
  BOOST_TEST(back.rtl.shift_add);
  for (const auto& p : core::tile_params()) {
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
    core::TileConfig t;
    if (j.contains("tile")) core::apply_json(t, j.at("tile"), path);
    core::TileConfig back;
    core::apply_json(back, core::to_json(t), path);
    BOOST_TEST(core::to_json(back) == core::to_json(t), name);
  }
}

BOOST_AUTO_TEST_CASE(energy_table_messages_and_round_trip) {
  const auto energy_error = [](const char* text) -> std::string {
    try {
      core::EnergyTable e;
      core::apply_json(e, nlohmann::json::parse(text), "run.json");
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
  core::EnergyTable t;
  core::apply_json_file(t, env("MEMTILE_SOURCE_DIR", ".") + "/configs/energy/isaac32nm.json");
  BOOST_TEST(!t.sources.empty());
  core::EnergyTable back;
  core::apply_json(back, core::to_json(t), "t");
  BOOST_TEST(core::to_json(back) == core::to_json(t));
  BOOST_TEST(core::to_json(core::EnergyTable{}).contains("source") == false);
}
