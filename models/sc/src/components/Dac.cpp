#include "memtile/sc/components/Dac.hpp"

#include <algorithm>

namespace memtile::sc {

Dac::Dac(sc_core::sc_module_name name, const core::ProgrammedMatrix& pm, int kb, const core::TileConfig& tile,
         const core::EnergyTable& energy)
    : Component(name), pm_(pm), kb_(kb), geo_(core::TileGeometry::of(pm)), energy_(energy),
      settle_(tile.dac_settle_ns, sc_core::SC_NS) {
  // With gating, the rows beyond in_features (last row partition) are not driven.
  driven_rows_ = tile.gate_unused ? static_cast<int>(geo_.used_rows(kb)) : geo_.rows();
}

std::uint64_t Dac::conversions_per_slice() const {
  // One per driven row per array (a differential pair shares its row driver), as ReadCounters
  // count (without gating).
  return static_cast<std::uint64_t>(driven_rows_) * geo_.vpar() * geo_.weight_slices;
}

double Dac::area_um2() const {
  int bits = 0;
  for (int b : geo_.dac_bits) bits = std::max(bits, b);
  // Every row has its driver, gated or not.
  return static_cast<double>(geo_.rows()) * geo_.vpar() * geo_.weight_slices * energy_.dac_area_at_um2(bits);
}

bool Dac::execute(MvmExtension& ext, sc_core::sc_time& delay) {
  switch (ext.op) {
    case MvmOp::Encode:
      ext.part->in = pm_.encode(*ext.x, kb_);
      return true;
    case MvmOp::Drive: {
      const std::uint64_t n = conversions_per_slice() * static_cast<std::uint64_t>(ext.batch);
      ops_ += n;
      ext.energy_pj = static_cast<double>(n) * energy_.dac_conversion_pj(geo_.dac_bits[ext.i]);
      delay += settle_;
      return true;
    }
    default:
      return false;
  }
}

}  // namespace memtile::sc
