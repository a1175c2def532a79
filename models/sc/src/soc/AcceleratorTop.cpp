#include "memtile/sc/soc/AcceleratorTop.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include <nlohmann/json.hpp>

#include "memtile/core/Errors.hpp"
#include "memtile/core/JsonField.hpp"
#include "memtile/core/ParamTable.hpp"
#include "memtile/core/MatrixEngine.hpp"
#include "memtile/core/Programming.hpp"

namespace memtile::sc {
using sc_core::sc_time;
using sc_core::SC_ZERO_TIME;

namespace {
constexpr std::size_t kThreadStack = 8u << 20;  // Eigen on the controller's stack
constexpr std::uint32_t kTileWindow = 0x1000;    // on-chip router: tile t at t * 0x1000

std::uint32_t get32(const unsigned char* p) {
  std::uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}
std::uint64_t get64(const unsigned char* p) {
  std::uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}
void put32(unsigned char* p, std::uint32_t v) { std::memcpy(p, &v, 4); }
void put64(unsigned char* p, std::uint64_t v) { std::memcpy(p, &v, 8); }

bool all_finite(const std::vector<float>& v) {
  for (float f : v)
    if (!std::isfinite(f)) return false;
  return true;
}
// [a, a + n) and [b, b + m) share a byte (n, m > 0), in 128 bits: a range running past 2^64
// is the DMA's to refuse (DmaResponse::Wraps), not a false overlap here.
bool overlap(std::uint64_t a, std::uint64_t n, std::uint64_t b, std::uint64_t m) {
  using u128 = unsigned __int128;
  return n > 0 && m > 0 && static_cast<u128>(a) < static_cast<u128>(b) + m && static_cast<u128>(b) < static_cast<u128>(a) + n;
}
}  // namespace

void LayerDescriptor::to_bytes(unsigned char o[kSize]) const {
  std::memset(o, 0, kSize);
  put32(o + 0x00, magic);
  put32(o + 0x04, flags);
  put32(o + 0x08, k);
  put32(o + 0x0C, n);
  put32(o + 0x10, batch);
  put32(o + 0x14, activation);
  put64(o + 0x18, weights_addr);
  put64(o + 0x20, input_addr);
  put64(o + 0x28, output_addr);
  put32(o + 0x30, tile_base);
}

LayerDescriptor LayerDescriptor::from_bytes(const unsigned char in[kSize]) {
  LayerDescriptor d;
  d.magic = get32(in + 0x00);
  d.flags = get32(in + 0x04);
  d.k = get32(in + 0x08);
  d.n = get32(in + 0x0C);
  d.batch = get32(in + 0x10);
  d.activation = get32(in + 0x14);
  d.weights_addr = get64(in + 0x18);
  d.input_addr = get64(in + 0x20);
  d.output_addr = get64(in + 0x28);
  d.tile_base = get32(in + 0x30);
  return d;
}

LayerMapping::LayerMapping(const core::LayerTiling& layer_tiling, int first_tile, int tiles_from_first)
    : tiling(layer_tiling), tile_base(first_tile), tiles_available(tiles_from_first) {
  core::require(first_tile >= 0, "mapping.tile_base", "must be >= 0, got " + std::to_string(first_tile));
  core::require(tiles_from_first >= 1, "mapping.tiles_available", "must be >= 1, got " + std::to_string(tiles_from_first));
}

int LayerMapping::rounds() const { return core::block_count(tiling.blocks(), tiles_available, "mapping.blocks"); }
int LayerMapping::first_block(int round) const { return round * tiles_available; }
int LayerMapping::end_block(int round) const { return std::min(first_block(round) + tiles_available, tiling.blocks()); }
int LayerMapping::tile_of(int block) const { return tile_base + block % tiles_available; }

const std::vector<core::Param<AcceleratorTopConfig>>& accelerator_params() {
  // The top's JSON keys, once: JSON in/out, range checks and the accelerator section of
  // docs/config.md. The engine, tile and energy groups are whole configurations with their own
  // tables and loaders (sections of their own); the checks between them stay in validate().
  static const std::vector<core::Param<AcceleratorTopConfig>> table = [] {
    using C = AcceleratorTopConfig;
    using core::bool_param;
    using core::int_param;
    const double inf = std::numeric_limits<double>::infinity();
    std::vector<core::Param<C>> t;
    t.push_back(int_param<C>("tiles", "", &C::tiles, "tiles", 1, 256, "1 .. 256", "Physical tiles"));
    t.push_back(int_param<C>("tile_in", "", &C::tile_in, "rows", 1, 1 << 16, "1 .. 65536",
                             "Weight rows (inputs) one tile holds"));
    t.push_back(int_param<C>("tile_out", "", &C::tile_out, "columns", 1, 1 << 16, "1 .. 65536",
                             "Weight columns (outputs) one tile holds"));
    t.push_back(core::real_param<C>("clock_ghz", "", &C::clock_ghz, "GHz", {0, inf, true},
                                    "Control, DMA and CSR clock (the tiles have tile.clock_ghz)"));
    {
      auto burst = int_param<C>("dma_burst_bytes", "", &C::dma_burst_bytes, "bytes", 4, 1 << 20,
                                "4 .. 2^20, a multiple of 4", "Bytes per DMA transaction");
      const std::string range = burst.range;
      burst.check = [range](const C& c, const std::string& field) {
        core::require(c.dma_burst_bytes >= 4 && c.dma_burst_bytes <= (1u << 20) && c.dma_burst_bytes % 4 == 0, field,
                      "must be " + range + " B, got " + std::to_string(c.dma_burst_bytes));
      };
      t.push_back(burst);
    }
    t.push_back(int_param<C>("max_batch", "", &C::max_batch, "vectors", 1, 4294967295.0L, "1 .. 2^32-1",
                             "Largest batch a job may ask for"));
    t.push_back(int_param<C>("max_job_bytes", "", &C::max_job_bytes, "bytes", 4, 4294967296.0L, "4 .. 2^32 (4 GiB)",
                             "Largest weights, inputs or outputs array of a job (else the job fails with BadShape)"));
    t.push_back(bool_param<C>("exact", "", &C::exact,
                              "Float64 block products (no quantisation, variation or ADC) while the tiles still run "
                              "for time and energy: a driver can check its data path bit for bit"));
    {
      std::vector<core::Param<C>> p;
      p.push_back(bool_param<C>("strict_streaming_width", "",
                                [](auto& c) -> auto& { return c.protocol.strict_streaming_width; },
                                "A CSR access with streaming width 0 is a burst error (else: width = length)"));
      p.push_back(bool_param<C>("incomplete_is_ok", "", [](auto& c) -> auto& { return c.protocol.incomplete_is_ok; },
                                "A DMA burst left at TLM_INCOMPLETE_RESPONSE counts as OK (hosts whose memory never "
                                "sets the response status)"));
      t.push_back(core::group_param<C>("protocol", "Tolerances at the bus edges (docs/integration.md)", p));
    }
    t.push_back(core::section_param<C>("engine", "engine", "Numerics of every tile (tile t uses engine.seed + t)",
                                       &C::engine));
    t.push_back(core::section_param<C>("tile", "tile", "Timing of every tile", &C::tile));
    t.push_back(core::section_param<C>("energy", "energy", "Energy and area of every tile", &C::energy));
    return t;
  }();
  return table;
}

std::string accelerator_config_markdown() { return core::params_markdown(accelerator_params()); }

void AcceleratorTopConfig::validate() const {
  core::check_group(accelerator_params(), *this, "accelerator");
  engine.validate("accelerator.engine");
  tile.validate(engine, "accelerator.tile");
  energy.validate("accelerator.energy");
}

void apply_json(AcceleratorTopConfig& c, const nlohmann::json& j, const std::string& source) {
  // Every message names the file (source) and the field, whichever loader or check threw.
  const std::string group = source.empty() ? "accelerator" : source + ": accelerator";
  try {
    core::apply_group(accelerator_params(), c, j, group);
    c.validate();
  } catch (const core::InputError& e) {
    const std::string m = e.what();
    if (source.empty() || m.rfind(source, 0) == 0) throw;
    throw core::InputError(source + ": " + m);
  }
}

nlohmann::json to_json(const AcceleratorTopConfig& c) { return core::params_to_json(accelerator_params(), c); }

AcceleratorTopConfig load_accelerator_config(const std::string& path) {
  AcceleratorTopConfig c;
  apply_json(c, core::read_json_file(path), path);
  return c;
}

// ---------------------------------------------------------------- the register table
void AcceleratorTop::build_registers(RegisterMap& m, AcceleratorTop* a) {
  const AcceleratorTopConfig def;
  const AcceleratorTopConfig& c = a ? a->cfg_ : def;
  using A = RegAccess;
  auto ro = [&](const char* name, std::uint32_t off, std::uint32_t reset, const char* desc,
                std::function<std::uint32_t()> rd = {}) {
    Register r;
    r.name = name, r.offset = off, r.reset = reset, r.access = A::RO, r.description = desc;
    if (a) r.read = std::move(rd);
    m.add(std::move(r));
  };
  auto rw = [&](const char* name, std::uint32_t off, const char* desc) {
    Register r;
    r.name = name, r.offset = off, r.access = A::RW, r.description = desc;
    m.add(std::move(r));
  };
  ro("ID", reg::ID, kId, "Identification, ASCII \"MEMT\".");
  ro("VERSION", reg::VERSION, kVersion, "Register-map version, major[31:16] minor[15:0].");
  {
    Register r;
    r.name = "CTRL", r.offset = reg::CTRL, r.access = A::RW;
    r.description = "bit0 START (write 1: start the job at DESC_ADDR; refused while BUSY, see STATUS.START_REFUSED; "
                    "reads 0), bit1 SOFT_RESET (write 1: registers, status, DMA_ERR_* and interrupts to reset, a running "
                    "job is abandoned at once: BUSY clears, no results, no interrupt; reads 0), bit2 IRQ_EN (interrupt "
                    "enable). One write applies SOFT_RESET first, then IRQ_EN, then START.";
    if (a) {
      r.read = [a] { return a->irq_en_ ? 4u : 0u; };
      r.write = [a](std::uint32_t v, const sc_time& d) { a->write_ctrl(v, d); };
    }
    m.add(std::move(r));
  }
  ro("STATUS", reg::STATUS, 0,
     "bit0 BUSY, bit1 DONE (last job finished without error), bit2 ERROR, bit3 START_REFUSED (a START "
     "arrived while BUSY and was ignored; the running job is unaffected), bits[15:8] ERROR_CODE (see "
     "below). DONE, ERROR, START_REFUSED and ERROR_CODE clear on an accepted START and on SOFT_RESET; "
     "ERROR and ERROR_CODE also when INT_STATUS.ERROR is cleared.",
     [a] { return a->status_word(); });
  {
    Register r;
    r.name = "INT_STATUS", r.offset = reg::INT_STATUS, r.access = A::W1C;
    r.description = "bit0 DONE (job finished), bit1 ERROR (job failed); write 1 to clear. "
                    "irq = IRQ_EN && INT_STATUS != 0.";
    if (a) {
      r.read = [a] { return a->int_status_; };
      r.write = [a](std::uint32_t v, const sc_time&) { a->write_int_status(v); };
    }
    m.add(std::move(r));
  }
  rw("DESC_ADDR_LO", reg::DESC_ADDR_LO, "Layer descriptor address in system memory, bits [31:0] (8-byte aligned).");
  rw("DESC_ADDR_HI", reg::DESC_ADDR_HI, "Layer descriptor address, bits [63:32].");
  rw("IN_ADDR_LO", reg::IN_ADDR_LO, "Input address, bits [31:0]; used instead of the descriptor's when its flag IO_FROM_CSR is set.");
  rw("IN_ADDR_HI", reg::IN_ADDR_HI, "Input address, bits [63:32].");
  rw("OUT_ADDR_LO", reg::OUT_ADDR_LO, "Output address, bits [31:0]; used when the descriptor's flag IO_FROM_CSR is set.");
  rw("OUT_ADDR_HI", reg::OUT_ADDR_HI, "Output address, bits [63:32].");
  rw("BATCH", reg::BATCH, "Vectors per job; used when the descriptor's flag IO_FROM_CSR is set.");
  ro("NUM_TILES", reg::NUM_TILES, static_cast<std::uint32_t>(c.tiles), "Physical tiles (configuration; reset shows the default).",
     [a] { return static_cast<std::uint32_t>(a->cfg_.tiles); });
  ro("TILE_IN", reg::TILE_IN, static_cast<std::uint32_t>(c.tile_in), "Weight rows (inputs) one tile holds.",
     [a] { return static_cast<std::uint32_t>(a->cfg_.tile_in); });
  ro("TILE_OUT", reg::TILE_OUT, static_cast<std::uint32_t>(c.tile_out), "Weight columns (outputs) one tile holds.",
     [a] { return static_cast<std::uint32_t>(a->cfg_.tile_out); });
  ro("ARRAY_SIZE", reg::ARRAY_SIZE, static_cast<std::uint32_t>(c.engine.array_rows) << 16 | static_cast<std::uint32_t>(c.engine.array_cols),
     "Crossbar array rows[31:16] x columns[15:0].", [a] {
       return static_cast<std::uint32_t>(a->cfg_.engine.array_rows) << 16 | static_cast<std::uint32_t>(a->cfg_.engine.array_cols);
     });
  ro("LAYER_TILES", reg::LAYER_TILES, 0,
     "Mapping of the most recently loaded layer that stays programmed: row blocks[31:16] x column blocks[15:0] (0: none).",
     [a] {
       if (a->last_k_ == 0) return 0u;
       const core::LayerTiling lt = a->tiling_of(a->last_k_, a->last_n_);
       return static_cast<std::uint32_t>(lt.row_blocks()) << 16 | static_cast<std::uint32_t>(lt.col_blocks());
     });
  auto cycles = [a]() -> std::uint64_t {
    std::uint64_t c = a->counters_.busy_cycles;
    const sc_time now = sc_core::sc_time_stamp();  // START may lie ahead (initiator's local time)
    if (a->busy_ && now > a->job_start_) c += static_cast<std::uint64_t>((now - a->job_start_) / a->clk_);
    return c;
  };
  ro("CYCLES_LO", reg::CYCLES_LO, 0, "Busy clock cycles (control clock) since reset/PERF_CLEAR, bits [31:0].",
     [cycles] { return static_cast<std::uint32_t>(cycles()); });
  ro("CYCLES_HI", reg::CYCLES_HI, 0, "Busy clock cycles, bits [63:32] (read HI, LO, HI: no latching).",
     [cycles] { return static_cast<std::uint32_t>(cycles() >> 32); });
  ro("MVMS_LO", reg::MVMS_LO, 0, "Matrix-vector products completed (one a batch vector), bits [31:0].",
     [a] { return static_cast<std::uint32_t>(a->counters_.mvms); });
  ro("MVMS_HI", reg::MVMS_HI, 0, "Matrix-vector products completed, bits [63:32].",
     [a] { return static_cast<std::uint32_t>(a->counters_.mvms >> 32); });
  auto fj = [a]() -> std::uint64_t { return static_cast<std::uint64_t>(std::llround(a->counters_.energy_pj * 1000.0)); };
  ro("ENERGY_FJ_LO", reg::ENERGY_FJ_LO, 0, "Energy of the jobs (programming, tiles, reduction, activation) in fJ, bits [31:0].",
     [fj] { return static_cast<std::uint32_t>(fj()); });
  ro("ENERGY_FJ_HI", reg::ENERGY_FJ_HI, 0, "Energy in fJ, bits [63:32].", [fj] { return static_cast<std::uint32_t>(fj() >> 32); });
  ro("JOBS", reg::JOBS, 0, "Jobs finished (successful or failed) since reset/PERF_CLEAR.",
     [a] { return static_cast<std::uint32_t>(a->counters_.jobs); });
  ro("LAST_JOB_CYCLES", reg::LAST_JOB_CYCLES, 0, "Clock cycles of the last job, START to DONE/ERROR.",
     [a] { return static_cast<std::uint32_t>(std::min<std::uint64_t>(a->counters_.last_job_cycles, 0xFFFFFFFFu)); });
  {
    Register r;
    r.name = "PERF_CLEAR", r.offset = reg::PERF_CLEAR, r.access = A::WO;
    r.description = "Write 1 to bit0: clear CYCLES, MVMS, ENERGY_FJ, JOBS and LAST_JOB_CYCLES.";
    if (a)
      r.write = [a](std::uint32_t v, const sc_time&) {
        if (v & 1u) a->counters_ = AcceleratorCounters{};
      };
    m.add(std::move(r));
  }
  rw("SCRATCH", reg::SCRATCH, "Scratch register for driver tests; no effect.");
  ro("DMA_ERR_ADDR_LO", reg::DMA_ERR_ADDR_LO, 0,
     "Bus address of the DMA burst that failed the last job (codes 2, 5, 6, 7), bits [31:0]; 0 if none. "
     "Cleared by an accepted START and by SOFT_RESET.",
     [a] { return static_cast<std::uint32_t>(a->dma_engine_.last_error().address); });
  ro("DMA_ERR_ADDR_HI", reg::DMA_ERR_ADDR_HI, 0, "Failing DMA burst address, bits [63:32].",
     [a] { return static_cast<std::uint32_t>(a->dma_engine_.last_error().address >> 32); });
  ro("DMA_ERR_STATUS", reg::DMA_ERR_STATUS, 0,
     "bits[3:0] the failing burst's response: 0 none, 1 TLM_INCOMPLETE_RESPONSE (the target set no status), "
     "2 generic error, 3 address error, 4 command error, 5 burst error, 6 byte-enable error, 7 the transfer's "
     "range wraps past 2^64 (not sent); bit8 1 = write (results), 0 = read.",
     [a] {
       const DmaError& e = a->dma_engine_.last_error();
       return static_cast<std::uint32_t>(e.response) | (e.write ? 0x100u : 0u);
     });
}

std::string AcceleratorTop::registers_markdown() {
  RegisterMap m(kCsrBytes);
  build_registers(m, nullptr);
  return m.markdown(
      "memtile accelerator register map",
      "Generated from `AcceleratorTop::build_registers` (models/sc/src/soc/AcceleratorTop.cpp) by `memtile_vp "
      "--registers`; the test `test_vp_accelerator` (register_doc_matches_the_table) fails when this file and the table differ.\n\n"
      "All registers are 32 bits wide; offsets are from the accelerator's CSR base (the platform map "
      "chooses it; the CSR window is 0x100 bytes). Accesses must be single aligned 32-bit words without "
      "byte enables; anything else answers with an error response and sets STATUS.ERROR with code 1 "
      "(see docs/integration.md for the response of each illegal access). Reset values of NUM_TILES, "
      "TILE_IN, TILE_OUT and ARRAY_SIZE are those of the default configuration.\n\n"
      "Error codes (STATUS[15:8]): 0 none, 1 CSR access error, 2 descriptor DMA error, 3 bad descriptor "
      "(magic, flags, activation), 4 bad shape (K, N or batch 0, batch > max, an array larger than the "
      "configured maximum), 5 weights DMA error, 6 input DMA error, 7 output DMA error, 8 no weights loaded for this "
      "shape or the layer needs more than one round of tiles, 9 reserved (register map 1.0: START while busy; "
      "now STATUS.START_REFUSED), 10 bad data (a NaN or infinite weight or input), 11 buffer overlap (the "
      "output range overlaps the descriptor, the weights or the inputs), 12 result out of range (a result "
      "not finite in float32). Codes 2 and 5-7 leave the failing burst in DMA_ERR_ADDR and DMA_ERR_STATUS.\n\n"
      "Layer descriptor (56 bytes, little-endian, at DESC_ADDR): 0x00 magic 0x3144544D (\"MTD1\"), "
      "0x04 flags (bit0 LOAD_WEIGHTS, bit1 IO_FROM_CSR, bit2 PROGRAM_ONLY: with LOAD_WEIGHTS, program and stop), 0x08 K, 0x0C N, 0x10 batch, 0x14 activation "
      "(0 none, 1 ReLU), 0x18 weights address (K x N float32 row-major), 0x20 input address (batch x K "
      "float32), 0x28 output address (batch x N float32), 0x30 tile base (block b runs on tile base + b; layers on "
      "disjoint tiles stay programmed together), 0x34 reserved (0).");
}

// ---------------------------------------------------------------- construction
AcceleratorTop::AcceleratorTop(sc_core::sc_module_name name, const AcceleratorTopConfig& cfg, TraceHub* trace)
    : sc_core::sc_module(name),
      dma_engine_("dma_engine", cfg.dma_burst_bytes, sc_time(1.0 / cfg.clock_ghz, sc_core::SC_NS),
                  cfg.protocol.incomplete_is_ok),
      csr("csr"), dma(dma_engine_.socket), irq("irq"), cfg_(cfg), trace_(trace),
      regs_(kCsrBytes, AccessRules{cfg.protocol.strict_streaming_width}), tile_port_("tile_port"),
      collect_("collect") {
  cfg_.validate();
  clk_ = sc_time(1.0 / cfg_.clock_ghz, sc_core::SC_NS);
  build_registers(regs_, this);
  csr.register_b_transport(this, &AcceleratorTop::csr_b_transport);
  csr.register_transport_dbg(this, &AcceleratorTop::csr_transport_dbg);
  csr.register_get_direct_mem_ptr(this, &AcceleratorTop::csr_get_direct_mem_ptr);
  collect_.register_b_transport(this, &AcceleratorTop::collect_b_transport);

  router_ = std::make_unique<Router>("router", clk_);
  tile_port_.bind(router_->target);
  const Eigen::MatrixXd zeros = Eigen::MatrixXd::Zero(cfg_.tile_in, cfg_.tile_out);
  for (int t = 0; t < cfg_.tiles; ++t) {
    auto blank = std::make_shared<core::ProgrammedMatrix>(core::MatrixEngine(engine_of_tile(t)).program(zeros));
    tiles_.push_back(std::make_unique<Tile>(("tile" + std::to_string(t)).c_str(), std::move(blank), cfg_.tile,
                                            core::NeuronConfig{}, cfg_.energy, trace_));
    router_->map("tile" + std::to_string(t), static_cast<std::uint64_t>(t) * kTileWindow, kTileWindow);
    router_->initiator.bind(tiles_.back()->in);
    tiles_.back()->out.bind(collect_);
  }
  outputs_.resize(cfg_.tiles);
  expected_batch_.assign(cfg_.tiles, ~0ull);
  if (cfg_.exact) exact_w_.assign(cfg_.tiles, zeros);
  resident_.resize(cfg_.tiles);
  dma_engine_.set_stop([this] { return running_gen_ != job_gen_; });  // SOFT_RESET stops a transfer
  if (trace_ && trace_->vcd()) {
    sc_core::sc_trace(trace_->vcd(), busy_, std::string(this->name()) + ".busy");
    sc_core::sc_trace(trace_->vcd(), irq_level_, std::string(this->name()) + ".irq");
  }
  SC_HAS_PROCESS(AcceleratorTop);
  SC_THREAD(control);
  set_stack_size(kThreadStack);
  SC_METHOD(drive_irq);
  sensitive << irq_ev_;
}

AcceleratorTop::~AcceleratorTop() = default;

// ---------------------------------------------------------------- CSR socket
void AcceleratorTop::csr_b_transport(tlm::tlm_generic_payload& tx, sc_time& delay) {
  const tlm::tlm_response_status s = regs_.access(tx, delay);
  delay += clk_;
  if (s != tlm::TLM_OK_RESPONSE) set_error(AccelError::CsrAccess);
}

unsigned AcceleratorTop::csr_transport_dbg(tlm::tlm_generic_payload& tx) { return regs_.debug(tx); }

bool AcceleratorTop::csr_get_direct_mem_ptr(tlm::tlm_generic_payload&, tlm::tlm_dmi& dmi) {
  // Registers have side effects: never DMI, anywhere in this target's address space. The
  // refused range is the largest one containing the requested address (IEEE 1666-2011's DMI
  // rules): all of it, so an initiator never asks again; a bus clips it to its window.
  dmi.allow_none();
  dmi.set_start_address(0);
  dmi.set_end_address(~static_cast<sc_dt::uint64>(0));
  return false;
}

std::uint32_t AcceleratorTop::status_word() const {
  std::uint32_t v = 0;
  if (busy_) v |= 1u;
  if (done_) v |= 2u;
  if (start_refused_) v |= 8u;
  if (error_ != AccelError::None) v |= 4u | (static_cast<std::uint32_t>(error_) & 0xFFu) << 8;
  return v;
}

void AcceleratorTop::set_error(AccelError e) { error_ = e; }

void AcceleratorTop::update_irq() {
  irq_level_ = irq_en_ && (int_status_ & 3u) != 0;
  irq_ev_.notify();  // the signal has one writer: drive_irq(), in this or the next evaluation
}

void AcceleratorTop::drive_irq() {
  if (irq.size() > 0) irq->write(irq_level_);
}

void AcceleratorTop::write_int_status(std::uint32_t clear) {
  int_status_ &= ~(clear & 3u);
  if (clear & 2u) error_ = AccelError::None;
  update_irq();
}

void AcceleratorTop::write_ctrl(std::uint32_t v, const sc_time& delay) {
  if (v & 2u) soft_reset();
  irq_en_ = (v & 4u) != 0;
  if (v & 1u) {
    if (busy_) {
      start_refused_ = true;  // the running job's status and interrupt stay its own
    } else {
      busy_ = true;
      done_ = false;
      start_refused_ = false;
      error_ = AccelError::None;
      dma_engine_.clear_error();
      job_start_ = sc_core::sc_time_stamp() + delay;
      start_pending_ = true;
      start_ev_.notify(delay);
    }
  }
  update_irq();
}

void AcceleratorTop::soft_reset() {
  regs_.reset();
  irq_en_ = false;
  int_status_ = 0;
  done_ = false;
  start_refused_ = false;
  error_ = AccelError::None;
  dma_engine_.clear_error();
  if (busy_) {
    // Abandoned at once: BUSY clears now, the controller leaves the job at its next step
    // (its waits also wake on abort_ev_), a DMA transfer stops at its next burst.
    const sc_time now = sc_core::sc_time_stamp();
    if (now > job_start_) counters_.busy_cycles += static_cast<std::uint64_t>((now - job_start_) / clk_);
    busy_ = false;
    ++job_gen_;
    start_pending_ = false;
    start_ev_.cancel();
    abort_ev_.notify(SC_ZERO_TIME);
  }
}

std::uint64_t AcceleratorTop::reg64(const char* lo, const char* hi) {
  return static_cast<std::uint64_t>(regs_.at(hi).value) << 32 | regs_.at(lo).value;
}

// ---------------------------------------------------------------- tiles' outputs
void AcceleratorTop::collect_b_transport(int id, tlm::tlm_generic_payload& tx, sc_time&) {
  const JobExtension* job = batch_of(tx);
  if (!job) return;
  if (id < 0 || id >= static_cast<int>(outputs_.size())) {
    tx.set_response_status(tlm::TLM_COMMAND_ERROR_RESPONSE);
    return;
  }
  tx.set_response_status(tlm::TLM_OK_RESPONSE);
  if (--in_flight_ == 0) drained_ev_.notify(SC_ZERO_TIME);
  if (job->job != expected_batch_[static_cast<std::size_t>(id)]) return;  // a batch of an abandoned job
  expected_batch_[static_cast<std::size_t>(id)] = ~0ull;
  outputs_[id] = job->data;
  if (--outputs_pending_ == 0) outputs_ev_.notify(SC_ZERO_TIME);
}

// ---------------------------------------------------------------- the controller
void AcceleratorTop::control() {
  while (true) {
    while (!start_pending_) sc_core::wait(start_ev_);
    const std::uint64_t gen = job_gen_;
    // START was written with the initiator's local time ahead: the job begins then.
    if (sc_core::sc_time_stamp() < job_start_) sc_core::wait(job_start_ - sc_core::sc_time_stamp(), abort_ev_);
    if (aborted(gen)) continue;
    start_pending_ = false;
    // Batches a SOFT_RESET abandoned may still be in the tiles: drain them first.
    while (in_flight_ > 0 && !aborted(gen)) sc_core::wait(drained_ev_ | abort_ev_);
    if (aborted(gen)) continue;
    AccelError e = AccelError::None;
    running_gen_ = gen;
    try {
      e = run_job(gen);
    } catch (const std::exception&) {
      // The engine refused the guest's data (a check below run_job's own): a failed job,
      // never an exception through sc_start.
      e = AccelError::BadData;
    }
    if (aborted(gen)) continue;  // SOFT_RESET during the job: no completion, no interrupt
    const sc_time now = sc_core::sc_time_stamp();
    const std::uint64_t cyc = static_cast<std::uint64_t>((now - job_start_) / clk_);
    counters_.busy_cycles += cyc;
    counters_.last_job_cycles = cyc;
    busy_ = false;
    ++counters_.jobs;
    if (e == AccelError::None) {
      done_ = true;
      int_status_ |= 1u;
    } else {
      ++counters_.failed_jobs;
      error_ = e;
      int_status_ |= 2u;
    }
    update_irq();
  }
}

core::EngineConfig AcceleratorTop::engine_of_tile(int t) const {
  core::EngineConfig e = cfg_.engine;
  e.seed = cfg_.engine.seed + static_cast<std::uint64_t>(t);
  return e;
}

core::LayerTiling AcceleratorTop::tiling_of(std::uint64_t k, std::uint64_t n) const {
  return core::LayerTiling(static_cast<Eigen::Index>(k), static_cast<Eigen::Index>(n), cfg_.tile_in, cfg_.tile_out);
}

void AcceleratorTop::program_blocks(const std::vector<float>& w, const LayerDescriptor& d, const LayerMapping& m,
                                    int round) {
  double g_total_s = 0;
  for (int b = m.first_block(round); b < m.end_block(round); ++b) {
    const int t = m.tile_of(b);
    const core::BlockRange rows = m.tiling.rows_of(m.tiling.row_block_of(b));
    const core::BlockRange cols = m.tiling.cols_of(m.tiling.col_block_of(b));
    Eigen::MatrixXd W = Eigen::MatrixXd::Zero(cfg_.tile_in, cfg_.tile_out);
    for (Eigen::Index i = 0; i < rows.count; ++i)
      for (Eigen::Index j = 0; j < cols.count; ++j)
        W(i, j) = static_cast<double>(w[static_cast<std::size_t>((rows.first + i) * static_cast<Eigen::Index>(d.n) + cols.first + j)]);
    Tile& tile = *tiles_[static_cast<std::size_t>(t)];
    tile.reprogram(core::MatrixEngine(engine_of_tile(t)).program(W));
    if (cfg_.exact) exact_w_[static_cast<std::size_t>(t)] = W;
    // Every cell of the tile's arrays is written (gated columns too, which Tile::program_arrays
    // leaves out); summed tile, row block, slice in order: the reported energy's bits.
    for (int kb = 0; kb < tile.matrix().row_blocks(); ++kb)
      for (const core::ProgrammedSlice& s : tile.matrix().block(kb).slices) g_total_s += s.row_g_sum_s.sum();
  }
  // The round's tiles program in parallel, row by row (the tile's model, core::programming_cost).
  const core::EnergyTable& en = cfg_.energy;
  const core::ProgrammingCost cost = core::programming_cost(cfg_.engine.array_rows, g_total_s, en.write_voltage_v,
                                                            en.write_pulse_ns, en.write_pulses_per_cell,
                                                            cfg_.engine.software);
  const double t_ns = cost.time_ns, e_pj = cost.energy_pj;
  counters_.energy_pj += e_pj;
  counters_.program_pj += e_pj;
  if (t_ns > 0) sc_core::wait(sc_time(t_ns, sc_core::SC_NS), abort_ev_);
}

void AcceleratorTop::run_blocks(const std::vector<float>& x, const LayerDescriptor& d, const LayerMapping& m, int round,
                                Eigen::MatrixXd& Y, std::uint64_t gen) {
  const Eigen::Index B = d.batch;
  const int first = m.first_block(round), last = m.end_block(round);
  // Row blocks to their tiles through the on-chip router; the tiles run in parallel.
  outputs_pending_ = last - first;
  std::shared_ptr<Eigen::MatrixXd> xr;
  std::vector<std::shared_ptr<Eigen::MatrixXd>> block_x(static_cast<std::size_t>(last - first));
  int xr_row = -1;
  for (int b = first; b < last; ++b) {
    const int r = m.tiling.row_block_of(b), t = m.tile_of(b);
    if (r != xr_row) {
      xr = std::make_shared<Eigen::MatrixXd>(Eigen::MatrixXd::Zero(B, cfg_.tile_in));
      const core::BlockRange rows = m.tiling.rows_of(r);
      for (Eigen::Index v = 0; v < B; ++v)
        for (Eigen::Index i = 0; i < rows.count; ++i)
          (*xr)(v, i) = static_cast<double>(x[static_cast<std::size_t>(v * static_cast<Eigen::Index>(d.k) + rows.first + i)]);
      xr_row = r;
    }
    block_x[static_cast<std::size_t>(b - first)] = xr;
    const std::uint64_t batch = next_job_id_++;
    expected_batch_[static_cast<std::size_t>(t)] = batch;
    ++in_flight_;
    sc_time delay = SC_ZERO_TIME;
    if (send_batch(tile_port_, xr, batch, static_cast<std::uint64_t>(t) * kTileWindow, delay) != tlm::TLM_OK_RESPONSE)
      SC_REPORT_ERROR("memtile/accelerator", "a tile rejected a batch (internal wiring error)");
    if (delay > SC_ZERO_TIME) sc_core::wait(delay, abort_ev_);
    if (aborted(gen)) return;
  }
  while (outputs_pending_ > 0 && !aborted(gen)) sc_core::wait(outputs_ev_ | abort_ev_);
  if (aborted(gen)) return;
  // Partial sums: blocks in ascending order, so every column block adds its row blocks ascending.
  for (int b = first; b < last; ++b) {
    const core::BlockRange cols = m.tiling.cols_of(m.tiling.col_block_of(b));
    const int t = m.tile_of(b);
    if (cfg_.exact)  // float64 product of the padded block (the tile's output gave time and energy)
      Y.middleCols(cols.first, cols.count) +=
          (*block_x[static_cast<std::size_t>(b - first)] * exact_w_[static_cast<std::size_t>(t)]).leftCols(cols.count);
    else
      Y.middleCols(cols.first, cols.count) += outputs_[t]->leftCols(cols.count);
  }
  for (auto& o : outputs_) o.reset();
}

void AcceleratorTop::mark_resident(const LayerDescriptor& d, const LayerMapping& m) {
  // One round: block b is on tile tile_of(b) = tile_base + b.
  for (int b = 0; b < m.tiling.blocks(); ++b) resident_[static_cast<std::size_t>(m.tile_of(b))] = {true, d.weights_addr, d.k, d.n, b};
  last_k_ = d.k;
  last_n_ = d.n;
}

AccelError AcceleratorTop::run_job(std::uint64_t gen) {
  const AccelError abandoned = AccelError::None;  // the caller drops an aborted job's result
  sc_core::wait(clk_, abort_ev_);  // decode START
  if (aborted(gen)) return abandoned;
  unsigned char raw[LayerDescriptor::kSize];
  const std::uint64_t desc_addr = reg64("DESC_ADDR_LO", "DESC_ADDR_HI");
  if (desc_addr % 8 != 0) return AccelError::BadDescriptor;
  const bool desc_ok = dma_engine_.read(desc_addr, raw, sizeof raw) == tlm::TLM_OK_RESPONSE;
  if (aborted(gen)) return abandoned;
  if (!desc_ok) return AccelError::DescriptorDma;
  LayerDescriptor d = LayerDescriptor::from_bytes(raw);
  if (d.magic != LayerDescriptor::kMagic || (d.flags & ~7u) != 0 || d.activation > LayerDescriptor::Relu ||
      get32(raw + 0x34) != 0)
    return AccelError::BadDescriptor;
  const bool program_only = (d.flags & LayerDescriptor::ProgramOnly) != 0;
  if (program_only && !(d.flags & LayerDescriptor::LoadWeights)) return AccelError::BadDescriptor;
  if (d.flags & LayerDescriptor::IoFromCsr) {
    d.input_addr = reg64("IN_ADDR_LO", "IN_ADDR_HI");
    d.output_addr = reg64("OUT_ADDR_LO", "OUT_ADDR_HI");
    d.batch = regs_.at("BATCH").value;
  }
  if (program_only) d.batch = 1;  // ignored: keeps the shape checks below uniform
  if (d.k == 0 || d.n == 0 || d.batch == 0 || d.batch > cfg_.max_batch) return AccelError::BadShape;
  const std::uint64_t max_words = cfg_.max_job_bytes / sizeof(float);
  if (static_cast<std::uint64_t>(d.k) * d.n > max_words || static_cast<std::uint64_t>(d.batch) * d.k > max_words ||
      static_cast<std::uint64_t>(d.batch) * d.n > max_words)
    return AccelError::BadShape;
  if (d.tile_base >= static_cast<std::uint32_t>(cfg_.tiles)) return AccelError::BadShape;
  const int base = static_cast<int>(d.tile_base);
  const LayerMapping m(tiling_of(d.k, d.n), base, cfg_.tiles - base);  // blocks <= K N: fits an int
  // More blocks than tiles from tile_base on: rounds of reprogramming (the weights stream in
  // with the job).
  const int rounds = m.rounds();
  const bool load = (d.flags & LayerDescriptor::LoadWeights) != 0;
  if (program_only && rounds > 1) return AccelError::BadShape;
  // Buffers (the shape checks above bound every size): the results must not land on what the
  // job reads. Weights and inputs may overlap each other (both are only read).
  {
    const std::uint64_t out_bytes = program_only ? 0 : 4ull * d.batch * d.n;
    const std::uint64_t in_bytes = program_only ? 0 : 4ull * d.batch * d.k;
    const std::uint64_t w_bytes = load ? 4ull * d.k * d.n : 0;
    if (overlap(d.output_addr, out_bytes, desc_addr, LayerDescriptor::kSize) ||
        overlap(d.output_addr, out_bytes, d.weights_addr, w_bytes) ||
        overlap(d.output_addr, out_bytes, d.input_addr, in_bytes))
      return AccelError::BufferOverlap;
  }
  if (!load) {
    if (rounds > 1) return AccelError::NoWeights;
    for (int b = 0; b < m.tiling.blocks(); ++b) {
      const Resident& r = resident_[static_cast<std::size_t>(m.tile_of(b))];
      if (!r.valid || r.weights_addr != d.weights_addr || r.k != d.k || r.n != d.n || r.block != b)
        return AccelError::NoWeights;
    }
  }

  const double e_tiles_before = inference_energy_pj(tiles_, 0, tiles_.size());
  std::vector<float> w;
  if (load) {
    for (int b = m.first_block(0); b < m.end_block(0); ++b) resident_[static_cast<std::size_t>(m.tile_of(b))] = {};
    last_k_ = last_n_ = 0;
    w.resize(static_cast<std::size_t>(d.k) * d.n);
    const bool ok = dma_engine_.read(d.weights_addr, w.data(), w.size() * sizeof(float)) == tlm::TLM_OK_RESPONSE;
    if (aborted(gen)) return abandoned;
    if (!ok) return AccelError::WeightsDma;
    if (!all_finite(w)) return AccelError::BadData;  // the engine cannot program NaN or Inf
  }
  if (program_only) {
    program_blocks(w, d, m, 0);
    if (aborted(gen)) return abandoned;
    mark_resident(d, m);
    return AccelError::None;
  }
  std::vector<float> xin(static_cast<std::size_t>(d.batch) * d.k);
  const bool in_ok = dma_engine_.read(d.input_addr, xin.data(), xin.size() * sizeof(float)) == tlm::TLM_OK_RESPONSE;
  if (aborted(gen)) return abandoned;
  if (!in_ok) return AccelError::InputDma;
  if (!all_finite(xin)) return AccelError::BadData;

  const Eigen::Index B = d.batch;
  Eigen::MatrixXd Y = Eigen::MatrixXd::Zero(B, d.n);
  for (int round = 0; round < rounds; ++round) {
    if (load) program_blocks(w, d, m, round);
    if (aborted(gen)) return abandoned;
    run_blocks(xin, d, m, round, Y, gen);
    if (aborted(gen)) return abandoned;
  }
  if (load && rounds == 1) mark_resident(d, m);

  // Reduction of the row blocks' partial sums and the activation: time and energy.
  const core::EnergyTable& en = cfg_.energy;
  std::uint64_t cycles = 0;
  double e_pj = 0;
  if (m.tiling.row_blocks() > 1) {  // one vector add of tile_out lanes per cycle, column blocks in parallel
    cycles += static_cast<std::uint64_t>(B) * static_cast<std::uint64_t>(m.tiling.row_blocks() - 1);
    e_pj += static_cast<double>(B) * d.n * (m.tiling.row_blocks() - 1) * en.shift_add_energy_pj;
  }
  if (d.activation == LayerDescriptor::Relu) {  // the tiles' digital neuron, one vector per cycle
    static const core::NeuronModel relu{core::NeuronConfig{core::NeuronKind::Relu}};
    e_pj += activate(Y, relu, en);
    cycles += static_cast<std::uint64_t>(B);
  }
  if (cycles) sc_core::wait(clk_ * static_cast<double>(cycles), abort_ev_);
  const double e_tiles_after = inference_energy_pj(tiles_, 0, tiles_.size());
  counters_.energy_pj += e_pj + (e_tiles_after - e_tiles_before);
  if (aborted(gen)) return abandoned;

  std::vector<float> yout(static_cast<std::size_t>(B) * d.n);
  for (Eigen::Index b = 0; b < B; ++b)
    for (std::uint32_t j = 0; j < d.n; ++j) yout[static_cast<std::size_t>(b) * d.n + j] = static_cast<float>(Y(b, j));
  if (!all_finite(yout)) return AccelError::ResultRange;  // nothing written: no silent inf/NaN
  const bool out_ok = dma_engine_.write(d.output_addr, yout.data(), yout.size() * sizeof(float)) == tlm::TLM_OK_RESPONSE;
  if (aborted(gen)) return abandoned;
  if (!out_ok) return AccelError::OutputDma;
  counters_.mvms += static_cast<std::uint64_t>(B);
  return AccelError::None;
}

}  // namespace memtile::sc
