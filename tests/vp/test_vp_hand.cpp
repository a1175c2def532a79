// The accelerator peripheral against numbers derived by hand (issue 12, "tests that see what
// they claim"), not against the library's own functions:
//  - exact mode: a multi-round layer of small integers through descriptor + DMA + tiles +
//    reduction + ReLU equals the naive triple-loop product bit for bit (a dropped, repeated or
//    shifted DMA word changes a result), the output buffer's neighbours stay untouched;
//  - the DMA's bytes and bursts per job from the descriptor's shape and the burst size;
//  - programming energy and time of zero weights from the energy table and the geometry:
//    every cell at LGS, E = V^2 t_pulse pulses sum(G), rows written one after the other, tiles
//    in parallel; the ENERGY register holds exactly that after a program-only job;
//  - the top's own reduction and activation energy (shift-add per partial sum, one neuron op
//    per output) on top of the tiles' inference energy.
// One elaboration for the whole executable (docs/model.md §8).
#define BOOST_TEST_MODULE memtile vp hand-derived
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <cstring>
#include <limits>

#include <systemc>
#include <tlm_utils/simple_initiator_socket.h>

#include "memtile/sc/soc/AcceleratorTop.hpp"
#include "memtile/sc/soc/Memory.hpp"
#include "memtile/sc/soc/Router.hpp"

#include "VpHarness.hpp"

using namespace memtile;
using memtile::test::vp::NoSystemCWarnings;
using sc_core::sc_time;
using sc_core::SC_NS;
using sc_core::SC_ZERO_TIME;

int sc_main(int, char*[]) { return 0; }  // Boost owns main(); libsystemc still references sc_main

BOOST_TEST_GLOBAL_FIXTURE(NoSystemCWarnings);

