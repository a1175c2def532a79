// High-level entry point: map a list of layers (a DNN) onto tiles, elaborate once, then run
// batches through the SystemC simulation and read back outputs, time and energy.
// The host-driven front of the two over one core of Tile modules (the other is the bus
// peripheral AcceleratorTop): what is shared and what is this front's own, docs/mapping.md
// "One core, two fronts".
//
//   AcceleratorModel m(tile_cfg, energy_table, trace_cfg);
//   m.add_layer("fc1", W1, engine_cfg1, {NeuronKind::Relu});
//   m.add_layer("fc2", W2, engine_cfg2);
//   RunResult r = m.run(X);          // first call elaborates and programs the arrays
//   m.write_summary_json("out/summary.json");
//   m.close_traces();
//
// SystemC allows one elaboration per process: all layers must be added before the first run
// (modules cannot be created after sc_start) and simulated time never goes back; a second
// model after a first one has run is rejected with an InputError. Each run() injects the batch
// (optionally cut into chunks of chunk_rows vectors, which then pipeline through the layers),
// calls sc_start() until the simulation is idle and returns the outputs in order.
//
// Numerics: layer l's output equals core ProgrammedMatrix::multiply on the same programmed
// matrix, batch by batch (chunk by chunk), bit for bit, followed by the layer's neuron.
// add_layer(name, W, cfg) programs with a fresh MatrixEngine(cfg): the same variation draws as
// MatrixEngine(cfg).program(W); give layers distinct seeds (or pass matrices programmed by one
// engine) for independent draws.
#pragma once
#include <Eigen/Dense>
#include <map>
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

#include "memtile/core/config/EnergyTable.hpp"
#include "memtile/core/config/TileConfig.hpp"
#include "memtile/sc/tile/Tile.hpp"
#include "memtile/sc/trace/Trace.hpp"

namespace memtile::sc {

struct RunResult {
  Eigen::MatrixXd y;          // B x out_features of the last layer
  double start_ns = 0;        // simulated time the batch entered the first tile
  double end_ns = 0;          // simulated time the last output left the last tile
  double energy_pj = 0;       // inference energy of this run, all layers (programming excluded)
};

class AcceleratorModel {
 public:
  // Chained: layer l's output feeds layer l+1 (an MLP pipeline), run() drives the chain.
  // Independent: every tile has its own host source and sink, run_layer() drives one layer
  // (a DNN whose digital operations between layers run outside, e.g. in the nn executor).
  enum class Topology { Chained, Independent };

  explicit AcceleratorModel(const core::TileConfig& tile = {}, const core::EnergyTable& energy = {},
                            const core::TraceConfig& trace = {}, Topology topology = Topology::Chained);
  ~AcceleratorModel();
  AcceleratorModel(const AcceleratorModel&) = delete;
  AcceleratorModel& operator=(const AcceleratorModel&) = delete;

  // Returns the layer index. Throws InputError on bad shapes/configs or after elaboration.
  int add_layer(const std::string& name, const Eigen::MatrixXd& W, const core::EngineConfig& cfg,
                const core::NeuronConfig& neuron = {});
  int add_layer(const std::string& name, core::ProgrammedMatrix pm, const core::NeuronConfig& neuron = {});

  // RTL switches of one layer's tile (default: the model's TileConfig::rtl), before
  // elaboration. Lets one run compare RTL and behavioural tiles (bench/bench_rtl.cpp).
  // Throws InputError (tile.rtl) when the layer does not map onto the RTL periphery.
  void set_layer_rtl(int layer, const core::RtlConfig& rtl);
  // Builds the modules and simulates the programming of every array (time starts at 0).
  // Called by the first run() if not called before.
  void elaborate();
  RunResult run(const Eigen::MatrixXd& X, Eigen::Index chunk_rows = 0);
  // Independent topology: X (B x in_features of `layer`) through that layer's tile alone.
  RunResult run_layer(int layer, const Eigen::MatrixXd& X, Eigen::Index chunk_rows = 0);
  // The same for B vectors supplied by `rows` a block at a time (core::InputRows: e.g. a Conv's
  // patches, which the tile then copies where it encodes them, never forming the batch). The
  // rows must be finite, as the nn backends' contract says: a block that is not is computed as
  // zeros and the run then throws InputError ("inputs"), its time and energy spent.
  RunResult run_layer(int layer, Eigen::Index B, const core::InputRows& rows, Eigen::Index chunk_rows = 0);
  Topology topology() const { return topology_; }

