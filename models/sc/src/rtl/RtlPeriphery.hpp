// The tile's clocked digital periphery in RTL mode (TileConfig::rtl, docs/rtl.md "Phase 2").
// Private to memtile_sc: the Verilated classes stay out of the installed headers.
//
// One datapath per tile: the tile controller (memtile_tile_ctrl), one SAR logic
// (memtile_sar_logic), one shift-add (memtile_shift_add) and one partial-sum accumulator
// (memtile_accumulator). Each block is either its Verilated model (TileConfig::rtl switch on)
// or its bit- and cycle-exact C++ reference model (core/rtlref, switch off), stepped in lock
// step on the same clock, so any mix gives the same codes and sums.
//
// How a batch runs: per input vector b and column group g (G = the mux lanes, min(adc_mux, 8)
// columns), the controller performs one MVM operation over every row partition, input slice,
// weight slice and lane (the engine's kb, i, j order); the SystemC side answers its requests
// (dac_req / read_req: the analog numbers of the batch were computed at its start by the
// behavioural Dac and Crossbar; prog_req / act_req: acknowledged, programming and the neuron
// stay behavioural), feeds the SAR's comparator from the analog model
// (rtlref::sar_comparator, TieRule::HalfEven, so the codes equal AdcQuantiser's), wires the
// controller's sa_* outputs and the SAR code into the shift-add, and the shift-add's read port
// into the accumulator during PSUM. The per-partition sums S (the value PSUM hands over) give
// the partition accumulators unit * S; the accumulator's result replaces the reduction where it
// applies (fp mode with power-of-two alignment, or a single row partition).
//
// Time: every clock is a real SystemC clock period (two half-period waits of the calling
// thread; no free-running sc_clock, so sc_start() still returns when the tile is idle). One
// datapath serves all ADC groups of the tile, one after another: the RTL time of a batch is
// B * ceil(out_features / G) controller operations, a serialised (pessimistic) figure next to
// the analytic schedule, which is walked afterwards unchanged.
#pragma once
#include <Eigen/Dense>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <systemc>

#include "memtile/core/MatrixEngine.hpp"
#include "memtile/core/config/TileConfig.hpp"
#include "memtile/core/rtlref/EngineMapping.hpp"
#include "memtile/sc/components/Payload.hpp"

namespace memtile::sc {

class RtlPeriphery : public sc_core::sc_module {
 public:
  // Throws InputError naming tile.rtl when the layer cannot be mapped onto the RTL periphery.
  // `vcd_path`: Verilated VCD file ("" = off); Verilated::traceEverOn is set here, before the
  // models are built.
  RtlPeriphery(sc_core::sc_module_name name, const core::ProgrammedMatrix& pm, const core::TileConfig& cfg,
               bool activate, const std::string& vcd_path);
  ~RtlPeriphery() override;

  // The checks (integer form, port widths) without building anything: InputError naming the field.
  static void check(const core::ProgrammedMatrix& pm, const core::TileConfig& cfg);

  // From a thread, at time 0: opens the Verilated VCD, resets the blocks, writes the slice
  // table and runs the controller's program operation (prog_req per partition and weight slice).
  void program();

  // From a thread: the batch through the clocked periphery. t[kb][i * weight_slices + j] =
  // comparator inputs in LSBs (B x out_features, rtlref::adc_lsb_values). Fills, per row
  // partition, parts[kb].acc = unit_kb * S_kb, and, where the accumulator applies, y (B x
  // out_features, the reduced output before the neuron) and returns true.
  // The Verilated VCD is closed once the first `traced` vectors of this batch are done (0:
  // before it starts), so only the traced vectors of a run are written.
  bool run_batch(Eigen::Index B, const std::vector<std::vector<Eigen::MatrixXd>>& t, std::vector<PartitionData>& parts,
                 Eigen::MatrixXd& y, Eigen::Index traced);

  std::uint64_t cycles() const;             // clock cycles simulated so far
  std::uint64_t operations() const;         // controller operations (program + one per (vector, group))
  std::uint64_t accumulator_batches() const;  // batches whose output came from the accumulator
  int lanes() const;                         // G
  const core::rtlref::IntegerForm& form(int kb) const;
  void close_vcd();                          // flush and close the Verilated VCD (idempotent)
  std::uint64_t vcd_cycles() const;          // clock cycles written to the Verilated VCD
  std::uint64_t vcd_operations() const;      // controller operations written to the Verilated VCD
  // The RTL clock as traced in the SystemC VCD: it follows the clock while the Verilated VCD is
  // open and stays low afterwards (the SystemC VCD stays bounded too).
  const sc_core::sc_signal<bool>& traced_clock() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace memtile::sc