namespace {

constexpr std::uint64_t kMemBase = 0x80000000ull, kMemSize = 1u << 20;
constexpr std::uint64_t kExactCsr = 0x10000000ull, kHandCsr = 0x10001000ull;
constexpr unsigned kBurst = 64;  // small bursts: a layer is many DMA transactions

// Exact mode, 4 tiles of 64 x 32 (arrays 32 x 32).
sc::AcceleratorTopConfig exact_config() {
  sc::AcceleratorTopConfig c;
  c.tiles = 4;
  c.tile_in = 64;
  c.tile_out = 32;
  c.exact = true;
  c.dma_burst_bytes = kBurst;
  return c;
}

// Hand-checked programming: no device variation, a write pulse that is not 1 V (V and V^2
// differ), 50 ns pulses, 3 pulses per cell; 2 tiles of 64 x 32.
constexpr double kV = 1.5, kPulseNs = 50, kLgs = 1e-7;
constexpr int kPulses = 3;
sc::AcceleratorTopConfig hand_config() {
  sc::AcceleratorTopConfig c;
  c.tiles = 2;
  c.tile_in = 64;
  c.tile_out = 32;
  c.engine.var = 0.0;
  c.engine.LGS = kLgs;
  c.energy.write_voltage_v = kV;
  c.energy.write_pulse_ns = kPulseNs;
  c.energy.write_pulses_per_cell = kPulses;
  return c;
}

struct Cpu : sc_core::sc_module {
  tlm_utils::simple_initiator_socket<Cpu, 32> socket;
  explicit Cpu(sc_core::sc_module_name n) : sc_core::sc_module(n), socket("socket") {}
};

struct Platform {
  Cpu cpu{"cpu"};
  sc::Router bus{"bus", sc_time(1, SC_NS)};
  sc::Memory mem{"mem", kMemSize};
  sc::AcceleratorTop exact{"exact", exact_config()};
  sc::AcceleratorTop hand{"hand", hand_config()};
  Platform() {
    cpu.socket.bind(bus.target);
    exact.dma.bind(bus.target);
    hand.dma.bind(bus.target);
    bus.map("mem", kMemBase, kMemSize);
    bus.initiator.bind(mem.socket);
    bus.map("exact", kExactCsr, sc::AcceleratorTop::kCsrBytes);
    bus.initiator.bind(exact.csr);
    bus.map("hand", kHandCsr, sc::AcceleratorTop::kCsrBytes);
    bus.initiator.bind(hand.csr);
    sc_core::sc_start(SC_ZERO_TIME);
  }
  std::uint32_t read(std::uint64_t csr, std::uint32_t off) {
    std::uint32_t v = 0;
    BOOST_REQUIRE(test::vp::csr_word(cpu.socket, tlm::TLM_READ_COMMAND, csr + off, v) == tlm::TLM_OK_RESPONSE);
    return v;
  }
  void write(std::uint64_t csr, std::uint32_t off, std::uint32_t v) {
    BOOST_REQUIRE(test::vp::csr_word(cpu.socket, tlm::TLM_WRITE_COMMAND, csr + off, v) == tlm::TLM_OK_RESPONSE);
  }
  unsigned char* at(std::uint64_t a) { return mem.data() + (a - kMemBase); }
  // Writes the descriptor, starts the job (no interrupt), runs it to the end, clears DONE;
  // returns STATUS as the job left it.
  std::uint32_t run(std::uint64_t csr, std::uint64_t desc, const sc::LayerDescriptor& d) {
    d.to_bytes(at(desc));
    write(csr, sc::reg::DESC_ADDR_LO, static_cast<std::uint32_t>(desc));
    write(csr, sc::reg::DESC_ADDR_HI, static_cast<std::uint32_t>(desc >> 32));
    write(csr, sc::reg::CTRL, 1u);
    sc_core::sc_start();
    const std::uint32_t st = read(csr, sc::reg::STATUS);
    write(csr, sc::reg::INT_STATUS, 3u);
    return st;
  }
  std::uint64_t energy_fj(std::uint64_t csr) {
    return static_cast<std::uint64_t>(read(csr, sc::reg::ENERGY_FJ_HI)) << 32 | read(csr, sc::reg::ENERGY_FJ_LO);
  }
};

Platform& P() {
  static Platform p;
  return p;
}

std::uint64_t ceil_div(std::uint64_t a, std::uint64_t b) { return (a + b - 1) / b; }

// Fills [a, a + words * 4) with a quiet-NaN pattern no result can be.
constexpr std::uint32_t kSentinel = 0x7FC0DEADu;
void fill_sentinel(unsigned char* p, std::size_t words) {
  for (std::size_t i = 0; i < words; ++i) std::memcpy(p + 4 * i, &kSentinel, 4);
}
bool is_sentinel(const unsigned char* p) {
  std::uint32_t v;
  std::memcpy(&v, p, 4);
  return v == kSentinel;
}

}  // namespace

