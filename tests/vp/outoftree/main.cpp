// Tiny platform against the installed package: an initiator thread, a memory, the accelerator;
// one 16 x 8 job; exits 0 when the job completes with the interrupt and a small error.
#include <cmath>
#include <cstdio>
#include <cstring>

#include <memtile/sc/soc/AcceleratorTop.hpp>
#include <memtile/sc/soc/Memory.hpp>
#include <memtile/sc/soc/Router.hpp>
#include <systemc>
#include <tlm_utils/simple_initiator_socket.h>

using namespace memtile;

struct Host : sc_core::sc_module {
  tlm_utils::simple_initiator_socket<Host, 32> socket;
  sc_core::sc_in<bool> irq;
  sc::Memory* mem = nullptr;
  int rc = 1;
  SC_HAS_PROCESS(Host);
  explicit Host(sc_core::sc_module_name n) : sc_core::sc_module(n), socket("socket"), irq("irq") {
    SC_THREAD(run);
    set_stack_size(1u << 20);  // the driver calls into the accelerator: deep stacks under ASan
  }
  std::uint32_t csr(tlm::tlm_command cmd, std::uint32_t off, std::uint32_t v = 0) {
    tlm::tlm_generic_payload tx;
    tx.set_command(cmd);
    tx.set_address(0x1000 + off);
    tx.set_data_ptr(reinterpret_cast<unsigned char*>(&v));
    tx.set_data_length(4);
    tx.set_streaming_width(4);
    sc_core::sc_time d = sc_core::SC_ZERO_TIME;
    socket->b_transport(tx, d);
    sc_core::wait(d);
    return tx.is_response_ok() ? v : 0xFFFFFFFFu;
  }
  void run() {
    const int K = 16, N = 8;
    float w[K * N], x[K], y[N];
    for (int i = 0; i < K * N; ++i) w[i] = static_cast<float>((i * 37 % 17) - 8) / 8.0f;
    for (int i = 0; i < K; ++i) x[i] = static_cast<float>(i % 5) / 4.0f - 0.5f;
    std::memcpy(mem->data() + 0x100, w, sizeof w);
    std::memcpy(mem->data() + 0x400, x, sizeof x);
    sc::LayerDescriptor d;
    d.k = K, d.n = N, d.batch = 1;
    d.weights_addr = 0x10000 + 0x100, d.input_addr = 0x10000 + 0x400, d.output_addr = 0x10000 + 0x800;
    d.to_bytes(mem->data());
    csr(tlm::TLM_WRITE_COMMAND, sc::reg::DESC_ADDR_LO, 0x10000);
    csr(tlm::TLM_WRITE_COMMAND, sc::reg::CTRL, 5);
    sc_core::wait(irq.posedge_event());
    const std::uint32_t st = csr(tlm::TLM_READ_COMMAND, sc::reg::STATUS);
    std::memcpy(y, mem->data() + 0x800, sizeof y);
    double err = 0, ref = 0;
    for (int j = 0; j < N; ++j) {
      double e = 0;
      for (int k = 0; k < K; ++k) e += static_cast<double>(x[k]) * w[k * N + j];
      err += (y[j] - e) * (y[j] - e);
      ref += e * e;
    }
    std::printf("STATUS 0x%x, relative error %.4f\n", st, std::sqrt(err / ref));
    rc = (st == 2u && std::sqrt(err / ref) < 0.2) ? 0 : 1;
  }
};

int sc_main(int, char*[]) {
  Host host("host");
  sc::Router bus("bus");
  sc::Memory mem("mem", 0x10000);
  sc::AcceleratorTop accel("accel");
  sc_core::sc_signal<bool> irq("irq");
  host.mem = &mem;
  host.socket.bind(bus.target);
  accel.dma.bind(bus.target);
  bus.map("csr", 0x1000, sc::AcceleratorTop::kCsrBytes);
  bus.initiator.bind(accel.csr);
  bus.map("mem", 0x10000, 0x10000);
  bus.initiator.bind(mem.socket);
  accel.irq.bind(irq);
  host.irq.bind(irq);
  sc_core::sc_start();
  return host.rc;
}
