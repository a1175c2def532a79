// The lower bound of a workload on the machine it runs on, measured in the same run: the
// float32 GEMMs of exactly the crossbar reads the engine performs (every row block, every
// slice pair, the used rows only), with the build's SIMD via Eigen, plus one fused
// scale-round-clip-accumulate loop over every converted element, single-threaded, then
// divided by the cores. Not in the bound: encoding, energy counting, programming, im2col and
// the rest of the network (pools, activations), so a simulator cannot reach it; within 2x of
// it is the target.
//
//   speed_bounds --model lenet5.onnx [--config run.json] [--images 64] [--batch 64] [--cores 2]
//   speed_bounds --dot 512 [--config run.json] [--cores 2]
// prints one JSON object: bound seconds per image (or per dot) on 1 and on `cores` cores,
// and (--dot) the measured MatrixEngine::dot time, program + multiply, on resolve_threads.
#include <Eigen/Dense>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include "memtile/core/EngineConfig.hpp"
#include "memtile/core/Errors.hpp"
#include "memtile/core/MatrixEngine.hpp"
#include "memtile/core/Parallel.hpp"
#include "memtile/nn/Dataset.hpp"
#include "memtile/nn/Executor.hpp"
#include "memtile/nn/Graph.hpp"
#include "ProcessMemory.hpp"

using namespace memtile;
using Clock = std::chrono::steady_clock;

namespace {

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

// Best time of one call of f over repeats lasting >= 30 ms in all.
template <typename F>
double best_time_s(F&& f) {
  double best = 1e30, total = 0;
  for (int rep = 0; rep < 1000 && (total < 0.03 || rep < 3); ++rep) {
    const auto t0 = Clock::now();
    f();
    const double t = seconds_since(t0);
    best = std::min(best, t);
    total += t;
  }
  return best;
}

Eigen::MatrixXf randf(Eigen::Index r, Eigen::Index c, unsigned seed) {
  std::mt19937 g(seed);
  std::uniform_real_distribution<float> u(-1.f, 1.f);
  Eigen::MatrixXf m(r, c);
  for (Eigen::Index i = 0; i < m.size(); ++i) m.data()[i] = u(g);
  return m;
}

// One read of a row block: B vectors x `used` rows x N columns, `pairs` slice pairs.
struct Read {
  Eigen::Index B, used, N;
  long pairs;
};

// The bound of a list of reads, single-threaded (s).
double bound_s(const std::vector<Read>& reads) {
  std::map<std::tuple<Eigen::Index, Eigen::Index, Eigen::Index>, double> gemm_s, conv_s;
  double total = 0;
  for (const Read& r : reads) {
    const auto key = std::make_tuple(r.B, r.used, r.N);
    if (!gemm_s.count(key)) {
      const Eigen::MatrixXf V = randf(r.B, r.used, 1), D = randf(r.used, r.N, 2);
      Eigen::MatrixXf I(r.B, r.N), acc = Eigen::MatrixXf::Zero(r.B, r.N);
      gemm_s[key] = best_time_s([&] { I.noalias() = V * D; });
      // The fused conversion: scale, round (half even), clip, scale, accumulate; one pass.
      const Eigen::RowVectorXf k = Eigen::RowVectorXf::Constant(r.N, 37.f), u = Eigen::RowVectorXf::Constant(r.N, 0.5f);
      conv_s[key] = best_time_s([&] {
        acc.array() += 2.f * ((((I.array().rowwise() * k.array()) + 12582912.f) - 12582912.f).max(-512.f).min(511.f).rowwise() * u.array());
      });
      volatile float sink = acc(0, 0) + I(0, 0);
      (void)sink;
    }
    total += static_cast<double>(r.pairs) * (gemm_s[key] + conv_s[key]);
  }
  return total;
}

// Records the reads the engine will do for each layer call (the network runs on exact floats).
class ShapeBackend : public nn::MatMulBackend {
 public:
  explicit ShapeBackend(const core::EngineConfig& cfg) : cfg_(cfg) {}
  void program(const nn::WeightedLayer& layer, const Eigen::MatrixXd& W) override {
    ideal_.program(layer, W);
    core::EngineConfig c = cfg_;
    c.seed += static_cast<std::uint64_t>(layer.id);
    const core::ProgrammedMatrix pm = core::MatrixEngine(c).program(W);
    Layer l{W.rows(), W.cols(), {}};
    const long nx = cfg_.mode == core::EngineMode::DiffPair ? 1 : static_cast<long>(pm.input_plan().slices.size());
    for (int kb = 0; kb < pm.row_blocks(); ++kb)
      l.pairs.push_back(cfg_.software ? 1 : nx * static_cast<long>(pm.block(kb).slices.size()));
    if (static_cast<int>(layers_.size()) <= layer.id) layers_.resize(static_cast<std::size_t>(layer.id) + 1);
    layers_[static_cast<std::size_t>(layer.id)] = l;
  }
  Eigen::MatrixXd multiply(const nn::WeightedLayer& layer, const Eigen::MatrixXd& X) override {
    const Layer& l = layers_[static_cast<std::size_t>(layer.id)];
    const int r = cfg_.software ? static_cast<int>(l.K) : cfg_.array_rows;
    for (std::size_t kb = 0; kb < l.pairs.size(); ++kb) {
      const Eigen::Index used = std::min<Eigen::Index>(r, l.K - static_cast<Eigen::Index>(kb) * r);
      reads.push_back({X.rows(), cfg_.software ? l.K : used, l.N, l.pairs[kb]});
      if (cfg_.software) break;
    }
    return ideal_.multiply(layer, X);
  }
  std::vector<Read> reads;

