// The accelerator as a TLM-2.0 peripheral (issue 6): base-protocol compliance of the CSR
// socket (table-driven), AT 4-phase, transport_dbg, DMI refusal, the register map against
// docs/registers.md, jobs through descriptor + DMA + tiles + IRQ with the numbers checked
// bit for bit against the core engine, and failing jobs (bad descriptors, unmapped DMA).
// One elaboration for the whole executable (docs/model.md §8): Boost owns main(); the platform is
// built by the first test that needs it; each test drives it with sc_start().
#define BOOST_TEST_MODULE memtile vp accelerator
#include <boost/test/unit_test.hpp>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <memory>
#include <sstream>

#include <systemc>
#include <tlm_utils/simple_initiator_socket.h>

#include "memtile/core/MatrixEngine.hpp"
#include "memtile/sc/soc/AcceleratorTop.hpp"
#include "memtile/sc/soc/Memory.hpp"
#include "memtile/sc/soc/Router.hpp"

#include "VpHarness.hpp"

using namespace memtile;
using sc_core::sc_time;
using sc_core::SC_NS;
using sc_core::SC_ZERO_TIME;
using memtile::test::vp::as_f32;
using memtile::test::vp::NoSystemCWarnings;
using memtile::test::vp::random;

int sc_main(int, char*[]) { return 0; }  // Boost owns main(); libsystemc still references sc_main

namespace {

constexpr std::uint64_t kMemBase = 0x80000000ull;
constexpr std::uint64_t kMemSize = 4u << 20;

// Payloads for nb_transport need a memory manager (base protocol); these live on the stack.
struct NullMm : tlm::tlm_mm_interface {
  void free(tlm::tlm_generic_payload* tx) override { tx->reset(); }
};

struct Cpu : sc_core::sc_module {
  tlm_utils::simple_initiator_socket<Cpu, 32> socket;
  sc_core::sc_event resp_ev;
  tlm::tlm_phase last_bw_phase = tlm::UNINITIALIZED_PHASE;
  bool complete_on_bw = true;  // bw BEGIN_RESP answered TLM_COMPLETED (else ACCEPTED + END_RESP)
  explicit Cpu(sc_core::sc_module_name n) : sc_core::sc_module(n), socket("socket") {
    socket.register_nb_transport_bw(this, &Cpu::nb_transport_bw);
  }
  tlm::tlm_sync_enum nb_transport_bw(tlm::tlm_generic_payload&, tlm::tlm_phase& ph, sc_time&) {
    last_bw_phase = ph;
    resp_ev.notify(SC_ZERO_TIME);
    return complete_on_bw ? tlm::TLM_COMPLETED : tlm::TLM_ACCEPTED;
  }
};

sc::AcceleratorTopConfig accel_config() {
  sc::AcceleratorTopConfig c;
  c.tiles = 4;
  c.tile_in = 64;   // two 32-row arrays
  c.tile_out = 32;  // one 32-column array
  c.engine.seed = 7;
  return c;
}

sc::AcceleratorTopConfig strict_config() {
  sc::AcceleratorTopConfig c = accel_config();
  c.protocol.strict_streaming_width = true;
  return c;
}

struct Platform {
  Cpu cpu{"cpu"};
  Cpu scpu{"scpu"};  // drives `strict` (protocol.strict_streaming_width), directly
  Cpu host{"host"};  // a second initiator on the system bus
  sc::Router bus{"bus", sc_time(1, SC_NS)};
  sc::Memory mem{"mem", kMemSize};
  sc::AcceleratorTop accel{"accel", accel_config()};
  sc::AcceleratorTop strict{"strict", strict_config()};
  sc_core::sc_signal<bool> irq{"irq"};
  Platform() {
    cpu.socket.bind(accel.csr);  // direct: the CSR socket sees AT traffic too
    scpu.socket.bind(strict.csr);
    strict.dma.bind(bus.target);
    accel.dma.bind(bus.target);
    host.socket.bind(bus.target);
    bus.map("mem", kMemBase, kMemSize);
    bus.initiator.bind(mem.socket);
    accel.irq.bind(irq);
    sc_core::sc_start(SC_ZERO_TIME);
  }
  // ---- CSR access from the test (the CSR path never waits: callable outside a process)
  tlm::tlm_response_status access(tlm::tlm_command cmd, std::uint64_t addr, std::uint32_t* data, unsigned len = 4,
                                  unsigned sw = 4, unsigned char* be = nullptr, unsigned be_len = 0,
                                  sc_time delay = SC_ZERO_TIME, Cpu* via = nullptr) {
    tlm::tlm_generic_payload tx;
    tx.set_command(cmd);
    tx.set_address(addr);
    tx.set_data_ptr(reinterpret_cast<unsigned char*>(data));
    tx.set_data_length(len);
    tx.set_streaming_width(sw);
    tx.set_byte_enable_ptr(be);
    tx.set_byte_enable_length(be_len);
    tx.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
    (via ? via : &cpu)->socket->b_transport(tx, delay);
    return tx.get_response_status();
  }
  void write(std::uint32_t off, std::uint32_t v) {
    BOOST_REQUIRE(access(tlm::TLM_WRITE_COMMAND, off, &v) == tlm::TLM_OK_RESPONSE);
  }
  std::uint32_t read(std::uint32_t off) {
    std::uint32_t v = 0xDEADBEEF;
    BOOST_REQUIRE(access(tlm::TLM_READ_COMMAND, off, &v) == tlm::TLM_OK_RESPONSE);
    return v;
  }
  std::uint32_t reg(const std::string& name) {
    for (const sc::Register& r : accel.registers().registers())
      if (r.name == name) return r.offset;
    BOOST_FAIL("no register " + name);
    return 0;
  }
  // ---- system memory backdoor
  unsigned char* at(std::uint64_t bus_addr) { return mem.data() + (bus_addr - kMemBase); }
  void put_floats(std::uint64_t addr, const Eigen::MatrixXd& m) { test::vp::put_f32(at(addr), m); }  // row-major float32
  Eigen::MatrixXf get_floats(std::uint64_t addr, Eigen::Index rows, Eigen::Index cols) {
    return test::vp::get_f32(at(addr), rows, cols);
  }
  void put_descriptor(std::uint64_t addr, const sc::LayerDescriptor& d) { d.to_bytes(at(addr)); }
  void start(std::uint64_t desc, bool irq_en = true) {
    write(reg("DESC_ADDR_LO"), static_cast<std::uint32_t>(desc));
    write(reg("DESC_ADDR_HI"), static_cast<std::uint32_t>(desc >> 32));
    write(reg("CTRL"), (irq_en ? 4u : 0u) | 1u);
  }
  void clear_irq() {
    write(reg("INT_STATUS"), 3u);
    sc_core::sc_start(SC_ZERO_TIME);  // the irq signal updates in the next delta
  }
};

Platform& P() {
  static Platform p;
  return p;
}

std::string source_dir() {
  const char* s = std::getenv("MEMTILE_SOURCE_DIR");
  return s ? s : MEMTILE_TEST_SOURCE_DIR;
}

// Reference: the core engine on the same padded blocks and seeds, partial sums ascending. The
// blocks are derived here, not through core::LayerTiling, so a mapper fault cannot hide.
// Block b of a round runs on tile tile_base + b mod (tiles - tile_base), seeded engine seed + tile.
Eigen::MatrixXd reference(const Eigen::MatrixXd& W, const Eigen::MatrixXd& X, bool relu, int tile_base = 0) {
  const sc::AcceleratorTopConfig c = accel_config();
  const int row_blocks = static_cast<int>((W.rows() + c.tile_in - 1) / c.tile_in);
  const int col_blocks = static_cast<int>((W.cols() + c.tile_out - 1) / c.tile_out);
  Eigen::MatrixXd Y = Eigen::MatrixXd::Zero(X.rows(), W.cols());
  for (int r = 0; r < row_blocks; ++r)
    for (int cb = 0; cb < col_blocks; ++cb) {
      const Eigen::Index k0 = r * c.tile_in, n0 = cb * c.tile_out;
      const Eigen::Index kr = std::min<Eigen::Index>(c.tile_in, W.rows() - k0);
      const Eigen::Index nc = std::min<Eigen::Index>(c.tile_out, W.cols() - n0);
      Eigen::MatrixXd Wp = Eigen::MatrixXd::Zero(c.tile_in, c.tile_out);
      Wp.topLeftCorner(kr, nc) = W.block(k0, n0, kr, nc);
      Eigen::MatrixXd Xp = Eigen::MatrixXd::Zero(X.rows(), c.tile_in);
      Xp.leftCols(kr) = X.middleCols(k0, kr);
      core::EngineConfig e = c.engine;
      e.seed = c.engine.seed + static_cast<std::uint64_t>(tile_base + (r * col_blocks + cb) % (c.tiles - tile_base));
      core::ProgrammedMatrix pm = core::MatrixEngine(e).program(Wp);
      Y.middleCols(n0, nc) += pm.multiply(Xp).leftCols(nc);
    }
  if (relu) Y = Y.cwiseMax(0.0);
  return Y;
}

}  // namespace

