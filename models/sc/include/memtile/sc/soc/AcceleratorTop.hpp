// The accelerator as a memory-mapped TLM-2.0 peripheral for SoC virtual platforms
// (docs/model.md §6; docs/integration.md, docs/registers.md). The bus front of the two over one
// core of Tile modules (the other is the host-driven AcceleratorModel): what is shared and
// what is this front's own, docs/mapping.md "One core, two fronts".
//
//   csr  simple_target_socket<.., 32>: control/status registers, offsets decode from 0
//        (base addresses live in the platform map). LT b_transport (1 control clock per
//        access on `delay`), AT nb_transport accepted (simple_target_socket's 4-phase to
//        b_transport conversion), transport_dbg side-effect free, DMI refused over the whole
//        address space. Access rules: RegisterMap.hpp (streaming width 0 = length unless
//        protocol.strict_streaming_width).
//   dma  simple_initiator_socket<.., 32>: the DMA engine's master port into system memory
//        (descriptor, weights, inputs in; results out), LT with a tlm_quantumkeeper.
//   irq  sc_port<sc_signal_inout_if<bool>, 1, SC_ZERO_OR_MORE_BOUND>: level interrupt
//        (IRQ_EN && INT_STATUS != 0), written by one SC_METHOD of the module (a delta after
//        the register change); may stay unbound. IrqAdapter.hpp turns it into a C++ callback.
//
// Inside: `tiles` memtile::sc::Tile modules, each with a fixed capacity of tile_in x tile_out
// weights (arrays of engine.array_rows x array_cols), an on-chip Router from the controller to
// the tiles' `in` sockets, a collector for their `out` sockets, the register bank and the DMA.
//
// A job (CTRL.START): the controller DMA-reads the layer descriptor at DESC_ADDR
// (LayerDescriptor below) and maps the K x N layer onto blocks of tile_in x tile_out
// (LayerMapping over core::LayerTiling, docs/mapping.md: ceil(K/tile_in) row blocks x
// ceil(N/tile_out) column blocks, block b = r * col_blocks + c). The layer uses tiles
// [tile_base, tiles): blocks run in rounds of (tiles - tile_base) blocks, block b of a round on
// tile tile_base + (b - first). With
// LOAD_WEIGHTS it DMA-reads the weights and each round programs its tiles (core
// MatrixEngine::program of the zero-padded block, engine seed + physical tile index; programming
// time and energy as Tile's: array_rows x pulses x write pulse, V^2 t G); then it DMA-reads the
// batch of inputs and sends each block's input rows to its tile through the router (the tiles of
// a round run in parallel). The controller adds the row blocks' partial sums (ascending), applies
// the activation, DMA-writes the results, sets STATUS.DONE and INT_STATUS.DONE (IRQ if enabled).
// A layer loaded in one round stays programmed on its tiles: later jobs with the same weights
// address and shape may skip LOAD_WEIGHTS, so a network whose layers sit on disjoint tile
// ranges (tile_base) is programmed once and run many times.
// A bad descriptor (bad magic/flags/activation, impossible shape, no weights loaded, output
// buffer overlapping another buffer), bad data (a NaN or infinite weight or input, a result
// beyond float32) or a failing DMA transfer (unmapped address; DMA_ERR_* hold the burst's
// address and response) ends the job with STATUS.ERROR, an error code and INT_STATUS.ERROR
// (IRQ if enabled); nothing a guest does aborts the simulation. START while busy is refused
// (STATUS.START_REFUSED; the running job is untouched). SOFT_RESET abandons a running job at
// once (BUSY clears; the tiles' work in flight is drained and discarded before the next job).
//
// Numerics: the output of block b = (r, c) on physical tile t is bit-identical to
//   core::MatrixEngine(cfg with seed + t).program(Wpad).multiply(Xpad)
// (Wpad: the block zero-padded to tile_in x tile_out, Xpad: inputs zero-padded), the inputs and
// results travel as float32 in memory. The engine quantises per array block (each row block of
// array_rows inputs has its own weight scale per column and its own input scale per vector),
// so even `software` mode is not exact. With `exact` the block products are float64 Xpad Wpad
// instead (no quantisation, no variation), the tiles still giving time and energy: a driver
// developer checks the data path bit for bit (exact whenever the float64 sums are, e.g. integer
// data).
// Programming writes a tile's new cells with Tile::reprogram (its ProgrammedMatrix replaced in
// place), so the physics crossbar read energy follows the new conductances.
#pragma once
#include <Eigen/Dense>
#include <cstdint>
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

#include <systemc>
#include <tlm>
#include <tlm_utils/multi_passthrough_target_socket.h>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>

