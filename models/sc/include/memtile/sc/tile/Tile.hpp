// A tile executes one layer: a core::ProgrammedMatrix mapped onto hpar x vpar partitions
// (row blocks x column blocks; see core/config/Geometry.hpp), each row partition with its own Dac,
// Crossbar, Adc and ShiftAdd modules (a module stands for the vpar column-block arrays of its
// row block and their weight slices, which work in parallel with identical timing), one
// reducer (ShiftAdd) for the adder tree across row partitions, and an optional Neuron.
//
// Sockets: `in` receives batches (JobExtension, B x in_features, or a host's row source) from
// the previous tile or the model's source; `out` sends the results (B x out_features, after the
// neuron) onwards.
//
// Processes (all SC_THREADs with 8 MiB stacks, because Eigen works on them):
//   control: at time 0 programs the arrays (programming time and energy), then per batch:
//     1. wakes the row partitions, which run encode / drive / read / convert / shift-add for
//        the whole batch through their TLM sockets (zero time: the numbers; unless currents
//        are observed, the engine computes them before, every row block per kVectorChunk
//        vectors, so no batch of DAC voltages is held, and a batch given as a row source is
//        never formed whole);
//     2. count_reads (kb ascending), Reduce (finish_block, kb ascending), Activate, end_batch
//        -- the very calls and order of ProgrammedMatrix::multiply, so outputs are
//        bit-identical to the core engine;
//     3. builds the batch's PipelineSchedule from the latencies the components annotated,
//        lets the partitions walk their part of it (traced vectors: every stage boundary is a
//        real wait so VCD changes land at the right time; otherwise one quantum-keeper step),
//        and forwards the output when the last vector leaves the neuron.
// Replication (TileConfig::replication = r): r copies of the arrays and their periphery hold
// the same weights; a batch's vectors are dealt round robin over the copies, which work in
// parallel: the schedule has ceil(B / r) slots, area and programming energy are r times one
// copy's, inference energy is unchanged (the same conversions, spread over the copies). The
// copies share the original's programming-variation draws (not modelled: independent draws).
// Programming: all arrays in parallel, row by row (all columns of a row at once):
//   time = array_rows x pulses_per_cell x write_pulse_ns;
//   energy = write_voltage^2 x write_pulse x pulses x sum of programmed conductances.
// RTL mode (TileConfig::rtl, docs/rtl.md "Phase 2"): after step 1 the clocked digital periphery
// (Verilated controller / SAR / shift-add / accumulator, or their rtlref C++ models per block)
// recomputes the partitions' accumulators as unit * S and, where it applies, the reduction,
// spending real clock cycles; steps 2 and 3 follow unchanged. Default: off (behavioural).
// The software form (EngineConfig::software) computes in.q * w_int and runs the same
// hardware schedule for time and DAC/ADC/shift-add energy; it has no conductances, so its
// crossbar read and programming energies are 0.
#pragma once
#include <deque>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <systemc>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>
#include <tlm_utils/tlm_quantumkeeper.h>

#include "memtile/core/config/EnergyTable.hpp"
#include "memtile/core/config/Geometry.hpp"
#include "memtile/core/config/TileConfig.hpp"
#include "memtile/sc/components/Adc.hpp"
#include "memtile/sc/components/Crossbar.hpp"
#include "memtile/sc/components/Dac.hpp"
#include "memtile/sc/components/Neuron.hpp"
#include "memtile/sc/components/Payload.hpp"
#include "memtile/sc/components/ShiftAdd.hpp"
#include "memtile/sc/tile/Schedule.hpp"
#include "memtile/sc/trace/Trace.hpp"