BOOST_TEST_GLOBAL_FIXTURE(NoSystemCWarnings);

BOOST_AUTO_TEST_CASE(reset_values_and_identification) {
  Platform& p = P();
  for (const sc::Register& r : p.accel.registers().registers()) {
    if (r.access == sc::RegAccess::WO) continue;
    if (r.name == "NUM_TILES" || r.name == "TILE_OUT") continue;  // configured, not the default
    BOOST_TEST_INFO(r.name);
    BOOST_TEST(p.read(r.offset) == r.reset);
  }
  BOOST_TEST(p.read(p.reg("ID")) == 0x4D454D54u);
  BOOST_TEST(p.read(p.reg("NUM_TILES")) == 4u);
  BOOST_TEST(p.read(p.reg("TILE_IN")) == 64u);
  BOOST_TEST(p.read(p.reg("TILE_OUT")) == 32u);
  BOOST_TEST(p.read(p.reg("ARRAY_SIZE")) == (32u << 16 | 32u));
  p.write(p.reg("SCRATCH"), 0x12345678u);
  BOOST_TEST(p.read(p.reg("SCRATCH")) == 0x12345678u);
}

// IEEE 1666-2011 §14.17 reading (docs/integration.md, "Protocol"): an unsupported data length
// or streaming width is a burst error, a misaligned or unmapped address an address error, a
// streaming access of 4-byte beats is legal (each beat one access of the same register).
// Every case runs on `accel` (defaults) and on `strict` (strict_streaming_width): the only
// difference is streaming width 0.
BOOST_AUTO_TEST_CASE(base_protocol_compliance_table) {
  Platform& p = P();
  using R = tlm::tlm_response_status;
  unsigned char be[4] = {0xFF, 0xFF, 0xFF, 0xFF};
  struct Case {
    const char* what;
    int cmd;  // tlm_command value (3: not a command)
    std::uint64_t addr;
    unsigned len, sw;
    bool byte_enables, null_data;
    R expected, expected_strict;
  };
  const std::uint32_t id = p.reg("ID"), status = p.reg("STATUS"), perf_clear = p.reg("PERF_CLEAR");
  const std::uint32_t scratch = p.reg("SCRATCH");
  constexpr R OK = tlm::TLM_OK_RESPONSE, ADDR = tlm::TLM_ADDRESS_ERROR_RESPONSE, CMD = tlm::TLM_COMMAND_ERROR_RESPONSE,
              BURST = tlm::TLM_BURST_ERROR_RESPONSE, BE = tlm::TLM_BYTE_ENABLE_ERROR_RESPONSE;
  const Case cases[] = {
      {"read of a hole in the map", tlm::TLM_READ_COMMAND, 0x044, 4, 4, false, false, ADDR, ADDR},
      {"write to a hole in the map", tlm::TLM_WRITE_COMMAND, 0x0FC, 4, 4, false, false, ADDR, ADDR},
      {"read beyond the bank", tlm::TLM_READ_COMMAND, 0x100, 4, 4, false, false, ADDR, ADDR},
      {"far beyond the bank", tlm::TLM_WRITE_COMMAND, 0xFFFFFFF0ull, 4, 4, false, false, ADDR, ADDR},
      {"overrun of the bank", tlm::TLM_READ_COMMAND, 0x0FC, 8, 8, false, false, ADDR, ADDR},
      {"ignore on a hole", tlm::TLM_IGNORE_COMMAND, 0x044, 4, 4, false, false, ADDR, ADDR},
      {"write to RO ID", tlm::TLM_WRITE_COMMAND, id, 4, 4, false, false, CMD, CMD},
      {"write to RO STATUS", tlm::TLM_WRITE_COMMAND, status, 4, 4, false, false, CMD, CMD},
      {"read of WO PERF_CLEAR", tlm::TLM_READ_COMMAND, perf_clear, 4, 4, false, false, CMD, CMD},
      {"unsupported command", 3, id, 4, 4, false, false, CMD, CMD},
      {"length 8", tlm::TLM_READ_COMMAND, id, 8, 8, false, false, BURST, BURST},
      {"length 2", tlm::TLM_READ_COMMAND, id, 2, 2, false, false, BURST, BURST},
      {"length 1 write", tlm::TLM_WRITE_COMMAND, scratch, 1, 1, false, false, BURST, BURST},
      {"length 0", tlm::TLM_READ_COMMAND, id, 0, 0, false, false, BURST, BURST},
      {"misaligned read", tlm::TLM_READ_COMMAND, 0x002, 4, 4, false, false, ADDR, ADDR},
      {"misaligned write", tlm::TLM_WRITE_COMMAND, scratch + 1, 4, 4, false, false, ADDR, ADDR},
      {"streaming width < length, not a word", tlm::TLM_READ_COMMAND, id, 4, 2, false, false, BURST, BURST},
      {"streaming length 8 width 2", tlm::TLM_READ_COMMAND, id, 8, 2, false, false, BURST, BURST},
      {"streaming length 6 width 4", tlm::TLM_READ_COMMAND, id, 6, 4, false, false, BURST, BURST},
      {"streaming width 0 (= length)", tlm::TLM_WRITE_COMMAND, scratch, 4, 0, false, false, OK, BURST},
      {"streaming width 0 read", tlm::TLM_READ_COMMAND, id, 4, 0, false, false, OK, BURST},
      {"streaming read, length 8 width 4", tlm::TLM_READ_COMMAND, id, 8, 4, false, false, OK, OK},
      {"streaming write, length 8 width 4", tlm::TLM_WRITE_COMMAND, scratch, 8, 4, false, false, OK, OK},
      {"byte enables on read", tlm::TLM_READ_COMMAND, id, 4, 4, true, false, BE, BE},
      {"byte enables on write", tlm::TLM_WRITE_COMMAND, scratch, 4, 4, true, false, BE, BE},
      {"null data pointer", tlm::TLM_READ_COMMAND, id, 4, 4, false, true, CMD, CMD},
      {"ignore on a register", tlm::TLM_IGNORE_COMMAND, id, 4, 4, false, false, OK, OK},
      {"legal read", tlm::TLM_READ_COMMAND, id, 4, 4, false, false, OK, OK},
      {"legal write", tlm::TLM_WRITE_COMMAND, scratch, 4, 4, false, false, OK, OK},
  };
  for (const bool strict : {false, true}) {
    sc::AcceleratorTop& a = strict ? p.strict : p.accel;
    Cpu* via = strict ? &p.scpu : &p.cpu;
    auto wr = [&](std::uint32_t off, std::uint32_t v) {
      BOOST_REQUIRE(p.access(tlm::TLM_WRITE_COMMAND, off, &v, 4, 4, nullptr, 0, SC_ZERO_TIME, via) == OK);
    };
    wr(scratch, 0xCAFEF00Du);
    for (const Case& c : cases) {
      BOOST_TEST_CONTEXT((strict ? "strict: " : "default: ") << c.what) {
        wr(p.reg("INT_STATUS"), 3u);  // clears STATUS.ERROR
        std::uint32_t buf[4] = {0xCAFEF00Du, 0xCAFEF00Du, 0, 0};
        const tlm::tlm_command cmd = static_cast<tlm::tlm_command>(c.cmd);
        const R want = strict ? c.expected_strict : c.expected;
        const R got = p.access(cmd, c.addr, c.null_data ? nullptr : buf, c.len, c.sw, c.byte_enables ? be : nullptr,
                               c.byte_enables ? 4 : 0, SC_ZERO_TIME, via);
        BOOST_TEST(got == want);
        const std::uint32_t st = a.registers().peek(status);
        if (want == OK) {
          BOOST_TEST((st & 4u) == 0u);
          if (cmd == tlm::TLM_READ_COMMAND && c.addr == id)
            for (unsigned w = 0; w < c.len / 4; ++w) BOOST_TEST(buf[w] == sc::AcceleratorTop::kId);
        } else {
          BOOST_TEST((st & 4u) == 4u);             // STATUS.ERROR
          BOOST_TEST(((st >> 8) & 0xFFu) == 1u);   // code 1: CSR access
          BOOST_TEST(a.registers().peek(p.reg("INT_STATUS")) == 0u);  // a bus error is not a job interrupt
        }
        BOOST_TEST(a.registers().peek(scratch) == 0xCAFEF00Du);  // no illegal access wrote anything
      }
    }
    wr(p.reg("INT_STATUS"), 3u);
    BOOST_TEST(a.registers().peek(status) == 0u);
  }
  sc_core::sc_start(SC_ZERO_TIME);
}

