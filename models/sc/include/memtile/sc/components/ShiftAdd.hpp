// Digital shift-and-add. Two roles:
//  * per row partition: acc += 2^(shift_i + shift_j) * P for every ADC output (the core's
//    ProgrammedMatrix::shift_add). Latency shift_add_cycles clocks per input slice (the
//    weight slices' units work in parallel); energy one op per column per (i, j) per vector.
//  * per tile (reducer): the adder tree over the hpar row partitions plus the input/weight
//    scaling (the core's finish_block, kb ascending, so the sum order is the engine's).
//    Latency (ceil(log2 hpar) x reduce_cycles_per_level + scale_cycles) clocks per vector;
//    energy one op per column per row partition per vector.
// With TileConfig::gate_unused only the used columns (out_features) count.
// Area: EnergyTable::shift_add_units_per_adc units per ADC of the partition (ISAAC: 4 units
// for 8 ADCs); the reducer's adder tree is not counted (not in the ISAAC table).
#pragma once
#include "memtile/core/config/EnergyTable.hpp"
#include "memtile/core/config/Geometry.hpp"
#include "memtile/core/config/TileConfig.hpp"
#include "memtile/sc/components/Component.hpp"

namespace memtile::sc {

class ShiftAdd : public Component {
 public:
  enum class Role { Partition, Reducer };
  ShiftAdd(sc_core::sc_module_name name, const core::ProgrammedMatrix& pm, Role role, const core::TileConfig& tile,
           const core::EnergyTable& energy);
  sc_core::sc_time latency() const { return latency_; }
  double area_um2() const override;

 protected:
  bool execute(MvmExtension& ext, sc_core::sc_time& delay) override;

 private:
  const core::ProgrammedMatrix& pm_;
  Role role_;
  core::TileGeometry geo_;
  const core::EnergyTable& energy_;
  sc_core::sc_time latency_;
  bool gate_ = false;  // TileConfig::gate_unused: only the used columns are added
  int adc_mux_ = 1;    // columns per ADC (the units scale with the ADCs)
};

}  // namespace memtile::sc
