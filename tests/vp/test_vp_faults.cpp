// TLM fault matrix (issues 14 and 17): every fault a guest can cause through memory and the
// CSRs, each asserting the error code, the DMA error CSRs, the interrupt, that nothing is
// written where it should not be, and that the simulation goes on (a good job completes after
// each). Faults: DMA errors from an unmapped descriptor, a target answering an address error,
// a target that never sets the response status (one warning naming its address); NaN / Inf
// weights and inputs, results beyond float32; output buffers overlapping what the job reads;
// START while busy; SOFT_RESET at many points of a job, followed at once by a new job. The
// base-protocol matrix of the CSR socket is test_vp_accelerator's base_protocol_compliance_table.
// One elaboration for the whole executable (design.md §8).
#define BOOST_TEST_MODULE memtile vp fault matrix
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <cstring>
#include <functional>
#include <limits>
#include <string>

#include <systemc>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>

#include "memtile/core/MatrixEngine.hpp"
#include "memtile/sc/soc/AcceleratorTop.hpp"
#include "memtile/sc/soc/IrqAdapter.hpp"
#include "memtile/sc/soc/Memory.hpp"
#include "memtile/sc/soc/Router.hpp"

#include "VpHarness.hpp"

using namespace memtile;
using sc_core::sc_time;
using sc_core::SC_NS;
using sc_core::SC_US;
using sc_core::SC_ZERO_TIME;

int sc_main(int, char*[]) { return 0; }  // Boost owns main(); libsystemc still references sc_main

namespace {

constexpr std::uint64_t kMemBase = 0x80000000ull, kMemSize = 1u << 20;
constexpr std::uint64_t kErrBase = 0x20000000ull, kNullBase = 0x30000000ull, kWindow = 0x10000;

// A target that answers every access with an address error (a bus slave's decode error).
struct ErrorTarget : sc_core::sc_module {
  tlm_utils::simple_target_socket<ErrorTarget, 32> socket;
  explicit ErrorTarget(sc_core::sc_module_name n) : sc_core::sc_module(n), socket("socket") {
    socket.register_b_transport(this, &ErrorTarget::b_transport);
  }
  void b_transport(tlm::tlm_generic_payload& tx, sc_time&) { tx.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE); }
};
// A target that never sets the response status (it stays TLM_INCOMPLETE_RESPONSE).
struct SilentTarget : sc_core::sc_module {
  tlm_utils::simple_target_socket<SilentTarget, 32> socket;
  explicit SilentTarget(sc_core::sc_module_name n) : sc_core::sc_module(n), socket("socket") {
    socket.register_b_transport(this, &SilentTarget::b_transport);
  }
  void b_transport(tlm::tlm_generic_payload&, sc_time&) {}
};

std::string& last_warning() {
  static std::string s;
  return s;
}

struct Cpu : sc_core::sc_module {
  tlm_utils::simple_initiator_socket<Cpu, 32> socket;
  explicit Cpu(sc_core::sc_module_name n) : sc_core::sc_module(n), socket("socket") {}
};

sc::AcceleratorTopConfig config() {
  sc::AcceleratorTopConfig c;
  c.tiles = 2;
  c.tile_in = 64;
  c.tile_out = 32;
  c.engine.seed = 3;
  return c;
}

