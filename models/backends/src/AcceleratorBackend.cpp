#include "memtile/backends/AcceleratorBackend.hpp"

#include "memtile/core/Errors.hpp"

#include <nlohmann/json.hpp>

namespace memtile::backends {

AcceleratorBackend::AcceleratorBackend(const core::EngineConfig& engine, const core::TileConfig& tile,
                                       const core::EnergyTable& energy, const core::TraceConfig& trace)
    : engine_(engine), model_(tile, energy, trace, sc::AcceleratorModel::Topology::Independent) {
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
  sc::RunResult r = model_.run_layer(layer.id, X);
  simulated_ns_ += r.end_ns - r.start_ns;
  return std::move(r.y);
}

Eigen::MatrixXd AcceleratorBackend::multiply_rows(const nn::WeightedLayer& layer, Eigen::Index B,
                                                  const core::InputRows& rows) {
  sc::RunResult r = model_.run_layer(layer.id, B, rows);
  simulated_ns_ += r.end_ns - r.start_ns;
  return std::move(r.y);
}

RunReport AcceleratorBackend::report(std::uint64_t images, const SummaryReduction& reduce) {
  using nlohmann::json;
  model_.set_images(images);  // the pipeline section and tracks
  model_.close_traces();
  const json s = reduce ? reduce(model_.summary()) : model_.summary();
  const auto per_image = [&](double total) { return total / static_cast<double>(images); };
  RunReport r;
  r.inference_energy_pj = s.at("total").at("inference_energy_pj").get<double>();
  double program_pj = 0;
  for (const json& layer : s.at("layers")) {
    for (const auto& [k, v] : layer.at("energy_pj").items()) {
      if (k == "program") program_pj += v.get<double>();
      if (k == "total" || k == "inference" || k == "program") continue;
      r.energy_breakdown_pj[k] += per_image(v.get<double>());
    }
  }
  r.programming_energy_pj = program_pj;
  r.area_um2 = s.at("total").at("area_um2").get<double>();
  r.tops_per_w = s.at("total").at("tops_per_w").get<double>();
  r.pipeline = s.at("pipeline");
  r.layers = s.at("layers");
  r.config["tile"] = to_json(model_.tile_config());
  r.config["energy"] = to_json(model_.energy_table());
  // latency_ns_per_image and simulated_ns (MPI: across ranks) are the caller's: it times image 0.
  r.simulated_ns = simulated_ns_;
  return r;
}

}  // namespace memtile::backends
