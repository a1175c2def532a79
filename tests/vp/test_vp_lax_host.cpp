// The accelerator inside a "lax host" (issue 14): the kind of virtual platform real RISC-V
// VPs are. Its CPU leaves streaming_width at 0 on every access, its memory never sets a
// response status (every access stays TLM_INCOMPLETE_RESPONSE), its interrupt controller is a
// C++ call on a rising edge (IrqAdapter). A firmware-like driver programs a multi-tile layer
// in exact mode and checks the result bit for bit against Eigen. Then a second accelerator with
// the strict options (strict_streaming_width, incomplete_is_ok off) answers the same accesses
// with the documented errors: burst error on the CSR, DescriptorDma with DMA_ERR_STATUS =
// INCOMPLETE at the descriptor's address, and one SystemC warning naming that address.
// One elaboration for the whole executable (design.md §8).
#define BOOST_TEST_MODULE memtile vp lax host
#include <boost/test/unit_test.hpp>

#include <nlohmann/json.hpp>

#include <cstring>
#include <string>
#include <vector>

#include <systemc>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>

#include "memtile/core/Errors.hpp"
#include "memtile/sc/soc/AcceleratorTop.hpp"
#include "memtile/sc/soc/IrqAdapter.hpp"
#include "memtile/sc/soc/Router.hpp"

#include "VpHarness.hpp"

using namespace memtile;
using sc_core::sc_time;
using sc_core::SC_NS;
using sc_core::SC_ZERO_TIME;

int sc_main(int, char*[]) { return 0; }  // Boost owns main(); libsystemc still references sc_main

namespace {

constexpr std::uint64_t kLaxCsr = 0x10000000ull, kStrictCsr = 0x10001000ull;
constexpr std::uint64_t kMemBase = 0x80000000ull, kMemSize = 1u << 20;

// Memory that does its job but never touches the response status.
struct LaxMemory : sc_core::sc_module {
  tlm_utils::simple_target_socket<LaxMemory, 32> socket;
  std::vector<unsigned char> bytes;
  explicit LaxMemory(sc_core::sc_module_name n) : sc_core::sc_module(n), socket("socket"), bytes(kMemSize, 0) {
    socket.register_b_transport(this, &LaxMemory::b_transport);
  }
  void b_transport(tlm::tlm_generic_payload& tx, sc_time& delay) {
    const std::uint64_t a = tx.get_address();
    if (a + tx.get_data_length() > bytes.size()) return;  // not even an error: a lax model
    if (tx.is_read()) std::memcpy(tx.get_data_ptr(), bytes.data() + a, tx.get_data_length());
    if (tx.is_write()) std::memcpy(bytes.data() + a, tx.get_data_ptr(), tx.get_data_length());
    delay += sc_time(2, SC_NS);
  }
};

// A PLIC-like controller: pending bit per source, claim/complete, raised by a function call.
struct EdgeController {
  std::uint32_t pending = 0, claimed = 0;
  int raises = 0;
  sc_core::sc_event wake;
  void raise(int source) {
    ++raises;
    pending |= 1u << source;
    wake.notify(SC_ZERO_TIME);
  }
  int claim() {
    for (int s = 0; s < 32; ++s)
      if (pending & (1u << s)) {
        pending &= ~(1u << s);
        claimed |= 1u << s;
        return s;
      }
    return -1;
  }
  void complete(int s) { claimed &= ~(1u << s); }
};

sc::AcceleratorTopConfig config(bool strict) {
  sc::AcceleratorTopConfig c;
  c.tiles = 4;
  c.tile_in = 64;
  c.tile_out = 32;
  c.exact = true;  // float64 products, no quantisation: a driver checks its data path exactly
  c.protocol.strict_streaming_width = strict;
  c.protocol.incomplete_is_ok = !strict;
  return c;
}

struct Cpu : sc_core::sc_module {
  tlm_utils::simple_initiator_socket<Cpu, 32> socket;
  explicit Cpu(sc_core::sc_module_name n) : sc_core::sc_module(n), socket("socket") {}
  // An access the way the lax host makes it: streaming width 0, status left as constructed.
  tlm::tlm_response_status access(tlm::tlm_command cmd, std::uint64_t addr, std::uint32_t& v, unsigned sw = 0) {
    tlm::tlm_generic_payload tx;
    tx.set_command(cmd);
    tx.set_address(addr);
    tx.set_data_ptr(reinterpret_cast<unsigned char*>(&v));
    tx.set_data_length(4);
    tx.set_streaming_width(sw);
    sc_time d = SC_ZERO_TIME;
    socket->b_transport(tx, d);
    if (sc_core::sc_get_current_process_handle().proc_kind() == sc_core::SC_THREAD_PROC_) sc_core::wait(d);
    return tx.get_response_status();
  }
};

struct LaxHost {
  Cpu cpu{"cpu"};
  sc::Router bus{"bus", sc_time(1, SC_NS)};
  LaxMemory mem{"mem"};
  sc::AcceleratorTop lax{"lax", config(false)};
  sc::AcceleratorTop strict{"strict", config(true)};
  EdgeController plic;
  sc::IrqAdapter lax_irq{"lax_irq", sc::IrqAdapter::Edge::Rising, [this](bool) { plic.raise(3); }};
  sc::IrqAdapter strict_irq{"strict_irq", sc::IrqAdapter::Edge::Rising, [this](bool) { plic.raise(4); }};
  LaxHost() {
    cpu.socket.bind(bus.target);
    lax.dma.bind(bus.target);
    strict.dma.bind(bus.target);
    bus.map("lax", kLaxCsr, sc::AcceleratorTop::kCsrBytes);
    bus.initiator.bind(lax.csr);
    bus.map("strict", kStrictCsr, sc::AcceleratorTop::kCsrBytes);
    bus.initiator.bind(strict.csr);
    bus.map("mem", kMemBase, kMemSize);
    bus.initiator.bind(mem.socket);
    lax.irq.bind(lax_irq.line);
    strict.irq.bind(strict_irq.line);
  }
  unsigned char* at(std::uint64_t a) { return mem.bytes.data() + (a - kMemBase); }
};

LaxHost& H() {
  static LaxHost h;
  return h;
}

// Runs `body` as the CPU's firmware thread until it returns.
void firmware(const std::function<void()>& body) {
  bool finished = false;
  sc_core::sc_spawn([&] {
    body();
    finished = true;
  });
  sc_core::sc_start();
  BOOST_REQUIRE(finished);
}

}  // namespace

