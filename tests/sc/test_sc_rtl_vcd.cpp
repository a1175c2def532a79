// RTL mode through the AcceleratorModel with the VCD option on: every RTL tile writes its
// Verilated VCD (<vcd_path>.<tile>.rtl.vcd) next to the SystemC VCD of the same run, on the
// same time base. Both files are read by an independent Python reader (check_rtl_vcd.py, which
// reuses check_traces.py's): the Verilated clock's rising edges are the SystemC VCD's
// <tile>.rtl_clk edges, one per RTL cycle of the tile while the file was open, and the
// controller's done rises once per operation. The outputs of the two-layer network equal the
// core engine's (the RTL tiles are bit-exact here), and the summary reports the RTL figures.
#define BOOST_TEST_MODULE memtile sc rtl vcd
#include <boost/test/unit_test.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "Harness.hpp"
#include "memtile/core/MatrixEngine.hpp"
#include "memtile/sc/tile/Accelerator.hpp"

using namespace memtile;
namespace fs = std::filesystem;

using memtile::test::NoSystemCWarnings;
BOOST_TEST_GLOBAL_FIXTURE(NoSystemCWarnings);

namespace {
std::string out_dir() {
  const char* b = std::getenv("MEMTILE_BINARY_DIR");
  fs::path d = fs::path(b ? b : ".") / "test_out" / "sc_rtl_vcd";
  fs::remove_all(d);
  fs::create_directories(d);
  return d.string();
}
std::string source_dir() {
  const char* s = std::getenv("MEMTILE_SOURCE_DIR");
  return s ? s : MEMTILE_TEST_SOURCE_DIR;
}
}  // namespace

BOOST_AUTO_TEST_CASE(verilated_vcd_next_to_systemc_vcd_same_time_base) {
  const std::string dir = out_dir();
  core::TileConfig tc;
  tc.adc_mux = 4;
  tc.clock_ghz = 1.25;  // 800 ps period: 400 ps half periods, exact at 1 ps resolution
  tc.rtl = {true, true, true, true};
  core::TraceConfig tr;
  tr.vcd_path = dir + "/run";
  tr.trace_vectors = 2;
  core::EngineConfig c1;
  c1.array_rows = c1.array_cols = 16;
  c1.var = 0.05;
  c1.seed = 5;
  core::EngineConfig c2 = c1;
  c2.mode = core::EngineMode::FloatingPoint;
  c2.array_rows = c2.array_cols = 8;
  c2.seed = 6;
  const Eigen::MatrixXd W1 = test::random_matrix(24, 12, 1), W2 = test::random_matrix(12, 6, 2);
  core::ProgrammedMatrix r1 = core::MatrixEngine(c1).program(W1), r2 = core::MatrixEngine(c2).program(W2);

  sc::AcceleratorModel model(tc, {}, tr);
  model.add_layer("fc1", W1, c1, {core::NeuronKind::Relu});
  model.add_layer("fc2", W2, c2);
  const Eigen::MatrixXd X = test::random_matrix(3, 24, 3), X2 = test::random_matrix(2, 24, 4);
  const sc::RunResult r = model.run(X);
  // The Verilated files hold the traced vectors (the first 2 of this 3-vector batch) and are
  // closed after them.
  std::uint64_t edges[2], ops[2];
  for (int l = 0; l < 2; ++l) {
    const sc::TileStats st = model.tile(l).stats();
    edges[l] = st.rtl_traced_cycles;
    ops[l] = st.rtl_traced_operations;
    BOOST_TEST(edges[l] > 0u);
    BOOST_TEST(edges[l] < st.rtl_cycles);  // closed in the middle of the batch
    // program + 2 vectors x ceil(out_features / 4) groups
    BOOST_TEST(ops[l] == 1 + 2 * static_cast<std::uint64_t>((model.tile(l).geometry().out_features() + 3) / 4));
    BOOST_TEST(model.tile(l).rtl());
    BOOST_TEST(model.tile(l).rtl_vcd_path() == tr.vcd_path + "." + model.layer_name(l) + ".rtl.vcd");
  }
  const sc::RunResult rb = model.run(X2);
  for (int l = 0; l < 2; ++l)  // the RTL kept running, the files stayed closed
    BOOST_TEST(model.tile(l).stats().rtl_traced_cycles == edges[l]);

  const Eigen::MatrixXd want = r2.multiply(r1.multiply(X).cwiseMax(0.0));
  BOOST_TEST((r.y.array() == want.array()).all(), "max |diff| = " << (r.y - want).cwiseAbs().maxCoeff());
  const Eigen::MatrixXd want2 = r2.multiply(r1.multiply(X2).cwiseMax(0.0));
  BOOST_TEST((rb.y.array() == want2.array()).all());

  const nlohmann::json s = model.summary();
  for (int l = 0; l < 2; ++l) {
    BOOST_TEST(s["layers"][l]["rtl"]["cycles"].get<std::uint64_t>() == model.tile(l).stats().rtl_cycles);
    BOOST_TEST(s["layers"][l]["rtl"]["vcd"].get<std::string>() == model.tile(l).rtl_vcd_path());
  }
  BOOST_TEST(s["tile_config"]["rtl"]["sar_adc"].get<bool>());
  model.close_traces();

  for (int l = 0; l < 2; ++l) {
    BOOST_TEST(fs::file_size(model.tile(l).rtl_vcd_path()) > 0u);
    const std::string cmd = std::string(MEMTILE_TEST_PYTHON) + " " + source_dir() + "/tests/sc/check_rtl_vcd.py " +
                            tr.vcd_path + ".vcd " + model.tile(l).rtl_vcd_path() + " " + model.layer_name(l) + " " +
                            std::to_string(edges[l]) + " " + std::to_string(ops[l]) + " 800";
    BOOST_TEST_MESSAGE(cmd);
    BOOST_TEST(std::system(cmd.c_str()) == 0);
  }
}
