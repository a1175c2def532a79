// The accelerator as a matrix-product backend of the nn executor: every weighted layer of a
// network (each group of a grouped Conv) becomes one SystemC tile of one AcceleratorModel,
// programmed once at construction of the executor; every multiply() runs the batch of vectors
// through that layer's tile alone. The digital operations between layers (bias, pooling,
// activations, reshapes) run in the executor and take no simulated time or energy (not
// modelled).
#pragma once
#include <Eigen/Dense>

#include "memtile/core/EngineConfig.hpp"
#include "memtile/backends/RunReport.hpp"
#include "memtile/nn/Backend.hpp"
#include "memtile/sc/tile/Accelerator.hpp"

namespace memtile::backends {

class AcceleratorBackend : public nn::MatMulBackend, public AcceleratorRun {
 public:
  // Layer l is programmed with engine seed cfg.seed + l, so layers draw independent variation.
  AcceleratorBackend(const core::EngineConfig& engine, const core::TileConfig& tile, const core::EnergyTable& energy,
                     const core::TraceConfig& trace);

  void program(const nn::WeightedLayer& layer, const Eigen::MatrixXd& W) override;
  Eigen::MatrixXd multiply(const nn::WeightedLayer& layer, const Eigen::MatrixXd& X) override;
  // A Conv's patches reach the tile as a row source (the executor forms no im2col matrix).
  bool takes_rows(const nn::WeightedLayer& /*layer*/) const override { return true; }
  Eigen::MatrixXd multiply_rows(const nn::WeightedLayer& layer, Eigen::Index B, const core::InputRows& rows) override;

  sc::AcceleratorModel& model() { return model_; }
  const sc::AcceleratorModel& model() const { return model_; }
  void elaborate() override { model_.elaborate(); }
  // Simulated time spent in layer runs so far (ns): the layers run one after the other.
  double simulated_ns() const override { return simulated_ns_; }
  // Sets the image count (pipeline section), closes the traces, reports from summary() (after
  // `reduce`): per-image breakdown summed over the layers' components, programming energy.
  RunReport report(std::uint64_t images, const SummaryReduction& reduce = {}) override;

 private:
  core::EngineConfig engine_;
  sc::AcceleratorModel model_;
  double simulated_ns_ = 0;
};

}  // namespace memtile::backends