// First, before any sc_start(): its errors are thrown from the main stack, and after SystemC has
// run its coroutines ASan misreports such throws (stack-use-after-scope in __asan_handle_no_return).
BOOST_AUTO_TEST_CASE(accelerator_config_json_round_trip_and_named_errors) {
  // The loader: every field round-trips, the groups use their own loaders, bad values name the
  // source and the dotted field (memtile_vp --config is exercised by vp_cli).
  sc::AcceleratorTopConfig c = config(true);
  c.tiles = 3, c.tile_in = 48, c.clock_ghz = 0.5, c.dma_burst_bytes = 64, c.max_batch = 7;
  c.engine.seed = 11, c.tile.adc_mux = 4, c.energy.adc_energy_pj = 1.25;
  const nlohmann::json j = sc::to_json(c);
  sc::AcceleratorTopConfig back;
  sc::apply_json(back, j, "cfg.json");
  BOOST_TEST(sc::to_json(back) == j);
  BOOST_TEST(back.exact);
  BOOST_TEST(back.protocol.strict_streaming_width);
  const auto fails = [](const char* text, const std::string& needle) {
    sc::AcceleratorTopConfig x;
    try {
      sc::apply_json(x, nlohmann::json::parse(text), "cfg.json");
    } catch (const core::InputError& e) {
      const std::string m = e.what();
      BOOST_TEST_INFO(m);
      return m.rfind("cfg.json: ", 0) == 0 && m.find(needle) != std::string::npos;
    }
    return false;
  };
  BOOST_TEST(fails(R"({"tiles": 0})", "accelerator.tiles"));
  BOOST_TEST(fails(R"({"dma_burst_bytes": 6})", "accelerator.dma_burst_bytes"));
  BOOST_TEST(fails(R"({"max_batch": -1})", "accelerator.max_batch"));
  BOOST_TEST(fails(R"({"protocol": {"incomplete_is_ok": "yes"}})", "accelerator.protocol.incomplete_is_ok"));
  BOOST_TEST(fails(R"({"protocol": 1})", "accelerator.protocol"));
  BOOST_TEST(fails(R"({"engine": {"HGS": 1e-9, "LGS": 1e-7}})", "HGS"));
  BOOST_TEST(fails(R"({"tile": {"bogus": 1}})", "bogus"));
  BOOST_TEST(fails(R"({"energy": {"bogus": 1}})", "bogus"));
  BOOST_TEST(fails(R"([1, 2])", "accelerator"));
}

