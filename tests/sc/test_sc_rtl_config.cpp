// TileConfig::rtl: defaults (all behavioural), JSON parsing with named-field errors, round
// trip, and the switches that cannot apply rejected before elaboration with an InputError
// naming tile.rtl and the reason (calibrated ADC full scale, software engine, flash ADC).
#define BOOST_TEST_MODULE memtile sc rtl config
#include <boost/test/unit_test.hpp>
#include <nlohmann/json.hpp>

#include "Harness.hpp"
#include "memtile/core/Errors.hpp"
#include "memtile/core/MatrixEngine.hpp"
#include "memtile/sc/tile/Accelerator.hpp"

using namespace memtile;

using memtile::test::NoSystemCWarnings;
BOOST_TEST_GLOBAL_FIXTURE(NoSystemCWarnings);

namespace {
// Passes if f throws InputError whose message contains every one of `parts`.
template <class F>
void expect_error(F f, std::initializer_list<std::string> parts) {
  try {
    f();
  } catch (const core::InputError& e) {
    BOOST_TEST_INFO("message: " << e.what());
    for (const std::string& p : parts) BOOST_TEST(std::string(e.what()).find(p) != std::string::npos, p);
    return;
  }
  BOOST_ERROR("no InputError for " + *parts.begin());
}
core::TileConfig parse(const char* text) {
  core::TileConfig t;
  core::apply_json(t, nlohmann::json::parse(text), "run.json");
  return t;
}
}  // namespace

BOOST_AUTO_TEST_CASE(defaults_are_behavioural_and_json_round_trips) {
  const core::TileConfig d;
  BOOST_TEST(!d.rtl.any());
  BOOST_TEST(!d.rtl.controller);
  BOOST_TEST(!d.rtl.sar_adc);
  BOOST_TEST(!d.rtl.shift_add);
  BOOST_TEST(!d.rtl.accumulator);
  const core::TileConfig t = parse(R"({"rtl": {"sar_adc": true, "accumulator": true}})");
  BOOST_TEST(t.rtl.sar_adc);
  BOOST_TEST(t.rtl.accumulator);
  BOOST_TEST(!t.rtl.controller);
  BOOST_TEST(!t.rtl.shift_add);
  BOOST_TEST(t.rtl.any());
  BOOST_TEST(!t.rtl.all());
  core::TileConfig u;
  core::apply_json(u, core::to_json(t), "");
  BOOST_TEST(core::to_json(u) == core::to_json(t));
  BOOST_TEST(core::to_json(d)["rtl"]["controller"].get<bool>() == false);
  const core::TileConfig a = parse(R"({"rtl": {"controller": true, "sar_adc": true, "shift_add": true, "accumulator": true}})");
  BOOST_TEST(a.rtl.all());
}

BOOST_AUTO_TEST_CASE(json_errors_name_the_field) {
  expect_error([] { parse(R"({"rtl": {"adder": true}})"); }, {"run.json: tile.rtl.adder", "unknown key"});
  expect_error([] { parse(R"({"rtl": {"sar_adc": 1}})"); }, {"run.json: tile.rtl.sar_adc", "must be true or false"});
  expect_error([] { parse(R"({"rtl": true})"); }, {"run.json: tile.rtl", "must be a JSON object"});
}

BOOST_AUTO_TEST_CASE(switches_that_cannot_apply_are_rejected_before_elaboration) {
  core::TileConfig tc;
  tc.rtl.shift_add = true;
  core::EngineConfig cal;
  cal.adc_full_scale = core::AdcFullScale::Calibrated;
  expect_error([&] { tc.validate(cal); }, {"tile.rtl", "calibrated", "integer_form not applicable"});
  core::EngineConfig sw;
  sw.software = true;
  expect_error([&] { tc.validate(sw); }, {"tile.rtl", "software"});
  core::TileConfig flash = tc;
  flash.adc_kind = core::AdcKind::Flash;
  expect_error([&] { flash.validate(core::EngineConfig{}); }, {"tile.rtl", "adc_kind"});

  // Through the model: add_layer (model-wide switch) and set_layer_rtl (per layer).
  sc::AcceleratorModel model(tc);
  expect_error([&] { model.add_layer("cal", Eigen::MatrixXd::Ones(8, 8), cal); }, {"tile.rtl", "calibrated"});
  sc::AcceleratorModel per_layer;
  per_layer.add_layer("cal", Eigen::MatrixXd::Ones(8, 8), cal);  // behavioural: fine
  expect_error([&] { per_layer.set_layer_rtl(0, core::RtlConfig{false, true, false, false}); }, {"tile.rtl", "calibrated"});
  expect_error([&] { per_layer.set_layer_rtl(3, core::RtlConfig{}); }, {"layer", "out of range"});
  // A programmed matrix with a calibrated full scale, given directly.
  core::ProgrammedMatrix pm = core::MatrixEngine(cal).program(test::random_matrix(16, 8, 3));
  expect_error([&] { model.add_layer("pm", std::move(pm)); }, {"tile.rtl", "calibrated"});
  // A valid layer is accepted (no elaboration in this executable).
  BOOST_CHECK_NO_THROW(model.add_layer("ok", test::random_matrix(16, 8, 4), core::EngineConfig{}));
}