struct Platform {
  Cpu cpu{"cpu"};
  sc::Router bus{"bus", sc_time(1, SC_NS)};
  sc::Memory mem{"mem", kMemSize};
  ErrorTarget err{"err"};
  SilentTarget silent{"silent"};
  sc::AcceleratorTop accel{"accel", config()};
  std::vector<bool> levels;  // every level change of the interrupt line, in order
  sc::IrqAdapter irq_gw{"irq_gw", sc::IrqAdapter::Edge::Level, [this](bool l) { levels.push_back(l); }};
  sc_core::sc_signal<bool>& irq = irq_gw.line;
  Platform() {
    cpu.socket.bind(accel.csr);
    accel.dma.bind(bus.target);
    bus.map("mem", kMemBase, kMemSize);
    bus.initiator.bind(mem.socket);
    bus.map("err", kErrBase, kWindow);
    bus.initiator.bind(err.socket);
    bus.map("silent", kNullBase, kWindow);
    bus.initiator.bind(silent.socket);
    accel.irq.bind(irq);
    // Keep the last warning's text for the test to read (then the default handling).
    sc_core::sc_report_handler::set_handler([](const sc_core::sc_report& r, const sc_core::sc_actions& a) {
      if (r.get_severity() == sc_core::SC_WARNING) last_warning() = r.get_msg();
      sc_core::sc_report_handler::default_handler(r, a);
    });
    sc_core::sc_start(SC_ZERO_TIME);
  }
  tlm::tlm_response_status access(tlm::tlm_command cmd, std::uint32_t off, std::uint32_t& v) {
    tlm::tlm_generic_payload tx;
    tx.set_command(cmd);
    tx.set_address(off);
    tx.set_data_ptr(reinterpret_cast<unsigned char*>(&v));
    tx.set_data_length(4);
    tx.set_streaming_width(4);
    sc_time d = SC_ZERO_TIME;
    cpu.socket->b_transport(tx, d);
    return tx.get_response_status();
  }
  void write(std::uint32_t off, std::uint32_t v) { BOOST_REQUIRE(access(tlm::TLM_WRITE_COMMAND, off, v) == tlm::TLM_OK_RESPONSE); }
  std::uint32_t read(std::uint32_t off) {
    std::uint32_t v = 0;
    BOOST_REQUIRE(access(tlm::TLM_READ_COMMAND, off, v) == tlm::TLM_OK_RESPONSE);
    return v;
  }
  std::uint64_t dma_err_addr() {
    return static_cast<std::uint64_t>(read(sc::reg::DMA_ERR_ADDR_HI)) << 32 | read(sc::reg::DMA_ERR_ADDR_LO);
  }
  unsigned char* at(std::uint64_t a) { return mem.data() + (a - kMemBase); }
  void put(std::uint64_t a, const Eigen::MatrixXd& m) { test::vp::put_f32(at(a), m); }
  Eigen::MatrixXf get(std::uint64_t a, Eigen::Index rows, Eigen::Index cols) { return test::vp::get_f32(at(a), rows, cols); }
  void start(std::uint64_t desc, const sc::LayerDescriptor& d, bool write_desc = true) {
    if (write_desc && desc >= kMemBase && desc + sc::LayerDescriptor::kSize <= kMemBase + kMemSize) d.to_bytes(at(desc));
    write(sc::reg::DESC_ADDR_LO, static_cast<std::uint32_t>(desc));
    write(sc::reg::DESC_ADDR_HI, static_cast<std::uint32_t>(desc >> 32));
    write(sc::reg::CTRL, 5u);
  }
  void clear() {
    write(sc::reg::INT_STATUS, 3u);
    sc_core::sc_start(SC_ZERO_TIME);  // the accelerator's SC_METHOD writes the line
    sc_core::sc_start(SC_ZERO_TIME);  // the adapter's SC_METHOD sees the change
  }
};

Platform& P() {
  static Platform p;
  return p;
}

// Buffers of the good job.
constexpr std::uint64_t kDesc = kMemBase + 0x100, kW = kMemBase + 0x1000, kX = kMemBase + 0x4000, kY = kMemBase + 0x6000;
constexpr int K = 60, N = 30, B = 4;

sc::LayerDescriptor good() {
  sc::LayerDescriptor d;
  d.k = K, d.n = N, d.batch = B, d.weights_addr = kW, d.input_addr = kX, d.output_addr = kY;
  return d;
}
Eigen::MatrixXd weights() {
  return test::vp::as_f32(test::vp::random(K, N, 5) * 0.5);
}
Eigen::MatrixXd inputs(unsigned seed) {
  return test::vp::as_f32(test::vp::random(B, K, seed));
}
// The single block on tile 0: the core engine on the padded block (seed + 0).
Eigen::MatrixXf reference(const Eigen::MatrixXd& W, const Eigen::MatrixXd& X) {
  const sc::AcceleratorTopConfig c = config();
  Eigen::MatrixXd Wp = Eigen::MatrixXd::Zero(c.tile_in, c.tile_out), Xp = Eigen::MatrixXd::Zero(X.rows(), c.tile_in);
  Wp.topLeftCorner(W.rows(), W.cols()) = W;
  Xp.leftCols(X.cols()) = X;
  core::ProgrammedMatrix pm = core::MatrixEngine(c.engine).program(Wp);
  return pm.multiply(Xp).leftCols(W.cols()).cast<float>();
}

// Runs the good job to completion and checks it against the engine: the accelerator still works.
void good_job_completes(unsigned seed) {
  Platform& p = P();
  const Eigen::MatrixXd W = weights(), X = inputs(seed);
  p.put(kW, W);
  p.put(kX, X);
  p.levels.clear();
  p.start(kDesc, good());
  sc_core::sc_start();
  BOOST_TEST(p.read(sc::reg::STATUS) == 2u);
  BOOST_TEST(p.read(sc::reg::INT_STATUS) == 1u);
  BOOST_TEST(p.irq.read());
  BOOST_TEST((p.get(kY, B, N).array() == reference(W, X).array()).all());
  BOOST_TEST(p.levels == std::vector<bool>{true});  // the level adapter saw the rise
  p.clear();
  BOOST_TEST(p.levels == (std::vector<bool>{true, false}));  // ... and the fall on INT_STATUS clear
}

