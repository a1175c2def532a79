// memtile_vp: an example SoC virtual platform around the accelerator (issue 6).
//   cpu (driver code in an SC_THREAD, LT + quantum keeper, DMI into memory)
//     -> bus (memtile::sc::Router) -> system memory  @ 0x8000_0000 (DMI)
//                                  -> accelerator CSRs @ 0x4000_0000
//   accelerator DMA -> bus;  accelerator irq -> sc_signal<bool> -> cpu
// The driver writes a K x N layer and a batch of inputs to memory, writes the layer
// descriptor, programs DESC_ADDR, sets CTRL = IRQ_EN | START, sleeps until the interrupt,
// checks STATUS, reads the results and the performance counters. stdout: a summary (results
// against the exact product, latency, energy, counters, checks) or with --json one JSON object
// of the same (docs/run.md, output convention). --vcd / --trace write traces (as in `memtile run`).
#include <CLI/CLI.hpp>
#include <Eigen/Dense>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <limits>
#include <nlohmann/json.hpp>
#include <unistd.h>
#include <vector>

#include <systemc>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/tlm_quantumkeeper.h>

#include "memtile/core/ParamTable.hpp"
#include "memtile/sc/soc/AcceleratorTop.hpp"
#include "memtile/sc/soc/Memory.hpp"
#include "memtile/sc/soc/Router.hpp"
#include "memtile/sc/soc/WordAccess.hpp"

using namespace memtile;
using sc_core::sc_time;
using sc_core::SC_NS;

namespace {
// libsystemc prints its banner before sc_main: keep stderr for our one-line errors.
const bool kNoSystemcBanner = [] {
  ::setenv("SC_COPYRIGHT_MESSAGE", "DISABLE", 0);
  return true;
}();

constexpr std::uint64_t kCsrBase = 0x40000000ull;
constexpr std::uint64_t kMemBase = 0x80000000ull;
constexpr std::uint64_t kMemSize = 16u << 20;

struct Options {
  unsigned k = 100, n = 50, batch = 8;
  bool relu = false;
  bool exact = false;  // the accelerator's exact mode (from --config): results must be exact
  std::uint64_t data_seed = 1;  // the driver's weights and inputs
  std::uint64_t seed = 0;       // --seed: the accelerator's engine.seed, as `memtile run`/`dot`
  double quantum_ns = 1000;
  std::string vcd, perfetto, config;
  bool json = false;
};

// What the driver saw: the registers it read and the results against the exact product.
struct JobResult {
  unsigned tiles = 0, tile_in = 0, tile_out = 0, array_rows = 0, array_cols = 0;
  bool completed = false;   // STATUS after the interrupt has no error
  std::uint32_t status = 0;
  std::vector<double> first_accel, first_exact;  // the first outputs of vector 0
  double relative_error = std::numeric_limits<double>::quiet_NaN();
  double latency_ns = 0;    // START write -> interrupt, as the driver sees it
  std::uint32_t job_cycles = 0, mvms = 0;  // LAST_JOB_CYCLES, MVMS_LO
  std::uint64_t energy_fj = 0;             // ENERGY_FJ_HI:LO
};

class Cpu : public sc_core::sc_module {
 public:
  tlm_utils::simple_initiator_socket<Cpu, 32> socket;
  sc_core::sc_in<bool> irq;
  JobResult result;

  SC_HAS_PROCESS(Cpu);
  Cpu(sc_core::sc_module_name n, const Options& o) : sc_core::sc_module(n), socket("socket"), irq("irq"), o_(o) {
    SC_THREAD(driver);
    set_stack_size(8u << 20);
  }

