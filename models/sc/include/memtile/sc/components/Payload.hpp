// What travels over the tile's TLM-2.0 sockets.
//
// Inside a tile, a partition controller drives its components (Dac, Crossbar, Adc, ShiftAdd)
// and the tile drives its reducer (a ShiftAdd) and its Neuron through
// tlm_utils::simple_initiator_socket -> simple_target_socket pairs with a generic payload:
//   command  TLM_WRITE_COMMAND, address 0, no data pointer, length 0;
//   extension MvmExtension: the operation, its indices and pointers to heap-held Eigen operands
//            (the payload never copies vectors; SystemC thread stacks stay small).
// The target performs the operation on a whole batch of B vectors at once (so the numbers are
// exactly the core engine's: same functions, same shapes, same order), adds its energy for all
// B vectors to `energy_pj`, and annotates on `delay` the latency of ONE unit operation for ONE
// vector (e.g. one ADC batch: adc_mux conversions). The partition controller composes these
// latencies into the pipelined per-vector schedule (Schedule.hpp).
// Response status: TLM_OK_RESPONSE, or TLM_COMMAND_ERROR_RESPONSE if the extension is missing
// or the operation is not one the target implements (a wiring error; never a guest's input).
//
// Between tiles, from a front to its tiles and back (AcceleratorModel's source and sink,
// AcceleratorTop's router and collector) a JobExtension carries one batch of input or output
// vectors: send_batch() writes it, batch_of() takes it on the receiving side.
#pragma once
#include <Eigen/Dense>
#include <cstdint>
#include <memory>
#include <systemc>
#include <tlm>
#include <vector>

#include "memtile/core/MatrixEngine.hpp"

namespace memtile::sc {

// Working data of one row partition for one batch (owned by the tile, on the heap): the
// block's BlockBatch (in: encode() of this row block, volts only while currents are observed)
// and the operands of the component-by-component path.
struct PartitionData : core::BlockBatch {
  Eigen::MatrixXd I;  // B x padded_cols column currents of the current read (A)
  Eigen::MatrixXd P;  // B x padded_cols ADC output (integer slice products)
};

enum class MvmOp : std::uint8_t {
  Encode,        // Dac: part->in = pm.encode(*x, kb)               (input registers; no time)
  Drive,         // Dac: drive input slice i onto the rows           (DAC settle)
  Read,          // Crossbar: part->I = pm.read(kb, j, i, volts[i])  (settle + S&H sample)
  ReadSoftware,  // Crossbar: part->acc = in.q * w_int (software form; no time, no energy)
  Convert,       // Adc: part->P = pm.convert(kb, j, i, part->I)     (adc_mux conversions)
  Accumulate,    // ShiftAdd: pm.shift_add(part->acc, j, i, part->P)
  Reduce,        // ShiftAdd (tile reducer): *y = 0, then finish_block for kb = 0..hpar-1 into it
  Activate       // Neuron: *y = f(*y) element-wise
};

struct MvmExtension : tlm::tlm_extension<MvmExtension> {
  MvmOp op = MvmOp::Encode;
  int kb = 0, i = 0, j = 0;             // row block, input slice, weight slice
  Eigen::Index batch = 0;               // B vectors
  std::uint64_t first_vector = 0;       // read-noise key of the batch's first vector
  bool numerics = true;                 // false: account time and energy only (software form)
  const Eigen::MatrixXd* x = nullptr;   // Encode: B x K inputs
  PartitionData* part = nullptr;        // per-partition operands
  std::vector<PartitionData>* parts = nullptr;  // Reduce: all partitions, kb ascending
  Eigen::MatrixXd* y = nullptr;         // Reduce/Activate: B x padded_cols (Reduce) / B x N (Activate)
  double energy_pj = 0;                 // out: energy of this operation, all B vectors