// A failed job: ERROR with `code`, INT_STATUS.ERROR and the interrupt, not busy, not done.
void expect_failed(std::uint32_t code) {
  Platform& p = P();
  const std::uint32_t st = p.read(sc::reg::STATUS);
  BOOST_TEST((st & 7u) == 4u);
  BOOST_TEST(((st >> 8) & 0xFFu) == code);
  BOOST_TEST(p.read(sc::reg::INT_STATUS) == 2u);
  BOOST_TEST(p.irq.read());
}

}  // namespace

BOOST_AUTO_TEST_CASE(dma_error_csrs_name_the_failing_burst) {
  Platform& p = P();
  good_job_completes(1);
  BOOST_TEST(p.read(sc::reg::DMA_ERR_STATUS) == 0u);
  BOOST_TEST(p.dma_err_addr() == 0u);
  struct Case {
    const char* what;
    std::uint64_t desc;
    std::function<void(sc::LayerDescriptor&)> mutate;
    std::uint32_t code;
    sc::DmaResponse response;
    std::uint64_t address;
    bool write;
  };
  const Case cases[] = {
      {"descriptor at an unmapped address", 0x1000, [](sc::LayerDescriptor&) {}, 2, sc::DmaResponse::Address, 0x1000, false},
      {"descriptor on a target answering address errors", kErrBase + 0x40, [](sc::LayerDescriptor&) {}, 2,
       sc::DmaResponse::Address, kErrBase + 0x40, false},
      {"descriptor on a target that sets no status", kNullBase + 0x80, [](sc::LayerDescriptor&) {}, 2,
       sc::DmaResponse::Incomplete, kNullBase + 0x80, false},
      {"weights on the silent target, second burst of the job's DMA", kDesc,
       [](sc::LayerDescriptor& d) { d.weights_addr = kNullBase + 0x100; }, 5, sc::DmaResponse::Incomplete, kNullBase + 0x100, false},
      {"weights range wrapping past 2^64", kDesc, [](sc::LayerDescriptor& d) { d.weights_addr = ~0ull - 64; }, 5,
       sc::DmaResponse::Wraps, ~0ull - 64, false},
      {"inputs running off the end of memory", kDesc, [](sc::LayerDescriptor& d) { d.input_addr = kMemBase + kMemSize - 16; }, 6,
       sc::DmaResponse::Address, kMemBase + kMemSize - 16, false},
      {"results to the address-error target", kDesc, [](sc::LayerDescriptor& d) { d.output_addr = kErrBase; }, 7,
       sc::DmaResponse::Address, kErrBase, true},
  };
  for (const Case& c : cases) {
    BOOST_TEST_CONTEXT(c.what) {
      sc::LayerDescriptor d = good();
      c.mutate(d);
      p.start(c.desc, d);
      sc_core::sc_start();
      expect_failed(c.code);
      const std::uint32_t es = p.read(sc::reg::DMA_ERR_STATUS);
      BOOST_TEST((es & 0xFu) == static_cast<std::uint32_t>(c.response));
      BOOST_TEST(((es >> 8) & 1u) == (c.write ? 1u : 0u));
      BOOST_TEST(p.dma_err_addr() == c.address);
      p.clear();
      BOOST_TEST(p.read(sc::reg::DMA_ERR_STATUS) == es);  // kept until the next START / SOFT_RESET
    }
  }
  // One warning for the silent target, naming the address of its first burst.
  BOOST_TEST(sc_core::sc_report_handler::get_count(sc_core::SC_WARNING) == 1);
  BOOST_TEST(last_warning().find("0x30000080") != std::string::npos, last_warning());
  good_job_completes(2);
  BOOST_TEST(p.read(sc::reg::DMA_ERR_STATUS) == 0u);  // START cleared it
}