BOOST_AUTO_TEST_CASE(at_four_phase_on_the_csr_socket) {
  Platform& p = P();
  bool ok = false;
  sc_core::sc_spawn([&] {
    NullMm mm;
    std::uint32_t data = 0x5A5A0001u;
    tlm::tlm_generic_payload tx(&mm);
    tx.acquire();
    auto send = [&](tlm::tlm_command cmd, std::uint32_t off, unsigned sw) {
      tx.set_command(cmd);
      tx.set_address(off);
      tx.set_data_ptr(reinterpret_cast<unsigned char*>(&data));
      tx.set_data_length(4);
      tx.set_streaming_width(sw);
      tx.set_byte_enable_ptr(nullptr);
      tx.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
      tlm::tlm_phase ph = tlm::BEGIN_REQ;
      sc_time d = SC_ZERO_TIME;
      const tlm::tlm_sync_enum s = p.cpu.socket->nb_transport_fw(tx, ph, d);
      BOOST_TEST(s == tlm::TLM_ACCEPTED);
      sc_core::wait(p.cpu.resp_ev);
      BOOST_TEST(p.cpu.last_bw_phase == tlm::BEGIN_RESP);
      if (!p.cpu.complete_on_bw) {
        ph = tlm::END_RESP;
        d = SC_ZERO_TIME;
        BOOST_TEST(p.cpu.socket->nb_transport_fw(tx, ph, d) == tlm::TLM_COMPLETED);
      }
      return tx.get_response_status();
    };
    const sc_time t0 = sc_core::sc_time_stamp();
    p.cpu.complete_on_bw = true;
    BOOST_TEST(send(tlm::TLM_WRITE_COMMAND, p.reg("SCRATCH"), 4) == tlm::TLM_OK_RESPONSE);
    BOOST_TEST(sc_core::sc_time_stamp() > t0);  // the access's latency elapsed before BEGIN_RESP
    p.cpu.complete_on_bw = false;  // ACCEPTED on the backward path, then END_RESP forward
    data = 0;
    BOOST_TEST(send(tlm::TLM_READ_COMMAND, p.reg("SCRATCH"), 4) == tlm::TLM_OK_RESPONSE);
    BOOST_TEST(data == 0x5A5A0001u);
    BOOST_TEST(send(tlm::TLM_WRITE_COMMAND, p.reg("ID"), 4) == tlm::TLM_COMMAND_ERROR_RESPONSE);
    BOOST_TEST(send(tlm::TLM_READ_COMMAND, p.reg("ID"), 2) == tlm::TLM_BURST_ERROR_RESPONSE);
    BOOST_TEST(send(tlm::TLM_READ_COMMAND, p.reg("ID"), 0) == tlm::TLM_OK_RESPONSE);  // width 0 = length
    tx.release();
    ok = true;
  });
  sc_core::sc_start();
  BOOST_TEST(ok);
  p.clear_irq();
}