BOOST_AUTO_TEST_CASE(lax_host_runs_a_layer_exactly) {
  LaxHost& h = H();
  // Integer data: every product and partial sum is exact in float64 and in float32, so the
  // result is bit-identical to Eigen's product whatever the order of the additions.
  const int K = 100, N = 50, B = 3;  // 2 x 2 blocks of 64 x 32 on 4 tiles
  Eigen::MatrixXd W(K, N), X(B, K);
  for (int k = 0; k < K; ++k)
    for (int n = 0; n < N; ++n) W(k, n) = static_cast<double>((k * 7 + n * 3) % 17 - 8);
  for (int b = 0; b < B; ++b)
    for (int k = 0; k < K; ++k) X(b, k) = static_cast<double>((b * 5 + k * 11) % 9 - 4);
  const std::uint64_t desc = kMemBase + 0x100, wa = kMemBase + 0x1000, xa = kMemBase + 0x8000, ya = kMemBase + 0x9000;
  test::vp::put_f32(h.at(wa), W);
  test::vp::put_f32(h.at(xa), X);
  sc::LayerDescriptor d;
  d.k = K, d.n = N, d.batch = B, d.weights_addr = wa, d.input_addr = xa, d.output_addr = ya;
  d.to_bytes(h.at(desc));

  std::uint32_t id = 0, status = 0, int_status = 0;
  int claimed = -1;
  firmware([&] {
    auto w = [&](std::uint32_t off, std::uint32_t v) {
      BOOST_TEST(h.cpu.access(tlm::TLM_WRITE_COMMAND, kLaxCsr + off, v) == tlm::TLM_OK_RESPONSE);
    };
    auto r = [&](std::uint32_t off) {
      std::uint32_t v = 0;
      BOOST_TEST(h.cpu.access(tlm::TLM_READ_COMMAND, kLaxCsr + off, v) == tlm::TLM_OK_RESPONSE);
      return v;
    };
    id = r(sc::reg::ID);
    w(sc::reg::DESC_ADDR_LO, static_cast<std::uint32_t>(desc));
    w(sc::reg::DESC_ADDR_HI, static_cast<std::uint32_t>(desc >> 32));
    w(sc::reg::CTRL, 5u);  // IRQ_EN | START
    sc_core::wait(h.plic.wake);
    claimed = h.plic.claim();
    status = r(sc::reg::STATUS);
    w(sc::reg::INT_STATUS, 3u);  // clear the source before completing the claim
    sc_core::wait(sc_time(1, SC_NS));
    int_status = r(sc::reg::INT_STATUS);
    h.plic.complete(claimed);
  });
  BOOST_TEST(id == sc::AcceleratorTop::kId);
  BOOST_TEST(claimed == 3);
  BOOST_TEST(status == 2u);  // DONE, no error: the memory's INCOMPLETE answers were taken as OK
  BOOST_TEST(int_status == 0u);
  BOOST_TEST(h.lax_irq.line.read() == false);
  BOOST_TEST(h.plic.raises == 1);
  const Eigen::MatrixXf ref = (X * W).cast<float>();
  const Eigen::MatrixXf got = test::vp::get_f32(h.at(ya), B, N);
  BOOST_TEST((got.array() == ref.array()).all());
  BOOST_TEST(sc_core::sc_report_handler::get_count(sc_core::SC_WARNING) == 0);
}

BOOST_AUTO_TEST_CASE(strict_options_give_the_documented_errors) {
  LaxHost& h = H();
  std::uint32_t v = 0;
  tlm::tlm_response_status sw0 = tlm::TLM_OK_RESPONSE, sw4 = tlm::TLM_INCOMPLETE_RESPONSE;
  std::uint32_t status = 0, err_status = 0, err_lo = 0, err_hi = 0;
  const std::uint64_t desc = kMemBase + 0x100;
  firmware([&] {
    sw0 = h.cpu.access(tlm::TLM_READ_COMMAND, kStrictCsr + sc::reg::ID, v, 0);
    sw4 = h.cpu.access(tlm::TLM_READ_COMMAND, kStrictCsr + sc::reg::ID, v, 4);
    auto w = [&](std::uint32_t off, std::uint32_t x) { h.cpu.access(tlm::TLM_WRITE_COMMAND, kStrictCsr + off, x, 4); };
    auto r = [&](std::uint32_t off) {
      std::uint32_t x = 0;
      h.cpu.access(tlm::TLM_READ_COMMAND, kStrictCsr + off, x, 4);
      return x;
    };
    w(sc::reg::INT_STATUS, 3u);  // the burst error above set STATUS.ERROR code 1
    w(sc::reg::DESC_ADDR_LO, static_cast<std::uint32_t>(desc));
    w(sc::reg::DESC_ADDR_HI, static_cast<std::uint32_t>(desc >> 32));
    w(sc::reg::CTRL, 5u);
    sc_core::wait(h.plic.wake);
    h.plic.complete(h.plic.claim());
    status = r(sc::reg::STATUS);
    err_status = r(sc::reg::DMA_ERR_STATUS);
    err_lo = r(sc::reg::DMA_ERR_ADDR_LO);
    err_hi = r(sc::reg::DMA_ERR_ADDR_HI);
    w(sc::reg::INT_STATUS, 3u);
    // A second failing job: the warning is given once per accelerator.
    w(sc::reg::CTRL, 5u);
    sc_core::wait(h.plic.wake);
    h.plic.complete(h.plic.claim());
    w(sc::reg::INT_STATUS, 3u);
  });
  BOOST_TEST(sw0 == tlm::TLM_BURST_ERROR_RESPONSE);
  BOOST_TEST(sw4 == tlm::TLM_OK_RESPONSE);
  BOOST_TEST(v == sc::AcceleratorTop::kId);
  BOOST_TEST((status & 7u) == 4u);
  BOOST_TEST(((status >> 8) & 0xFFu) == static_cast<std::uint32_t>(sc::AccelError::DescriptorDma));
  BOOST_TEST((err_status & 0xFu) == static_cast<std::uint32_t>(sc::DmaResponse::Incomplete));
  BOOST_TEST((err_status & 0x100u) == 0u);  // a read
  BOOST_TEST((static_cast<std::uint64_t>(err_hi) << 32 | err_lo) == desc);
  BOOST_TEST(sc_core::sc_report_handler::get_count(sc_core::SC_WARNING) == 1);
}
