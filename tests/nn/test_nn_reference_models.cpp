// The trained networks in tb/networks (scripts/train_models.py, PyTorch 1.13) run through the
// executor with IdealBackend on the first 100 Fashion-MNIST test images and must reproduce the
// PyTorch float32 logits stored beside them (<name>_ref_logits.npy) within 1e-4 relative: a
// check against an implementation we did not write.
#define BOOST_TEST_MODULE nn_reference_models
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>

#include "memtile/core/Npy.hpp"
#include "memtile/nn/Dataset.hpp"
#include "memtile/nn/EngineBackend.hpp"
#include "memtile/nn/Executor.hpp"
#include "memtile/nn/Graph.hpp"

namespace fs = std::filesystem;
using namespace memtile::nn;

namespace {
// ctest sets MEMTILE_SOURCE_DIR; a direct run falls back to the configured source tree.
fs::path networks_dir() {
  const char* src = std::getenv("MEMTILE_SOURCE_DIR");
  return fs::path(src ? src : MEMTILE_SOURCE_DIR_DEFAULT) / "tb" / "networks";
}
}  // namespace

BOOST_AUTO_TEST_CASE(pytorch_logits_match) {
  const fs::path dir = networks_dir();
  const Dataset data = open_dataset("fashion-mnist");
  int checked = 0;
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) {
    const std::string file = e.path().filename().string();
    const std::string suffix = "_fmnist.onnx";
    if (file.size() <= suffix.size() || file.compare(file.size() - suffix.size(), suffix.size(), suffix) != 0) continue;
    const std::string name = file.substr(0, file.size() - suffix.size());
    const fs::path ref_path = dir / (name + "_ref_logits.npy");
    if (!fs::exists(ref_path)) {
      BOOST_TEST_MESSAGE(file << ": no " << ref_path.filename() << ", skipped");
      continue;
    }
    const Eigen::MatrixXd ref = memtile::core::read_npy(ref_path.string()).data;
    BOOST_REQUIRE_EQUAL(ref.cols(), 10);
    Graph g = load_onnx(e.path().string());
    IdealBackend backend;
    Executor ex(g, backend);
    const auto batch = data.batch(0, ref.rows());
    const Eigen::MatrixXd got = to_matrix(ex.run(batch.images));
    BOOST_REQUIRE_EQUAL(got.rows(), ref.rows());
    BOOST_REQUIRE_EQUAL(got.cols(), ref.cols());
    const double re = (got - ref).norm() / ref.norm();
    const double max_abs = (got - ref).cwiseAbs().maxCoeff(), scale = ref.cwiseAbs().maxCoeff();
    int agree = 0, correct = 0;
    for (Eigen::Index i = 0; i < ref.rows(); ++i) {
      Eigen::Index a = 0, b = 0;
      got.row(i).maxCoeff(&a);
      ref.row(i).maxCoeff(&b);
      agree += a == b;
      correct += a == batch.labels[static_cast<std::size_t>(i)];
    }
    BOOST_TEST_MESSAGE(name << ": " << g.layers.size() << " weighted matrices, RE " << re << ", max |diff| " << max_abs
                            << " (logit scale " << scale << "), argmax agreement " << agree << "/" << ref.rows()
                            << ", accuracy " << correct << "/" << ref.rows());
    BOOST_CHECK_LE(re, 1e-4);
    BOOST_CHECK_LE(max_abs, 1e-4 * scale);
    BOOST_CHECK_EQUAL(agree, ref.rows());
    ++checked;
    names.push_back(name);
  }
  BOOST_CHECK_MESSAGE(checked >= 1, "no <name>_fmnist.onnx with <name>_ref_logits.npy in " << dir);
  // The networks of issue 7 (scripts/train_models.py) must be among them.
  for (const char* required : {"mlp", "lenet5"})
    BOOST_CHECK_MESSAGE(std::find(names.begin(), names.end(), required) != names.end(),
                        "tb/networks/" << required << "_fmnist.onnx or its reference logits are missing");
}

// Whole test set (label "long"): the float64 executor's accuracy equals the float test accuracy
// PyTorch measured (tb/networks/networks.json) up to a few near-tie flips (float32 vs float64).
BOOST_AUTO_TEST_CASE(full_test_set_accuracy) {
  const fs::path dir = networks_dir();
  std::ifstream in(dir / "networks.json");
  BOOST_REQUIRE_MESSAGE(in, "tb/networks/networks.json is missing");
  const nlohmann::json meta = nlohmann::json::parse(in);
  const Dataset data = open_dataset("fashion-mnist");
  for (const auto& [name, m] : meta.at("models").items()) {
    Graph g = load_onnx((dir / m.at("file").get<std::string>()).string());
    IdealBackend backend;
    Executor ex(g, backend);
    std::int64_t correct = 0;
    for (std::int64_t b = 0; b < data.size(); b += 500) {
      const auto batch = data.batch(b, 500);
      const Eigen::MatrixXd logits = to_matrix(ex.run(batch.images));
      for (Eigen::Index i = 0; i < logits.rows(); ++i) {
        Eigen::Index k = 0;
        logits.row(i).maxCoeff(&k);
        correct += k == batch.labels[static_cast<std::size_t>(i)];
      }
    }
    const double acc = static_cast<double>(correct) / static_cast<double>(data.size());
    const double want = m.at("float_test_accuracy").get<double>();
    BOOST_TEST_MESSAGE(name << ": accuracy " << acc << " on " << data.size() << " images, PyTorch " << want);
    BOOST_CHECK_LE(std::fabs(acc - want), 0.001);
  }
}

