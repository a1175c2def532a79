#include "memtile/nn/EngineBackend.hpp"

#include "memtile/core/Errors.hpp"

namespace memtile::nn {

void EngineBackend::program(const WeightedLayer& layer, const Eigen::MatrixXd& W) {
  if (layers_.size() <= static_cast<std::size_t>(layer.id)) layers_.resize(layer.id + 1);
  core::EngineConfig cfg = cfg_;
  cfg.seed = cfg_.seed + static_cast<std::uint64_t>(layer.id);
  layers_[layer.id] = std::make_unique<core::ProgrammedMatrix>(core::MatrixEngine(cfg).program(W));
}

core::ProgrammedMatrix& EngineBackend::programmed(const WeightedLayer& layer) {
  core::require(static_cast<std::size_t>(layer.id) < layers_.size() && layers_[layer.id], layer.node_name,
                "layer was not programmed");
  return *layers_[layer.id];
}

Eigen::MatrixXd EngineBackend::multiply(const WeightedLayer& layer, const Eigen::MatrixXd& X) {
  return programmed(layer).multiply(X);
}

Eigen::MatrixXd EngineBackend::multiply_rows(const WeightedLayer& layer, Eigen::Index B, const core::InputRows& rows) {
  return programmed(layer).multiply(B, rows);
}

}  // namespace memtile::nn