BOOST_AUTO_TEST_CASE(non_finite_data_ends_the_job_with_code_10) {
  Platform& p = P();
  const float nan = std::numeric_limits<float>::quiet_NaN(), inf = std::numeric_limits<float>::infinity();
  struct Case {
    const char* what;
    std::uint64_t addr;  // where the bad float goes
    float value;
    std::uint32_t code;
  };
  const Case cases[] = {
      {"NaN weight", kW + 4 * 77, nan, 10},
      {"infinite weight", kW, -inf, 10},
      {"NaN input", kX + 4 * (K * B - 1), nan, 10},
      {"infinite input", kX + 4 * 3, inf, 10},
  };
  for (const Case& c : cases) {
    BOOST_TEST_CONTEXT(c.what) {
      p.put(kW, weights());
      p.put(kX, inputs(3));
      std::memcpy(p.at(c.addr), &c.value, 4);
      std::memset(p.at(kY), 0x5A, 4 * B * N);
      p.start(kDesc, good());
      sc_core::sc_start();
      expect_failed(c.code);
      for (int i = 0; i < 4 * B * N; ++i) BOOST_TEST_REQUIRE(p.at(kY)[i] == 0x5A);  // nothing written
      p.clear();
    }
  }
  // Finite data whose products leave float32: code 12, nothing written.
  p.put(kW, Eigen::MatrixXd::Constant(K, N, 3e38));
  p.put(kX, Eigen::MatrixXd::Constant(B, K, 3e38));
  std::memset(p.at(kY), 0x5A, 4 * B * N);
  p.start(kDesc, good());
  sc_core::sc_start();
  expect_failed(12);
  BOOST_TEST(p.at(kY)[0] == 0x5A);
  p.clear();
  good_job_completes(4);
}

BOOST_AUTO_TEST_CASE(output_overlapping_what_the_job_reads_is_refused) {
  Platform& p = P();
  struct Case {
    const char* what;
    std::function<void(sc::LayerDescriptor&)> mutate;
    std::uint32_t status;  // full STATUS after the job
  };
  const Case cases[] = {
      {"output over the descriptor", [](sc::LayerDescriptor& d) { d.output_addr = kDesc - 8; }, 4u | 11u << 8},
      {"output over the weights' last row", [](sc::LayerDescriptor& d) { d.output_addr = kW + 4 * (K * N - 1); }, 4u | 11u << 8},
      {"output over the inputs", [](sc::LayerDescriptor& d) { d.output_addr = kX + 4; }, 4u | 11u << 8},
      {"in place (output = input)", [](sc::LayerDescriptor& d) { d.output_addr = d.input_addr; }, 4u | 11u << 8},
      {"inputs overlapping the weights (both read: allowed)", [](sc::LayerDescriptor& d) { d.input_addr = kW; }, 2u},
      {"output right after the inputs (touching, not overlapping)",
       [](sc::LayerDescriptor& d) { d.output_addr = kX + 4 * B * K; }, 2u},
  };
  p.put(kW, weights());
  p.put(kX, inputs(6));
  for (const Case& c : cases) {
    BOOST_TEST_CONTEXT(c.what) {
      sc::LayerDescriptor d = good();
      c.mutate(d);
      p.start(kDesc, d);
      sc_core::sc_start();
      BOOST_TEST(p.read(sc::reg::STATUS) == c.status);
      BOOST_TEST(p.read(sc::reg::INT_STATUS) == ((c.status & 4u) ? 2u : 1u));
      BOOST_TEST(p.irq.read());
      p.clear();
      p.put(kW, weights());  // an allowed case may have read inputs from the weights
      p.put(kX, inputs(6));
    }
  }
  good_job_completes(7);
}

BOOST_AUTO_TEST_CASE(start_while_busy_is_refused_and_the_job_keeps_its_status) {
  Platform& p = P();
  const Eigen::MatrixXd W = weights(), X = inputs(8);
  p.put(kW, W);
  p.put(kX, X);
  const std::uint32_t jobs = p.read(sc::reg::JOBS);
  const double job_ns = p.read(sc::reg::LAST_JOB_CYCLES);  // 1 GHz control clock
  p.start(kDesc, good());
  for (const double f : {0.0001, 0.3, 0.3}) {  // three refused STARTs spread over the job
    sc_core::sc_start(sc_time(f * job_ns, SC_NS));
    BOOST_TEST_REQUIRE((p.read(sc::reg::STATUS) & 1u) == 1u, "STATUS " << p.read(sc::reg::STATUS) << " at " << sc_core::sc_time_stamp());
    p.write(sc::reg::CTRL, 5u);  // START again
    BOOST_TEST(p.read(sc::reg::STATUS) == (1u | 8u));  // BUSY, START_REFUSED, no ERROR
    BOOST_TEST(p.read(sc::reg::INT_STATUS) == 0u);
  }
  sc_core::sc_start();
  BOOST_TEST(p.read(sc::reg::STATUS) == (2u | 8u));  // DONE, the refusal noted, no ERROR
  BOOST_TEST(p.read(sc::reg::INT_STATUS) == 1u);     // one DONE interrupt
  BOOST_TEST(p.read(sc::reg::JOBS) == jobs + 1);
  BOOST_TEST((p.get(kY, B, N).array() == reference(W, X).array()).all());
  p.clear();
  good_job_completes(9);
  BOOST_TEST((p.read(sc::reg::STATUS) & 8u) == 0u);  // the next accepted START cleared it
}