BOOST_AUTO_TEST_CASE(debug_transport_has_no_side_effects_and_dmi_is_refused) {
  Platform& p = P();
  // Make INT_STATUS non-zero (a failed job) so that a side effect would be visible.
  p.write(p.reg("DESC_ADDR_LO"), 0x1000);  // unmapped for the DMA
  p.write(p.reg("CTRL"), 1u);
  sc_core::sc_start();
  const sc_time t = sc_core::sc_time_stamp();
  std::uint32_t words[64] = {};
  tlm::tlm_generic_payload tx;
  tx.set_command(tlm::TLM_READ_COMMAND);
  tx.set_address(0);
  tx.set_data_ptr(reinterpret_cast<unsigned char*>(words));
  tx.set_data_length(sizeof words);
  BOOST_TEST(p.cpu.socket->transport_dbg(tx) == sizeof words);
  BOOST_TEST(words[0] == 0x4D454D54u);
  BOOST_TEST(words[p.reg("INT_STATUS") / 4] == 2u);
  BOOST_TEST(words[p.reg("PERF_CLEAR") / 4] == 0u);  // WO reads as 0 in debug
  const std::uint32_t scratch = p.read(p.reg("SCRATCH"));
  std::uint32_t w = 0xFFFFFFFFu;
  tx.set_command(tlm::TLM_WRITE_COMMAND);
  tx.set_address(p.reg("SCRATCH"));
  tx.set_data_ptr(reinterpret_cast<unsigned char*>(&w));
  tx.set_data_length(4);
  BOOST_TEST(p.cpu.socket->transport_dbg(tx) == 0u);  // debug writes refused
  tx.set_address(p.reg("INT_STATUS"));
  BOOST_TEST(p.cpu.socket->transport_dbg(tx) == 0u);
  BOOST_TEST(p.read(p.reg("SCRATCH")) == scratch);
  BOOST_TEST(p.read(p.reg("INT_STATUS")) == 2u);
  BOOST_TEST(sc_core::sc_time_stamp() == t);
  // DMI
  tlm::tlm_dmi dmi;
  tx.set_command(tlm::TLM_READ_COMMAND);
  tx.set_address(0);
  BOOST_TEST(!p.cpu.socket->get_direct_mem_ptr(tx, dmi));
  BOOST_TEST(dmi.get_dmi_ptr() == nullptr);
  BOOST_TEST(dmi.get_start_address() == 0u);
  BOOST_TEST(dmi.get_end_address() == ~0ull);  // refused everywhere: the range holds any address
  tx.set_address(0x200);  // beyond the window (a direct binding, no bus to clip it)
  BOOST_TEST(!p.cpu.socket->get_direct_mem_ptr(tx, dmi));
  BOOST_TEST(dmi.get_start_address() <= 0x200u);
  BOOST_TEST(dmi.get_end_address() >= 0x200u);
  p.clear_irq();
}

BOOST_AUTO_TEST_CASE(register_doc_matches_the_table) {
  const std::string path = source_dir() + "/docs/registers.md";
  std::ifstream f(path);
  BOOST_REQUIRE_MESSAGE(f, "cannot open " + path);
  std::stringstream s;
  s << f.rdbuf();
  BOOST_TEST(s.str() == sc::AcceleratorTop::registers_markdown(),
             "docs/registers.md is stale: regenerate with `memtile_vp --registers > docs/registers.md`");
}

