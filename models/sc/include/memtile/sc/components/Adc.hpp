// The ADCs of one row partition: each array has array_cols / adc_mux ADCs, each shared by
// adc_mux columns through a multiplexer, so one array's columns convert in adc_mux serial
// conversions (with TileConfig::gate_unused only the used columns: ceil(used / ADCs per array)).
// One converter, one rate: the conversion time (1 / sample rate) and the energy per conversion
// come from the same reference point of the energy table (EnergyTable::adc_at), for SAR and
// flash alike. A differential pair's I+ - I- is formed before the ADC (one conversion per
// column pair), as the core's ReadCounters count.
//   Convert (i, j): the core's ProgrammedMatrix::convert of the whole batch.
//     Latency = conversions per ADC / sample rate. Energy = conversions x (E_adc(bits) + E_S&H).
// Not modelled: ADC offset/INL/DNL (the core's quantiser is ideal), comparator metastability.
#pragma once
#include "memtile/core/config/EnergyTable.hpp"
#include "memtile/core/config/Geometry.hpp"
#include "memtile/core/config/TileConfig.hpp"
#include "memtile/sc/components/Component.hpp"

namespace memtile::sc {

class Adc : public Component {
 public:
  Adc(sc_core::sc_module_name name, const core::ProgrammedMatrix& pm, int kb, const core::TileConfig& tile,
      const core::EnergyTable& energy);
  int bits() const { return bits_; }
  const core::AdcOperatingPoint& operating_point() const { return point_; }  // rate, energy, power, area
  int conversions_per_batch() const { return conversions_per_batch_; } // serial conversions per ADC per read
  std::uint64_t conversions_per_vector() const;                        // per vector and weight slice
  sc_core::sc_time conversion_time() const { return t_conv_; }   // one conversion
  sc_core::sc_time batch_latency() const { return t_batch_; }    // adc_mux conversions
  int adcs() const;                                               // ADCs in this partition
  double sample_hold_energy_pj() const { return sh_energy_pj_; }  // the S&H share of energy_pj()
  double area_um2() const override;
  double sample_hold_area_um2() const;
  // ADC code of column `col` for every vector of the batch, from currents I of input slice i
  // and weight slice j (ProgrammedMatrix::adc_codes, for the VCD trace).
  Eigen::VectorXd codes(int j, int i, const Eigen::MatrixXd& I, int col) const;

 protected:
  bool execute(MvmExtension& ext, sc_core::sc_time& delay) override;

 private:
  const core::ProgrammedMatrix& pm_;
  int kb_;
  core::TileGeometry geo_;
  const core::EnergyTable& energy_;
  int bits_ = 0, mux_ = 1;
  bool gate_ = false;
  int conversions_per_batch_ = 1;
  core::AdcOperatingPoint point_;
  sc_core::sc_time t_conv_, t_batch_;
  double e_conv_pj_ = 0, sh_energy_pj_ = 0;
};

}  // namespace memtile::sc