BOOST_AUTO_TEST_CASE(exact_mode_multi_round_layer_equals_the_naive_product) {
  // 150 x 70 on tiles of 64 x 32: 3 row blocks x 3 column blocks = 9 blocks, rounds of 4, 4, 1
  // tiles; the top adds 3 partial sums per output. Integer data (|w| <= 3, |x| <= 4): every sum
  // is exact, so the float32 results equal the naive product exactly.
  Platform& p = P();
  const int K = 150, N = 70, B = 5;
  const std::uint64_t desc = kMemBase + 0x100, wa = kMemBase + 0x1000, xa = kMemBase + 0x20000;
  const std::uint64_t ya = kMemBase + 0x30000;
  for (const bool relu : {false, true}) {
    BOOST_TEST_CONTEXT((relu ? "relu" : "no activation")) {
      const Eigen::MatrixXd W = test::vp::integers(K, N, 3, relu ? 2 : 1), X = test::vp::integers(B, K, 4, relu ? 4 : 3);
      test::vp::put_f32(p.at(wa), W);
      test::vp::put_f32(p.at(xa), X);
      fill_sentinel(p.at(ya - 16), 4 + B * N + 4);  // the buffer and 4 words either side
      sc::LayerDescriptor d;
      d.k = K, d.n = N, d.batch = B, d.weights_addr = wa, d.input_addr = xa, d.output_addr = ya;
      d.activation = relu ? sc::LayerDescriptor::Relu : sc::LayerDescriptor::None;
      const std::uint64_t rd = p.exact.dma_engine().bytes_read(), wr = p.exact.dma_engine().bytes_written();
      const std::uint64_t bursts = p.exact.dma_engine().bursts();
      BOOST_REQUIRE(p.run(kExactCsr, desc, d) == 2u);  // DONE, no error
      Eigen::MatrixXd ref = test::vp::naive_product(X, W);
      if (relu)
        for (Eigen::Index i = 0; i < ref.size(); ++i) ref.data()[i] = ref.data()[i] > 0 ? ref.data()[i] : 0.0;
      const Eigen::MatrixXf Y = test::vp::get_f32(p.at(ya), B, N);
      int wrong = 0;
      for (int b = 0; b < B; ++b)
        for (int n = 0; n < N; ++n)
          if (Y(b, n) != static_cast<float>(ref(b, n))) {
            if (++wrong <= 5) BOOST_TEST_MESSAGE("Y(" << b << ", " << n << ") = " << Y(b, n) << ", expected " << ref(b, n));
          }
      BOOST_TEST(wrong == 0);
      for (int i = 0; i < 4; ++i) {
        BOOST_TEST(is_sentinel(p.at(ya - 16 + 4 * i)));        // nothing written before the buffer
        BOOST_TEST(is_sentinel(p.at(ya + 4 * (B * N + i))));  // ... nor after it
      }
      // The DMA: descriptor, weights, inputs once each; results once; cut into 64-byte bursts.
      BOOST_TEST(p.exact.dma_engine().bytes_read() - rd == 56u + 4u * K * N + 4u * B * K);
      BOOST_TEST(p.exact.dma_engine().bytes_written() - wr == 4u * B * N);
      BOOST_TEST(p.exact.dma_engine().bursts() - bursts ==
                 ceil_div(56, kBurst) + ceil_div(4 * K * N, kBurst) + ceil_div(4 * B * K, kBurst) + ceil_div(4 * B * N, kBurst));
    }
  }
  BOOST_TEST(p.read(kExactCsr, sc::reg::JOBS) == 2u);
  BOOST_TEST(p.read(kExactCsr, sc::reg::MVMS_LO) == 2u * B);  // one vector = one MVM of the layer
}

