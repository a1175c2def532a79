// Runs every weighted layer of a network on the numerical crossbar engine (models/core):
// each layer's K x N matrix is programmed once onto its own arrays, then read for every
// batch. Layer l is programmed by MatrixEngine with seed cfg.seed + l, as the SystemC
// accelerator backend does, so both give the same numbers.
#pragma once
#include <memory>
#include <vector>

#include "memtile/core/MatrixEngine.hpp"
#include "memtile/nn/Backend.hpp"

namespace memtile::nn {

class EngineBackend : public MatMulBackend {
 public:
  explicit EngineBackend(const core::EngineConfig& cfg) : cfg_(cfg) { cfg_.validate(); }

  void program(const WeightedLayer& layer, const Eigen::MatrixXd& W) override;
  Eigen::MatrixXd multiply(const WeightedLayer& layer, const Eigen::MatrixXd& X) override;
  // Each engine task copies its own rows (ProgrammedMatrix::multiply(B, rows)).
  bool takes_rows(const WeightedLayer& /*layer*/) const override { return true; }
  Eigen::MatrixXd multiply_rows(const WeightedLayer& layer, Eigen::Index B, const core::InputRows& rows) override;

  const core::EngineConfig& config() const { return cfg_; }
  // Programmed matrices indexed by WeightedLayer::id (null where not yet programmed).
  const std::vector<std::unique_ptr<core::ProgrammedMatrix>>& layers() const { return layers_; }

 private:
  core::ProgrammedMatrix& programmed(const WeightedLayer& layer);  // or an error naming the layer
  core::EngineConfig cfg_;
  std::vector<std::unique_ptr<core::ProgrammedMatrix>> layers_;
};

}  // namespace memtile::nn
