// Traces and reports through the AcceleratorModel (a two-layer network): the VCD is checked by
// an independent Python reader, the Perfetto JSON with Python's json module, against the
// operations performed; the summary JSON/CSV against the tiles' statistics.
#define BOOST_TEST_MODULE memtile sc traces
#include <boost/test/unit_test.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "Harness.hpp"
#include "memtile/sc/tile/Accelerator.hpp"

using namespace memtile;
namespace fs = std::filesystem;

using memtile::test::NoSystemCWarnings;
BOOST_TEST_GLOBAL_FIXTURE(NoSystemCWarnings);

namespace {
std::string out_dir() {
  const char* b = std::getenv("MEMTILE_BINARY_DIR");
  fs::path d = fs::path(b ? b : ".") / "test_out" / "sc_traces";
  fs::create_directories(d);
  return d.string();
}
std::string source_dir() {
  const char* s = std::getenv("MEMTILE_SOURCE_DIR");
  return s ? s : MEMTILE_TEST_SOURCE_DIR;
}
}  // namespace

BOOST_AUTO_TEST_CASE(two_layer_run_with_traces_and_reports) {
  const std::string dir = out_dir();
  core::TraceConfig tr;
  tr.vcd_path = dir + "/run";
  tr.perfetto_path = dir + "/run.perfetto.json";
  tr.trace_vectors = 3;
  tr.adc_trace_column = 5;
  sc::AcceleratorModel model({}, {}, tr);
  core::EngineConfig c0;
  c0.seed = 1;
  c0.vnoise = 0.001;
  core::EngineConfig c1;
  c1.mode = core::EngineMode::DiffPair;
  c1.array_rows = c1.array_cols = 16;
  c1.seed = 2;
  const Eigen::MatrixXd W0 = test::random_matrix(100, 70, 1), W1 = test::random_matrix(70, 10, 2);
  core::NeuronConfig relu;
  relu.kind = core::NeuronKind::Relu;
  core::NeuronConfig imac;
  imac.kind = core::NeuronKind::ImacSigmoid;
  model.add_layer("fc1", W0, c0, relu);
  model.add_layer("fc2", W1, c1, imac);

  // Reference: the core engine, layer by layer, with the same activations.
  core::ProgrammedMatrix r0 = core::MatrixEngine(c0).program(W0), r1 = core::MatrixEngine(c1).program(W1);
  const core::NeuronModel nrelu{relu}, nimac{imac};
  auto reference = [&](const Eigen::MatrixXd& X) {
    Eigen::MatrixXd h = r0.multiply(X).unaryExpr([&](double v) { return nrelu.apply(v); });
    return Eigen::MatrixXd(r1.multiply(h).unaryExpr([&](double v) { return nimac.apply(v); }));
  };
  const Eigen::MatrixXd X1 = test::random_matrix(5, 100, 10), X2 = test::random_matrix(4, 100, 11);
  const sc::RunResult a = model.run(X1);
  BOOST_TEST((a.y.array() == reference(X1).array()).all());
  const sc::RunResult b = model.run(X2, 2);  // two chunks pipelined through the layers
  BOOST_TEST((b.y.array() == reference(X2).array()).all());
  BOOST_TEST(b.start_ns >= a.end_ns);
  BOOST_TEST(a.end_ns > a.start_ns);
  BOOST_TEST(a.energy_pj > 0.0);
  BOOST_TEST((a.y.array() >= 0.0).all());
  BOOST_TEST((a.y.array() <= 1.0).all());

  const std::string sum_json = dir + "/summary.json", sum_csv = dir + "/summary.csv";
  model.write_summary_json(sum_json);
  model.write_summary_csv(sum_csv);
  const nlohmann::json s = model.summary();
  BOOST_TEST(s["layers"].size() == 2u);
  BOOST_TEST(s["layers"][0]["hpar"] == 4);
  BOOST_TEST(s["layers"][0]["vpar"] == 3);
  BOOST_TEST(s["layers"][1]["hpar"] == 5);
  BOOST_TEST(s["layers"][0]["vectors"] == 9);
  BOOST_TEST(s["total"]["tops_per_w"].get<double>() > 0.0);
  // Each run is charged what its tiles spent (inference_energy_pj across it): both runs, all of it.
  const double spent_pj =
      s["layers"][0]["energy_pj"]["inference"].get<double>() + s["layers"][1]["energy_pj"]["inference"].get<double>();
  BOOST_TEST(a.energy_pj + b.energy_pj == spent_pj, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(a.energy_pj < spent_pj);
  double sum = 0;
  for (const char* k : {"dac", "crossbar", "adc", "sample_hold", "shift_add", "reduce", "neuron", "program"})
    sum += s["layers"][0]["energy_pj"][k].get<double>();
  BOOST_TEST(sum == s["layers"][0]["energy_pj"]["total"].get<double>(), boost::test_tools::tolerance(1e-12));
  {
    std::ifstream f(sum_csv);
    std::string line;
    int lines = 0;
    while (std::getline(f, line)) ++lines;
    BOOST_TEST(lines == 3);  // header + 2 layers
  }

  // Expected trace contents: the first 3 vectors of each layer's stream are traced.
  nlohmann::json expect;
  expect["tiles"] = nlohmann::json::array();
  for (int l = 0; l < 2; ++l) {
    const sc::Tile& t = model.tile(l);
    const auto& lay = s["layers"][l];
    expect["tiles"].push_back({{"name", model.layer_name(l)},
                               {"input_slices", t.geometry().input_slices},
                               {"hpar", t.geometry().hpar()},
                               {"traced_vectors", 3},
                               {"neuron_ops", 3},
                               {"batches", t.stats().batches},
                               {"adc_codes", l == 0},
                               {"stage_latency_ns", lay["stage_latency_ns"]}});
  }
  BOOST_TEST(model.tile(1).stats().batches == 3u);  // one batch, then two chunks
  const std::string exp_path = dir + "/expect.json";
  std::ofstream(exp_path) << expect.dump(2);
  model.close_traces();

  const std::string cmd = "python3 " + source_dir() + "/tests/sc/check_traces.py " + tr.vcd_path + ".vcd " +
                          tr.perfetto_path + " " + sum_json + " " + exp_path;
  BOOST_TEST_MESSAGE(cmd);
  BOOST_TEST(std::system(cmd.c_str()) == 0);
}
