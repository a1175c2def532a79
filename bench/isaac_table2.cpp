// ISAAC's Table 2 (A. Shafiee et al., "ISAAC: A Convolutional Neural Network Accelerator with
// In-Situ Analog Arithmetic in Crossbars", ISCA 2016) reproduced from the model: one in-situ
// multiply-accumulate unit (IMA: 8 crossbars of 128x128 2-bit cells holding one 128x128
// 16-bit layer) runs a stream of 16-bit vectors through the SystemC tile with the `isaac`
// preset; the power of each component is its simulated energy per vector over the simulated
// time per vector in steady state, its area the tile's; a tile is 12 IMAs. Rows of the table
// that the model has no counterpart for are listed as not modelled.
//
//   isaac_table2 [--config configs/presets/isaac.json] [--vectors N] [--markdown OUT.md]
//                [--json OUT.json] [--check]
// --check: exit 1 unless every modelled component is within 10 % of Table 2 (power and area)
// and the time per 128x128 16-bit MVM is 1.6 us (16 input bits x 100 ns).
#include <cmath>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <string>

#include "memtile/core/Errors.hpp"
#include "memtile/backends/RunConfig.hpp"
#include "memtile/core/JsonField.hpp"
#include "memtile/sc/tile/Accelerator.hpp"

using namespace memtile;
using nlohmann::json;

