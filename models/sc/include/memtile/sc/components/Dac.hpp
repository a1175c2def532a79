// Row drivers of one row partition: every array of the partition has one DAC per row
// (vpar x weight_slices arrays; a differential pair's G+/G- arrays share the row driver, as
// the core's ReadCounters count). Bit-serial: one DAC conversion per row per input slice.
//   Encode : quantise and slice the batch (input registers; no time or energy modelled)
// With TileConfig::gate_unused the rows beyond in_features are not driven (no conversion).
//   Drive i: settle the DACs on input slice i. Latency dac_settle_ns. Energy per conversion
//            (2^b - 1) x the 1-bit DAC energy, b = the slice's bits capped by log2(rdac).
// Not modelled: DAC non-linearity and output resistance (see WireTechnology::driver_ohm).
#pragma once
#include "memtile/core/config/EnergyTable.hpp"
#include "memtile/core/config/Geometry.hpp"
#include "memtile/core/config/TileConfig.hpp"
#include "memtile/sc/components/Component.hpp"

namespace memtile::sc {

class Dac : public Component {
 public:
  Dac(sc_core::sc_module_name name, const core::ProgrammedMatrix& pm, int kb, const core::TileConfig& tile,
      const core::EnergyTable& energy);
  sc_core::sc_time settle() const { return settle_; }
  // DAC conversions of one vector and input slice in this partition.
  std::uint64_t conversions_per_slice() const;
  double area_um2() const override;

 protected:
  bool execute(MvmExtension& ext, sc_core::sc_time& delay) override;

 private:
  const core::ProgrammedMatrix& pm_;
  int kb_;
  core::TileGeometry geo_;
  const core::EnergyTable& energy_;
  sc_core::sc_time settle_;
  int driven_rows_ = 0;  // rows of this partition driven per slice (all, or the used ones when gated)
};

}  // namespace memtile::sc