#include "memtile/core/EngineConfig.hpp"
#include "memtile/core/LayerTiling.hpp"
#include "memtile/core/config/EnergyTable.hpp"
#include "memtile/core/config/TileConfig.hpp"
#include "memtile/sc/soc/Dma.hpp"
#include "memtile/sc/soc/RegisterMap.hpp"
#include "memtile/sc/soc/Router.hpp"
#include "memtile/sc/tile/Tile.hpp"
#include "memtile/sc/trace/Trace.hpp"

namespace memtile::sc {

// Register offsets (driver side). The register table in AcceleratorTop.cpp is built from these
// names; its entries (access, reset, description) are in docs/registers.md.
namespace reg {
enum : std::uint32_t {
  ID = 0x000,
  VERSION = 0x004,
  CTRL = 0x008,
  STATUS = 0x00C,
  INT_STATUS = 0x010,
  DESC_ADDR_LO = 0x014,
  DESC_ADDR_HI = 0x018,
  IN_ADDR_LO = 0x01C,
  IN_ADDR_HI = 0x020,
  OUT_ADDR_LO = 0x024,
  OUT_ADDR_HI = 0x028,
  BATCH = 0x02C,
  NUM_TILES = 0x030,
  TILE_IN = 0x034,
  TILE_OUT = 0x038,
  ARRAY_SIZE = 0x03C,
  LAYER_TILES = 0x040,
  CYCLES_LO = 0x050,
  CYCLES_HI = 0x054,
  MVMS_LO = 0x058,
  MVMS_HI = 0x05C,
  ENERGY_FJ_LO = 0x060,
  ENERGY_FJ_HI = 0x064,
  JOBS = 0x068,
  LAST_JOB_CYCLES = 0x06C,
  PERF_CLEAR = 0x070,
  SCRATCH = 0x074,
  DMA_ERR_ADDR_LO = 0x078,
  DMA_ERR_ADDR_HI = 0x07C,
  DMA_ERR_STATUS = 0x080,
};
}  // namespace reg

// Tolerances at the bus edges, for hosts that bend the base protocol (docs/integration.md).
struct AcceleratorProtocol {
  bool strict_streaming_width = false;  // CSR access with streaming width 0: burst error (else = length)
  bool incomplete_is_ok = false;        // a DMA burst left TLM_INCOMPLETE_RESPONSE counts as OK
};

struct AcceleratorTopConfig {
  int tiles = 4;                     // physical tiles
  int tile_in = 64;                  // weight rows (inputs) one tile holds
  int tile_out = 64;                 // weight columns (outputs) one tile holds
  core::EngineConfig engine;         // numerics of every tile (tile t uses seed + t)
  core::TileConfig tile;             // timing of every tile
  core::EnergyTable energy;          // energy/area of every tile
  double clock_ghz = 1.0;            // control / DMA / CSR clock
  unsigned dma_burst_bytes = 256;    // bytes per DMA transaction (multiple of 4)
  std::uint32_t max_batch = 4096;    // largest batch a job may ask for
  std::uint64_t max_job_bytes = 256ull << 20;  // largest weights / inputs / outputs array of a job (else BadShape)
  bool exact = false;                // float64 block products, no quantisation (driver checks)
  AcceleratorProtocol protocol;
  void validate() const;             // throws core::InputError naming the field
};

// JSON of the same shape (docs/integration.md; keys and ranges in docs/config.md, section
// accelerator): {"tiles", "tile_in", "tile_out", "clock_ghz", "dma_burst_bytes", "max_batch",
// "max_job_bytes", "exact", "protocol": {...}, "engine": {...}, "tile": {...}, "energy": {...}},
// declared once in accelerator_params(); the groups use the engine / tile / energy loaders.
// Unknown keys and bad values throw core::InputError naming `source` and the dotted field
// ("accel.json: accelerator.tile_in: ..."); the result is validated. load_accelerator_config
// reads a file (source = its path).
const std::vector<core::Param<AcceleratorTopConfig>>& accelerator_params();
std::string accelerator_config_markdown();
void apply_json(AcceleratorTopConfig& c, const nlohmann::json& j, const std::string& source);
nlohmann::json to_json(const AcceleratorTopConfig& c);
AcceleratorTopConfig load_accelerator_config(const std::string& path);

// The layer descriptor in system memory (little-endian, 56 bytes, 8-byte aligned).
struct LayerDescriptor {
  static constexpr std::uint32_t kMagic = 0x3144544D;  // "MTD1"
  static constexpr std::uint32_t kSize = 56;
  // ProgramOnly (with LoadWeights): program the layer's tiles and stop (no inputs, no outputs,
  // batch ignored); the layer must fit its tiles in one round.
  enum Flags : std::uint32_t { LoadWeights = 1u << 0, IoFromCsr = 1u << 1, ProgramOnly = 1u << 2 };
  enum Activation : std::uint32_t { None = 0, Relu = 1 };
  std::uint32_t magic = kMagic;      // 0x00
  std::uint32_t flags = LoadWeights; // 0x04
  std::uint32_t k = 0;               // 0x08 in_features
  std::uint32_t n = 0;               // 0x0C out_features
  std::uint32_t batch = 0;           // 0x10 vectors
  std::uint32_t activation = None;   // 0x14
  std::uint64_t weights_addr = 0;    // 0x18 K x N float32, row-major (W[k][n] at (k N + n) 4)
  std::uint64_t input_addr = 0;      // 0x20 batch x K float32, row-major
  std::uint64_t output_addr = 0;     // 0x28 batch x N float32, row-major
  std::uint32_t tile_base = 0;       // 0x30 first physical tile of the layer's blocks (block b on
                                     //      tile_base + b): layers on disjoint tiles stay resident
                                     // 0x34 reserved, must be 0
  void to_bytes(unsigned char out[kSize]) const;
  static LayerDescriptor from_bytes(const unsigned char in[kSize]);
};

// Error codes in STATUS[15:8].
enum class AccelError : std::uint32_t {
  None = 0,
  CsrAccess = 1,       // a register access ended with an error response
  DescriptorDma = 2,   // descriptor fetch failed (unmapped address / bus error)
  BadDescriptor = 3,   // bad magic, unknown flags or activation
  BadShape = 4,        // K, N or batch zero, batch > max_batch, an array > max_job_bytes
  WeightsDma = 5,
  InputDma = 6,
  OutputDma = 7,
  NoWeights = 8,       // LOAD_WEIGHTS clear but no weights of this shape are programmed (or the
                       // layer needs more than one round of tiles)
  StartWhileBusy = 9,  // reserved: register map 1.0 reported a START while busy here; 1.1
                       // refuses it with STATUS.START_REFUSED and leaves the job's status alone
  BadData = 10,        // a weight or input is NaN or infinite
  BufferOverlap = 11,  // the output buffer overlaps the descriptor, the weights or the inputs
  ResultRange = 12,    // a result is not finite in float32 (|y| beyond 3.4e38)
};

// Where a K x N layer runs on the peripheral (docs/mapping.md). The blocks are the core mapper's
// (core::LayerTiling: packed tile_in x tile_out blocks, block b = row_block * col_blocks +
// col_block); what is the peripheral's own is the placement: the layer owns the tiles
// [tile_base, tile_base + tiles_available), and with more blocks than that it runs in rounds of
// tiles_available blocks (reprogramming between rounds), block b on tile
// tile_base + (b mod tiles_available). The top adds the row blocks' partial sums.
struct LayerMapping {
  const core::LayerTiling tiling;
  const int tile_base;
  const int tiles_available;
  // InputError unless tile_base >= 0 and tiles_available >= 1.
  LayerMapping(const core::LayerTiling& layer_tiling, int first_tile, int tiles_from_first);
  int rounds() const;                 // ceil(blocks / tiles_available)
  int first_block(int round) const;   // round * tiles_available
  int end_block(int round) const;     // one past the round's last block
  int tile_of(int block) const;       // tile_base + block mod tiles_available
};

struct AcceleratorCounters {
  std::uint64_t jobs = 0, failed_jobs = 0, mvms = 0, busy_cycles = 0, last_job_cycles = 0;
  double energy_pj = 0;          // job energy: programming + tiles' inference + reduce + activation
  double program_pj = 0;         // part of energy_pj spent programming weights
};

class AcceleratorTop : public sc_core::sc_module {
 public:
  static constexpr std::uint32_t kCsrBytes = 0x100;
  static constexpr std::uint32_t kId = 0x4D454D54;       // "MEMT"
  static constexpr std::uint32_t kVersion = 0x00010001;  // 1.1: DMA_ERR_*, START_REFUSED, codes 10-12