namespace {

// ISAAC Table 2, per IMA and per tile (12 IMAs); power mW, area mm^2. The columns reproduce the
// table's totals: IMA rows x 12 = 289 mW / 0.157 mm^2, + tile rows = 330 mW / 0.372 mm^2.
struct Row {
  const char* level;      // "IMA" or "tile"
  const char* component;
  const char* spec;
  double power_mw, area_mm2;
  const char* model;      // model counterpart key, "" = not modelled
};
const Row kTable2[] = {
    {"IMA", "ADC", "8-bit, 8 per IMA", 16.0, 0.0096, "adc"},
    {"IMA", "DAC", "1-bit, 8 x 128", 4.0, 0.00017, "dac"},
    {"IMA", "S+H", "8 x 128", 0.01, 0.00004, "sample_hold"},
    {"IMA", "memristor array", "8 x 128x128, 2 bits/cell", 2.4, 0.0002, "crossbar"},
    {"IMA", "S+A", "4", 0.2, 0.00024, "shift_add"},
    {"IMA", "IR", "2 KB", 1.24, 0.0021, ""},
    {"IMA", "OR", "256 B", 0.23, 0.00077, ""},
    {"tile", "eDRAM buffer", "64 KB", 20.7, 0.083, ""},
    {"tile", "eDRAM-to-IMA bus", "384 wires", 7.0, 0.090, ""},
    {"tile", "router (1/4 of one shared by 4 tiles)", "32-bit flits, 8 ports", 10.5, 0.0378, ""},
    {"tile", "sigmoid", "2", 0.52, 0.0006, ""},
    {"tile", "S+A", "1", 0.05, 0.00006, ""},
    {"tile", "max-pool", "1", 0.4, 0.00024, ""},
    {"tile", "OR", "3 KB", 1.68, 0.0032, ""},
};
constexpr int kImasPerTile = 12;
constexpr double kTilePowerMw = 330.0, kTileAreaMm2 = 0.372;

std::string pct(double model, double ref) {
  std::ostringstream s;
  s << std::showpos << std::fixed << std::setprecision(1) << 100.0 * (model / ref - 1.0) << " %";
  return s.str();
}
std::string num(double v, int prec = 4) {
  std::ostringstream s;
  s << std::setprecision(prec) << v;
  return s.str();
}

int run(int argc, char* argv[]) {
  std::string config = MEMTILE_SOURCE_DIR "/configs/presets/isaac.json", markdown, json_out;
  int vectors = 64;
  bool check = false;
  for (int a = 1; a < argc; ++a) {
    const std::string k = argv[a];
    auto value = [&]() -> std::string {
      core::require(a + 1 < argc, k, "needs a value");
      return argv[++a];
    };
    if (k == "--config") config = value();
    else if (k == "--vectors") vectors = std::stoi(value());
    else if (k == "--markdown") markdown = value();
    else if (k == "--json") json_out = value();
    else if (k == "--check") check = true;
    else throw core::InputError(k + ": unknown argument (--config, --vectors, --markdown, --json, --check)");
  }
  core::require(vectors >= 1, "--vectors", "must be >= 1");
  // The run configuration's own loader (every group, every message); this bench reads its
  // engine, tile and energy groups.
  const backends::RunConfig rc = backends::load_run_config_file(config);
  const core::EngineConfig& engine = rc.engine;
  const core::TileConfig& tile = rc.tile;
  const core::EnergyTable& energy = rc.energy;
  core::require(engine.array_rows == 128 && engine.array_cols == 128, config, "Table 2 is for 128x128 crossbars");

  std::mt19937 gen(2016);
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  const Eigen::MatrixXd W = Eigen::MatrixXd::NullaryExpr(128, 128, [&] { return u(gen); });
  const Eigen::MatrixXd X = Eigen::MatrixXd::NullaryExpr(vectors, 128, [&] { return u(gen); });
  sc::AcceleratorModel model(tile, energy);
  model.add_layer("ima", W, engine);
  model.run(X);
  const sc::Tile& t = model.tile(0);
  const core::TileGeometry& g = t.geometry();
  core::require(g.hpar() == 1 && g.vpar() == 1 && g.arrays_per_partition() == 8, config,
                "one IMA must be 8 arrays for a 128x128 16-bit layer (2-bit cells, no sign slice): got " +
                    std::to_string(g.hpar() * g.arrays_per_partition()));
  const sc::TileStats s = t.stats();
  const sc::AreaBreakdown area = t.area();
  const double interval_ns = t.mvm_interval().to_seconds() * 1e9;
  const double per_vector = 1.0 / static_cast<double>(s.vectors);
  const auto power = [&](double energy_pj) { return energy_pj * per_vector / interval_ns; };  // pJ/ns = mW
  const std::map<std::string, std::pair<double, double>> modelled = {
      {"adc", {power(s.energy.adc_pj), area.adc_um2 * 1e-6}},
      {"dac", {power(s.energy.dac_pj), area.dac_um2 * 1e-6}},
      {"sample_hold", {power(s.energy.sample_hold_pj), area.sample_hold_um2 * 1e-6}},
      {"crossbar", {power(s.energy.crossbar_pj), area.crossbar_um2 * 1e-6}},
      {"shift_add", {power(s.energy.shift_add_pj), area.shift_add_um2 * 1e-6}},
  };
  // The physical read energy sum V^2 G t of the same reads, for comparison with the table power.
  const double physics_mw = power(t.matrix().counters().read_energy_per_s_j * t.crossbar_timing().drive_ns * 1e-9 * 1e12);

  bool ok = std::abs(interval_ns - 1600.0) < 1e-6;
  std::ostringstream md;
  md << "| level | component | spec | ISAAC power (mW) | model (mW) | diff | ISAAC area (mm^2) | model (mm^2) | diff |\n"
     << "|---|---|---|---|---|---|---|---|---|\n";
  json rows = json::array();
  double ref_p = 0, ref_a = 0, mod_p = 0, mod_a = 0;
  for (const Row& r : kTable2) {
    json jr{{"level", r.level}, {"component", r.component}, {"isaac_power_mw", r.power_mw}, {"isaac_area_mm2", r.area_mm2}};
    md << "| " << r.level << " | " << r.component << " | " << r.spec << " | " << num(r.power_mw) << " | ";
    if (*r.model) {
      const auto [p, a] = modelled.at(r.model);
      const bool within = std::abs(p / r.power_mw - 1) <= 0.10 && std::abs(a / r.area_mm2 - 1) <= 0.10;
      ok = ok && within;
      ref_p += r.power_mw;
      ref_a += r.area_mm2;
      mod_p += p;
      mod_a += a;
      md << num(p) << " | " << pct(p, r.power_mw) << " | " << num(r.area_mm2) << " | " << num(a) << " | " << pct(a, r.area_mm2) << " |\n";
      jr["model_power_mw"] = p;
      jr["model_area_mm2"] = a;
      jr["within_10_percent"] = within;
    } else {
      md << "not modelled | | " << num(r.area_mm2) << " | not modelled | |\n";
      jr["model_power_mw"] = nullptr;
    }
    rows.push_back(jr);
  }
  md << "| IMA | modelled rows | | " << num(ref_p) << " | " << num(mod_p) << " | " << pct(mod_p, ref_p) << " | "
     << num(ref_a) << " | " << num(mod_a) << " | " << pct(mod_a, ref_a) << " |\n";
  md << "| tile | modelled rows x " << kImasPerTile << " IMAs | | " << num(kImasPerTile * ref_p) << " | "
     << num(kImasPerTile * mod_p) << " | " << pct(mod_p, ref_p) << " | " << num(kImasPerTile * ref_a) << " | "
     << num(kImasPerTile * mod_a) << " | " << pct(mod_a, ref_a) << " |\n";
  md << "| tile | ISAAC tile total | 12 IMAs + tile periphery | " << num(kTilePowerMw) << " | | modelled "
     << num(100 * kImasPerTile * mod_p / kTilePowerMw, 3) << " % of it | " << num(kTileAreaMm2) << " | | modelled "
     << num(100 * kImasPerTile * mod_a / kTileAreaMm2, 3) << " % of it |\n";
  std::ostringstream timing;
  timing << "Time per 128x128 16-bit MVM (steady state, " << g.input_slices << " input bits): " << num(interval_ns, 8)
         << " ns (ISAAC: 1600 ns = 16 x 100 ns). First vector, input to output: "
         << num(s.mvm_latency_ns, 8) << " ns (the pipeline fill: read, conversion, shift-add, scaling). "
         << "Stages per input bit: read " << num(t.latencies().read.to_seconds() * 1e9, 6) << " ns (pulse "
         << num(t.crossbar_timing().read_pulse_ns) << " ns, RC settle " << num(t.crossbar_timing().settle_ns, 3)
         << " ns), ADC " << num(t.latencies().adc.to_seconds() * 1e9, 6) << " ns (" << t.adc0().conversions_per_batch()
         << " conversions at " << num(t.adc0().operating_point().sample_rate_gsps) << " GS/s).\n"
         << "Crossbar read power from sum V^2 G t of the same reads (2 kohm .. 2 Mohm cells, "
         << num(engine.vread) << " V): " << num(physics_mw) << " mW per IMA, against ISAAC's table power "
         << num(modelled.at("crossbar").first) << " mW.\n";
  std::cout << md.str() << "\n" << timing.str();
  if (!markdown.empty()) std::ofstream(markdown) << md.str() << "\n" << timing.str();
  if (!json_out.empty())
    std::ofstream(json_out) << json{{"config", config}, {"vectors", vectors}, {"rows", rows},
                                    {"mvm_interval_ns", interval_ns}, {"mvm_latency_ns", s.mvm_latency_ns},
                                    {"crossbar_physics_power_mw", physics_mw}, {"ok", ok}}.dump(2)
                            << "\n";
  if (check && !ok) {
    std::cerr << "isaac_table2: a modelled component is off Table 2 by more than 10 %, or the MVM time is not 1.6 us\n";
    return 1;
  }
  return 0;
}
}  // namespace

int sc_main(int argc, char* argv[]) {
  try {
    return run(argc, argv);
  } catch (const core::InputError& e) {
    std::cerr << "isaac_table2: " << e.what() << "\n";
    return 2;
  }
}
