// The arrays of one row partition: vpar column blocks x weight slices (x2 polarities), all
// read in parallel for one input slice. Holds (a reference to) the core's programmed row
// block; reads are the core's ProgrammedMatrix::read (ideal or circuit-solved effective
// conductances, programming variation, read noise), so the numbers are the engine's.
//   Read (i, j): column currents of weight slice j for input slice i, whole batch.
//     Latency = t_read + S&H acquisition (sample_cycles clocks), where the read lasts
//     t_read = max(read pulse, RC settle): the read pulse (integration time, TileConfig::
//     read_pulse_ns) integrates the column currents once the lines have settled,
//     settle = settle_factor x (Elmore(row line) + Elmore(column line)) (TileConfig).
//     Energy (physics model) = sum over the batch of sum_r V_r^2 * G_row_sum_r * t_drive,
//     t_drive = DAC settle + t_read + sample: the rows are driven for that long.
//     (table model: ISAAC array power scaled by cells x t_drive per array read; with gating by
//     the share of driven rows x connected columns.)
//   ReadSoftware: the software form's integer product in.q * w_int (no time, no energy).
// With TileConfig::gate_unused the unused columns are disconnected: their cells draw no current.
// Not modelled: capacitive read energy (CV^2 of the lines), selector devices, sneak paths.
#pragma once
#include "memtile/core/config/EnergyTable.hpp"
#include "memtile/core/config/Geometry.hpp"
#include "memtile/core/config/TileConfig.hpp"
#include "memtile/sc/components/Component.hpp"

namespace memtile::sc {

struct CrossbarTiming {
  double row_segment_ohm = 0, col_segment_ohm = 0;  // wire R used for the settle time
  double row_segment_f = 0, col_segment_f = 0;      // wire C per segment
  double elmore_row_s = 0, elmore_col_s = 0;        // Elmore delays of one row / one column line
  double settle_factor = 0;
  double settle_ns = 0;                             // settle_factor x (row + col)
  double read_pulse_ns = 0;                         // TileConfig::read_pulse_ns
  double read_ns = 0;                               // t_read = max(read_pulse_ns, settle_ns)
  double sample_ns = 0;                             // S&H acquisition
  double drive_ns = 0;                              // rows driven per read: DAC settle + t_read + sample
  // R from the engine's wire_resistance when it is > 0 (the circuit the numerics solve),
  // else from the wire technology; C always from the technology.
  static CrossbarTiming of(const core::TileConfig& tile, const core::EngineConfig& engine, int adc_bits);
};

class Crossbar : public Component {
 public:
  Crossbar(sc_core::sc_module_name name, const core::ProgrammedMatrix& pm, int kb, const core::TileConfig& tile,
           const core::EnergyTable& energy);
  const CrossbarTiming& timing() const { return timing_; }
  sc_core::sc_time read_latency() const { return read_latency_; }  // t_read + sample
  double drive_time_s() const { return drive_s_; }                  // rows driven per read
  // Sum of all programmed conductances of the partition's arrays (S), reference columns included.
  double total_conductance_s() const;
  // The programmed matrix this crossbar reads was replaced in place (same shape and config):
  // refresh the conductance sums of the physics read-energy model.
  void reprogrammed();
  double area_um2() const override;

 protected:
  bool execute(MvmExtension& ext, sc_core::sc_time& delay) override;

 private:
  const core::ProgrammedMatrix& pm_;
  int kb_;
  core::TileGeometry geo_;
  const core::EnergyTable& energy_;
  CrossbarTiming timing_;
  sc_core::sc_time read_latency_;
  double drive_s_ = 0;
  bool gate_unused_ = false;                // TileConfig::gate_unused: unused columns draw no current
  double table_cell_fraction_ = 1.0;        // table model: share of the cells that draw current (gating)
  std::vector<Eigen::VectorXd> g_row_sum_;  // per weight slice: rows, sum over all arrays of the slice
};

}  // namespace memtile::sc
