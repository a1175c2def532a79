#include "memtile/sc/components/ShiftAdd.hpp"

#include <algorithm>

#include "memtile/core/Parallel.hpp"

namespace memtile::sc {
namespace {
// Rows of the reducer's output per parallel task.
constexpr Eigen::Index kReduceRows = 2048;
}  // namespace

ShiftAdd::ShiftAdd(sc_core::sc_module_name name, const core::ProgrammedMatrix& pm, Role role, const core::TileConfig& tile,
                   const core::EnergyTable& energy)
    : Component(name), pm_(pm), role_(role), geo_(core::TileGeometry::of(pm)), energy_(energy), gate_(tile.gate_unused), adc_mux_(tile.adc_mux) {
  const int cycles = role == Role::Partition
      ? tile.shift_add_cycles
      : core::ceil_log2(geo_.hpar()) * tile.reduce_cycles_per_level + tile.scale_cycles;
  latency_ = sc_core::sc_time(cycles * tile.clock_ns(), sc_core::SC_NS);
}

double ShiftAdd::area_um2() const {
  // Units in proportion to the ADCs whose outputs they add (ISAAC: 4 units for 8 ADCs).
  const double adcs = static_cast<double>(geo_.vpar()) * geo_.weight_slices * (geo_.cols() / adc_mux_);
  return role_ == Role::Partition ? adcs * energy_.shift_add_units_per_adc * energy_.shift_add_area_um2 : 0.0;
}

bool ShiftAdd::execute(MvmExtension& ext, sc_core::sc_time& delay) {
  const std::uint64_t per_vector = static_cast<std::uint64_t>(gate_ ? geo_.out_features() : geo_.padded_cols());
  if (role_ == Role::Partition && ext.op == MvmOp::Accumulate) {
    const std::uint64_t n = per_vector * static_cast<std::uint64_t>(ext.batch);
    ops_ += n;
    ext.energy_pj = static_cast<double>(n) * energy_.shift_add_energy_pj;
    if (ext.numerics) pm_.shift_add(ext.part->acc, ext.j, ext.i, ext.part->P);
    delay += latency_;
    return true;
  }
  if (role_ == Role::Reducer && ext.op == MvmOp::Reduce) {
    const std::uint64_t n = per_vector * static_cast<std::uint64_t>(ext.batch) * static_cast<std::uint64_t>(geo_.hpar());
    ops_ += n;
    ext.energy_pj = static_cast<double>(n) * energy_.shift_add_energy_pj;
    // y = 0, then the row blocks added kb ascending: the same floating-point order as
    // ProgrammedMatrix::multiply. Elementwise, so cut in row ranges over the engine's threads
    // (a batch of conv1 is 50k rows), each range zeroed by its task: the same bits for any
    // thread count.
    Eigen::MatrixXd& y = *ext.y;
    const Eigen::Index rows = y.rows(), tasks = (rows + kReduceRows - 1) / kReduceRows;
    core::parallel_for(core::resolve_threads(pm_.config().threads), static_cast<std::size_t>(tasks), [&](std::size_t t) {
      const Eigen::Index r0 = static_cast<Eigen::Index>(t) * kReduceRows, len = std::min(kReduceRows, rows - r0);
      y.middleRows(r0, len).setZero();
      for (int kb = 0; kb < geo_.hpar(); ++kb)
        pm_.finish_block(y.middleRows(r0, len), kb, (*ext.parts)[kb].in, (*ext.parts)[kb].acc, r0);
    });
    delay += latency_;
    return true;
  }
  return false;
}

}  // namespace memtile::sc