// The engine backend taking formed im2col matrices only (as the SystemC tiles do).
class FormedEngineBackend : public EngineBackend {
 public:
  using EngineBackend::EngineBackend;
  bool takes_rows(const WeightedLayer&) const override { return false; }
};

// LeNet-5 on the crossbar engine (read noise on, so the noise keys are exercised too): the
// logits of 64 images are the same bytes for 1 and 2 worker threads and for batches of 1, 16
// and 64 images, with the Conv patches copied by each engine task (the default) or formed as
// im2col matrices cut into pieces of any size (the executor's im2col limit; im2col rows,
// per-vector scales and fixed-order products: nothing depends on how the vectors are grouped).
BOOST_AUTO_TEST_CASE(lenet_engine_bit_identical_for_threads_and_batches) {
  const Graph g = load_onnx((networks_dir() / "lenet5_fmnist.onnx").string());
  const Dataset data = open_dataset("fashion-mnist");
  Eigen::MatrixXd ref;
  struct Case {
    int threads, batch;
    std::int64_t im2col_limit;  // 0: patches copied by the engine's tasks
  };
  for (const Case& c : {Case{1, 1, 0}, Case{1, 16, 0}, Case{1, 64, 0}, Case{2, 1, 0}, Case{2, 16, 0}, Case{2, 64, 0},
                        Case{2, 64, 4 << 20}, Case{2, 64, 1 << 18}, Case{1, 64, 1}, Case{2, 16, 1 << 14}}) {
      const int threads = c.threads, batch = c.batch;
      memtile::core::EngineConfig cfg;
      cfg.vnoise = 0.002;
      cfg.threads = threads;
      std::unique_ptr<EngineBackend> backend =
          c.im2col_limit > 0 ? std::make_unique<FormedEngineBackend>(cfg) : std::make_unique<EngineBackend>(cfg);
      Executor ex(g, *backend);
      if (c.im2col_limit > 0) ex.set_im2col_limit(c.im2col_limit);
      Eigen::MatrixXd y(64, 10);
      for (int b0 = 0; b0 < 64; b0 += batch) y.middleRows(b0, batch) = to_matrix(ex.run(data.batch(b0, batch).images));
      BOOST_TEST_CONTEXT("threads " << threads << ", batch " << batch << ", im2col limit " << c.im2col_limit) {
        if (ref.size() == 0) {
          ref = y;
          continue;
        }
        BOOST_TEST(std::memcmp(ref.data(), y.data(), sizeof(double) * ref.size()) == 0,
                   "max |diff| " << (ref - y).cwiseAbs().maxCoeff());
      }
    }
}

// float32 reads against float64 reads on the same seed (everything else identical): LeNet-5's
// predicted class on 1000 Fashion-MNIST test images agrees on at least 99.9 % of them, for the
// default accelerator and for the ISAAC-like geometry (configs/presets/isaac_like.json), and
// the logits do differ (the setting is applied).
BOOST_AUTO_TEST_CASE(lenet_float32_argmax_agrees_with_float64) {
  const Graph g = load_onnx((networks_dir() / "lenet5_fmnist.onnx").string());
  const Dataset data = open_dataset("fashion-mnist");
  const fs::path presets = networks_dir().parent_path().parent_path() / "configs" / "presets";
  std::ifstream isaac_file(presets / "isaac_like.json");
  BOOST_REQUIRE(isaac_file.good());
  const nlohmann::json isaac = nlohmann::json::parse(isaac_file);
  constexpr std::int64_t kImages = 1000, kBatch = 100;
  for (const char* config : {"default", "isaac_like"}) {
    std::vector<Eigen::MatrixXd> logits;
    for (auto precision : {memtile::core::Precision::Float64, memtile::core::Precision::Float32}) {
      memtile::core::EngineConfig cfg;
      if (std::string(config) == "isaac_like") memtile::core::apply_json(cfg, isaac.at("engine"), "isaac_like.json");
      cfg.seed = 11;
      cfg.precision = precision;
      EngineBackend backend(cfg);
      Executor ex(g, backend);
      Eigen::MatrixXd y(kImages, 10);
      for (std::int64_t b0 = 0; b0 < kImages; b0 += kBatch)
        y.middleRows(b0, kBatch) = to_matrix(ex.run(data.batch(b0, kBatch).images));
      logits.push_back(y);
    }
    int agree = 0;
    for (std::int64_t r = 0; r < kImages; ++r) {
      Eigen::Index a = 0, b = 0;
      logits[0].row(r).maxCoeff(&a);
      logits[1].row(r).maxCoeff(&b);
      agree += a == b;
    }
    BOOST_TEST_CONTEXT(config) {
      BOOST_TEST_MESSAGE(config << ": float32/float64 argmax agreement " << agree << " / " << kImages
                                << ", max |logit diff| " << (logits[0] - logits[1]).cwiseAbs().maxCoeff());
      BOOST_TEST(agree >= 999);
      BOOST_TEST((logits[0] - logits[1]).cwiseAbs().maxCoeff() > 0.0);
    }
  }
}
