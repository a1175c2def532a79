#include "memtile/backends/RunReport.hpp"

namespace memtile::backends {

double RunReport::power_mw(std::uint64_t images) const {
  if (simulated_ns) return *simulated_ns > 0 ? inference_energy_pj / *simulated_ns : 0.0;
  const double per_image = inference_energy_pj / static_cast<double>(images);
  return latency_ns_per_image > 0 ? per_image / latency_ns_per_image : 0.0;
}

void RunReport::write_json(nlohmann::json& out, std::uint64_t images) const {
  const auto per_image = [&](double total) { return total / static_cast<double>(images); };
  out["latency_ns_per_image"] = latency_ns_per_image;
  if (simulated_ns) out["simulated_ns_per_image"] = per_image(*simulated_ns);
  out["energy_pj_per_image"] = per_image(inference_energy_pj);
  nlohmann::json breakdown = nlohmann::json::object();
  for (const auto& [k, v] : energy_breakdown_pj) breakdown[k] = v;
  out["energy_breakdown_pj"] = breakdown;
  if (programming_energy_pj) out["programming_energy_pj"] = *programming_energy_pj;
  if (programming_ns) out["programming_ns"] = *programming_ns;
  out["power_mw"] = power_mw(images);
  out["area_um2"] = area_um2;
  out["tops_per_w"] = tops_per_w;
  if (!pipeline.is_null()) {
    // The simulated hardware's throughput (layers pipelined when tile.mapping.layer_pipeline).
    out["hardware_images_per_s"] = pipeline.at("images_per_s");
    out["pipeline"] = pipeline;
  }
  out["layers"] = layers;
  if (!platform_summary.is_null()) out["platform_summary"] = platform_summary;
  for (const auto& [k, v] : config.items()) out["configuration"][k] = v;
}

}  // namespace memtile::backends
