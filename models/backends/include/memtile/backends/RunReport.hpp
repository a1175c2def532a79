// One report for every accelerator backend of `memtile run` (tiles, vp, analog): each fills a
// RunReport through AcceleratorRun::report(), and the CLI turns it into the JSON report with
// one code path (RunReport::to_json). Energies are the whole run's unless named per image.
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace memtile::backends {

struct RunReport {
  // Simulated time of one image: the first image, run alone (tiles, vp), or one input vector
  // through every layer (analog: no clocked steps).
  double latency_ns_per_image = 0;
  // Simulated time of every inference job of the run (tiles, vp); absent for analog, whose
  // power is then the per-image energy over the latency.
  std::optional<double> simulated_ns;
  double inference_energy_pj = 0;                      // whole run, programming excluded
  std::map<std::string, double> energy_breakdown_pj;   // per image, per component
  std::optional<double> programming_energy_pj;         // once, at programming (tiles, vp)
  std::optional<double> programming_ns;                // the vp's boot (PROGRAM_ONLY jobs)
  double area_um2 = 0;
  double tops_per_w = 0;
  nlohmann::json layers = nlohmann::json::array();     // per-layer rows, backend-specific columns
  nlohmann::json pipeline;                             // tiles: inter-layer pipeline section
  nlohmann::json platform_summary;                     // vp: tiles, jobs, mvms, busy_cycles
  nlohmann::json config = nlohmann::json::object();    // configuration sections the backend used

  // Power (mW = pJ/ns): run energy over simulated time, else per-image energy over latency.
  double power_mw(std::uint64_t images) const;
  // The report's keys (latency_ns_per_image, simulated_ns_per_image, energy_pj_per_image,
  // energy_breakdown_pj, programming_energy_pj, programming_ns, power_mw, area_um2, tops_per_w,
  // hardware_images_per_s, pipeline, layers, platform_summary) merged into `out`; the config
  // sections into out["configuration"].
  void write_json(nlohmann::json& out, std::uint64_t images) const;
};

// A backend of `memtile run` that simulates hardware: time so far, and its report.
class AcceleratorRun {
 public:
  virtual ~AcceleratorRun() = default;
  // Builds the simulated hardware and simulates its programming now, once all layers are
  // programmed (else the first batch does it). `memtile run` calls it before its timed loop:
  // the images/s figure times the images, as the engine's programming stays outside it too.
  // Changes no result: the hardware is elaborated once either way, before the first image.
  virtual void elaborate() {}
  // Simulated inference time so far (ns).
  virtual double simulated_ns() const = 0;
  // Hook for the raw per-layer summary before it becomes a report (the MPI data-parallel
  // reduction of the tiles backend); identity when empty.
  using SummaryReduction = std::function<nlohmann::json(const nlohmann::json&)>;
  // After the last image: closes traces and reports the run of `images` images.
  virtual RunReport report(std::uint64_t images, const SummaryReduction& reduce = {}) = 0;
};

}  // namespace memtile::backends
