// The SoC virtual platform as a matrix-product backend of the nn executor (`memtile run
// --platform vp`): a driver (CPU-like initiator running the firmware sequence in an SC_THREAD,
// LT with a quantum keeper), system memory, a bus (Router) and the AcceleratorTop peripheral.
//
// program(): the layer's weights go to system memory (float32, K x N row-major) and the layer
// gets its own range of physical tiles (tile_base), one tile per array-sized block, so every
// layer of the network stays programmed at once. At the first multiply() the platform is
// elaborated and "boots": one LOAD_WEIGHTS | PROGRAM_ONLY job per layer programs the arrays
// (programming time and energy reported apart). multiply(): the driver writes the inputs and the layer descriptor,
// programs DESC_ADDR, sets CTRL = IRQ_EN | START, sleeps until the interrupt, checks STATUS and
// reads the results; batches above max_batch rows run as several jobs.
//
// Numerics: block b of layer l on physical tile t = tile_base(l) + b uses engine seed + t (the
// AcceleratorTop's rule), and inputs/outputs travel as float32, so results differ from the
// tile-per-layer path (`--platform tiles`, AcceleratorBackend) by programming draws and float32
// rounding, not in kind. Not modelled: the host's own time to write inputs and read results
// (the driver's memory accesses go through DMI at zero latency), caches, bus contention.
#pragma once
#include <Eigen/Dense>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>
#include <systemc>

#include "memtile/backends/RunReport.hpp"
#include "memtile/core/EngineConfig.hpp"
#include "memtile/core/config/EnergyTable.hpp"
#include "memtile/core/config/TileConfig.hpp"
#include "memtile/nn/Backend.hpp"

namespace memtile::sc {
class AcceleratorTop;
struct LayerDescriptor;
class Memory;
class Router;
class TraceHub;
}  // namespace memtile::sc

namespace memtile::backends {

// Per layer: its place on the accelerator and what its jobs took.
struct PlatformLayerStats {
  std::string name;
  Eigen::Index k = 0, n = 0;
  int tile_base = 0, tiles = 0;
  std::uint64_t jobs = 0, mvms = 0;
  double first_job_ns = 0;  // START -> IRQ of the layer's first job (includes programming)
  double last_job_ns = 0;   // START -> IRQ of its most recent job
  double busy_ns = 0;       // all its jobs, START -> IRQ
};

class PlatformBackend : public nn::MatMulBackend, public AcceleratorRun {
 public:
  PlatformBackend(const core::EngineConfig& engine, const core::TileConfig& tile, const core::EnergyTable& energy,
                  const core::TraceConfig& trace);
  ~PlatformBackend() override;

  void program(const nn::WeightedLayer& layer, const Eigen::MatrixXd& W) override;
  Eigen::MatrixXd multiply(const nn::WeightedLayer& layer, const Eigen::MatrixXd& X) override;

  // Simulated START -> IRQ time of every inference job so far (ns); the boot's programming jobs
  // are programming_ns().
  void elaborate() override;  // the SoC, booted: its arrays programmed
  double simulated_ns() const override { return simulated_ns_; }
  double programming_ns() const { return program_ns_; }
  const std::vector<PlatformLayerStats>& layers() const { return layers_; }
  const sc::AcceleratorTop& accelerator() const;  // valid after the first multiply()
  // Summary in the shape of AcceleratorModel::summary() where it applies: per-component
  // inference energy of all tiles, the top's reduce/activation energy, programming energy,
  // area, layer table.
  nlohmann::json summary() const;
  void close_traces();
  // Closes the traces and reports summary(): per-image breakdown, programming at boot apart.
  RunReport report(std::uint64_t images, const SummaryReduction& reduce = {}) override;

  static constexpr std::uint64_t kCsrBase = 0x40000000ull;
  static constexpr std::uint64_t kMemBase = 0x80000000ull;
  static constexpr std::uint32_t kMaxBatch = 4096;  // rows of one job

 private:
  class Driver;
  double run_job(const sc::LayerDescriptor& d, const std::string& layer);  // START -> IRQ, ns; throws on error

  core::EngineConfig engine_;
  core::TileConfig tile_;
  core::EnergyTable energy_;
  core::TraceConfig trace_cfg_;
  struct Layer {
    Eigen::MatrixXd w;            // until written to memory at elaboration
    std::uint64_t weights_addr = 0;
  };
  std::vector<Layer> pending_;
  std::vector<PlatformLayerStats> layers_;
  int tiles_needed_ = 0;
  std::uint64_t weights_bytes_ = 0;
  Eigen::Index max_k_ = 0, max_n_ = 0;
  std::uint64_t desc_addr_ = 0, in_addr_ = 0, out_addr_ = 0;
  double simulated_ns_ = 0;
  double program_ns_ = 0;  // the boot's PROGRAM_ONLY jobs

  std::unique_ptr<sc::TraceHub> trace_;
  std::unique_ptr<Driver> driver_;
  std::unique_ptr<sc::Router> bus_;
  std::unique_ptr<sc::Memory> mem_;
  std::unique_ptr<sc::AcceleratorTop> accel_;
  std::unique_ptr<sc_core::sc_signal<bool>> irq_;
};

}  // namespace memtile::backends
