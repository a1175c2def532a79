// One aligned 4-byte access by a loosely-timed initiator with temporal decoupling, as a
// driver makes it (PlatformBackend's driver, tb/vp's CPU): the quantum keeper's local time
// rides on the transaction's delay, comes back annotated, and the keeper synchronises when
// the quantum is used up. Returns the response status; `value` is what was read or written.
#pragma once
#include <cstdint>

#include <tlm>
#include <tlm_utils/tlm_quantumkeeper.h>

namespace memtile::sc {

template <class Socket>
tlm::tlm_response_status word_access(Socket& socket, tlm_utils::tlm_quantumkeeper& qk, tlm::tlm_command cmd,
                                     std::uint64_t addr, std::uint32_t& value) {
  tlm::tlm_generic_payload tx;
  tx.set_command(cmd);
  tx.set_address(addr);
  tx.set_data_ptr(reinterpret_cast<unsigned char*>(&value));
  tx.set_data_length(4);
  tx.set_streaming_width(4);
  tx.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
  sc_core::sc_time delay = qk.get_local_time();
  socket->b_transport(tx, delay);
  qk.set(delay);
  if (qk.need_sync()) qk.sync();
  return tx.get_response_status();
}

}  // namespace memtile::sc
