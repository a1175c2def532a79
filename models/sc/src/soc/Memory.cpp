#include "memtile/sc/soc/Memory.hpp"

#include <algorithm>
#include <cstring>

namespace memtile::sc {

Memory::Memory(sc_core::sc_module_name name, std::uint64_t size_bytes, sc_core::sc_time latency, double bytes_per_ns,
               bool allow_dmi)
    : sc_core::sc_module(name), socket("socket"), data_(size_bytes, 0), latency_(latency),
      bytes_per_ns_(bytes_per_ns > 0 ? bytes_per_ns : 1.0), allow_dmi_(allow_dmi) {
  socket.register_b_transport(this, &Memory::b_transport);
  socket.register_transport_dbg(this, &Memory::transport_dbg);
  socket.register_get_direct_mem_ptr(this, &Memory::get_direct_mem_ptr);
}

void Memory::b_transport(tlm::tlm_generic_payload& tx, sc_core::sc_time& delay) {
  ++accesses_;
  const tlm::tlm_command cmd = tx.get_command();
  const sc_dt::uint64 addr = tx.get_address();
  const unsigned len = tx.get_data_length();
  if (cmd != tlm::TLM_READ_COMMAND && cmd != tlm::TLM_WRITE_COMMAND && cmd != tlm::TLM_IGNORE_COMMAND) {
    tx.set_response_status(tlm::TLM_COMMAND_ERROR_RESPONSE);
    return;
  }
  if (addr >= data_.size() || len > data_.size() - addr) {
    tx.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
    return;
  }
  if (cmd == tlm::TLM_IGNORE_COMMAND) {
    tx.set_response_status(tlm::TLM_OK_RESPONSE);
    return;
  }
  const unsigned sw = tx.get_streaming_width();
  if (sw < len) {
    tx.set_response_status(tlm::TLM_BURST_ERROR_RESPONSE);
    return;
  }
  unsigned char* p = tx.get_data_ptr();
  if (p == nullptr && len > 0) {
    tx.set_response_status(tlm::TLM_COMMAND_ERROR_RESPONSE);
    return;
  }
  const unsigned char* be = tx.get_byte_enable_ptr();
  const unsigned be_len = tx.get_byte_enable_length();
  if (be && be_len == 0) {
    tx.set_response_status(tlm::TLM_BYTE_ENABLE_ERROR_RESPONSE);
    return;
  }
  unsigned char* m = data_.data() + addr;
  if (!be) {
    if (cmd == tlm::TLM_READ_COMMAND)
      std::memcpy(p, m, len);
    else
      std::memcpy(m, p, len);
  } else {
    for (unsigned i = 0; i < len; ++i) {
      if (be[i % be_len] != TLM_BYTE_ENABLED) continue;
      if (cmd == tlm::TLM_READ_COMMAND)
        p[i] = m[i];
      else
        m[i] = p[i];
    }
  }
  delay += latency_ + sc_core::sc_time(len / bytes_per_ns_, sc_core::SC_NS);
  tx.set_dmi_allowed(allow_dmi_);
  tx.set_response_status(tlm::TLM_OK_RESPONSE);
}

unsigned Memory::transport_dbg(tlm::tlm_generic_payload& tx) {
  const sc_dt::uint64 addr = tx.get_address();
  if (addr >= data_.size() || tx.get_data_ptr() == nullptr) return 0;
  const unsigned n = static_cast<unsigned>(std::min<sc_dt::uint64>(tx.get_data_length(), data_.size() - addr));
  if (tx.get_command() == tlm::TLM_READ_COMMAND)
    std::memcpy(tx.get_data_ptr(), data_.data() + addr, n);
  else if (tx.get_command() == tlm::TLM_WRITE_COMMAND)
    std::memcpy(data_.data() + addr, tx.get_data_ptr(), n);
  else
    return 0;
  return n;
}

bool Memory::get_direct_mem_ptr(tlm::tlm_generic_payload&, tlm::tlm_dmi& dmi) {
  if (!allow_dmi_ || data_.empty()) {
    dmi.allow_none();
    dmi.set_start_address(0);
    dmi.set_end_address(data_.empty() ? 0 : data_.size() - 1);
    return false;
  }
  dmi.allow_read_write();
  dmi.set_dmi_ptr(data_.data());
  dmi.set_start_address(0);
  dmi.set_end_address(data_.size() - 1);
  dmi.set_read_latency(latency_);
  dmi.set_write_latency(latency_);
  return true;
}

}  // namespace memtile::sc