 private:
  Dma dma_engine_;  // first: `dma` below refers to its socket
 public:
  tlm_utils::simple_target_socket<AcceleratorTop, 32> csr;
  tlm_utils::simple_initiator_socket<Dma, 32>& dma;
  sc_core::sc_port<sc_core::sc_signal_inout_if<bool>, 1, sc_core::SC_ZERO_OR_MORE_BOUND> irq;

  // Throws core::InputError on an invalid config. `trace` may be null.
  AcceleratorTop(sc_core::sc_module_name name, const AcceleratorTopConfig& cfg = {}, TraceHub* trace = nullptr);
  ~AcceleratorTop() override;

  const AcceleratorTopConfig& config() const { return cfg_; }
  const RegisterMap& registers() const { return regs_; }
  AcceleratorCounters counters() const { return counters_; }
  int tiles() const { return static_cast<int>(tiles_.size()); }
  const Tile& tile(int t) const { return *tiles_.at(t); }
  const Router& router() const { return *router_; }
  const Dma& dma_engine() const { return dma_engine_; }
  bool busy() const { return busy_; }
  bool irq_level() const { return irq_level_; }

  // docs/registers.md, generated from the same table the module decodes with.
  static std::string registers_markdown();

 private:
  static void build_registers(RegisterMap& map, AcceleratorTop* owner);
  void csr_b_transport(tlm::tlm_generic_payload& tx, sc_core::sc_time& delay);
  unsigned csr_transport_dbg(tlm::tlm_generic_payload& tx);
  bool csr_get_direct_mem_ptr(tlm::tlm_generic_payload& tx, tlm::tlm_dmi& dmi);
  void collect_b_transport(int id, tlm::tlm_generic_payload& tx, sc_core::sc_time& delay);

