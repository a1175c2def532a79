// Tiny platform against the installed package: an initiator thread that leaves streaming width
// at 0 (as many CPU models do), a memory, the accelerator in exact mode, its interrupt through
// the callback adapter; one 16 x 8 job of integer data; exits 0 when the job completes with the
// interrupt and results equal to the float64 product.
#include <cmath>
#include <cstdio>
#include <cstring>

#include <memtile/sc/soc/AcceleratorTop.hpp>
#include <memtile/sc/soc/IrqAdapter.hpp>
#include <memtile/sc/soc/Memory.hpp>
#include <memtile/sc/soc/Router.hpp>
#include <systemc>
#include <tlm_utils/simple_initiator_socket.h>

using namespace memtile;

struct Host : sc_core::sc_module {
  tlm_utils::simple_initiator_socket<Host, 32> socket;
  sc_core::sc_event irq_ev;  // notified by the interrupt callback
  sc::Memory* mem = nullptr;
  int rc = 1;
  SC_HAS_PROCESS(Host);
  explicit Host(sc_core::sc_module_name n) : sc_core::sc_module(n), socket("socket") {
    SC_THREAD(run);
    set_stack_size(1u << 20);  // the driver calls into the accelerator: deep stacks under ASan
  }
  std::uint32_t csr(tlm::tlm_command cmd, std::uint32_t off, std::uint32_t v = 0) {
    tlm::tlm_generic_payload tx;
    tx.set_command(cmd);
    tx.set_address(0x1000 + off);
    tx.set_data_ptr(reinterpret_cast<unsigned char*>(&v));
    tx.set_data_length(4);
    tx.set_streaming_width(0);  // = data length (accepted unless protocol.strict_streaming_width)
    sc_core::sc_time d = sc_core::SC_ZERO_TIME;
    socket->b_transport(tx, d);
    sc_core::wait(d);
    return tx.is_response_ok() ? v : 0xFFFFFFFFu;
  }
  void run() {
    const int K = 16, N = 8;
    float w[K * N], x[K], y[N];
    for (int i = 0; i < K * N; ++i) w[i] = static_cast<float>((i * 37 % 17) - 8);
    for (int i = 0; i < K; ++i) x[i] = static_cast<float>(i % 5) - 2.0f;
    std::memcpy(mem->data() + 0x100, w, sizeof w);
    std::memcpy(mem->data() + 0x400, x, sizeof x);
    sc::LayerDescriptor d;
    d.k = K, d.n = N, d.batch = 1;
    d.weights_addr = 0x10000 + 0x100, d.input_addr = 0x10000 + 0x400, d.output_addr = 0x10000 + 0x800;
    d.to_bytes(mem->data());
    csr(tlm::TLM_WRITE_COMMAND, sc::reg::DESC_ADDR_LO, 0x10000);
    csr(tlm::TLM_WRITE_COMMAND, sc::reg::CTRL, 5);
    sc_core::wait(irq_ev);
    const std::uint32_t st = csr(tlm::TLM_READ_COMMAND, sc::reg::STATUS);
    std::memcpy(y, mem->data() + 0x800, sizeof y);
    int wrong = 0;
    for (int j = 0; j < N; ++j) {
      double e = 0;
      for (int k = 0; k < K; ++k) e += static_cast<double>(x[k]) * w[k * N + j];
      wrong += static_cast<double>(y[j]) != e;
    }
    std::printf("STATUS 0x%x, %d of %d results differ from the float64 product\n", st, wrong, N);
    rc = (st == 2u && wrong == 0) ? 0 : 1;
  }
};

int sc_main(int, char*[]) {
  Host host("host");
  sc::Router bus("bus");
  sc::Memory mem("mem", 0x10000);
  sc::AcceleratorTopConfig cfg;
  cfg.exact = true;
  sc::AcceleratorTop accel("accel", cfg);
  sc::IrqAdapter irq("irq", sc::IrqAdapter::Edge::Rising, [&host](bool) { host.irq_ev.notify(sc_core::SC_ZERO_TIME); });
  host.mem = &mem;
  host.socket.bind(bus.target);
  accel.dma.bind(bus.target);
  bus.map("csr", 0x1000, sc::AcceleratorTop::kCsrBytes);
  bus.initiator.bind(accel.csr);
  bus.map("mem", 0x10000, 0x10000);
  bus.initiator.bind(mem.socket);
  accel.irq.bind(irq.line);
  sc_core::sc_start();
  return host.rc;
}
