// Invalid configurations are rejected at construction/elaboration with an InputError naming
// the field; the shipped energy table equals the built-in defaults; JSON round trips.
#define BOOST_TEST_MODULE memtile sc config
#include <boost/test/unit_test.hpp>
#include <nlohmann/json.hpp>

#include "Harness.hpp"
#include "memtile/core/Errors.hpp"
#include "memtile/sc/tile/Accelerator.hpp"

using namespace memtile;

using memtile::test::NoSystemCWarnings;
BOOST_TEST_GLOBAL_FIXTURE(NoSystemCWarnings);

namespace {
// Passes if f throws InputError whose message contains `field`.
template <class F>
void expect_field(F f, const std::string& field) {
  try {
    f();
  } catch (const core::InputError& e) {
    BOOST_TEST_INFO("message: " << e.what());
    BOOST_TEST(std::string(e.what()).find(field) != std::string::npos);
    return;
  }
  BOOST_ERROR("no InputError for " + field);
}
std::string source_dir() {
  const char* s = std::getenv("MEMTILE_SOURCE_DIR");
  return s ? s : MEMTILE_TEST_SOURCE_DIR;
}
}  // namespace

BOOST_AUTO_TEST_CASE(tile_config_fields_are_validated) {
  core::EngineConfig e;  // 32x32, radc 1024
  auto bad = [&](auto mutate, const std::string& field) {
    core::TileConfig t;
    mutate(t);
    expect_field([&] { t.validate(e); }, field);
  };
  bad([](core::TileConfig& t) { t.clock_ghz = 0; }, "tile.clock_ghz");
  bad([](core::TileConfig& t) { t.clock_ghz = -1; }, "tile.clock_ghz");
  bad([](core::TileConfig& t) { t.adc_bits = 0; }, "tile.adc_bits");
  bad([](core::TileConfig& t) { t.adc_bits = 17; }, "tile.adc_bits");
  bad([](core::TileConfig& t) { t.adc_bits = 8; }, "tile.adc_bits");  // cannot resolve radc 1024
  bad([](core::TileConfig& t) { t.adc_mux = 3; }, "tile.adc_mux");    // does not divide 32
  bad([](core::TileConfig& t) { t.adc_mux = 0; }, "tile.adc_mux");
  bad([](core::TileConfig& t) { t.dac_settle_ns = -1; }, "tile.dac_settle_ns");
  bad([](core::TileConfig& t) { t.quantum_ns = 0; }, "tile.quantum_ns");
  bad([](core::TileConfig& t) { t.wire.node_nm = 0; }, "tile.wire.node_nm");
  bad([](core::TileConfig& t) { t.read_pulse_ns = -1; }, "tile.read_pulse_ns");
  bad([](core::TileConfig& t) { t.replication = 0; }, "tile.replication");
  bad([](core::TileConfig& t) { t.mapping.replication = 0; }, "tile.mapping.replication");
  bad([](core::TileConfig& t) { t.mapping.layer_replication["fc1"] = -2; }, "tile.mapping.layer_replication.fc1");
  {
    core::TileConfig t;
    expect_field([&] { core::apply_json(t, nlohmann::json::parse(R"({"mapping":{"copies":2}})"), ""); }, "tile.mapping.copies");
    expect_field([&] { core::apply_json(t, nlohmann::json::parse(R"({"mapping":{"layer_replication":{"fc1":1.5}}})"), ""); },
                 "tile.mapping.layer_replication.fc1");
    expect_field([&] { core::apply_json(t, nlohmann::json::parse(R"({"adc_extra_cycles":1})"), ""); }, "tile.adc_extra_cycles");
  }
  core::EngineConfig big = e;
  big.radc = 1 << 17;
  expect_field([&] { core::TileConfig().validate(big); }, "tile.adc_bits");
  core::TileConfig ok;
  ok.adc_mux = 32;
  BOOST_CHECK_NO_THROW(ok.validate(e));
}

BOOST_AUTO_TEST_CASE(energy_and_neuron_fields_are_validated) {
  core::EnergyTable t;
  t.adc_energy_pj = -1;
  expect_field([&] { t.validate(); }, "energy.adc.energy_per_conversion_pj");
  core::EnergyTable u;
  expect_field([&] { core::apply_json(u, nlohmann::json::parse(R"({"dac":{"area_1bit_um2":-0.1}})"), ""); },
               "energy.dac.area_1bit_um2");
  expect_field([&] { core::apply_json(u, nlohmann::json::parse(R"({"adc":{"energy_pj":1}})"), ""); }, "energy.adc.energy_pj");
  expect_field([] { core::EnergyTable v; core::apply_json(v, nlohmann::json::parse(R"({"adc":{"sample_rate_gsps":0}})"), ""); },
               "energy.adc.sample_rate_gsps");
  expect_field([] { core::EnergyTable v; core::apply_json(v, nlohmann::json::parse(R"({"shift_add":{"units_per_adc":-1}})"), ""); },
               "energy.shift_add.units_per_adc");
  expect_field([&] { core::apply_json(u, nlohmann::json::parse(R"({"crossbar":{"read_energy_model":"magic"}})"), ""); },
               "read_energy_model");
  core::NeuronConfig n;
  n.kind = core::NeuronKind::ImacSigmoid;
  n.vdd_v = -1;
  expect_field([&] { n.validate(); }, "neuron.vdd_v");
  expect_field([] { core::parse_neuron_kind("softmax"); }, "neuron.kind");
  core::TileConfig tc;
  expect_field([&] { core::apply_json(tc, nlohmann::json::parse(R"({"clock_ghz":0})"), ""); }, "tile.clock_ghz");
  expect_field([&] { core::apply_json(tc, nlohmann::json::parse(R"({"clockk":1})"), ""); }, "tile.clockk");
  expect_field([&] { core::apply_json(tc, nlohmann::json::parse(R"({"wire":{"node":9}})"), ""); }, "tile.wire.node");
}

