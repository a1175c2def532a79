// Address-decoding TLM-2.0 router (loosely timed): any number of initiators bind to `target`,
// each mapped target binds to `initiator` in the order of map() calls. The target sees offsets
// from 0 (base subtracted; restored on return). Used as the accelerator's on-chip router
// (controller -> tiles) and as the system bus of the example platform (tb/vp).
//   b_transport: unmapped address or an access running past its region -> address error (the
//     target is not called; a streaming access spans its streaming width); otherwise
//     forwarded, `hop_latency` added to the delay.
//   transport_dbg: forwarded (clipped to the region), 0 bytes if unmapped; no time.
//   get_direct_mem_ptr: forwarded; the DMI range is translated back to bus addresses and
//     clipped to the region. invalidate_direct_mem_ptr from a target is translated and sent to
//     every initiator.
// The router does not implement nb_transport (LT only).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include <systemc>
#include <tlm>
#include <tlm_utils/multi_passthrough_initiator_socket.h>
#include <tlm_utils/multi_passthrough_target_socket.h>

namespace memtile::sc {

class Router : public sc_core::sc_module {
 public:
  tlm_utils::multi_passthrough_target_socket<Router, 32> target;
  tlm_utils::multi_passthrough_initiator_socket<Router, 32> initiator;

  Router(sc_core::sc_module_name name, sc_core::sc_time hop_latency = sc_core::SC_ZERO_TIME);

  // Maps [base, base + size) to the next initiator-socket binding (index returned).
  // Throws std::logic_error on overlap or an empty region.
  int map(const std::string& name, std::uint64_t base, std::uint64_t size);
  struct Region {
    std::string name;
    std::uint64_t base, size;
  };
  const std::vector<Region>& regions() const { return regions_; }
  std::uint64_t transactions() const { return transactions_; }

 private:
  int decode(std::uint64_t addr, unsigned len) const;  // -1: unmapped / overrun
  void b_transport(int id, tlm::tlm_generic_payload& tx, sc_core::sc_time& delay);
  unsigned transport_dbg(int id, tlm::tlm_generic_payload& tx);
  bool get_direct_mem_ptr(int id, tlm::tlm_generic_payload& tx, tlm::tlm_dmi& dmi);
  void invalidate_direct_mem_ptr(int id, sc_dt::uint64 start, sc_dt::uint64 end);

  sc_core::sc_time hop_;
  std::vector<Region> regions_;
  std::uint64_t transactions_ = 0;
};

}  // namespace memtile::sc
