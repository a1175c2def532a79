#include "memtile/nn/EngineBackend.hpp"

#include "memtile/core/Errors.hpp"

namespace memtile::nn {

void EngineBackend::program(const WeightedLayer& layer, const Eigen::MatrixXd& W) {
  if (layers_.size() <= static_cast<std::size_t>(layer.id)) layers_.resize(layer.id + 1);
  core::EngineConfig cfg = cfg_;
  cfg.seed = cfg_.seed + static_cast<std::uint64_t>(layer.id);
  layers_[layer.id] = std::make_unique<core::ProgrammedMatrix>(core::MatrixEngine(cfg).program(W));
}

Eigen::MatrixXd EngineBackend::multiply(const WeightedLayer& layer, const Eigen::MatrixXd& X) {
  core::require(static_cast<std::size_t>(layer.id) < layers_.size() && layers_[layer.id], layer.node_name,
                "layer was not programmed");
  return layers_[layer.id]->multiply(X);
}

}  // namespace memtile::nn
