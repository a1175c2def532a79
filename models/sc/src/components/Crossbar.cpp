#include "memtile/sc/components/Crossbar.hpp"

#include <algorithm>
#include <cmath>

namespace memtile::sc {

CrossbarTiming CrossbarTiming::of(const core::TileConfig& tile, const core::EngineConfig& engine, int adc_bits) {
  CrossbarTiming t;
  const bool engine_wires = engine.wire_resistance > 0;
  t.row_segment_ohm = engine_wires ? engine.wire_resistance : core::row_segment_ohm(tile.wire);
  t.col_segment_ohm = engine_wires ? engine.wire_resistance : core::col_segment_ohm(tile.wire);
  t.row_segment_f = core::row_segment_capacitance_f(tile.wire);
  t.col_segment_f = core::col_segment_capacitance_f(tile.wire);
  // A row line crosses array_cols cells from its driver; a column line runs past array_rows
  // cells to the sense amplifier. The cells (>= 1/HGS ohm) decouple the two lines, so their
  // delays add (an upper bound of the coupled network's Elmore delay up to the cell RC).
  t.elmore_row_s = core::elmore_ladder_delay_s(engine.array_cols, t.row_segment_ohm, t.row_segment_f, tile.wire_driver_ohm);
  t.elmore_col_s = core::elmore_ladder_delay_s(engine.array_rows, t.col_segment_ohm, t.col_segment_f, 0.0);
  // Settling to half an LSB of a b-bit ADC takes ln(2^(b+1)) time constants.
  t.settle_factor = tile.settle_factor > 0 ? tile.settle_factor : (adc_bits + 1) * std::log(2.0);
  t.settle_ns = t.settle_factor * (t.elmore_row_s + t.elmore_col_s) * 1e9;
  // The read pulse integrates the settled column currents; it cannot end before they settle.
  t.read_pulse_ns = tile.read_pulse_ns;
  t.read_ns = std::max(t.read_pulse_ns, t.settle_ns);
  t.sample_ns = tile.sample_cycles * tile.clock_ns();
  t.drive_ns = tile.dac_settle_ns + t.read_ns + t.sample_ns;
  return t;
}

Crossbar::Crossbar(sc_core::sc_module_name name, const core::ProgrammedMatrix& pm, int kb, const core::TileConfig& tile,
                   const core::EnergyTable& energy)
    : Component(name), pm_(pm), kb_(kb), geo_(core::TileGeometry::of(pm)), energy_(energy),
      timing_(CrossbarTiming::of(tile, pm.config(), tile.resolved_adc_bits(pm.config()))),
      gate_unused_(tile.gate_unused) {
  read_latency_ = sc_core::sc_time(timing_.read_ns + timing_.sample_ns, sc_core::SC_NS);
  drive_s_ = timing_.drive_ns * 1e-9;
  // Table model with gating: only the driven rows x connected columns draw current.
  if (gate_unused_) {
    const double rows_used = static_cast<double>(geo_.used_rows(kb));
    table_cell_fraction_ =
        rows_used / geo_.rows() * static_cast<double>(geo_.out_features()) / static_cast<double>(geo_.padded_cols());
  }
  reprogrammed();
}

void Crossbar::reprogrammed() {
  g_row_sum_.clear();
  // Gated (unused) columns are disconnected from their sense amplifiers: no current flows
  // through their cells, which hold level 0 (nominally LGS; their variation is not kept).
  const double gated_s = gate_unused_
      ? static_cast<double>(geo_.padded_cols() - geo_.out_features()) * geo_.polarity * pm_.config().LGS
      : 0.0;
  if (!geo_.software)
    for (const core::ProgrammedSlice& s : pm_.block(kb_).slices)
      g_row_sum_.push_back((s.row_g_sum_s.rowwise().sum().array() - gated_s).matrix());
}

double Crossbar::total_conductance_s() const {
  double g = 0;
  for (const Eigen::VectorXd& v : g_row_sum_) g += v.sum();
  return g;
}

double Crossbar::area_um2() const {
  // The bit-sliced two's-complement arrays carry one reference column each (see the core).
  const int cols = geo_.cols() + (geo_.polarity == 1 && pm_.config().mode != core::EngineMode::DiffPair ? 1 : 0);
  return geo_.arrays_per_partition() * energy_.crossbar_area_at_um2(geo_.rows(), cols);
}

bool Crossbar::execute(MvmExtension& ext, sc_core::sc_time& delay) {
  switch (ext.op) {
    case MvmOp::ReadSoftware:
      ext.part->acc.noalias() = ext.part->in.q * pm_.block(kb_).w_int;
      return true;
    case MvmOp::Read: {
      const std::uint64_t reads = static_cast<std::uint64_t>(ext.batch) * geo_.vpar() * geo_.polarity;
      ops_ += reads;
      if (energy_.crossbar_model == core::CrossbarEnergyModel::Table) {
        const double cells = static_cast<double>(geo_.rows()) * geo_.cols();
        const double ref = static_cast<double>(energy_.crossbar_ref_rows) * energy_.crossbar_ref_cols;
        ext.energy_pj = static_cast<double>(reads) * energy_.crossbar_power_mw * 1e-3 * (cells / ref) * drive_s_ * 1e12 *
                        table_cell_fraction_;
      } else if (!geo_.software) {
        // sum_b sum_r V^2 * (sum of the conductances on row r over all arrays of slice j).
        // sum_b V_br^2 is the same for every weight slice of input slice i: the partition
        // computed it once per batch with the encoding (PartitionData::drive).
        const double p_w = core::read_power_w(ext.part->drive.v2_per_row[ext.i], g_row_sum_[ext.j]);
        ext.energy_pj = p_w * drive_s_ * 1e12;
      }  // software form: no conductances exist, no physical read energy
      if (ext.numerics) ext.part->I = pm_.read(kb_, ext.j, ext.i, ext.part->in.volts[ext.i], ext.first_vector);
      delay += read_latency_;
      return true;
    }
    default:
      return false;
  }
}

}  // namespace memtile::sc