BOOST_AUTO_TEST_CASE(job_multi_tile_layer_bit_identical_to_the_engine) {
  Platform& p = P();
  const std::uint64_t desc = kMemBase + 0x100, wa = kMemBase + 0x1000, xa = kMemBase + 0x40000, ya = kMemBase + 0x80000;
  const Eigen::MatrixXd W = as_f32(random(100, 50, 3) * 0.5);  // 2 row blocks x 2 column blocks = 4 tiles
  const Eigen::MatrixXd X = as_f32(random(5, 100, 4));
  sc::LayerDescriptor d;
  d.k = 100, d.n = 50, d.batch = 5, d.weights_addr = wa, d.input_addr = xa, d.output_addr = ya;
  p.put_descriptor(desc, d);
  p.put_floats(wa, W);
  p.put_floats(xa, X);
  p.write(p.reg("PERF_CLEAR"), 1u);
  BOOST_TEST(p.irq.read() == false);
  const sc_time t0 = sc_core::sc_time_stamp();
  p.start(desc);
  BOOST_TEST((p.read(p.reg("STATUS")) & 1u) == 1u);  // busy
  sc_core::sc_start();
  const std::uint32_t st = p.read(p.reg("STATUS"));
  BOOST_TEST(st == 2u);  // done, not busy, no error
  BOOST_TEST(p.read(p.reg("INT_STATUS")) == 1u);
  BOOST_TEST(p.irq.read() == true);
  BOOST_TEST(p.read(p.reg("LAYER_TILES")) == (2u << 16 | 2u));
  const Eigen::MatrixXf Y = p.get_floats(ya, 5, 50);
  const Eigen::MatrixXf R = reference(W, X, false).cast<float>();
  BOOST_TEST((Y.array() == R.array()).all());
  const Eigen::MatrixXd exact = X * W;
  const double re = (Y.cast<double>() - exact).norm() / exact.norm();
  BOOST_TEST_MESSAGE("RE vs exact product " << re);
  BOOST_TEST(re < 0.1);
  BOOST_TEST(p.read(p.reg("MVMS_LO")) == 5u);
  BOOST_TEST(p.read(p.reg("JOBS")) == 1u);
  const std::uint64_t fj = static_cast<std::uint64_t>(p.read(p.reg("ENERGY_FJ_HI"))) << 32 | p.read(p.reg("ENERGY_FJ_LO"));
  BOOST_TEST(fj > 0u);
  const std::uint32_t cycles = p.read(p.reg("LAST_JOB_CYCLES"));
  BOOST_TEST(cycles > 0u);
  BOOST_TEST(cycles <= static_cast<std::uint32_t>((sc_core::sc_time_stamp() - t0) / sc_time(1, SC_NS)));
  BOOST_TEST(p.read(p.reg("CYCLES_LO")) == cycles);
  p.clear_irq();
  BOOST_TEST(p.irq.read() == false);
  BOOST_TEST(p.read(p.reg("INT_STATUS")) == 0u);

  // Same weights, new inputs from the CSRs (IO_FROM_CSR, no LOAD_WEIGHTS), ReLU.
  const Eigen::MatrixXd X2 = as_f32(random(3, 100, 5));
  const std::uint64_t xa2 = kMemBase + 0x50000, ya2 = kMemBase + 0x90000;
  p.put_floats(xa2, X2);
  sc::LayerDescriptor d2 = d;
  d2.flags = sc::LayerDescriptor::IoFromCsr;
  d2.activation = sc::LayerDescriptor::Relu;
  d2.input_addr = d2.output_addr = 0;  // ignored
  d2.batch = 0;                        // ignored
  p.put_descriptor(desc + 0x40, d2);
  p.write(p.reg("IN_ADDR_LO"), static_cast<std::uint32_t>(xa2));
  p.write(p.reg("IN_ADDR_HI"), static_cast<std::uint32_t>(xa2 >> 32));
  p.write(p.reg("OUT_ADDR_LO"), static_cast<std::uint32_t>(ya2));
  p.write(p.reg("OUT_ADDR_HI"), static_cast<std::uint32_t>(ya2 >> 32));
  p.write(p.reg("BATCH"), 3u);
  const double program_pj = p.accel.counters().program_pj;
  p.start(desc + 0x40);
  sc_core::sc_start();
  BOOST_TEST(p.read(p.reg("STATUS")) == 2u);
  BOOST_TEST(p.accel.counters().program_pj == program_pj);  // not reprogrammed
  const Eigen::MatrixXf Y2 = p.get_floats(ya2, 3, 50);
  const Eigen::MatrixXf R2 = reference(W, X2, true).cast<float>();
  BOOST_TEST((Y2.array() == R2.array()).all());
  BOOST_TEST((Y2.array() >= 0).all());
  BOOST_TEST(p.read(p.reg("MVMS_LO")) == 8u);
  p.clear_irq();
}

BOOST_AUTO_TEST_CASE(single_tile_job_and_irq_disabled) {
  Platform& p = P();
  const std::uint64_t desc = kMemBase + 0x200, wa = kMemBase + 0x2000, xa = kMemBase + 0x60000, ya = kMemBase + 0xA0000;
  const Eigen::MatrixXd W = as_f32(random(20, 7, 11));
  const Eigen::MatrixXd X = as_f32(random(4, 20, 12));
  sc::LayerDescriptor d;
  d.k = 20, d.n = 7, d.batch = 4, d.weights_addr = wa, d.input_addr = xa, d.output_addr = ya;
  p.put_descriptor(desc, d);
  p.put_floats(wa, W);
  p.put_floats(xa, X);
  p.start(desc, /*irq_en=*/false);
  sc_core::sc_start();
  BOOST_TEST(p.read(p.reg("STATUS")) == 2u);
  BOOST_TEST(p.read(p.reg("INT_STATUS")) == 1u);
  BOOST_TEST(p.irq.read() == false);  // not enabled
  p.write(p.reg("CTRL"), 4u);         // enabling raises the pending interrupt
  BOOST_TEST(p.accel.irq_level() == true);
  sc_core::sc_start(SC_ZERO_TIME);
  BOOST_TEST(p.irq.read() == true);
  const Eigen::MatrixXf Y = p.get_floats(ya, 4, 7);
  BOOST_TEST((Y.array() == reference(W, X, false).cast<float>().array()).all());
  p.clear_irq();  // runs the delta that updates the signal
  BOOST_TEST(p.irq.read() == false);
}

