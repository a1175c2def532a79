#include "memtile/backends/AcceleratorBackend.hpp"

#include "memtile/core/Errors.hpp"

namespace memtile::sc {

AcceleratorBackend::AcceleratorBackend(const core::EngineConfig& engine, const TileConfig& tile,
                                       const EnergyTable& energy, const TraceConfig& trace)
    : engine_(engine), model_(tile, energy, trace, AcceleratorModel::Topology::Independent) {
  engine_.validate();
}

void AcceleratorBackend::program(const nn::WeightedLayer& layer, const Eigen::MatrixXd& W) {
  core::EngineConfig cfg = engine_;
  cfg.seed = engine_.seed + static_cast<std::uint64_t>(layer.id);
  std::string name = layer.node_name.empty() ? "layer" + std::to_string(layer.id) : layer.node_name;
  if (layer.groups > 1) name += "_g" + std::to_string(layer.group);
  const int index = model_.add_layer(name, W, cfg);
  core::require(index == layer.id, name, "layers must be programmed in id order");
}

Eigen::MatrixXd AcceleratorBackend::multiply(const nn::WeightedLayer& layer, const Eigen::MatrixXd& X) {
  RunResult r = model_.run_layer(layer.id, X);
  simulated_ns_ += r.end_ns - r.start_ns;
  return std::move(r.y);
}

}  // namespace memtile::sc