 private:
  struct Layer {
    Eigen::Index K, N;
    std::vector<long> pairs;
  };
  core::EngineConfig cfg_;
  nn::IdealBackend ideal_;
  std::vector<Layer> layers_;
};

}  // namespace

int main(int argc, char** argv) {
  cli::tune_memory(argc, argv);  // the dot is timed as `memtile dot` runs it
  try {
    std::string model, config;
    int images = 64, batch = 64, cores = 2, dot = 0;
    for (int a = 1; a < argc; ++a) {
      const std::string k = argv[a];
      auto next = [&]() -> std::string {
        core::require(a + 1 < argc, k, "needs a value");
        return argv[++a];
      };
      if (k == "--model") model = next();
      else if (k == "--config") config = next();
      else if (k == "--images") images = std::stoi(next());
      else if (k == "--batch") batch = std::stoi(next());
      else if (k == "--cores") cores = std::stoi(next());
      else if (k == "--dot") dot = std::stoi(next());
      else throw core::InputError(k + ": unknown option");
    }
    core::EngineConfig cfg;
    if (!config.empty()) {
      nlohmann::json j;
      std::ifstream(config) >> j;
      if (j.contains("engine")) core::apply_json(cfg, j["engine"], config);
    }
    cfg.validate();
    nlohmann::json out;
    out["cores"] = cores;
    if (dot > 0) {
      // mPimPy's MapReduceDot: n x n . n x n, program + multiply in one call.
      const Eigen::MatrixXd A = randf(dot, dot, 3).cast<double>(), W = randf(dot, dot, 4).cast<double>();
      core::MatrixEngine engine(cfg);
      const double measured = best_time_s([&] {
        volatile double s = engine.dot(A, W)(0, 0);
        (void)s;
      });
      const core::ProgrammedMatrix pm = engine.program(W);
      std::vector<Read> reads;
      const long nx = static_cast<long>(pm.input_plan().slices.size());
      for (int kb = 0; kb < pm.row_blocks(); ++kb)
        reads.push_back({dot, std::min<Eigen::Index>(cfg.array_rows, dot - static_cast<Eigen::Index>(kb) * cfg.array_rows),
                         dot, nx * static_cast<long>(pm.block(kb).slices.size())});
      const double b1 = bound_s(reads);
      out["workload"] = "dot " + std::to_string(dot);
      out["measured_s"] = measured;
      out["threads"] = core::resolve_threads(cfg.threads);
      out["bound_1core_s"] = b1;
      out["bound_s"] = b1 / cores;
    } else {
      core::require(!model.empty(), "--model", "is required (or --dot N)");
      const nn::Graph graph = nn::load_onnx(model);
      const nn::Dataset data = nn::open_dataset("fashion-mnist");
      ShapeBackend shapes(cfg);
      nn::Executor exec(graph, shapes);
      nn::Tensor x;
      std::vector<int> labels;
      for (int b0 = 0; b0 < images; b0 += batch) {
        data.batch(b0, std::min(batch, images - b0), x, labels);
        exec.run(x);
      }
      const double b1 = bound_s(shapes.reads) / images;
      out["workload"] = model;
      out["images"] = images;
      out["bound_1core_s_per_image"] = b1;
      out["bound_s_per_image"] = b1 / cores;
      out["bound_images_per_second"] = cores / b1;
    }
    std::cout << out.dump() << "\n";
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "speed_bounds: " << e.what() << "\n";
    return 2;
  }
}
