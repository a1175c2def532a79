// MVMs per second through the SystemC tile (AcceleratorModel::run: TLM transactions, the
// pipelined schedule, quantum keeper, sc_start per batch) versus the core engine alone
// (ProgrammedMatrix::multiply) on the same operands in the same run. 128x128 weights on one
// 128x128 array, 8-bit operands in 1-bit slices (8 input x 8 weight slices = 64 array reads
// per vector), hardware form with variation. Prints the overhead ratio per batch size.
// Target (issue 4): tile time / core time <= 1.25.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <map>
#include <string>

#include "memtile/core/MatrixEngine.hpp"
#include "memtile/sc/tile/Accelerator.hpp"

namespace {
using namespace memtile;

core::EngineConfig config() {
  core::EngineConfig c;
  c.array_rows = c.array_cols = 128;
  c.xblk = c.mblk = {1, 1, 1, 1, 1, 1, 1, 1};
  c.seed = 42;
  return c;
}

const Eigen::MatrixXd& weights() {
  static const Eigen::MatrixXd W = [] {
    std::srand(1);
    return Eigen::MatrixXd(Eigen::MatrixXd::Random(128, 128));
  }();
  return W;
}

Eigen::MatrixXd inputs(int batch) {
  std::srand(2 + batch);
  return Eigen::MatrixXd::Random(batch, 128);
}

// One elaboration per process: the model is built once, before the first sc_start.
sc::AcceleratorModel& model() {
  static sc::AcceleratorModel* m = [] {
    auto* p = new sc::AcceleratorModel();
    p->add_layer("fc", weights(), config());
    p->elaborate();
    return p;
  }();
  return *m;
}

void BM_core(benchmark::State& state) {
  core::ProgrammedMatrix pm = core::MatrixEngine(config()).program(weights());
  const Eigen::MatrixXd X = inputs(static_cast<int>(state.range(0)));
  for (auto _ : state) benchmark::DoNotOptimize(pm.multiply(X));
  state.SetItemsProcessed(state.iterations() * state.range(0));
}

void BM_tile(benchmark::State& state) {
  sc::AcceleratorModel& m = model();
  const Eigen::MatrixXd X = inputs(static_cast<int>(state.range(0)));
  for (auto _ : state) benchmark::DoNotOptimize(m.run(X));
  state.SetItemsProcessed(state.iterations() * state.range(0));
}

BENCHMARK(BM_core)->Arg(1)->Arg(16)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_tile)->Arg(1)->Arg(16)->Unit(benchmark::kMicrosecond);

// Collects the time per iteration of every run to print the ratios at the end.
class RatioReporter : public benchmark::ConsoleReporter {
 public:
  std::map<std::string, double> seconds;
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const Run& r : runs)
      // CPU time: both sides are single-threaded, and CPU time is robust against other jobs
      // sharing the machine (wall time is printed by the console reporter as well).
      if (r.run_type == Run::RT_Iteration) seconds[r.benchmark_name()] = r.cpu_accumulated_time / r.iterations;
    ConsoleReporter::ReportRuns(runs);
  }
};
}  // namespace

int sc_main(int, char*[]) { return 0; }  // libsystemc references it; Google Benchmark owns main

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  RatioReporter rep;
  benchmark::RunSpecifiedBenchmarks(&rep);
  for (const char* b : {"1", "16"}) {
    const auto c = rep.seconds.find(std::string("BM_core/") + b), t = rep.seconds.find(std::string("BM_tile/") + b);
    if (c == rep.seconds.end() || t == rep.seconds.end()) continue;
    const double ratio = t->second / c->second;
    std::printf("batch %s: core %.1f us, tile %.1f us per batch -> tile/core = %.3f (overhead %.1f %%, target <= 25 %%) %s\n",
                b, c->second * 1e6, t->second * 1e6, ratio, (ratio - 1) * 100, ratio <= 1.25 ? "PASS" : "FAIL");
  }
  if (model().tile(0).stats().vectors > 0) {
    const sc::TileStats s = model().tile(0).stats();
    std::printf("simulated: MVM latency %.2f ns, inference energy %.1f pJ per MVM\n", s.mvm_latency_ns,
                s.energy.inference_pj() / static_cast<double>(s.vectors));
  }
  benchmark::Shutdown();
  return 0;
}