BOOST_AUTO_TEST_CASE(bad_jobs_fail_with_an_error_code_and_an_interrupt) {
  Platform& p = P();
  const std::uint64_t desc = kMemBase + 0x300, wa = kMemBase + 0x3000, xa = kMemBase + 0x70000, ya = kMemBase + 0xB0000;
  p.put_floats(wa, random(64, 32, 1));
  p.put_floats(xa, random(4, 64, 2));
  sc::LayerDescriptor good;
  good.k = 64, good.n = 32, good.batch = 4, good.weights_addr = wa, good.input_addr = xa, good.output_addr = ya;
  struct Case {
    const char* what;
    std::function<void(sc::LayerDescriptor&, std::uint64_t&)> mutate;
    std::uint32_t code;
  };
  const Case cases[] = {
      {"descriptor at an unmapped address", [](sc::LayerDescriptor&, std::uint64_t& a) { a = 0x1000; }, 2},
      {"descriptor straddling the end of memory", [](sc::LayerDescriptor&, std::uint64_t& a) { a = kMemBase + kMemSize - 16; }, 2},
      {"misaligned descriptor", [](sc::LayerDescriptor&, std::uint64_t& a) { a += 4; }, 3},
      {"bad magic", [](sc::LayerDescriptor& d, std::uint64_t&) { d.magic = 0; }, 3},
      {"unknown flag", [](sc::LayerDescriptor& d, std::uint64_t&) { d.flags |= 0x80; }, 3},
      {"unknown activation", [](sc::LayerDescriptor& d, std::uint64_t&) { d.activation = 9; }, 3},
      {"K = 0", [](sc::LayerDescriptor& d, std::uint64_t&) { d.k = 0; }, 4},
      {"N = 0", [](sc::LayerDescriptor& d, std::uint64_t&) { d.n = 0; }, 4},
      {"batch = 0", [](sc::LayerDescriptor& d, std::uint64_t&) { d.batch = 0; }, 4},
      {"batch > max", [](sc::LayerDescriptor& d, std::uint64_t&) { d.batch = 1u << 30; }, 4},
      {"huge shape", [](sc::LayerDescriptor& d, std::uint64_t&) { d.k = 0xFFFFFFFFu; d.n = 0xFFFFFFFFu; }, 4},
      {"huge K", [](sc::LayerDescriptor& d, std::uint64_t&) { d.k = 0x10000000u; d.n = 1; d.batch = 1; }, 4},
      {"huge batch x N", [](sc::LayerDescriptor& d, std::uint64_t&) { d.k = 1; d.n = 1u << 20; d.batch = 4096; }, 4},
      {"reuse of a layer needing two rounds", [](sc::LayerDescriptor& d, std::uint64_t&) { d.flags = 0; d.k = 129; d.n = 64; }, 8},
      {"weights unmapped", [](sc::LayerDescriptor& d, std::uint64_t&) { d.weights_addr = 0x10; }, 5},
      {"weights wrap around", [](sc::LayerDescriptor& d, std::uint64_t&) { d.weights_addr = ~0ull - 8; }, 5},
      {"inputs unmapped", [](sc::LayerDescriptor& d, std::uint64_t&) { d.input_addr = kMemBase + kMemSize - 4; }, 6},
      {"outputs unmapped", [](sc::LayerDescriptor& d, std::uint64_t&) { d.output_addr = 0x2000; }, 7},
      {"no weights of this shape", [](sc::LayerDescriptor& d, std::uint64_t&) { d.flags = 0; d.k = 63; }, 8},
      {"tile base beyond the tiles", [](sc::LayerDescriptor& d, std::uint64_t&) { d.tile_base = 4; }, 4},
      {"program-only without load", [](sc::LayerDescriptor& d, std::uint64_t&) { d.flags = sc::LayerDescriptor::ProgramOnly; }, 3},
      {"program-only of a layer needing two rounds", [](sc::LayerDescriptor& d, std::uint64_t&) {
         d.flags = sc::LayerDescriptor::LoadWeights | sc::LayerDescriptor::ProgramOnly; d.k = 129; d.n = 64; }, 4},
      {"program-only of a layer too big from its tile base", [](sc::LayerDescriptor& d, std::uint64_t&) {
         d.flags = sc::LayerDescriptor::LoadWeights | sc::LayerDescriptor::ProgramOnly; d.k = 100; d.tile_base = 3; }, 4},
  };
  for (const Case& c : cases) {
    BOOST_TEST_CONTEXT(c.what) {
      sc::LayerDescriptor d = good;
      std::uint64_t a = desc;
      c.mutate(d, a);
      if (a >= kMemBase && a + sc::LayerDescriptor::kSize <= kMemBase + kMemSize) p.put_descriptor(a, d);
      const std::uint32_t jobs = p.read(p.reg("JOBS"));
      p.start(a);
      sc_core::sc_start();
      const std::uint32_t st = p.read(p.reg("STATUS"));
      BOOST_TEST((st & 7u) == 4u);  // error, not busy, not done
      BOOST_TEST(((st >> 8) & 0xFFu) == c.code);
      BOOST_TEST(p.read(p.reg("INT_STATUS")) == 2u);
      BOOST_TEST(p.irq.read() == true);
      BOOST_TEST(p.read(p.reg("JOBS")) == jobs + 1);
      p.clear_irq();
      BOOST_TEST(p.read(p.reg("STATUS")) == 0u);
    }
  }
  // The accelerator still works after all that.
  p.put_descriptor(desc, good);
  p.start(desc);
  sc_core::sc_start();
  BOOST_TEST(p.read(p.reg("STATUS")) == 2u);
  p.clear_irq();
}

BOOST_AUTO_TEST_CASE(start_while_busy_and_soft_reset) {
  Platform& p = P();
  const std::uint64_t desc = kMemBase + 0x400, wa = kMemBase + 0x4000, xa = kMemBase + 0x78000, ya = kMemBase + 0xC0000;
  sc::LayerDescriptor d;
  d.k = 64, d.n = 32, d.batch = 8, d.weights_addr = wa, d.input_addr = xa, d.output_addr = ya;
  p.put_descriptor(desc, d);
  p.put_floats(wa, random(64, 32, 21));
  p.put_floats(xa, random(8, 64, 22));
  // START twice: the second is refused (START_REFUSED), the job completes, its status its own.
  p.start(desc);
  p.write(p.reg("CTRL"), 5u);
  BOOST_TEST(p.read(p.reg("STATUS")) == (1u | 8u));  // BUSY, START_REFUSED, no error
  sc_core::sc_start();
  BOOST_TEST(p.read(p.reg("STATUS")) == (2u | 8u));  // DONE (+ the sticky START_REFUSED), no ERROR
  BOOST_TEST(p.read(p.reg("INT_STATUS")) == 1u);
  p.clear_irq();
  // Soft reset in the middle of a job: abandoned, no interrupt, registers back to reset.
  std::memset(p.at(ya), 0, 8 * 32 * 4);
  const std::uint32_t jobs = p.read(p.reg("JOBS"));
  p.write(p.reg("SCRATCH"), 77u);
  p.start(desc);
  sc_core::sc_start(sc_time(50, SC_NS));
  BOOST_TEST((p.read(p.reg("STATUS")) & 1u) == 1u);
  p.write(p.reg("CTRL"), 2u);
  BOOST_TEST(p.read(p.reg("SCRATCH")) == 0u);
  BOOST_TEST(p.read(p.reg("STATUS")) == 0u);  // not busy any more, at once
  sc_core::sc_start();
  BOOST_TEST(p.read(p.reg("STATUS")) == 0u);
  BOOST_TEST(p.read(p.reg("INT_STATUS")) == 0u);
  BOOST_TEST(p.irq.read() == false);
  BOOST_TEST(p.read(p.reg("JOBS")) == jobs);
  BOOST_TEST(p.get_floats(ya, 8, 32).isZero(0));  // no results written
}

