// The accelerator as a peripheral (issue 6), measured against references in the same run:
//  * TLM transactions per second through the Router in LT mode (4-byte reads of memory) vs the
//    same reads sent to a memory directly;
//  * end-to-end MVM jobs through CSR + DMA + IRQ (AcceleratorTop, weights programmed once,
//    inputs from the CSRs, sc_start until the interrupt) vs the same 64x64 layer run on one
//    SystemC tile directly (AcceleratorModel::run_layer).
// Prints both figures and the ratios.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstring>
#include <map>
#include <string>

#include <systemc>
#include <tlm_utils/simple_initiator_socket.h>

#include "memtile/sc/tile/Accelerator.hpp"
#include "memtile/sc/soc/AcceleratorTop.hpp"
#include "memtile/sc/soc/Memory.hpp"
#include "memtile/sc/soc/Router.hpp"

namespace {
using namespace memtile;
using sc_core::sc_time;
using sc_core::SC_ZERO_TIME;

constexpr std::uint64_t kMem = 0x80000000ull, kCsr = 0x40000000ull;
constexpr int kDim = 64;

struct Init : sc_core::sc_module {
  tlm_utils::simple_initiator_socket<Init, 32> socket;
  explicit Init(sc_core::sc_module_name n) : sc_core::sc_module(n), socket("socket") {}
  std::uint32_t access(tlm::tlm_command cmd, std::uint64_t addr, std::uint32_t v = 0) {
    tlm::tlm_generic_payload tx;
    tx.set_command(cmd);
    tx.set_address(addr);
    tx.set_data_ptr(reinterpret_cast<unsigned char*>(&v));
    tx.set_data_length(4);
    tx.set_streaming_width(4);
    sc_time d = SC_ZERO_TIME;
    socket->b_transport(tx, d);
    if (!tx.is_response_ok()) std::abort();
    return v;
  }
};

core::EngineConfig engine() {
  core::EngineConfig e;
  e.seed = 5;
  return e;
}

struct Platform {
  Init cpu{"cpu"}, direct{"direct"};
  sc::Router bus{"bus", sc_time(1, sc_core::SC_NS)};
  sc::Memory mem{"mem", 1u << 20}, mem2{"mem2", 1u << 20};
  sc::AcceleratorTop accel{"accel", [] {
                             sc::AcceleratorTopConfig c;
                             c.tiles = 1;
                             c.tile_in = c.tile_out = kDim;
                             c.engine = engine();
                             return c;
                           }()};
  sc_core::sc_signal<bool> irq{"irq"};
  sc::AcceleratorModel model{core::TileConfig{}, core::EnergyTable{}, core::TraceConfig{},
                             sc::AcceleratorModel::Topology::Independent};
  Platform() {
    cpu.socket.bind(bus.target);
    accel.dma.bind(bus.target);
    bus.map("mem", kMem, 1u << 20);
    bus.initiator.bind(mem.socket);
    bus.map("accel", kCsr, sc::AcceleratorTop::kCsrBytes);
    bus.initiator.bind(accel.csr);
    direct.socket.bind(mem2.socket);
    accel.irq.bind(irq);
    std::srand(3);
    const Eigen::MatrixXd W = Eigen::MatrixXd::Random(kDim, kDim).cast<float>().cast<double>();
    model.add_layer("fc", W, engine());
    model.elaborate();  // first sc_start: the tiles program their arrays
    // Program the accelerator once (LOAD_WEIGHTS), later jobs use IO_FROM_CSR.
    put(0x1000, W);
    sc::LayerDescriptor d;
    d.k = d.n = kDim, d.batch = 1, d.weights_addr = kMem + 0x1000, d.input_addr = kMem + 0x10000,
    d.output_addr = kMem + 0x20000;
    d.to_bytes(mem.data());
    run_job(kMem);
    d.flags = sc::LayerDescriptor::IoFromCsr;
    d.to_bytes(mem.data() + 0x100);
    csr_w(sc::reg::IN_ADDR_LO, static_cast<std::uint32_t>(kMem + 0x10000));
    csr_w(sc::reg::OUT_ADDR_LO, static_cast<std::uint32_t>(kMem + 0x20000));
  }
  void put(std::uint64_t off, const Eigen::MatrixXd& m) {
    for (Eigen::Index r = 0; r < m.rows(); ++r)
      for (Eigen::Index c = 0; c < m.cols(); ++c) {
        const float f = static_cast<float>(m(r, c));
        std::memcpy(mem.data() + off + 4 * (r * m.cols() + c), &f, 4);
      }
  }
  void csr_w(std::uint32_t off, std::uint32_t v) { cpu.access(tlm::TLM_WRITE_COMMAND, kCsr + off, v); }
  std::uint32_t csr_r(std::uint32_t off) { return cpu.access(tlm::TLM_READ_COMMAND, kCsr + off); }
  void run_job(std::uint64_t desc) {
    csr_w(sc::reg::DESC_ADDR_LO, static_cast<std::uint32_t>(desc));
    csr_w(sc::reg::DESC_ADDR_HI, static_cast<std::uint32_t>(desc >> 32));
    csr_w(sc::reg::CTRL, 5u);
    sc_core::sc_start();  // until idle: the job ran and raised the interrupt
    if (!irq.read() || csr_r(sc::reg::STATUS) != 2u) std::abort();
    csr_w(sc::reg::INT_STATUS, 3u);
    sc_core::sc_start(SC_ZERO_TIME);
  }
};

Platform& P() {
  static Platform* p = new Platform;
  return *p;
}

void BM_memory_direct(benchmark::State& state) {
  Platform& p = P();
  std::uint64_t a = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(p.direct.access(tlm::TLM_READ_COMMAND, a));
    a = (a + 4) & 0xFFFF;
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_router_lt(benchmark::State& state) {
  Platform& p = P();
  std::uint64_t a = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(p.cpu.access(tlm::TLM_READ_COMMAND, kMem + a));
    a = (a + 4) & 0xFFFF;
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_tile_direct(benchmark::State& state) {
  Platform& p = P();
  std::srand(9);
  const Eigen::MatrixXd X = Eigen::MatrixXd::Random(state.range(0), kDim).cast<float>().cast<double>();
  for (auto _ : state) benchmark::DoNotOptimize(p.model.run_layer(0, X));
  state.SetItemsProcessed(state.iterations() * state.range(0));
}

void BM_job_csr_dma_irq(benchmark::State& state) {
  Platform& p = P();
  std::srand(9);
  p.put(0x10000, Eigen::MatrixXd::Random(state.range(0), kDim));
  p.csr_w(sc::reg::BATCH, static_cast<std::uint32_t>(state.range(0)));
  for (auto _ : state) p.run_job(kMem + 0x100);
  state.SetItemsProcessed(state.iterations() * state.range(0));
}

BENCHMARK(BM_memory_direct);
BENCHMARK(BM_router_lt);
BENCHMARK(BM_tile_direct)->Arg(1)->Arg(16)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_job_csr_dma_irq)->Arg(1)->Arg(16)->Unit(benchmark::kMicrosecond);

class RatioReporter : public benchmark::ConsoleReporter {
 public:
  std::map<std::string, double> seconds;
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const Run& r : runs)
      if (r.run_type == Run::RT_Iteration) seconds[r.benchmark_name()] = r.cpu_accumulated_time / r.iterations;
    ConsoleReporter::ReportRuns(runs);
  }
};
}  // namespace

int sc_main(int, char*[]) { return 0; }  // libsystemc references it; Google Benchmark owns main

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  P();  // elaborate once, before any benchmark
  RatioReporter rep;
  benchmark::RunSpecifiedBenchmarks(&rep);
  const auto& s = rep.seconds;
  if (s.count("BM_router_lt") && s.count("BM_memory_direct"))
    std::printf("LT through the router: %.2f M transactions/s, direct to memory %.2f M/s -> router/direct time %.2f\n",
                1e-6 / s.at("BM_router_lt"), 1e-6 / s.at("BM_memory_direct"), s.at("BM_router_lt") / s.at("BM_memory_direct"));
  for (const char* b : {"1", "16"}) {
    const std::string j = std::string("BM_job_csr_dma_irq/") + b, t = std::string("BM_tile_direct/") + b;
    if (!s.count(j) || !s.count(t)) continue;
    std::printf("batch %s: CSR+DMA+IRQ job %.1f us (%.0f jobs/s), tile directly %.1f us -> job/tile time %.2f\n", b,
                s.at(j) * 1e6, 1.0 / s.at(j), s.at(t) * 1e6, s.at(j) / s.at(t));
  }
  benchmark::Shutdown();
  return 0;
}
