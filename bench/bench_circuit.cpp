// Crossbar circuit solver timings (issue 3): factorisation, per-vector nodal solves (single
// and batched), the exact effective conductance matrix, and reads through it next to the
// ideal V*G read of the same size in the same run. Arrays 64, 128, 256 square, conductances
// log-uniform 10 kOhm .. 1 MOhm, technology-default wires (9.24 / 11.55 Ohm per segment).
#include <benchmark/benchmark.h>

#include <Eigen/Dense>
#include <cmath>
#include <random>

#include "memtile/core/CrossbarSolver.hpp"
#include "memtile/core/WireTechnology.hpp"

namespace {

using memtile::core::CrossbarSolver;
using memtile::core::WireParams;

constexpr int kBatch = 256;  // input vectors per batched call

Eigen::MatrixXd conductances(int n) {
  std::mt19937_64 rng(42);
  std::uniform_real_distribution<double> u(std::log(1e4), std::log(1e6));
  Eigen::MatrixXd G(n, n);
  for (Eigen::Index i = 0; i < G.size(); ++i) G.data()[i] = 1.0 / std::exp(u(rng));
  return G;
}

Eigen::MatrixXd inputs(int k, int n) {
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> u(0.0, 0.2);
  Eigen::MatrixXd V(k, n);
  for (Eigen::Index i = 0; i < V.size(); ++i) V.data()[i] = u(rng);
  return V;
}

WireParams tech_wires() { return memtile::core::wire_params(memtile::core::WireTechnology{}); }

void per_vector(benchmark::State& state, int vectors) {
  state.SetItemsProcessed(state.iterations() * vectors);
  // Seconds per input vector (printed with an SI prefix: 21.7u = 21.7 microseconds).
  state.counters["s_per_vector"] = benchmark::Counter(
      double(vectors), benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}

void BM_Factor(benchmark::State& state) {
  const int n = int(state.range(0));
  const Eigen::MatrixXd G = conductances(n);
  const WireParams w = tech_wires();
  for (auto _ : state) {
    CrossbarSolver s(G, w);
    benchmark::DoNotOptimize(&s);
  }
  const CrossbarSolver s(G, w);
  state.counters["unknowns"] = double(s.unknowns());
  state.counters["factor_nnz"] = double(s.factor_nonzeros());
}

void BM_SolveSingle(benchmark::State& state) {
  const int n = int(state.range(0));
  const CrossbarSolver s(conductances(n), tech_wires());
  const Eigen::MatrixXd V = inputs(1, n);
  for (auto _ : state) benchmark::DoNotOptimize(s.solve(V).data());
  per_vector(state, 1);
}

void BM_SolveBatched(benchmark::State& state) {
  const int n = int(state.range(0));
  const CrossbarSolver s(conductances(n), tech_wires());
  const Eigen::MatrixXd V = inputs(kBatch, n);
  for (auto _ : state) benchmark::DoNotOptimize(s.solve(V).data());
  per_vector(state, kBatch);
}

// Full forward/backward sweeps over the whole factor (every node voltage): the cost of the
// per-vector solve without the port-block shortcut.
void BM_NodeVoltagesBatched(benchmark::State& state) {
  const int n = int(state.range(0));
  const CrossbarSolver s(conductances(n), tech_wires());
  const Eigen::MatrixXd V = inputs(64, n);
  for (auto _ : state) benchmark::DoNotOptimize(s.node_voltages(V).data());
  per_vector(state, 64);
}

// Geff only (a fresh solver per iteration, factorisation excluded from the timing).
void BM_EffectiveMatrix(benchmark::State& state) {
  const int n = int(state.range(0));
  const Eigen::MatrixXd G = conductances(n);
  const WireParams w = tech_wires();
  for (auto _ : state) {
    state.PauseTiming();
    CrossbarSolver s(G, w);
    state.ResumeTiming();
    benchmark::DoNotOptimize(s.effective_conductance().data());
  }
}

void BM_ReadThroughGeff(benchmark::State& state) {
  const int n = int(state.range(0));
  const CrossbarSolver s(conductances(n), tech_wires());
  const Eigen::MatrixXd& Geff = s.effective_conductance();
  const Eigen::MatrixXd V = inputs(kBatch, n);
  Eigen::MatrixXd I(kBatch, n);
  for (auto _ : state) {
    I.noalias() = V * Geff;
    benchmark::DoNotOptimize(I.data());
  }
  per_vector(state, kBatch);
}

void BM_ReadIdeal(benchmark::State& state) {
  const int n = int(state.range(0));
  const Eigen::MatrixXd G = conductances(n);
  const Eigen::MatrixXd V = inputs(kBatch, n);
  Eigen::MatrixXd I(kBatch, n);
  for (auto _ : state) {
    I.noalias() = V * G;
    benchmark::DoNotOptimize(I.data());
  }
  per_vector(state, kBatch);
}

void sizes(benchmark::internal::Benchmark* b) {
  for (int n : {32, 64, 128, 256}) b->Arg(n);
  b->Unit(benchmark::kMillisecond);
}

BENCHMARK(BM_Factor)->Apply(sizes);
BENCHMARK(BM_SolveSingle)->Apply(sizes);
BENCHMARK(BM_SolveBatched)->Apply(sizes);
BENCHMARK(BM_NodeVoltagesBatched)->Apply(sizes);
// Fixed iterations: each one also builds (untimed) a fresh solver, 1.3 s at 256x256.
BENCHMARK(BM_EffectiveMatrix)->Apply(sizes)->Iterations(10);
BENCHMARK(BM_ReadThroughGeff)->Apply(sizes);
BENCHMARK(BM_ReadIdeal)->Apply(sizes);

}  // namespace

BENCHMARK_MAIN();
