// Throughput of the numerical engine next to Eigen's float GEMM of the same shape, measured
// in the same run (bench/run_benchmarks.py turns the pair into a ratio for the README).
#include <benchmark/benchmark.h>

#include <random>

#include "memtile/core/MatrixEngine.hpp"

using namespace memtile::core;

namespace {

Eigen::MatrixXd randn(Eigen::Index r, Eigen::Index c, unsigned seed) {
  std::mt19937_64 g(seed);
  std::normal_distribution<double> n;
  Eigen::MatrixXd m(r, c);
  for (Eigen::Index i = 0; i < m.size(); ++i) m.data()[i] = n(g);
  return m;
}

void BM_EigenGemmFloat(benchmark::State& state) {
  const Eigen::Index n = state.range(0);
  const Eigen::MatrixXf a = randn(n, n, 1).cast<float>(), b = randn(n, n, 2).cast<float>();
  Eigen::MatrixXf c(n, n);
  for (auto _ : state) {
    c.noalias() = a * b;
    benchmark::DoNotOptimize(c.data());
  }
}

EngineConfig bitslice_hardware() {
  EngineConfig cfg;  // defaults: 32x32 arrays, xblk = mblk = [1,1,2,4]: 16 slice pairs
  return cfg;
}

// mPimPy's MapReduceDot: program and multiply in one call. Second argument: worker threads.
void BM_BitsliceHardwareDot(benchmark::State& state) {
  const Eigen::Index n = state.range(0);
  const Eigen::MatrixXd a = randn(n, n, 1), b = randn(n, n, 2);
  EngineConfig cfg = bitslice_hardware();
  cfg.threads = static_cast<int>(state.range(1));
  MatrixEngine engine(cfg);
  for (auto _ : state) {
    Eigen::MatrixXd c = engine.dot(a, b);
    benchmark::DoNotOptimize(c.data());
  }
  state.counters["slice_pairs"] = 16;
}

// Arrays programmed once, then read: the steady state of an inference accelerator.
void BM_BitsliceHardwareMultiply(benchmark::State& state) {
  const Eigen::Index n = state.range(0);
  const Eigen::MatrixXd a = randn(n, n, 1), b = randn(n, n, 2);
  MatrixEngine engine(bitslice_hardware());
  ProgrammedMatrix pm = engine.program(b);
  for (auto _ : state) {
    Eigen::MatrixXd c = pm.multiply(a);
    benchmark::DoNotOptimize(c.data());
  }
  state.counters["slice_pairs"] = 16;
}

void BM_DiffpairHardwareDot(benchmark::State& state) {
  const Eigen::Index n = state.range(0);
  const Eigen::MatrixXd a = randn(n, n, 1), b = randn(n, n, 2);
  EngineConfig cfg;
  cfg.mode = EngineMode::DiffPair;
  MatrixEngine engine(cfg);
  for (auto _ : state) {
    Eigen::MatrixXd c = engine.dot(a, b);
    benchmark::DoNotOptimize(c.data());
  }
  state.counters["slice_pairs"] = 1;
}

}  // namespace

BENCHMARK(BM_EigenGemmFloat)->Arg(256)->Arg(512)->Arg(1024)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_BitsliceHardwareDot)
    ->Args({256, 1})->Args({512, 1})->Args({512, 2})->Args({1024, 2})
    ->Unit(benchmark::kMillisecond)->MeasureProcessCPUTime()->UseRealTime();
BENCHMARK(BM_BitsliceHardwareMultiply)->Arg(256)->Arg(1024)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_DiffpairHardwareDot)->Arg(256)->Unit(benchmark::kMillisecond);
BENCHMARK_MAIN();