 private:
  // ---- bus helpers (LT, temporal decoupling)
  std::uint32_t csr_read(std::uint32_t off) { return access(tlm::TLM_READ_COMMAND, kCsrBase + off, 0); }
  void csr_write(std::uint32_t off, std::uint32_t v) { access(tlm::TLM_WRITE_COMMAND, kCsrBase + off, v); }
  std::uint32_t access(tlm::tlm_command cmd, std::uint64_t addr, std::uint32_t v) {
    if (sc::word_access(socket, qk_, cmd, addr, v) != tlm::TLM_OK_RESPONSE)
      SC_REPORT_FATAL("memtile_vp/cpu", ("bus error at 0x" + to_hex(addr)).c_str());
    return v;
  }
  static std::string to_hex(std::uint64_t a) {
    char b[32];
    std::snprintf(b, sizeof b, "%llx", static_cast<unsigned long long>(a));
    return b;
  }
  // Memory through DMI (granted by the memory, forwarded and translated by the bus).
  unsigned char* mem(std::uint64_t addr) {
    if (!dmi_ok_) {
      tlm::tlm_generic_payload tx;
      tx.set_address(kMemBase);
      tx.set_command(tlm::TLM_WRITE_COMMAND);
      dmi_ok_ = socket->get_direct_mem_ptr(tx, dmi_) && dmi_.is_read_write_allowed();
      if (!dmi_ok_) SC_REPORT_FATAL("memtile_vp/cpu", "memory refused DMI");
    }
    return dmi_.get_dmi_ptr() + (addr - dmi_.get_start_address());
  }
  void put_floats(std::uint64_t addr, const Eigen::MatrixXd& m) {
    for (Eigen::Index r = 0; r < m.rows(); ++r)
      for (Eigen::Index c = 0; c < m.cols(); ++c) {
        const float f = static_cast<float>(m(r, c));
        std::memcpy(mem(addr) + 4 * (r * m.cols() + c), &f, 4);
      }
    qk_.inc(dmi_.get_write_latency() * static_cast<double>(m.size()));
  }

  void driver() {
    // The "firmware": data, descriptor, start, sleep until the interrupt, results.
    std::srand(static_cast<unsigned>(o_.data_seed));
    const Eigen::MatrixXd W = Eigen::MatrixXd::Random(o_.k, o_.n).cast<float>().cast<double>();
    const Eigen::MatrixXd X = Eigen::MatrixXd::Random(o_.batch, o_.k).cast<float>().cast<double>();
    const std::uint64_t desc = kMemBase, wa = kMemBase + 0x1000;
    const std::uint64_t xa = wa + 4ull * o_.k * o_.n + 64, ya = xa + 4ull * o_.batch * o_.k + 64;
    put_floats(wa, W);
    put_floats(xa, X);
    sc::LayerDescriptor d;
    d.k = o_.k, d.n = o_.n, d.batch = o_.batch, d.activation = o_.relu ? d.Relu : d.None;
    d.weights_addr = wa, d.input_addr = xa, d.output_addr = ya;
    d.to_bytes(mem(desc));

    if (csr_read(sc::reg::ID) != sc::AcceleratorTop::kId) SC_REPORT_FATAL("memtile_vp/cpu", "no accelerator at the CSR base");
    JobResult& r = result;
    r.tiles = csr_read(sc::reg::NUM_TILES), r.tile_in = csr_read(sc::reg::TILE_IN), r.tile_out = csr_read(sc::reg::TILE_OUT);
    r.array_rows = csr_read(sc::reg::ARRAY_SIZE) >> 16, r.array_cols = csr_read(sc::reg::ARRAY_SIZE) & 0xFFFF;
    csr_write(sc::reg::PERF_CLEAR, 1);
    csr_write(sc::reg::DESC_ADDR_LO, static_cast<std::uint32_t>(desc));
    csr_write(sc::reg::DESC_ADDR_HI, static_cast<std::uint32_t>(desc >> 32));
    csr_write(sc::reg::CTRL, 4u | 1u);  // IRQ_EN | START
    qk_.sync();
    const sc_time t_start = sc_core::sc_time_stamp();
    if (!irq.read()) sc_core::wait(irq.posedge_event());
    const sc_time t_irq = sc_core::sc_time_stamp();
    qk_.reset();
    // Interrupt entry: the handler runs a nanosecond after the edge. Without it the driver
    // clears INT_STATUS in the same time step as the rise, and a VCD (one value per time step)
    // never shows the interrupt.
    sc_core::wait(sc_time(1, SC_NS));
    r.status = csr_read(sc::reg::STATUS);
    csr_write(sc::reg::INT_STATUS, 3u);
    r.latency_ns = (t_irq - t_start).to_seconds() * 1e9;
    r.completed = (r.status & 4u) == 0;
    if (!r.completed) return;
    Eigen::MatrixXd Y(o_.batch, o_.n);
    for (unsigned b = 0; b < o_.batch; ++b)
      for (unsigned j = 0; j < o_.n; ++j) {
        float f;
        std::memcpy(&f, mem(ya) + 4 * (static_cast<std::size_t>(b) * o_.n + j), 4);
        Y(b, j) = f;
      }
    Eigen::MatrixXd exact = X * W;
    if (o_.relu) exact = exact.cwiseMax(0.0);
    r.relative_error = (Y - exact).norm() / exact.norm();
    for (unsigned j = 0; j < std::min(4u, o_.n); ++j) r.first_accel.push_back(Y(0, j)), r.first_exact.push_back(exact(0, j));
    r.energy_fj = static_cast<std::uint64_t>(csr_read(sc::reg::ENERGY_FJ_HI)) << 32 | csr_read(sc::reg::ENERGY_FJ_LO);
    r.job_cycles = csr_read(sc::reg::LAST_JOB_CYCLES);
    r.mvms = csr_read(sc::reg::MVMS_LO);
  }