namespace memtile::sc {

// Energy by component (pJ), cumulative.
struct EnergyBreakdown {
  double dac_pj = 0, crossbar_pj = 0, adc_pj = 0, sample_hold_pj = 0, shift_add_pj = 0, reduce_pj = 0,
         neuron_pj = 0, program_pj = 0;
  double inference_pj() const { return dac_pj + crossbar_pj + adc_pj + sample_hold_pj + shift_add_pj + reduce_pj + neuron_pj; }
  double total_pj() const { return inference_pj() + program_pj; }
};
struct AreaBreakdown {
  double dac_um2 = 0, crossbar_um2 = 0, adc_um2 = 0, sample_hold_um2 = 0, shift_add_um2 = 0;
  double total_um2() const { return dac_um2 + crossbar_um2 + adc_um2 + sample_hold_um2 + shift_add_um2; }
};
struct TileStats {
  std::uint64_t batches = 0, vectors = 0;
  std::uint64_t dac_conversions = 0, array_reads = 0, adc_conversions = 0, shift_add_ops = 0, neuron_ops = 0;
  EnergyBreakdown energy;
  double program_time_ns = 0;
  double busy_time_ns = 0;         // sum of batch times (first input to last output)
  double mvm_latency_ns = 0;       // one vector, input to output, from the first batch's schedule
  double first_batch_time_ns = 0;  // the first batch, first input to last output
  double last_batch_time_ns = 0;
  // RTL mode (TileConfig::rtl): clock cycles of the clocked periphery, controller operations,
  // and batches whose reduced output came from the partial-sum accumulator.
  std::uint64_t rtl_cycles = 0, rtl_operations = 0, rtl_accumulator_batches = 0;
  // Of those, the cycles and operations written to the Verilated VCD (the traced vectors).
  std::uint64_t rtl_traced_cycles = 0, rtl_traced_operations = 0;
};

class RtlPeriphery;

class Tile : public sc_core::sc_module {
 public:
  tlm_utils::simple_target_socket<Tile> in;
  tlm_utils::simple_initiator_socket<Tile> out;

  // Throws InputError (field named) on invalid configs. `trace` may be null.
  Tile(sc_core::sc_module_name name, std::shared_ptr<core::ProgrammedMatrix> pm, const core::TileConfig& tile,
       const core::NeuronConfig& neuron, const core::EnergyTable& energy, TraceHub* trace);
  ~Tile() override;

  const core::TileGeometry& geometry() const { return geo_; }
  const core::ProgrammedMatrix& matrix() const { return *pm_; }
  const core::TileConfig& config() const { return cfg_; }
  const StageLatencies& latencies() const { return lat_; }  // static unit-operation latencies
  const CrossbarTiming& crossbar_timing() const;
  int adc_bits() const;
  const Adc& adc0() const;          // the first row partition's ADCs (all partitions are alike)
  // Steady-state time per vector of one copy: input slices x the slowest of stages A, B, C
  // (pipelined), or the whole per-vector sum (not pipelined).
  sc_core::sc_time mvm_interval() const;
  int replication() const { return cfg_.replication; }
  TileStats stats() const;
  AreaBreakdown area() const;
  // Writes new cells into the tile's arrays (AcceleratorTop's LOAD_WEIGHTS): `pm` replaces the
  // matrix the tile was built on, in place, and the components refresh what they derived from
  // the cells. The caller charges the programming time and energy (core::programming_cost).
  // Throws InputError unless `pm` has the tile's geometry (the modules were built for it).
  void reprogram(core::ProgrammedMatrix pm);
  bool idle() const { return queue_.empty() && !running_; }
  // True when a batch given as a row source held NaN or Inf since the last call (the block was
  // computed as zeros); clears the flag. The front fails its run with it.
  bool take_input_not_finite() { return std::exchange(input_not_finite_, false); }
  // RTL mode: the clocked digital periphery is in the loop (TileConfig::rtl.any()).
  bool rtl() const { return rtl_ != nullptr; }
  // The Verilated VCD of this tile ("" when not written): <trace.vcd_path>.<tile name>.rtl.vcd
  const std::string& rtl_vcd_path() const { return rtl_vcd_path_; }
  void close_rtl_trace();  // flush and close the Verilated VCD (idempotent; also when the traced vectors are done)

