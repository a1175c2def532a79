// docs/config.md is generated from the parameter tables: this test fails when the two differ
// (like the register map's doc test) and writes the regenerated file to <build>/config.md.
// Also: the table drives JSON in/out and the messages name the file and the dotted field with
// values in engineering notation.
#include <boost/test/unit_test.hpp>

#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>

#include "memtile/core/ConfigDoc.hpp"
#include "memtile/core/EngineConfig.hpp"
#include "memtile/core/Errors.hpp"
#include "memtile/core/ParamTable.hpp"

using namespace memtile::core;

namespace {
std::string env(const char* k, const char* fallback) {
  const char* v = std::getenv(k);
  return v ? v : fallback;
}
std::string error_of(const nlohmann::json& j, const std::string& source) {
  try {
    EngineConfig c;
    apply_json(c, j, source);
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}
}  // namespace

BOOST_AUTO_TEST_SUITE(config_table)

BOOST_AUTO_TEST_CASE(config_doc_starts_with_the_core_sections) {
  // The whole file is compared in test_sc_config_doc, which sees every table; here the core's
  // sections (engine, tile, energy, trace), so a stale core table fails the core suite too.
  const std::string path = env("MEMTILE_SOURCE_DIR", ".") + "/docs/config.md";
  std::ifstream in(path);
  BOOST_REQUIRE_MESSAGE(in.good(), "cannot open " << path);
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string want = config_reference_markdown();
  BOOST_TEST_MESSAGE("regenerate with test_sc_config_doc");
  BOOST_TEST(ss.str().compare(0, want.size(), want) == 0, "docs/config.md's core sections are stale (run test_sc_config_doc)");
}

BOOST_AUTO_TEST_CASE(engineering_notation) {
  BOOST_TEST(eng(1e-9) == "1e-9");
  BOOST_TEST(eng(1e-7) == "100e-9");
  BOOST_TEST(eng(0.05) == "50e-3");
  BOOST_TEST(eng(1024) == "1.024e3");
  BOOST_TEST(eng(2.5) == "2.5");
  BOOST_TEST(eng(-3.3e-12) == "-3.3e-12");
  BOOST_TEST(eng(0) == "0");
  BOOST_TEST(eng(999.9999999) == "1e3");
}

BOOST_AUTO_TEST_CASE(messages_name_file_and_dotted_field_in_engineering_notation) {
  // The example: HGS below LGS in a run configuration's engine group.
  const std::string e = error_of(nlohmann::json{{"HGS", 1e-9}}, "run.json: engine");
  BOOST_TEST(e == "run.json: engine.HGS: must be greater than LGS (HGS 1e-9 S <= LGS 100e-9 S)");
  BOOST_TEST(error_of(nlohmann::json{{"var", 7.5}}, "cfg.json") == "cfg.json: var: must be [0, 5], got 7.5");
  BOOST_TEST(error_of(nlohmann::json{{"vread", -0.1}}, "cfg.json") == "cfg.json: vread: must be > 0 V, got -100e-3");
  BOOST_TEST(error_of(nlohmann::json{{"mode", "analog"}}, "cfg.json") ==
             "cfg.json: mode: 'analog' is not one of bitslice, diffpair, fp");
  BOOST_TEST(error_of(nlohmann::json{{"radc", 1}}, "cfg.json") == "cfg.json: radc: must be 2 .. 2^30, got 1");
  BOOST_TEST(error_of(nlohmann::json{{"bogus", 1}}, "cfg.json").find("cfg.json: bogus: unknown key (known: mode, ") == 0u);
}

BOOST_AUTO_TEST_CASE(every_row_round_trips_through_json) {
  // Every row's value written and read back; defaults from a default-constructed struct.
  const EngineConfig d;
  const nlohmann::json j = to_json(d);
  BOOST_TEST(j.size() == engine_params().size());
  for (const auto& p : engine_params()) BOOST_TEST(j.contains(p.name), p.name);
  EngineConfig c;
  c.mode = EngineMode::FloatingPoint;
  c.seed = 18446744073709551615ull;
  c.HGS = 2e-5;
  c.array_cols = 64;
  c.xblk = {2, 2, 4};
  c.adc_full_scale = AdcFullScale::Calibrated;
  c.drift_t0_s = 3;
  EngineConfig back;
  apply_json(back, to_json(c), "t");
  BOOST_TEST(to_json(back) == to_json(c));
  // Flag names are unique and every row has doc, unit or range text.
  std::set<std::string> flags;
  for (const auto& p : engine_params()) {
    BOOST_TEST(!p.doc.empty(), p.name);
    BOOST_TEST(!p.range.empty(), p.name);
    if (!p.flag.empty()) BOOST_TEST(flags.insert(p.flag).second, p.flag);
  }
}

BOOST_AUTO_TEST_SUITE_END()