  void write_ctrl(std::uint32_t v, const sc_core::sc_time& delay);
  bool aborted(std::uint64_t gen) const { return gen != job_gen_; }
  void write_int_status(std::uint32_t clear);
  void soft_reset();
  void set_error(AccelError e);
  void update_irq();
  void drive_irq();
  std::uint32_t status_word() const;
  std::uint64_t reg64(const char* lo, const char* hi);

  void control();
  AccelError run_job(std::uint64_t gen);
  // The layer's blocks: tile_in x tile_out (the only place the top chooses its block size).
  core::LayerTiling tiling_of(std::uint64_t k, std::uint64_t n) const;
  // Physical tile t draws its programming variation with engine seed + t.
  core::EngineConfig engine_of_tile(int t) const;
  void mark_resident(const LayerDescriptor& d, const LayerMapping& m);
  // The blocks of one round on their tiles (LayerMapping::tile_of).
  void program_blocks(const std::vector<float>& w, const LayerDescriptor& d, const LayerMapping& m, int round);
  void run_blocks(const std::vector<float>& x, const LayerDescriptor& d, const LayerMapping& m, int round,
                  Eigen::MatrixXd& Y, std::uint64_t gen);

  AcceleratorTopConfig cfg_;
  TraceHub* trace_;
  RegisterMap regs_;
  std::vector<std::unique_ptr<Tile>> tiles_;
  std::unique_ptr<Router> router_;
  tlm_utils::simple_initiator_socket<AcceleratorTop, 32> tile_port_;
  tlm_utils::multi_passthrough_target_socket<AcceleratorTop, 32> collect_;
  sc_core::sc_time clk_;

  // State.
  bool busy_ = false, done_ = false, irq_en_ = false, irq_level_ = false, start_refused_ = false;
  bool start_pending_ = false;  // an accepted START the controller has not begun yet
  std::uint64_t job_gen_ = 0;   // incremented by SOFT_RESET: a job of an older generation is abandoned
  std::uint64_t running_gen_ = 0;  // generation of the job the controller runs
  std::uint32_t int_status_ = 0;
  AccelError error_ = AccelError::None;
  sc_core::sc_event start_ev_, outputs_ev_, irq_ev_, abort_ev_, drained_ev_;
  sc_core::sc_time job_start_;
  std::vector<std::shared_ptr<Eigen::MatrixXd>> outputs_;
  std::vector<std::uint64_t> expected_batch_;  // per tile: the batch id the current round waits for
  std::vector<Eigen::MatrixXd> exact_w_;       // per tile: the padded float64 block (exact mode)
  int outputs_pending_ = 0;
  int in_flight_ = 0;                          // batches sent to tiles and not yet returned
  std::uint64_t next_job_id_ = 0;
  // What each physical tile holds: block `block` of the K x N layer at `weights_addr`, loaded
  // in one round (valid = false: nothing reusable).
  struct Resident {
    bool valid = false;
    std::uint64_t weights_addr = 0;
    std::uint32_t k = 0, n = 0;
    int block = 0;
  };
  std::vector<Resident> resident_;
  std::uint32_t last_k_ = 0, last_n_ = 0;  // the most recently loaded layer (LAYER_TILES), 0: none
  AcceleratorCounters counters_;
};

}  // namespace memtile::sc