 private:
  class Partition;
  friend class Partition;
  struct Job {
    std::shared_ptr<Eigen::MatrixXd> x;            // the batch, or
    std::shared_ptr<const core::InputRows> rows;   // its row source (B = vectors)
    Eigen::Index vectors = 0;
    std::uint64_t id = 0;
  };
  // Partition kb's currents or codes are observed this batch (RTL periphery, traced ADC
  // codes): it runs component by component on the formed batch, not the engine's fused step.
  bool observed(int kb) const;
  bool traces_adc_codes(int kb) const;

  void in_b_transport(tlm::tlm_generic_payload& tx, sc_core::sc_time& delay);
  void control();
  void program_arrays();
  void run_batch(const Job& job);
  void walk_tail(const std::vector<VectorTimes>& traced, sc_core::sc_time base);
  void publish_energy();

  std::shared_ptr<core::ProgrammedMatrix> pm_;
  core::TileConfig cfg_;
  core::NeuronConfig neuron_cfg_;
  const core::EnergyTable& energy_;
  TraceHub* trace_;
  core::TileGeometry geo_;

  std::vector<std::unique_ptr<Partition>> partitions_;
  std::vector<PartitionData> parts_;
  std::unique_ptr<ShiftAdd> reducer_;
  std::unique_ptr<Neuron> neuron_;
  bool has_neuron_ = false;
  tlm_utils::simple_initiator_socket<Tile> reduce_socket_;
  tlm_utils::simple_initiator_socket<Tile> neuron_socket_;
  tlm::tlm_generic_payload tx_;
  tlm_utils::tlm_quantumkeeper qk_;

  // Batch in flight, shared with the partitions.
  std::deque<Job> queue_;
  bool running_ = false;
  const Eigen::MatrixXd* batch_x_ = nullptr;  // null when every partition takes a row source's batch fused
  bool input_not_finite_ = false;             // a row source gave a non-finite block (zeroed)
  Eigen::Index batch_rows_ = 0;
  Eigen::Index batch_slots_ = 0;             // schedule slots of the batch: ceil(rows / replication)
  std::uint64_t batch_first_vector_ = 0;
  std::uint64_t batch_traced_ = 0;           // vectors of this batch that are traced
  std::vector<ItemTimes> traced_items_;      // schedule of the traced items
  sc_core::sc_time items_end_;               // last shift-add of the batch
  int numerics_done_ = 0, partitions_done_ = 0;
  sc_core::sc_event job_ev_, start_ev_, go_ev_, numerics_done_ev_, partitions_done_ev_;
  StageLatencies lat_;
  double batch_stage_energy_pj_ = 0;         // partitions' energy of this batch (power counter)

  TileStats stats_;
  // Traced variables (VCD).
  bool vcd_busy_ = false;
  unsigned vcd_phase_ = 0;                   // 0 idle, 1 programming, 2 partitions computing, 3 draining (reduce/neuron)
  unsigned vcd_batches_ = 0;                 // batches started
  unsigned vcd_reduce_ops_ = 0, vcd_neuron_ops_ = 0;
  double vcd_e_dac_pj_ = 0, vcd_e_xbar_pj_ = 0, vcd_e_adc_pj_ = 0, vcd_e_sa_pj_ = 0, vcd_e_reduce_pj_ = 0,
         vcd_e_neuron_pj_ = 0, vcd_e_program_pj_ = 0;
  int vcd_adc_code_ = 0;
  int tid_control_ = 0;
  std::vector<Eigen::VectorXd> traced_codes_;  // per input slice: codes of the traced column

  // RTL mode: the clocked periphery and, per row partition, the comparator inputs of every
  // (input slice i, weight slice j) read of the batch: rtl_t_[kb][i * weight_slices + j].
  std::unique_ptr<RtlPeriphery> rtl_;
  std::vector<std::vector<Eigen::MatrixXd>> rtl_t_;
  std::string rtl_vcd_path_;
};

// Inference energy (pJ) tiles[first, end) have spent so far, summed in tile order: a front
// charges a run (AcceleratorModel) or a job (AcceleratorTop) the difference across it.
double inference_energy_pj(const std::vector<std::unique_ptr<Tile>>& tiles, std::size_t first, std::size_t end);

}  // namespace memtile::sc