BOOST_AUTO_TEST_CASE(soft_reset_abandons_the_job_at_once_and_a_new_one_runs) {
  // SOFT_RESET at points in the descriptor fetch, the programming (tens of µs) and the
  // compute; BUSY clears at once, nothing is written, no interrupt; a START right after is
  // accepted and its job completes with the right numbers (the abandoned job's batches still
  // in the tiles are drained and discarded).
  Platform& p = P();
  const Eigen::MatrixXd W = weights();
  const double job_ns = p.read(sc::reg::LAST_JOB_CYCLES);  // the good job's length (1 GHz clock)
  BOOST_TEST_MESSAGE("job length " << job_ns << " ns");
  for (const double f : {0.00005, 0.002, 0.1, 0.5, 0.9, 0.97, 0.99, 0.999}) {
    const double t_ns = f * job_ns;
    BOOST_TEST_CONTEXT("SOFT_RESET " << t_ns << " ns after START") {
      p.put(kW, W);
      p.put(kX, inputs(20));
      std::memset(p.at(kY), 0, 4 * B * N);
      const std::uint32_t jobs = p.read(sc::reg::JOBS);
      p.start(kDesc, good());
      sc_core::sc_start(sc_time(t_ns, SC_NS));
      const bool was_busy = (p.read(sc::reg::STATUS) & 1u) != 0;
      p.write(sc::reg::CTRL, 2u);  // SOFT_RESET
      BOOST_TEST(p.read(sc::reg::STATUS) == 0u);
      BOOST_TEST(p.read(sc::reg::INT_STATUS) == 0u);
      BOOST_TEST(p.read(sc::reg::DESC_ADDR_LO) == 0u);  // registers back to reset
      sc_core::sc_start(SC_ZERO_TIME);
      BOOST_TEST(!p.irq.read());
      if (was_busy) {
        BOOST_TEST(p.read(sc::reg::JOBS) == jobs);  // not counted
      }
      // A new job at once, other inputs.
      const Eigen::MatrixXd X = inputs(21 + static_cast<unsigned>(f * 1000));
      p.put(kX, X);
      p.start(kDesc, good());
      BOOST_TEST((p.read(sc::reg::STATUS) & 1u) == 1u);  // accepted
      sc_core::sc_start();
      BOOST_TEST(p.read(sc::reg::STATUS) == 2u);
      BOOST_TEST(p.read(sc::reg::INT_STATUS) == 1u);
      BOOST_TEST((p.get(kY, B, N).array() == reference(W, X).array()).all());
      p.clear();
    }
  }
  // SOFT_RESET | IRQ_EN | START in one write: reset first, then the new job with the interrupt on.
  p.put(kX, inputs(40));
  p.start(kDesc, good());
  sc_core::sc_start(sc_time(100, SC_NS));
  p.write(sc::reg::DESC_ADDR_LO, static_cast<std::uint32_t>(kDesc));  // (no effect: reset clears it)
  p.write(sc::reg::CTRL, 7u);
  BOOST_TEST((p.read(sc::reg::STATUS) & 1u) == 1u);
  sc_core::sc_start();
  expect_failed(2);  // DESC_ADDR was reset to 0: the descriptor fetch from address 0 fails
  BOOST_TEST(p.dma_err_addr() == 0u);
  BOOST_TEST((p.read(sc::reg::DMA_ERR_STATUS) & 0xFu) == static_cast<std::uint32_t>(sc::DmaResponse::Address));
  p.write(sc::reg::CTRL, 2u);  // SOFT_RESET clears DMA_ERR_* and IRQ_EN, the line falls
  BOOST_TEST(p.read(sc::reg::DMA_ERR_STATUS) == 0u);
  BOOST_TEST(p.read(sc::reg::CTRL) == 0u);
  p.levels.clear();
  sc_core::sc_start(SC_ZERO_TIME);
  sc_core::sc_start(SC_ZERO_TIME);
  BOOST_TEST(!p.irq.read());
  BOOST_TEST(p.levels == std::vector<bool>{false});  // SOFT_RESET lowered the line
  good_job_completes(41);
}
