// LeNet-5 on the SystemC tiles (AcceleratorBackend, one tile per layer) gives the crossbar
// engine's logits byte for byte (read noise on), with every Conv's patches reaching its tile as a
// row source (no im2col matrix): fused row blocks, and traced batches whose first partition runs
// component by component on the batch the tile forms from the rows. A row source cut into
// chunks gives the same bytes; a non-finite row is refused naming the inputs, and the model
// runs on.
#define BOOST_TEST_MODULE accelerator rows
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <limits>
#include <string>
#include <unistd.h>

#include "../common/NoSystemCWarnings.hpp"
#include "memtile/backends/AcceleratorBackend.hpp"
#include "memtile/core/Errors.hpp"
#include "memtile/nn/Dataset.hpp"
#include "memtile/nn/EngineBackend.hpp"
#include "memtile/nn/Executor.hpp"
#include "memtile/nn/Graph.hpp"

namespace fs = std::filesystem;
using namespace memtile;

using memtile::test::NoSystemCWarnings;
BOOST_TEST_GLOBAL_FIXTURE(NoSystemCWarnings);

namespace {
fs::path networks_dir() {
  const char* src = std::getenv("MEMTILE_SOURCE_DIR");
  return fs::path(src ? src : MEMTILE_SOURCE_DIR_DEFAULT) / "tb" / "networks";
}

Eigen::MatrixXd logits(nn::Executor& ex, const nn::Tensor& images) { return nn::to_matrix(ex.run(images)); }

// Both backends take rows of the same B x K matrix, written block by block.
core::InputRows rows_of(const Eigen::MatrixXd& X, int* calls = nullptr) {
  return [&X, calls](Eigen::Index first, Eigen::Index count, Eigen::Ref<Eigen::MatrixXd> out) {
    BOOST_REQUIRE(first >= 0 && count >= 1 && first + count <= X.rows() && out.cols() == X.cols());
    out = X.middleRows(first, count);
    if (calls) ++*calls;
  };
}

bool same_bytes(const Eigen::MatrixXd& a, const Eigen::MatrixXd& b) {
  return a.rows() == b.rows() && a.cols() == b.cols() && std::memcmp(a.data(), b.data(), sizeof(double) * a.size()) == 0;
}
}  // namespace

// Boost.Test owns main(); libsystemc still references sc_main, which is never called.
int sc_main(int, char*[]) { return 0; }

// One model per process (one SystemC elaboration): both cases use it, in order.
struct Setup {
  nn::Graph g = nn::load_onnx((networks_dir() / "lenet5_fmnist.onnx").string());
  nn::Dataset data = nn::open_dataset("fashion-mnist");
  core::EngineConfig cfg = [] {
    core::EngineConfig c;
    c.vnoise = 0.002;
    c.seed = 5;
    return c;
  }();
  fs::path vcd = fs::temp_directory_path() / ("memtile_accel_rows_" + std::to_string(::getpid()));
  core::TraceConfig trace = [this] {
    core::TraceConfig t;
    t.vcd_path = vcd.string();  // (the model appends .vcd)
    t.trace_vectors = 1000;     // conv1's first batch and conv2's first batches are traced
    return t;
  }();
  backends::AcceleratorBackend tiles{cfg, core::TileConfig{}, core::EnergyTable{}, trace};
  nn::EngineBackend engine{cfg};
  nn::Executor on_tiles{g, tiles}, on_engine{g, engine};
  Eigen::MatrixXd X = Eigen::MatrixXd::Random(45, g.layers.at(1).in_features);  // conv2's inputs
  ~Setup() {
    tiles.model().close_traces();
    std::error_code ec;
    fs::remove(vcd.string() + ".vcd", ec);
  }
};
Setup& setup() {
  static Setup s;
  return s;
}

BOOST_AUTO_TEST_CASE(lenet_tiles_take_conv_patches_as_rows) {
  Setup& s = setup();
  const auto& layers = s.g.layers;
  BOOST_REQUIRE_EQUAL(layers.size(), 5u);
  BOOST_TEST(s.tiles.takes_rows(layers[0]));
  int b0 = 0;
  for (int batch : {3, 16, 9}) {
    const nn::Tensor images = s.data.batch(b0, batch).images;
    b0 += batch;
    BOOST_TEST_CONTEXT("images " << b0 - batch << ".." << b0 - 1) {
      const Eigen::MatrixXd a = logits(s.on_tiles, images), b = logits(s.on_engine, images);
      BOOST_TEST(same_bytes(a, b), "max |diff| " << (a - b).cwiseAbs().maxCoeff());
    }
  }
  // conv2 (K = 150) and fc1 (K = 400) span several row blocks (partitions) of the default arrays.
  BOOST_TEST(s.tiles.model().tile(1).geometry().hpar() > 1);

  // A row source straight into conv2's tile, cut into chunks of 7 vectors (each chunk a view
  // offsetting the rows): the engine's bytes on the same rows, whole.
  const nn::WeightedLayer& conv2 = layers[1];
  int calls = 0;
  const sc::RunResult r = s.tiles.model().run_layer(conv2.id, s.X.rows(), rows_of(s.X, &calls), 7);
  const Eigen::MatrixXd want = s.engine.multiply_rows(conv2, s.X.rows(), rows_of(s.X));
  BOOST_TEST(same_bytes(r.y, want), "max |diff| " << (r.y - want).cwiseAbs().maxCoeff());
  BOOST_TEST(calls == 7);  // one block per chunk: 6 chunks of 7 and one of 3, each one task
  BOOST_TEST(r.end_ns > r.start_ns);
  BOOST_TEST(r.energy_pj > 0);

  // The networks still agree after it.
  const nn::Tensor images = s.data.batch(b0, 4).images;
  const Eigen::MatrixXd a = logits(s.on_tiles, images), b = logits(s.on_engine, images);
  BOOST_TEST(same_bytes(a, b), "max |diff| " << (a - b).cwiseAbs().maxCoeff());
}

// Errors thrown after sc_start(): skipped under AddressSanitizer (tests/backends/CMakeLists.txt),
// whose __asan_handle_no_return cannot clear SystemC's un-annotated coroutine stacks on a throw
// after the simulation ran and then reports a false stack-use-after-scope (google/sanitizers#189).
// A NaN in a row source is refused naming the inputs (after the batch, its time and energy
// spent) and the model runs the next batch; a batch too large to hold is refused before the
// simulation allocates it.
BOOST_AUTO_TEST_CASE(row_source_errors_after_simulation) {
  Setup& s = setup();
  const nn::WeightedLayer& conv2 = s.g.layers.at(1);
  Eigen::MatrixXd bad = s.X;
  bad(40, 3) = std::numeric_limits<double>::quiet_NaN();
  try {
    s.tiles.model().run_layer(conv2.id, bad.rows(), rows_of(bad));
    BOOST_ERROR("a NaN row was accepted");
  } catch (const core::InputError& e) {
    BOOST_TEST(std::string(e.what()).find("inputs") != std::string::npos, e.what());
    BOOST_TEST(std::string(e.what()).find("NaN") != std::string::npos, e.what());
  }
  BOOST_CHECK_THROW(s.tiles.model().run_layer(conv2.id, Eigen::Index(1) << 40, rows_of(s.X)), core::InputError);
  const sc::RunResult after = s.tiles.model().run_layer(conv2.id, s.X.rows(), rows_of(s.X));
  BOOST_TEST(after.y.allFinite());
  BOOST_TEST(after.y.rows() == s.X.rows());
}