BOOST_AUTO_TEST_CASE(programming_energy_and_time_of_zero_weights_by_hand) {
  // Zero weights with no variation: every cell of every array at LGS (the two's-complement
  // encoding of 0 has no bit set; the reference column is at LGS anyway). A 64 x 32 block on
  // 32 x 32 arrays with 4 weight slices (default mblk {1, 1, 2, 4}): 2 row blocks x 1 column
  // block x 4 slices = 8 arrays of 32 rows x 33 columns (32 + the reference column).
  Platform& p = P();
  const std::uint64_t desc = kMemBase + 0x80000, wa = kMemBase + 0x81000;
  std::memset(p.at(wa), 0, 4 * 64 * 64);  // float32 +0.0
  const double cells_per_block = 2.0 * 1 * 4 * 32 * 33;
  const double pj_per_block = kV * kV * (kPulseNs * 1e-9) * kPulses * cells_per_block * kLgs * 1e12;  // 285.12 pJ
  const double program_ns = 32.0 * kPulses * kPulseNs;  // 32 rows, one after the other: 4800 ns
  BOOST_TEST(pj_per_block == 285.12, boost::test_tools::tolerance(1e-12));  // the arithmetic above, once by hand

  p.write(kHandCsr, sc::reg::PERF_CLEAR, 1u);
  const auto program_only = [&](std::uint32_t k, std::uint32_t n) {
    sc::LayerDescriptor d;
    d.flags = sc::LayerDescriptor::LoadWeights | sc::LayerDescriptor::ProgramOnly;
    d.k = k, d.n = n, d.batch = 1, d.weights_addr = wa, d.input_addr = wa, d.output_addr = kMemBase + 0xF0000;
    return p.run(kHandCsr, desc, d);
  };
  // One block on one tile.
  BOOST_REQUIRE(program_only(64, 32) == 2u);
  BOOST_TEST(p.hand.counters().program_pj == pj_per_block, boost::test_tools::tolerance(1e-9));
  BOOST_TEST(p.hand.counters().energy_pj == pj_per_block, boost::test_tools::tolerance(1e-9));  // nothing else ran
  BOOST_TEST(p.energy_fj(kHandCsr) == static_cast<std::uint64_t>(std::llround(pj_per_block * 1000)));
  // Busy time: decode + the descriptor and 8 KiB weight DMA (32 bursts, about 1.4 us on this
  // bus) + the programming.
  const std::uint32_t one = p.read(kHandCsr, sc::reg::LAST_JOB_CYCLES);  // 1 GHz: cycles = ns
  BOOST_TEST(one >= program_ns);
  BOOST_TEST(one <= program_ns + 2000);
  // Two blocks (64 x 64 -> 2 column blocks) on the two tiles, written in parallel: twice the
  // energy, the same programming time (the weight DMA is twice as long).
  BOOST_REQUIRE(program_only(64, 64) == 2u);
  BOOST_TEST(p.hand.counters().program_pj == 3 * pj_per_block, boost::test_tools::tolerance(1e-9));
  BOOST_TEST(p.energy_fj(kHandCsr) == static_cast<std::uint64_t>(std::llround(3 * pj_per_block * 1000)));
  const std::uint32_t two = p.read(kHandCsr, sc::reg::LAST_JOB_CYCLES);
  BOOST_TEST(two > one);                    // the longer weight DMA
  BOOST_TEST(two < one + program_ns / 2);  // not a second 4800 ns of programming
}

BOOST_AUTO_TEST_CASE(reduction_and_activation_energy_by_hand) {
  // 128 x 20 (2 row blocks, 1 column block) on the 2 tiles, batch 3, ReLU: the top adds one
  // partial sum per output (B N (row_blocks - 1) shift-adds) and applies one activation per
  // output (B N neuron ops), ISAAC S+A energy 0.2 mW / 10.24 G adds/s for both; the tiles'
  // inference energy comes from their own counters, the programming energy from the top's
  // program_pj (checked by hand above).
  Platform& p = P();
  const int K = 128, N = 20, B = 3;
  const std::uint64_t desc = kMemBase + 0x90000, wa = kMemBase + 0x91000, xa = kMemBase + 0x9C000, ya = kMemBase + 0x9E000;
  test::vp::put_f32(p.at(wa), test::vp::as_f32(test::vp::random(K, N, 91) * 0.5));
  test::vp::put_f32(p.at(xa), test::vp::as_f32(test::vp::random(B, K, 92)));
  const auto tiles_pj = [&] { return p.hand.tile(0).stats().energy.inference_pj() + p.hand.tile(1).stats().energy.inference_pj(); };
  const double e0 = p.hand.counters().energy_pj, prog0 = p.hand.counters().program_pj, t0 = tiles_pj();
  sc::LayerDescriptor d;
  d.k = K, d.n = N, d.batch = B, d.weights_addr = wa, d.input_addr = xa, d.output_addr = ya;
  d.activation = sc::LayerDescriptor::Relu;
  BOOST_REQUIRE(p.run(kHandCsr, desc, d) == 2u);
  const double sa_pj = 0.2e-3 / 10.24e9 * 1e12;  // 0.01953125 pJ per add
  const double top_pj = (p.hand.counters().energy_pj - e0) - (p.hand.counters().program_pj - prog0) - (tiles_pj() - t0);
  BOOST_TEST(top_pj == double(B) * N * 1 * sa_pj + double(B) * N * sa_pj, boost::test_tools::tolerance(1e-6));
  BOOST_TEST(tiles_pj() - t0 > 0.0);
  BOOST_TEST(p.hand.counters().program_pj - prog0 > 0.0);
}
