#include "memtile/sc/soc/Dma.hpp"

#include <algorithm>
#include <cstdio>

namespace memtile::sc {

DmaResponse to_dma_response(tlm::tlm_response_status s) {
  switch (s) {
    case tlm::TLM_OK_RESPONSE: return DmaResponse::None;
    case tlm::TLM_INCOMPLETE_RESPONSE: return DmaResponse::Incomplete;
    case tlm::TLM_ADDRESS_ERROR_RESPONSE: return DmaResponse::Address;
    case tlm::TLM_COMMAND_ERROR_RESPONSE: return DmaResponse::Command;
    case tlm::TLM_BURST_ERROR_RESPONSE: return DmaResponse::Burst;
    case tlm::TLM_BYTE_ENABLE_ERROR_RESPONSE: return DmaResponse::ByteEnable;
    case tlm::TLM_GENERIC_ERROR_RESPONSE: break;
  }
  return DmaResponse::Generic;
}

Dma::Dma(sc_core::sc_module_name name, unsigned burst_bytes, sc_core::sc_time clock, bool incomplete_is_ok)
    : sc_core::sc_module(name), socket("socket"), burst_(std::max(4u, burst_bytes)), clock_(clock),
      incomplete_is_ok_(incomplete_is_ok) {
  qk_.reset();
}

tlm::tlm_response_status Dma::read(std::uint64_t addr, void* dst, std::size_t len) {
  return transfer(tlm::TLM_READ_COMMAND, addr, static_cast<unsigned char*>(dst), len);
}

tlm::tlm_response_status Dma::write(std::uint64_t addr, const void* src, std::size_t len) {
  // The payload's data pointer is non-const; a write never modifies it.
  return transfer(tlm::TLM_WRITE_COMMAND, addr, const_cast<unsigned char*>(static_cast<const unsigned char*>(src)), len);
}

tlm::tlm_response_status Dma::transfer(tlm::tlm_command cmd, std::uint64_t addr, unsigned char* p, std::size_t len) {
  const bool is_write = cmd == tlm::TLM_WRITE_COMMAND;
  if (len > 0 && addr + (len - 1) < addr) {
    last_error_ = {DmaResponse::Wraps, addr, is_write};
    return tlm::TLM_ADDRESS_ERROR_RESPONSE;
  }
  qk_.reset();
  tlm::tlm_generic_payload tx;
  tlm::tlm_response_status status = tlm::TLM_OK_RESPONSE;
  for (std::size_t done = 0; done < len;) {
    if (stop_ && stop_()) {
      status = tlm::TLM_GENERIC_ERROR_RESPONSE;
      break;
    }
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
    tlm::tlm_response_status s = tx.get_response_status();
    if (s == tlm::TLM_INCOMPLETE_RESPONSE) {
      if (incomplete_is_ok_) {
        s = tlm::TLM_OK_RESPONSE;
      } else if (!warned_incomplete_) {
        warned_incomplete_ = true;
        char msg[200];
        std::snprintf(msg, sizeof msg,
                      "%s burst at 0x%llx: the target left TLM_INCOMPLETE_RESPONSE (it never sets a response "
                      "status): the job fails; protocol.incomplete_is_ok accepts such memories (warned once)",
                      is_write ? "write" : "read", static_cast<unsigned long long>(addr + done));
        SC_REPORT_WARNING("memtile/accelerator/dma", msg);
      }
    }
    if (s != tlm::TLM_OK_RESPONSE) {
      status = s;
      last_error_ = {to_dma_response(s), addr + done, is_write};
      break;
    }
    (is_write ? bytes_written_ : bytes_read_) += n;
    done += n;
    if (qk_.need_sync()) qk_.sync();
  }
  qk_.sync();
  return status;
}

}  // namespace memtile::sc