  Options o_;
  tlm_utils::tlm_quantumkeeper qk_;
  tlm::tlm_dmi dmi_;
  bool dmi_ok_ = false;
};

}  // namespace

int sc_main(int argc, char* argv[]) {
  CLI::App app{"memtile example virtual platform: CPU + bus + memory + accelerator"};
  Options o;
  bool registers = false;
  app.add_flag("--registers", registers, "print docs/registers.md (the register map) and exit");
  app.add_option("-k", o.k, "layer inputs K");
  app.add_option("-n", o.n, "layer outputs N");
  app.add_option("--batch", o.batch, "vectors");
  app.add_flag("--relu", o.relu, "ReLU activation");
  app.add_option("--data-seed", o.data_seed, "Seed of the driver's weights and inputs [1]");
  app.add_option("--seed", o.seed, "Seed of every random draw of the accelerator (engine.seed; tile t uses seed + t) [config or 0]");
  app.add_option("--quantum-ns", o.quantum_ns, "global quantum of the temporal decoupling");
  // The same flags as `memtile run`: --vcd PATH[.vcd], --trace (--perfetto kept as an alias).
  app.add_option("--vcd", o.vcd, "Write a VCD waveform PATH[.vcd]; .vcd is added if missing");
  app.add_option("--trace,--perfetto", o.perfetto, "Write a Perfetto/Chrome trace JSON (load it in ui.perfetto.dev)");
  std::string keys;  // the file's keys, from the accelerator's parameter table
  for (const auto& p : sc::accelerator_params()) keys += (keys.empty() ? "" : ", ") + p.name;
  app.add_option("--config", o.config, "accelerator configuration JSON (" + keys + "; docs/config.md, section accelerator)");
  app.add_flag("--json", o.json, "Print the machine-readable result on stdout, one JSON object, instead of the human summary");
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "memtile_vp: error: " << e.what() << "\n";
    return 2;
  }
  // Bad input: one line naming the option, exit 2, before anything is simulated or written.
  const auto fail = [](const std::string& what) {
    std::cerr << "memtile_vp: error: " << what << "\n";
    return 2;
  };
  if (o.k == 0 || o.n == 0 || o.batch == 0 || o.k > (1u << 24) || o.n > (1u << 24) || o.batch > (1u << 24))
    return fail("-k, -n and --batch must be in 1..16777216");
  // The driver's memory map: descriptor, weights, inputs and results in kMemSize bytes.
  const std::uint64_t need = 0x1000 + 4ull * o.k * o.n + 64 + 4ull * o.batch * o.k + 64 + 4ull * o.batch * o.n;
  if (need > kMemSize)
    return fail("-k " + std::to_string(o.k) + " -n " + std::to_string(o.n) + " --batch " + std::to_string(o.batch) +
                " needs " + std::to_string(need) + " bytes of system memory, the platform has " + std::to_string(kMemSize));
  if (!(o.quantum_ns >= 0)) return fail("--quantum-ns must be >= 0");
  for (const std::string* path : {&o.vcd, &o.perfetto}) {
    if (path->empty()) continue;
    const auto slash = path->find_last_of('/');
    const std::string dir = slash == std::string::npos ? "." : path->substr(0, slash == 0 ? 1 : slash);
    if (::access(dir.c_str(), W_OK) != 0) return fail(*path + ": cannot write here (no such folder or no permission)");
  }
  sc::AcceleratorTopConfig ac;  // default: 4 tiles of 64 x 64 on 32 x 32 arrays, INT8 bit slicing
  if (!o.config.empty()) {
    try {
      ac = sc::load_accelerator_config(o.config);  // validated: a bad field fails here, named
    } catch (const std::exception& e) {
      return fail(e.what());
    }
  }
  if (app.count("--seed")) ac.engine.seed = o.seed;  // precedence: defaults < --config < flags
  o.exact = ac.exact;
  if (registers) {
    std::cout << sc::AcceleratorTop::registers_markdown();
    return 0;
  }
  sc_core::sc_report_handler::set_actions(sc_core::SC_WARNING, sc_core::SC_DISPLAY | sc_core::SC_STOP);
  sc_core::sc_report_handler::set_actions(sc_core::SC_INFO, sc_core::SC_DO_NOTHING);  // as `memtile`
  // stdout is the summary or the JSON object: SystemC's reports (printed to stdout) go to stderr.
  sc_core::sc_report_handler::set_handler([](const sc_core::sc_report& r, const sc_core::sc_actions& a) {
    if (a & sc_core::SC_DISPLAY) std::cerr << sc_core::sc_report_compose_message(r) << std::endl;
    sc_core::sc_report_handler::default_handler(r, a & ~sc_core::SC_DISPLAY);
  });
  tlm_utils::tlm_quantumkeeper::set_global_quantum(sc_time(o.quantum_ns, SC_NS));
  core::TraceConfig tc;
  tc.vcd_path = core::vcd_base_path(o.vcd);
  tc.perfetto_path = o.perfetto;
  sc::TraceHub trace(tc);
  Cpu cpu("cpu", o);
  sc::Router bus("bus", sc_time(1, SC_NS));
  sc::Memory memory("memory", kMemSize);
  sc::AcceleratorTop accel("accel", ac, trace.any() ? &trace : nullptr);
  sc_core::sc_signal<bool> irq("irq");
  cpu.socket.bind(bus.target);
  accel.dma.bind(bus.target);
  bus.map("memory", kMemBase, kMemSize);
  bus.initiator.bind(memory.socket);
  bus.map("accel", kCsrBase, sc::AcceleratorTop::kCsrBytes);
  bus.initiator.bind(accel.csr);
  accel.irq.bind(irq);
  cpu.irq.bind(irq);
  if (trace.vcd()) sc_core::sc_trace(trace.vcd(), irq, "irq");
  sc_core::sc_start();
  trace.close();

  // The result: one object for --json, the summary printed from it.
  const JobResult& r = cpu.result;
  const sc::AcceleratorCounters ctr = accel.counters();  // the model's own, for tests/vp/check_vp_traces.py
  std::uint64_t adc = 0, dac = 0;
  for (int t = 0; t < accel.tiles(); ++t) adc += accel.tile(t).stats().adc_conversions, dac += accel.tile(t).stats().dac_conversions;
  const int warnings = sc_core::sc_report_handler::get_count(sc_core::SC_WARNING) +
                       sc_core::sc_report_handler::get_count(sc_core::SC_ERROR);
  // Exact mode: float64 block products, so the results differ from the float64 product of the
  // stored float32 data only by their own float32 rounding (relative 2^-24 each); anything
  // more is a data-path fault (a lost, repeated or misplaced word). Else the analog error.
  const double tolerance = o.exact ? 1e-6 : 0.25;
  const unsigned rb = r.tile_in ? (o.k + r.tile_in - 1) / r.tile_in : 0, cb = r.tile_out ? (o.n + r.tile_out - 1) / r.tile_out : 0;
  nlohmann::json j;
  j["command"] = "memtile_vp";
  j["accelerator"] = {{"tiles", r.tiles}, {"tile_in", r.tile_in}, {"tile_out", r.tile_out},
                      {"array_rows", r.array_rows}, {"array_cols", r.array_cols}, {"exact", o.exact},
                      {"engine_seed", ac.engine.seed}};
  j["layer"] = {{"k", o.k}, {"n", o.n}, {"batch", o.batch}, {"activation", o.relu ? "relu" : "none"}, {"data_seed", o.data_seed},
                {"row_blocks", rb}, {"col_blocks", cb}, {"rounds", r.tiles ? (rb * cb + r.tiles - 1) / r.tiles : 0}};
  j["status_register"] = r.status;
  j["error_code"] = (r.status >> 8) & 0xFF;
  if (r.completed) {
    j["first_outputs"] = {{"accelerator", r.first_accel}, {"exact", r.first_exact}};
    j["relative_error"] = r.relative_error;
    j["energy_pj"] = static_cast<double>(r.energy_fj) * 1e-3;
    j["mvms"] = r.mvms;
    j["energy_pj_per_mvm"] = static_cast<double>(r.energy_fj) * 1e-3 / std::max(1u, r.mvms);
  }
  j["tolerance"] = tolerance;
  j["latency_ns"] = r.latency_ns;
  j["latency_cycles"] = r.job_cycles;
  j["simulated_ns"] = sc_core::sc_time_stamp().to_seconds() * 1e9;
  j["bus_transactions"] = bus.transactions();
  j["counters"] = {{"jobs", ctr.jobs}, {"mvms", ctr.mvms}, {"last_job_cycles", ctr.last_job_cycles},
                   {"energy_pj", ctr.energy_pj}, {"program_pj", ctr.program_pj},
                   {"dma_bursts", accel.dma_engine().bursts()}, {"dma_read_bytes", accel.dma_engine().bytes_read()},
                   {"dma_written_bytes", accel.dma_engine().bytes_written()}, {"adc_conversions", adc},
                   {"dac_conversions", dac}};
  j["systemc_warnings"] = warnings;
  const bool within = r.completed && r.relative_error < tolerance;
  j["checks"] = {{"job_completed", r.completed}, {"relative_error_within_tolerance", within}, {"no_systemc_warnings", warnings == 0}};
  j["passed"] = r.completed && within && warnings == 0;
  if (!o.vcd.empty()) j["vcd"] = tc.vcd_path + ".vcd";
  if (!o.perfetto.empty()) j["trace"] = o.perfetto;
  // 0: every check passed; 3: the job failed or its results are outside the tolerance; 4: SystemC
  // warnings or errors (bad input is 2, refused above).
  const int code = warnings > 0 ? 4 : j["passed"].get<bool>() ? 0 : 3;
  if (o.json) {
    std::cout << j.dump(2) << std::endl;
    return code;
  }

  std::vector<std::pair<std::string, std::string>> lines;
  const auto fmt = [](const char* f, auto... v) {
    char b[256];
    std::snprintf(b, sizeof b, f, v...);
    return std::string(b);
  };
  lines.push_back({"accelerator", fmt("%u tiles of %u x %u weights, arrays %u x %u%s", r.tiles, r.tile_in, r.tile_out,
                                      r.array_rows, r.array_cols, o.exact ? ", exact mode" : "")});
  lines.push_back({"layer", fmt("%u x %u: %u x %u blocks in %u round(s) of %u tiles, batch %u, activation %s", o.k, o.n, rb,
                                cb, j["layer"]["rounds"].get<unsigned>(), r.tiles, o.batch, o.relu ? "relu" : "none")});
  if (r.completed) {
    std::string first;
    for (std::size_t i = 0; i < r.first_accel.size(); ++i) first += fmt(" %.4f/%.4f", r.first_accel[i], r.first_exact[i]);
    lines.push_back({"outputs", "first (accelerator/exact):" + first});
    lines.push_back({"error", fmt("%.5f relative to the exact product (tolerance %g)", r.relative_error, tolerance)});
  } else {
    lines.push_back({"job", fmt("failed: STATUS 0x%08x, error code %u", r.status, (r.status >> 8) & 0xFF)});
  }
  lines.push_back({"latency", fmt("%.1f ns START -> IRQ (%u accelerator cycles)", r.latency_ns, r.job_cycles)});
  if (r.completed)
    lines.push_back({"energy", fmt("%.3f nJ for %u MVMs (%.2f pJ/MVM)", r.energy_fj * 1e-6, r.mvms,
                                   j["energy_pj_per_mvm"].get<double>())});
  lines.push_back({"simulated", fmt("%.1f ns, %llu bus transactions", j["simulated_ns"].get<double>(),
                                    static_cast<unsigned long long>(bus.transactions()))});
  std::string counters;
  for (auto it = j["counters"].begin(); it != j["counters"].end(); ++it)
    counters += (counters.empty() ? "" : ", ") + it.key() + " " +
                (it.value().is_number_float() ? fmt("%.6g", it.value().get<double>()) : it.value().dump());
  lines.push_back({"counters", counters});
  std::string failed;
  for (auto it = j["checks"].begin(); it != j["checks"].end(); ++it)
    if (!it.value().get<bool>()) failed += (failed.empty() ? "" : ", ") + it.key();
  lines.push_back({"checks", failed.empty() ? "passed" : "FAILED: " + failed});
  if (j.contains("vcd")) lines.push_back({"VCD", j["vcd"].get<std::string>()});
  if (j.contains("trace")) lines.push_back({"trace", j["trace"].get<std::string>()});
  std::size_t width = 10;
  for (const auto& l : lines) width = std::max(width, l.first.size());
  for (const auto& [label, value] : lines) std::cout << label << std::string(width + 1 - label.size(), ' ') << value << "\n";
  std::cout << std::flush;
  return code;
}