  int layers() const { return static_cast<int>(specs_.size()); }
  const Tile& tile(int layer) const;
  const std::string& layer_name(int layer) const { return specs_.at(layer).name; }
  double now_ns() const;

  // Summary with stable keys (docs/tile.md): per layer and total latency, energy by component,
  // area, TOPS/W, operation counts, utilisation; with set_images() also the inter-layer
  // pipeline (per-image stage times, images/s, first-image latency, a replication plan).
  nlohmann::json summary() const;
  // How many network inputs (images) the runs so far carried: the model cannot tell from the
  // vectors (a conv layer sees one vector per im2col patch). Enables the pipeline section of
  // summary() and, with TileConfig::mapping.layer_pipeline and a Perfetto trace, the
  // pipelined layer tracks written by close_traces(). The first run is taken as one image.
  void set_images(std::uint64_t images) { images_ = images; }
  // The configuration the model was built with.
  const core::TileConfig& tile_config() const { return tile_cfg_; }
  const core::EnergyTable& energy_table() const { return energy_; }

  // Inter-layer pipeline from the simulated per-layer stage times (needs set_images).
  struct PipelineStage {
    std::string layer;
    double stage_ns_per_image = 0;  // the layer's busy time per image (its copies in parallel)
    int replication = 1;
    std::uint64_t arrays = 0;       // arrays of all copies
  };
  std::vector<PipelineStage> pipeline_stages() const;
  // Replication that balances the pipeline within `array_budget` arrays: starting from the
  // current copies, repeatedly give one more copy to the slowest stage while it fits
  // (stage time taken as inversely proportional to the copies). Returns copies per layer.
  static std::vector<int> plan_replication(const std::vector<PipelineStage>& stages, std::uint64_t array_budget);
  // The summary's "pipeline" section from the stages and each layer's first-batch time (also
  // sets layers[l]["pipeline_utilisation"]); one formula for summary() and for a report reduced
  // over MPI ranks.
  static nlohmann::json pipeline_section(const std::vector<PipelineStage>& stages, const std::vector<double>& first_batch_ns,
                                         std::uint64_t images, bool layer_pipeline, std::uint64_t array_budget,
                                         nlohmann::json& layers);
  void write_summary_json(const std::string& path) const;
  void write_summary_csv(const std::string& path) const;
  // Writes the Perfetto JSON and closes the VCD (also done by the destructor).
  void close_traces();

 private:
  struct Spec {
    std::string name;
    std::shared_ptr<core::ProgrammedMatrix> pm;
    core::NeuronConfig neuron;
    core::TileConfig tile;  // the model's, with per-layer RTL switches
  };
  class Source;
  class Sink;
  core::TileConfig tile_cfg_;
  core::EnergyTable energy_;
  core::TraceConfig trace_cfg_;
  std::vector<Spec> specs_;
  std::unique_ptr<TraceHub> trace_;
  std::vector<std::unique_ptr<Tile>> tiles_;
  // Runs B vectors, X or (when X is null) rows, through tiles first..last.
  RunResult inject(std::size_t first, std::size_t last, Eigen::Index B, const Eigen::MatrixXd* X,
                   const core::InputRows* rows, Eigen::Index chunk_rows);
  Topology topology_;
  std::vector<std::unique_ptr<Source>> sources_;  // one (chained) or one per tile (independent)
  std::vector<std::unique_ptr<Sink>> sinks_;
  bool elaborated_ = false;
  std::uint64_t next_job_ = 0;
  std::uint64_t images_ = 0;
  double first_run_start_ns_ = -1;
  bool pipeline_traced_ = false;  // simulated time the first run started (after programming)
  void trace_pipeline();
};

}  // namespace memtile::sc
