// The top level of a run configuration, declared once (backends::run_config_groups()): the
// loader follows the table, unknown keys are named with the known ones listed, every group's
// messages name the file and the dotted field, and docs/config.md ends with the table.
#define BOOST_TEST_MODULE run_config
#include <boost/test/unit_test.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "memtile/backends/ConfigDoc.hpp"
#include "memtile/backends/RunConfig.hpp"
#include "memtile/core/Errors.hpp"

extern "C" int sc_main(int, char*[]) { return 0; }  // Boost owns main(); libsystemc still references sc_main

using namespace memtile;
using nlohmann::json;

namespace {
std::string source_dir() {
  const char* v = std::getenv("MEMTILE_SOURCE_DIR");
  return v ? v : ".";
}
// The message of loading `text` as a run configuration named `source`, validated ("" = loads).
std::string error_of(const std::string& text, const std::string& source = "run.json") {
  try {
    backends::load_run_config(json::parse(text), source).validate(source);
  } catch (const core::InputError& e) {
    return e.what();
  }
  return "";
}
}  // namespace

BOOST_AUTO_TEST_CASE(the_table_lists_every_group_once) {
  std::vector<std::string> names;
  for (const auto& g : backends::run_config_groups()) {
    names.push_back(g.name);
    BOOST_TEST(static_cast<bool>(g.apply), g.name);
    BOOST_TEST(!g.doc.empty(), g.name);
    BOOST_TEST(g.selects_analog == (g.name == "analog"), g.name);
  }
  BOOST_TEST((names == std::vector<std::string>{"engine", "tile", "energy", "trace", "analog", "description"}));
}

BOOST_AUTO_TEST_CASE(groups_load_through_the_table) {
  const auto rc = backends::load_run_config(
      json::parse(R"({"engine": {"radc": 64, "array_size": [16, 16]}, "tile": {"adc_mux": 4},
                      "energy": {"adc": {"ref_bits": 6}}, "trace": {"trace_vectors": 3}, "description": "a test"})"),
      "run.json");
  BOOST_TEST(rc.engine.radc == 64);
  BOOST_TEST(rc.tile.adc_mux == 4);
  BOOST_TEST(rc.energy.adc_ref_bits == 6);
  BOOST_TEST(rc.trace.trace_vectors == 3u);
  BOOST_TEST(rc.description == "a test");
  BOOST_TEST(!rc.has_analog);
  // An analog group, even empty, selects the fully analog mode.
  BOOST_TEST(backends::load_run_config(json::parse(R"({"analog": {}})"), "run.json").has_analog);
  BOOST_TEST(!backends::load_run_config(json::object(), "run.json").has_analog);
  BOOST_TEST(!backends::load_run_config_file("").has_analog);  // no file: the defaults
}

BOOST_AUTO_TEST_CASE(messages_name_the_file_and_the_dotted_field) {
  BOOST_TEST(error_of(R"({"bogus": 1})") ==
             "run.json: bogus: unknown key (known: engine, tile, energy, trace, analog, description)");
  BOOST_TEST(error_of("[1]") == "run.json: a run configuration must be a JSON object");
  BOOST_TEST(error_of(R"({"engine": 3})") == "run.json: engine: must be a JSON object");
  BOOST_TEST(error_of(R"({"description": 5})") == "run.json: description: must be a string (free text)");
  BOOST_TEST(error_of(R"({"engine": {"radcc": 3}})").rfind("run.json: engine.radcc: unknown key (known: mode,", 0) == 0u);
  BOOST_TEST(error_of(R"({"tile": {"adc_bits": 99}})").rfind("run.json: tile.adc_bits: ", 0) == 0u);
  BOOST_TEST(error_of(R"({"trace": {"adc_trace_column": -1}})").rfind("run.json: trace.adc_trace_column: ", 0) == 0u);
  BOOST_TEST(error_of(R"({"analog": {"neuron": {"gain": -1}}})").rfind("run.json: analog.neuron.gain: ", 0) == 0u);
  // The checks between groups (validate) name the file too.
  BOOST_TEST(error_of(R"({"tile": {"adc_mux": 3}})").rfind("run.json: tile.adc_mux: 3 columns per ADC", 0) == 0u);
  // Without a source (a sweep point: the sweep puts its own origin in front) the message starts with ": ".
  BOOST_TEST(error_of(R"({"engine": {"radcc": 3}})", "").rfind(": engine.radcc: unknown key", 0) == 0u);
  BOOST_TEST(error_of(R"({"bogus": 1})", "").rfind(": bogus: unknown key", 0) == 0u);
}

BOOST_AUTO_TEST_CASE(every_preset_loads) {
  int n = 0;
  for (const auto& e : std::filesystem::directory_iterator(source_dir() + "/configs/presets")) {
    if (e.path().extension() != ".json") continue;
    ++n;
    const std::string path = e.path().string();
    BOOST_CHECK_NO_THROW(backends::load_run_config_file(path).validate(path));
  }
  BOOST_TEST(n >= 5);
}

BOOST_AUTO_TEST_CASE(config_md_ends_with_the_top_level_table) {
  const std::string doc = backends::config_reference_markdown();
  const std::string table = backends::run_config_markdown();
  const std::size_t at = doc.rfind("\n## run\n");
  BOOST_REQUIRE(at != std::string::npos);
  BOOST_TEST(doc.compare(doc.size() - table.size(), table.size(), table) == 0);
  for (const auto& g : backends::run_config_groups())
    BOOST_TEST(table.find("| `" + g.name + "` |") != std::string::npos, g.name);
  BOOST_TEST(table.find("| `engine` | object, see [engine](#engine) |") != std::string::npos);
  BOOST_TEST(table.find("selects the fully analog mode") != std::string::npos);
  // The introduction points to the section instead of listing the groups itself.
  BOOST_TEST(doc.find("listed in [run](#run)") < at);
  std::ifstream in(source_dir() + "/docs/config.md");
  std::stringstream ss;
  ss << in.rdbuf();
  BOOST_TEST(ss.str() == doc);  // test_sc_config_doc writes the regenerated file when stale
}
