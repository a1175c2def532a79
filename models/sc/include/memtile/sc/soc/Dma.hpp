// DMA engine of the accelerator: blocking reads and writes of system memory through a
// TLM-2.0 initiator socket, cut into bursts of `burst_bytes`, loosely timed with a
// tlm_quantumkeeper (each burst's annotated delay plus one clock of set-up accumulates in
// local time; synchronised at the end of every transfer). Runs in the caller's SC_THREAD.
// A transfer stops at the first burst that does not answer TLM_OK_RESPONSE (its status is
// returned); an address range that wraps is refused without a transaction (address error).
#pragma once
#include <cstddef>
#include <cstdint>

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/tlm_quantumkeeper.h>

namespace memtile::sc {

class Dma : public sc_core::sc_module {
 public:
  tlm_utils::simple_initiator_socket<Dma, 32> socket;

  Dma(sc_core::sc_module_name name, unsigned burst_bytes, sc_core::sc_time clock);
  tlm::tlm_response_status read(std::uint64_t addr, void* dst, std::size_t len);
  tlm::tlm_response_status write(std::uint64_t addr, const void* src, std::size_t len);

  std::uint64_t bytes_read() const { return bytes_read_; }
  std::uint64_t bytes_written() const { return bytes_written_; }
  std::uint64_t bursts() const { return bursts_; }

 private:
  tlm::tlm_response_status transfer(tlm::tlm_command cmd, std::uint64_t addr, unsigned char* p, std::size_t len);
  unsigned burst_;
  sc_core::sc_time clock_;
  tlm_utils::tlm_quantumkeeper qk_;
  std::uint64_t bytes_read_ = 0, bytes_written_ = 0, bursts_ = 0;
};

}  // namespace memtile::sc