BOOST_AUTO_TEST_CASE(start_takes_effect_at_the_initiators_local_time) {
  // LT with temporal decoupling: a START written with 500 ns of annotated local time starts
  // the job 500 ns after the current simulated time.
  Platform& p = P();
  const std::uint64_t desc = kMemBase + 0x200;  // the single-tile job of an earlier test
  p.write(p.reg("DESC_ADDR_LO"), static_cast<std::uint32_t>(desc));
  p.write(p.reg("DESC_ADDR_HI"), static_cast<std::uint32_t>(desc >> 32));
  p.write(p.reg("PERF_CLEAR"), 1u);
  std::uint32_t v = 5u;
  const sc_time t0 = sc_core::sc_time_stamp();
  BOOST_REQUIRE(p.access(tlm::TLM_WRITE_COMMAND, p.reg("CTRL"), &v, 4, 4, nullptr, 0, sc_time(500, SC_NS)) ==
                tlm::TLM_OK_RESPONSE);
  BOOST_TEST(p.read(p.reg("CYCLES_LO")) == 0u);  // START lies in the future: no busy cycles yet
  sc_core::sc_start();
  BOOST_TEST(p.read(p.reg("STATUS")) == 2u);
  const std::uint32_t cycles = p.read(p.reg("LAST_JOB_CYCLES"));
  const double elapsed_ns = (sc_core::sc_time_stamp() - t0).to_seconds() * 1e9;
  BOOST_TEST(elapsed_ns >= 500.0 + cycles);
  BOOST_TEST(elapsed_ns <= 500.0 + cycles + 2.0);  // the interrupt's delta and the clear
  p.clear_irq();
}

BOOST_AUTO_TEST_CASE(layer_larger_than_the_tiles_runs_in_rounds) {
  // 200 x 70 on 4 tiles of 64 x 32: 4 row blocks x 3 column blocks = 12 blocks, 3 rounds of
  // programming + compute; partial sums across the rounds.
  Platform& p = P();
  const std::uint64_t desc = kMemBase + 0x500, wa = kMemBase + 0x100000, xa = kMemBase + 0x200000, ya = kMemBase + 0x280000;
  const Eigen::MatrixXd W = as_f32(random(200, 70, 31) * 0.3);
  const Eigen::MatrixXd X = as_f32(random(6, 200, 32));
  sc::LayerDescriptor d;
  d.k = 200, d.n = 70, d.batch = 6, d.weights_addr = wa, d.input_addr = xa, d.output_addr = ya;
  d.activation = sc::LayerDescriptor::Relu;
  p.put_descriptor(desc, d);
  p.put_floats(wa, W);
  p.put_floats(xa, X);
  const double program_pj = p.accel.counters().program_pj;
  p.start(desc);
  sc_core::sc_start();
  BOOST_TEST(p.read(p.reg("STATUS")) == 2u);
  BOOST_TEST(p.accel.counters().program_pj > program_pj);
  BOOST_TEST(p.read(p.reg("LAYER_TILES")) == 0u);  // not kept for reuse
  const Eigen::MatrixXf Y = p.get_floats(ya, 6, 70);
  BOOST_TEST((Y.array() == reference(W, X, true).cast<float>().array()).all());
  const Eigen::MatrixXd exact = (X * W).cwiseMax(0.0);
  BOOST_TEST((Y.cast<double>() - exact).norm() / exact.norm() < 0.1);
  p.clear_irq();
  // Reuse without LOAD_WEIGHTS is refused: the arrays hold only the last round.
  d.flags = 0;
  p.put_descriptor(desc, d);
  p.start(desc);
  sc_core::sc_start();
  BOOST_TEST(((p.read(p.reg("STATUS")) >> 8) & 0xFFu) == 8u);
  p.clear_irq();
}

BOOST_AUTO_TEST_CASE(layers_stay_resident_on_disjoint_tiles) {
  // Layer A (64 x 32: 1 block) on tile 0, layer B (100 x 30: 2 row blocks) on tiles 1-2, both
  // programmed once with PROGRAM_ONLY jobs, then run alternately without LOAD_WEIGHTS.
  Platform& p = P();
  const std::uint64_t desc = kMemBase + 0x600, wa = kMemBase + 0x300000, wb = kMemBase + 0x310000;
  const std::uint64_t xa = kMemBase + 0x320000, ya = kMemBase + 0x330000;
  const Eigen::MatrixXd A = as_f32(random(64, 32, 41) * 0.5), B = as_f32(random(100, 30, 42) * 0.5);
  p.put_floats(wa, A);
  p.put_floats(wb, B);
  const auto job = [&](std::uint32_t flags, std::uint64_t w, int k, int n, std::uint32_t base, int batch = 1) {
    sc::LayerDescriptor d;
    d.flags = flags, d.k = k, d.n = n, d.batch = batch, d.tile_base = base;
    d.weights_addr = w, d.input_addr = xa, d.output_addr = ya;
    p.put_descriptor(desc, d);
    p.start(desc);
    sc_core::sc_start();
    const std::uint32_t st = p.read(p.reg("STATUS"));
    p.clear_irq();
    return st;
  };
  const std::uint32_t load_only = sc::LayerDescriptor::LoadWeights | sc::LayerDescriptor::ProgramOnly;
  const std::uint32_t mvms = p.read(p.reg("MVMS_LO"));
  const double pj0 = p.accel.counters().program_pj;
  BOOST_TEST(job(load_only, wa, 64, 32, 0) == 2u);
  const double pj1 = p.accel.counters().program_pj;
  BOOST_TEST(pj1 > pj0);
  BOOST_TEST(job(load_only, wb, 100, 30, 1) == 2u);
  BOOST_TEST(p.accel.counters().program_pj > pj1);
  BOOST_TEST(p.read(p.reg("MVMS_LO")) == mvms);  // programming runs no vectors
  BOOST_TEST(p.read(p.reg("LAYER_TILES")) == (2u << 16 | 1u));
  const double programmed_pj = p.accel.counters().program_pj;
  for (int round = 0; round < 2; ++round) {
    const Eigen::MatrixXd XA = as_f32(random(3, 64, 50 + round)), XB = as_f32(random(2, 100, 60 + round));
    p.put_floats(xa, XA);
    BOOST_TEST(job(0, wa, 64, 32, 0, 3) == 2u);
    BOOST_TEST((p.get_floats(ya, 3, 32).array() == reference(A, XA, false, 0).cast<float>().array()).all());
    p.put_floats(xa, XB);
    BOOST_TEST(job(0, wb, 100, 30, 1, 2) == 2u);
    BOOST_TEST((p.get_floats(ya, 2, 30).array() == reference(B, XB, false, 1).cast<float>().array()).all());
  }
  BOOST_TEST(p.accel.counters().program_pj == programmed_pj);  // neither was reprogrammed
  BOOST_TEST(p.read(p.reg("MVMS_LO")) == mvms + 10u);
  // Other weights on tile 2 evict B (NoWeights), not A; the descriptor names weights by address.
  BOOST_TEST(job(load_only, wa, 64, 32, 2) == 2u);
  BOOST_TEST(((job(0, wb, 100, 30, 1) >> 8) & 0xFFu) == 8u);
  BOOST_TEST(job(0, wa, 64, 32, 0) == 2u);
  BOOST_TEST(((job(0, wb, 64, 32, 0) >> 8) & 0xFFu) == 8u);  // same shape, other weights address
  // The reserved descriptor word must be zero.
  sc::LayerDescriptor d;
  d.k = 64, d.n = 32, d.batch = 1, d.weights_addr = wa, d.input_addr = xa, d.output_addr = ya;
  p.put_descriptor(desc, d);
  p.at(desc)[0x34] = 1;
  p.start(desc);
  sc_core::sc_start();
  BOOST_TEST(((p.read(p.reg("STATUS")) >> 8) & 0xFFu) == 3u);
  p.clear_irq();
}