BOOST_AUTO_TEST_CASE(shipped_energy_table_equals_the_defaults) {
  core::EnergyTable file;
  core::apply_json_file(file, source_dir() + "/configs/energy/isaac32nm.json");
  nlohmann::json a = core::to_json(file), b = core::to_json(core::EnergyTable{});
  for (auto* j : {&a, &b})
    for (auto& [k, v] : j->items())
      if (v.is_object()) v.erase("source");
  BOOST_TEST(a == b, a.dump() << " vs " << b.dump());
  BOOST_TEST(file.sources.size() == 7u);
  // Round trip of the tile config.
  core::TileConfig t;
  t.adc_kind = core::AdcKind::Flash;
  t.adc_mux = 4;
  t.read_pulse_ns = 5;
  t.gate_unused = true;
  t.mapping.layer_replication["fc1"] = 3;
  t.mapping.layer_pipeline = true;
  t.mapping.array_budget = 96;
  core::TileConfig u;
  core::apply_json(u, core::to_json(t), "");
  BOOST_TEST(core::to_json(u) == core::to_json(t));
}

sc::AcceleratorModel*& late_model() {
  static sc::AcceleratorModel* m = nullptr;
  return m;
}

BOOST_AUTO_TEST_CASE(batch_of_takes_only_writes_carrying_a_batch) {
  // What a tile's `in`, the model's sink and the top's collector accept (send_batch's writes).
  sc::JobExtension job;
  job.data = std::make_shared<Eigen::MatrixXd>(Eigen::MatrixXd::Ones(1, 2));
  tlm::tlm_generic_payload tx;
  tx.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
  tx.set_command(tlm::TLM_WRITE_COMMAND);
  BOOST_TEST(sc::batch_of(tx) == nullptr);  // no extension
  BOOST_TEST(tx.get_response_status() == tlm::TLM_COMMAND_ERROR_RESPONSE);
  tx.set_extension(&job);
  tx.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
  BOOST_TEST(sc::batch_of(tx) == &job);
  BOOST_TEST(tx.get_response_status() == tlm::TLM_INCOMPLETE_RESPONSE);  // the receiver answers
  tx.set_command(tlm::TLM_READ_COMMAND);
  BOOST_TEST(sc::batch_of(tx) == nullptr);
  BOOST_TEST(tx.get_response_status() == tlm::TLM_COMMAND_ERROR_RESPONSE);
  tx.set_command(tlm::TLM_WRITE_COMMAND);
  job.data.reset();
  BOOST_TEST(sc::batch_of(tx) == nullptr);  // an extension without data
  tx.clear_extension(&job);
}

BOOST_AUTO_TEST_CASE(model_rejects_bad_layers_before_elaboration_then_runs) {
  core::TileConfig t;
  t.adc_mux = 5;
  sc::AcceleratorModel bad_model(t);
  core::EngineConfig e;
  expect_field([&] { bad_model.add_layer("l0", Eigen::MatrixXd::Ones(8, 8), e); }, "tile.adc_mux");
  expect_field([] { core::TileConfig z; z.clock_ghz = 0; sc::AcceleratorModel m(z); }, "tile.clock_ghz");
  {
    core::TileConfig z;
    z.mapping.layer_replication["nope"] = 2;  // names no layer: refused before anything is built
    sc::AcceleratorModel m(z);
    m.add_layer("l0", Eigen::MatrixXd::Ones(8, 8), e);
    expect_field([&] { m.elaborate(); }, "tile.mapping.layer_replication.nope");
  }

  static sc::AcceleratorModel model;  // outlives this case: the next one uses it after the run
  model.add_layer("l0", Eigen::MatrixXd::Ones(8, 6), e);
  expect_field([&] { model.add_layer("l1", Eigen::MatrixXd::Ones(5, 3), e); }, "layer l1");
  expect_field([&] { model.add_layer("l0", Eigen::MatrixXd::Ones(6, 3), e); }, "layer l0");
  expect_field([&] { model.run(Eigen::MatrixXd::Ones(2, 7)); }, "inputs");
  Eigen::MatrixXd nan = Eigen::MatrixXd::Ones(2, 8);
  nan(0, 0) = std::nan("");
  expect_field([&] { model.run(nan); }, "inputs");
  const sc::RunResult r = model.run(Eigen::MatrixXd::Ones(2, 8));
  BOOST_TEST(r.y.rows() == 2);
  late_model() = &model;
}

// Errors thrown after sc_start(): under AddressSanitizer this case is skipped (tests/sc/
// CMakeLists.txt): SystemC's coroutine stacks carry no ASan fiber annotations, so ASan's
// __asan_handle_no_return cannot clear the stack on a throw after the simulation ran and
// reports a false stack-use-after-scope (google/sanitizers#189).
BOOST_AUTO_TEST_CASE(model_refuses_changes_after_simulation) {
  BOOST_REQUIRE(late_model() != nullptr);
  core::EngineConfig e;
  expect_field([&] { late_model()->add_layer("late", Eigen::MatrixXd::Ones(6, 2), e); }, "before the model is elaborated");
  // A second model in the same process is refused (one elaboration per process).
  sc::AcceleratorModel second;
  second.add_layer("x", Eigen::MatrixXd::Ones(4, 4), e);
  expect_field([&] { second.run(Eigen::MatrixXd::Ones(1, 4)); }, "one elaboration per process");
}
