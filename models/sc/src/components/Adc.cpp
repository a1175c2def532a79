#include "memtile/sc/components/Adc.hpp"

#include "memtile/core/Quantiser.hpp"

namespace memtile::sc {

Adc::Adc(sc_core::sc_module_name name, const core::ProgrammedMatrix& pm, int kb, const core::TileConfig& tile,
         const core::EnergyTable& energy)
    : Component(name), pm_(pm), kb_(kb), geo_(core::TileGeometry::of(pm)), energy_(energy),
      bits_(tile.resolved_adc_bits(pm.config())), mux_(tile.adc_mux), gate_(tile.gate_unused) {
  point_ = energy.adc_at(bits_, tile.adc_kind);
  // Columns are interleaved over an array's ADCs (column c on ADC c mod cols/mux): with gating,
  // the busiest ADC converts ceil(used columns of the fullest array / ADCs per array) columns
  // (packed tiling: column block 0 is the fullest).
  const int adcs_per_array = geo_.cols() / mux_;
  const long long used = geo_.tiling.cols_of(0).count;
  conversions_per_batch_ = gate_ ? static_cast<int>((used + adcs_per_array - 1) / adcs_per_array) : mux_;
  // Both times from the one sample rate, computed in double before the conversion to sc_time
  // (128 conversions at 1.28 GS/s are exactly 100 ns; 128 x a rounded 781 ps would not be).
  t_conv_ = sc_core::sc_time(point_.conversion_ns, sc_core::SC_NS);
  t_batch_ = sc_core::sc_time(conversions_per_batch_ * point_.conversion_ns, sc_core::SC_NS);
  e_conv_pj_ = point_.energy_pj;
}

std::uint64_t Adc::conversions_per_vector() const {
  return static_cast<std::uint64_t>(gate_ ? geo_.out_features() : geo_.padded_cols());
}

int Adc::adcs() const { return geo_.vpar() * geo_.weight_slices * (geo_.cols() / mux_); }

double Adc::area_um2() const { return adcs() * energy_.adc_area_at_um2(bits_) + sample_hold_area_um2(); }

double Adc::sample_hold_area_um2() const {
  return static_cast<double>(geo_.vpar()) * geo_.weight_slices * geo_.cols() * energy_.sample_hold_area_um2;
}

Eigen::VectorXd Adc::codes(int j, int i, const Eigen::MatrixXd& I, int col) const {
  return pm_.adc_codes(kb_, j, i, I, col);
}

bool Adc::execute(MvmExtension& ext, sc_core::sc_time& delay) {
  if (ext.op != MvmOp::Convert) return false;
  const std::uint64_t n = static_cast<std::uint64_t>(ext.batch) * conversions_per_vector();
  ops_ += n;
  const double sh = static_cast<double>(n) * energy_.sample_hold_energy_pj;
  sh_energy_pj_ += sh;
  ext.energy_pj = static_cast<double>(n) * e_conv_pj_ + sh;
  if (ext.numerics) ext.part->P = pm_.convert(kb_, ext.j, ext.i, ext.part->I);
  delay += t_batch_;
  return true;
}

}  // namespace memtile::sc