  tlm::tlm_extension_base* clone() const override { return new MvmExtension(*this); }
  void copy_from(const tlm::tlm_extension_base& e) override { *this = static_cast<const MvmExtension&>(e); }
};

// One batch travelling between tiles. `data` is B x features. A host front may instead give a
// tile its batch as a row source (`rows`, `vectors` = B; e.g. a Conv's patches, never formed
// whole): only a tile's `in` socket takes that form, and the source is valid until the run
// that sent it returns.
struct JobExtension : tlm::tlm_extension<JobExtension> {
  std::shared_ptr<Eigen::MatrixXd> data;
  std::shared_ptr<const core::InputRows> rows;
  Eigen::Index vectors = 0;             // B of a row-source batch
  std::uint64_t job = 0;                // sequence number of the batch in the run
  tlm::tlm_extension_base* clone() const override { return new JobExtension(*this); }
  void copy_from(const tlm::tlm_extension_base& e) override { *this = static_cast<const JobExtension&>(e); }
};

// Writes one batch to a tile's `in` socket (or the next stage's), directly or through a router:
//   command  TLM_WRITE_COMMAND, `address` (selects the tile behind a router; a tile ignores it),
//            no data pointer, length 0; extension JobExtension {x, job}.
// The receiver only queues the batch (no wait), so a host may call this between sc_start()s.
// Returns the receiver's response; `delay` gets its annotation.
template <class Socket>
tlm::tlm_response_status send_batch(Socket& socket, JobExtension ext, std::uint64_t address, sc_core::sc_time& delay) {
  tlm::tlm_generic_payload tx;
  tx.set_command(tlm::TLM_WRITE_COMMAND);
  tx.set_address(address);
  tx.set_data_ptr(nullptr);
  tx.set_data_length(0);
  tx.set_streaming_width(0);
  tx.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
  tx.set_extension(&ext);
  socket->b_transport(tx, delay);
  tx.clear_extension(&ext);
  return tx.get_response_status();
}
template <class Socket>
tlm::tlm_response_status send_batch(Socket& socket, std::shared_ptr<Eigen::MatrixXd> x, std::uint64_t job,
                                    std::uint64_t address, sc_core::sc_time& delay) {
  JobExtension ext;
  ext.data = std::move(x);
  ext.job = job;
  return send_batch(socket, std::move(ext), address, delay);
}

// The batch a send_batch() write carries, or nullptr with TLM_COMMAND_ERROR_RESPONSE set when
// the transaction is not such a write (a wiring error) or carries a row source and
// `take_rows` is false.
inline JobExtension* batch_of(tlm::tlm_generic_payload& tx, bool take_rows = false) {
  auto* job = tx.get_extension<JobExtension>();
  if (job && (job->data || (take_rows && job->rows && *job->rows)) && tx.get_command() == tlm::TLM_WRITE_COMMAND) return job;
  tx.set_response_status(tlm::TLM_COMMAND_ERROR_RESPONSE);
  return nullptr;
}

// Sends `ext` through `socket` as a blocking transport; returns the annotated delay added.
// Throws std::logic_error if the target answers with an error (a wiring bug).
template <class Socket>
sc_core::sc_time mvm_transport(Socket& socket, tlm::tlm_generic_payload& tx, MvmExtension& ext) {
  sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
  tx.set_command(tlm::TLM_WRITE_COMMAND);
  tx.set_address(0);
  tx.set_data_ptr(nullptr);
  tx.set_data_length(0);
  tx.set_streaming_width(0);
  tx.set_byte_enable_ptr(nullptr);
  tx.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
  ext.energy_pj = 0;
  tx.set_extension(&ext);
  socket->b_transport(tx, delay);
  tx.clear_extension(&ext);
  if (tx.get_response_status() != tlm::TLM_OK_RESPONSE)
    throw std::logic_error("memtile::sc: component rejected operation " + std::to_string(static_cast<int>(ext.op)));
  return delay;
}

}  // namespace memtile::sc
