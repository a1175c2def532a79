#include "memtile/sc/soc/Dma.hpp"

#include <algorithm>

namespace memtile::sc {

Dma::Dma(sc_core::sc_module_name name, unsigned burst_bytes, sc_core::sc_time clock)
    : sc_core::sc_module(name), socket("socket"), burst_(std::max(4u, burst_bytes)), clock_(clock) {
  qk_.reset();
}

tlm::tlm_response_status Dma::read(std::uint64_t addr, void* dst, std::size_t len) {
  const tlm::tlm_response_status s = transfer(tlm::TLM_READ_COMMAND, addr, static_cast<unsigned char*>(dst), len);
  return s;
}

tlm::tlm_response_status Dma::write(std::uint64_t addr, const void* src, std::size_t len) {
  // The payload's data pointer is non-const; a write never modifies it.
  return transfer(tlm::TLM_WRITE_COMMAND, addr, const_cast<unsigned char*>(static_cast<const unsigned char*>(src)), len);
}

tlm::tlm_response_status Dma::transfer(tlm::tlm_command cmd, std::uint64_t addr, unsigned char* p, std::size_t len) {
  if (len > 0 && addr + (len - 1) < addr) return tlm::TLM_ADDRESS_ERROR_RESPONSE;
  qk_.reset();
  tlm::tlm_generic_payload tx;
  tlm::tlm_response_status status = tlm::TLM_OK_RESPONSE;
  for (std::size_t done = 0; done < len;) {
    const unsigned n = static_cast<unsigned>(std::min<std::size_t>(burst_, len - done));
    tx.set_command(cmd);
    tx.set_address(addr + done);
    tx.set_data_ptr(p + done);
    tx.set_data_length(n);
    tx.set_streaming_width(n);
    tx.set_byte_enable_ptr(nullptr);
    tx.set_byte_enable_length(0);
    tx.set_dmi_allowed(false);
    tx.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
    sc_core::sc_time delay = qk_.get_local_time() + clock_;
    socket->b_transport(tx, delay);
    qk_.set(delay);
    ++bursts_;
    if (tx.get_response_status() != tlm::TLM_OK_RESPONSE) {
      status = tx.get_response_status();
      break;
    }
    (cmd == tlm::TLM_READ_COMMAND ? bytes_read_ : bytes_written_) += n;
    done += n;
    if (qk_.need_sync()) qk_.sync();
  }
  qk_.sync();
  return status;
}

}  // namespace memtile::sc
