#include "memtile/sc/Dac.hpp"

namespace memtile::sc {

Dac::Dac(sc_core::sc_module_name name, const core::ProgrammedMatrix& pm, int kb, const TileConfig& tile,
         const EnergyTable& energy)
    : Component(name), pm_(pm), kb_(kb), geo_(TileGeometry::of(pm)), energy_(energy),
      settle_(tile.dac_settle_ns, sc_core::SC_NS) {}

std::uint64_t Dac::conversions_per_slice() const {
  // One per row per array (a differential pair shares its row driver), as ReadCounters count.
  return static_cast<std::uint64_t>(geo_.rows) * geo_.vpar * geo_.weight_slices;
}

double Dac::area_um2() const {
  int bits = 0;
  for (int b : geo_.dac_bits) bits = std::max(bits, b);
  return static_cast<double>(conversions_per_slice()) * energy_.dac_area_at_um2(bits);
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