BOOST_AUTO_TEST_CASE(crossbar_read_energy_follows_the_loaded_weights) {
  // The physics read energy (sum V^2 G t) must use the conductances programmed by the job, not
  // those the tile was elaborated with: zero weights (every cell at LGS, differential pairs
  // balanced) cost less per read than large ones, the same inputs otherwise.
  Platform& p = P();
  const std::uint64_t desc = kMemBase + 0x700, wa = kMemBase + 0x340000, xa = kMemBase + 0x350000, ya = kMemBase + 0x360000;
  p.put_floats(xa, as_f32(random(4, 64, 70).cwiseAbs()));
  const auto read_pj = [&](const Eigen::MatrixXd& W) {
    p.put_floats(wa, W);
    sc::LayerDescriptor d;
    d.k = 64, d.n = 32, d.batch = 4, d.weights_addr = wa, d.input_addr = xa, d.output_addr = ya;
    p.put_descriptor(desc, d);
    const double before = p.accel.tile(0).stats().energy.crossbar_pj;
    p.start(desc);
    sc_core::sc_start();
    BOOST_TEST(p.read(p.reg("STATUS")) == 2u);
    p.clear_irq();
    return p.accel.tile(0).stats().energy.crossbar_pj - before;
  };
  const double zeros = read_pj(Eigen::MatrixXd::Zero(64, 32));
  const double big = read_pj(Eigen::MatrixXd::Constant(64, 32, 0.9));
  const double zeros_again = read_pj(Eigen::MatrixXd::Zero(64, 32));
  BOOST_TEST_MESSAGE("crossbar read energy: zero weights " << zeros << " pJ, 0.9 weights " << big << " pJ");
  BOOST_TEST(big > 1.5 * zeros);
  BOOST_TEST(std::abs(zeros_again - zeros) <= 1e-9 * zeros);  // differences of a running sum
}

BOOST_AUTO_TEST_CASE(router_decodes_translates_dmi_and_debug) {
  Platform& p = P();
  auto b = [&](tlm::tlm_command cmd, std::uint64_t addr, unsigned len, unsigned sw) {
    std::uint32_t buf[4] = {0x11223344u, 0, 0, 0};
    tlm::tlm_generic_payload tx;
    tx.set_command(cmd);
    tx.set_address(addr);
    tx.set_data_ptr(reinterpret_cast<unsigned char*>(buf));
    tx.set_data_length(len);
    tx.set_streaming_width(sw);
    tx.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
    sc_time d = SC_ZERO_TIME;
    p.host.socket->b_transport(tx, d);
    BOOST_TEST(tx.get_address() == addr);  // restored after forwarding
    return tx.get_response_status();
  };
  BOOST_TEST(b(tlm::TLM_WRITE_COMMAND, kMemBase + 0x3F0000, 4, 4) == tlm::TLM_OK_RESPONSE);
  std::uint32_t v = 0;
  std::memcpy(&v, p.at(kMemBase + 0x3F0000), 4);
  BOOST_TEST(v == 0x11223344u);
  BOOST_TEST(b(tlm::TLM_READ_COMMAND, 0x1000, 4, 4) == tlm::TLM_ADDRESS_ERROR_RESPONSE);                 // unmapped
  BOOST_TEST(b(tlm::TLM_READ_COMMAND, kMemBase + kMemSize - 4, 8, 8) == tlm::TLM_ADDRESS_ERROR_RESPONSE);  // overrun
  BOOST_TEST(b(tlm::TLM_READ_COMMAND, kMemBase, 8, 4) == tlm::TLM_BURST_ERROR_RESPONSE);                  // memory's
  // A streaming access spans its streaming width: the router forwards it (the memory, which
  // does not stream, answers); a plain access of the same length is the router's address error.
  const std::uint64_t seen = p.mem.accesses();
  BOOST_TEST(b(tlm::TLM_READ_COMMAND, kMemBase + kMemSize - 4, 8, 4) != tlm::TLM_OK_RESPONSE);
  BOOST_TEST(p.mem.accesses() == seen + 1);
  BOOST_TEST(b(tlm::TLM_READ_COMMAND, kMemBase + kMemSize - 4, 8, 8) == tlm::TLM_ADDRESS_ERROR_RESPONSE);
  BOOST_TEST(p.mem.accesses() == seen + 1);
  // DMI: the memory's range translated to bus addresses.
  tlm::tlm_generic_payload tx;
  tlm::tlm_dmi dmi;
  tx.set_command(tlm::TLM_READ_COMMAND);
  tx.set_address(kMemBase + 0x100);
  BOOST_TEST(p.host.socket->get_direct_mem_ptr(tx, dmi));
  BOOST_TEST(dmi.get_start_address() == kMemBase);
  BOOST_TEST(dmi.get_end_address() == kMemBase + kMemSize - 1);
  BOOST_TEST(dmi.get_dmi_ptr() == p.mem.data());
  BOOST_TEST(dmi.is_read_write_allowed());
  tx.set_address(0x10);
  BOOST_TEST(!p.host.socket->get_direct_mem_ptr(tx, dmi));
  // Debug: clipped at the end of the region, nothing for unmapped addresses, no time.
  const sc_time t = sc_core::sc_time_stamp();
  unsigned char buf[16] = {};
  tx.set_data_ptr(buf);
  tx.set_data_length(16);
  tx.set_address(kMemBase + kMemSize - 8);
  BOOST_TEST(p.host.socket->transport_dbg(tx) == 8u);
  tx.set_address(0x10);
  BOOST_TEST(p.host.socket->transport_dbg(tx) == 0u);
  BOOST_TEST(sc_core::sc_time_stamp() == t);
  BOOST_TEST(p.bus.regions().size() == 1u);
}
