// DMA engine of the accelerator: blocking reads and writes of system memory through a
// TLM-2.0 initiator socket, cut into bursts of `burst_bytes`, loosely timed with a
// tlm_quantumkeeper (each burst's annotated delay plus one clock of set-up accumulates in
// local time; synchronised at the end of every transfer). Runs in the caller's SC_THREAD.
// A transfer stops at the first burst that does not answer TLM_OK_RESPONSE (its status is
// returned, its address and response kept in last_error()); an address range that wraps is
// refused without a transaction (address error, DmaResponse::Wraps).
// A burst left TLM_INCOMPLETE_RESPONSE (a target that never sets the status) is an error
// unless incomplete_is_ok (then it is taken as OK, silently); without the option the first one
// gives a SystemC warning naming the burst's address (once per engine: a long run is not
// flooded).
#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/tlm_quantumkeeper.h>

namespace memtile::sc {

// How a failed DMA burst ended (DMA_ERR_STATUS[3:0], docs/registers.md).
enum class DmaResponse : std::uint32_t {
  None = 0,
  Incomplete = 1,   // TLM_INCOMPLETE_RESPONSE: the target did not set a status
  Generic = 2,      // TLM_GENERIC_ERROR_RESPONSE
  Address = 3,      // TLM_ADDRESS_ERROR_RESPONSE (unmapped address on the bus, say)
  Command = 4,      // TLM_COMMAND_ERROR_RESPONSE
  Burst = 5,        // TLM_BURST_ERROR_RESPONSE
  ByteEnable = 6,   // TLM_BYTE_ENABLE_ERROR_RESPONSE
  Wraps = 7,        // the transfer's address range wraps past 2^64: no transaction was made
};
DmaResponse to_dma_response(tlm::tlm_response_status s);

struct DmaError {
  DmaResponse response = DmaResponse::None;
  std::uint64_t address = 0;  // bus address of the failing burst (of the transfer, for Wraps)
  bool write = false;
};

class Dma : public sc_core::sc_module {
 public:
  tlm_utils::simple_initiator_socket<Dma, 32> socket;

  Dma(sc_core::sc_module_name name, unsigned burst_bytes, sc_core::sc_time clock, bool incomplete_is_ok = false);
  tlm::tlm_response_status read(std::uint64_t addr, void* dst, std::size_t len);
  tlm::tlm_response_status write(std::uint64_t addr, const void* src, std::size_t len);
  // Checked between bursts: when it returns true the transfer stops early (the caller, whose
  // job was abandoned, ignores the result). Returns TLM_GENERIC_ERROR_RESPONSE then.
  void set_stop(std::function<bool()> stop) { stop_ = std::move(stop); }

  std::uint64_t bytes_read() const { return bytes_read_; }
  std::uint64_t bytes_written() const { return bytes_written_; }
  std::uint64_t bursts() const { return bursts_; }
  const DmaError& last_error() const { return last_error_; }
  void clear_error() { last_error_ = {}; }

 private:
  tlm::tlm_response_status transfer(tlm::tlm_command cmd, std::uint64_t addr, unsigned char* p, std::size_t len);
  unsigned burst_;
  sc_core::sc_time clock_;
  bool incomplete_is_ok_;
  bool warned_incomplete_ = false;
  std::function<bool()> stop_;
  tlm_utils::tlm_quantumkeeper qk_;
  std::uint64_t bytes_read_ = 0, bytes_written_ = 0, bursts_ = 0;
  DmaError last_error_;
};

}  // namespace memtile::sc
