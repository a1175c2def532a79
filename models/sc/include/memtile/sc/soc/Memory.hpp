// Plain system memory (TLM-2.0 target, loosely timed, DMI granted for read and write).
//   b_transport: read/write (ignore: OK), byte enables supported, streaming width >= length
//     (smaller: burst error), out of range: address error, other commands: command error.
//     Delay: latency + length / bytes_per_ns.
//   transport_dbg: reads/writes without time, clipped to the memory.
//   DMI: the whole memory, read/write, with the same latencies.
#pragma once
#include <cstdint>
#include <vector>

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_target_socket.h>

namespace memtile::sc {

class Memory : public sc_core::sc_module {
 public:
  tlm_utils::simple_target_socket<Memory, 32> socket;

  Memory(sc_core::sc_module_name name, std::uint64_t size_bytes,
         sc_core::sc_time latency = sc_core::sc_time(10, sc_core::SC_NS), double bytes_per_ns = 8.0,
         bool allow_dmi = true);
  std::uint64_t size() const { return data_.size(); }
  unsigned char* data() { return data_.data(); }
  const unsigned char* data() const { return data_.data(); }
  std::uint64_t accesses() const { return accesses_; }

 private:
  void b_transport(tlm::tlm_generic_payload& tx, sc_core::sc_time& delay);
  unsigned transport_dbg(tlm::tlm_generic_payload& tx);
  bool get_direct_mem_ptr(tlm::tlm_generic_payload& tx, tlm::tlm_dmi& dmi);

  std::vector<unsigned char> data_;
  sc_core::sc_time latency_;
  double bytes_per_ns_;
  bool allow_dmi_;
  std::uint64_t accesses_ = 0;
};

}  // namespace memtile::sc
