// Wall-time cost of the Verilated RTL periphery in the loop (TileConfig::rtl, docs/rtl.md
// phase 2): the same tile MVM in RTL mode (all four blocks Verilated: controller, SAR logic,
// shift-add, accumulator) versus behavioural mode, in the same run. One AcceleratorModel
// (one elaboration per process) in the independent topology holds both tiles: layer "beh"
// with the behavioural blocks and layer "rtl" with set_layer_rtl(all). 128x128 weights on one
// 128x128 array, the engine's default [1,1,2,4] slices (4 input x 4 weight slices, 10-bit
// ADC), adc_mux 8. Prints the slowdown rtl/behavioural per batch size (wall time) and the
// simulated RTL cycles per MVM. The RTL tile's output is checked against the behavioural one.
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

sc::AcceleratorModel& model() {
  static sc::AcceleratorModel* m = [] {
    core::TileConfig tc;
    tc.adc_mux = 8;
    auto* p = new sc::AcceleratorModel(tc, {}, {}, sc::AcceleratorModel::Topology::Independent);
    p->add_layer("beh", weights(), config());
    p->add_layer("rtl", weights(), config());
    p->set_layer_rtl(1, core::RtlConfig{true, true, true, true});
    p->elaborate();
    return p;
  }();
  return *m;
}

void run_mode(benchmark::State& state, int layer) {
  sc::AcceleratorModel& m = model();
  const Eigen::MatrixXd X = inputs(static_cast<int>(state.range(0)));
  for (auto _ : state) benchmark::DoNotOptimize(m.run_layer(layer, X));
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
void BM_behavioural(benchmark::State& state) { run_mode(state, 0); }
void BM_rtl(benchmark::State& state) { run_mode(state, 1); }

BENCHMARK(BM_behavioural)->Arg(1)->Arg(8)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_rtl)->Arg(1)->Arg(8)->Unit(benchmark::kMillisecond)->UseRealTime();

class RatioReporter : public benchmark::ConsoleReporter {
 public:
  std::map<std::string, double> wall;
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const Run& r : runs)
      if (r.run_type == Run::RT_Iteration) wall[r.benchmark_name()] = r.real_accumulated_time / r.iterations;
    ConsoleReporter::ReportRuns(runs);
  }
};
}  // namespace

int sc_main(int, char*[]) { return 0; }  // libsystemc references it; Google Benchmark owns main

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  RatioReporter rep;
  benchmark::RunSpecifiedBenchmarks(&rep);
  for (const char* b : {"1", "8"}) {
    const auto h = rep.wall.find(std::string("BM_behavioural/") + b + "/real_time");
    const auto r = rep.wall.find(std::string("BM_rtl/") + b + "/real_time");
    if (h == rep.wall.end() || r == rep.wall.end()) continue;
    std::printf("batch %s: behavioural %.3f ms, rtl %.3f ms per batch (wall) -> rtl/behavioural = %.0fx\n", b,
                h->second * 1e3, r->second * 1e3, r->second / h->second);
  }
  sc::AcceleratorModel& m = model();
  const Eigen::MatrixXd X = inputs(3);
  const sc::RunResult a = m.run_layer(0, X), b = m.run_layer(1, X);
  const sc::TileStats s = m.tile(1).stats();
  std::printf("rtl tile: %.0f clock cycles per MVM (%llu cycles, %llu vectors); output == behavioural: %s\n",
              static_cast<double>(s.rtl_cycles) / static_cast<double>(s.vectors),
              static_cast<unsigned long long>(s.rtl_cycles), static_cast<unsigned long long>(s.vectors),
              (a.y.array() == b.y.array()).all() ? "yes" : "NO");
  benchmark::Shutdown();
  return (a.y.array() == b.y.array()).all() ? 0 : 1;
}
