// A bank of 32-bit memory-mapped registers declared once as a table (docs/model.md §6): name,
// offset, width, reset value, access, description and callbacks. The table drives decoding
// (RegisterMap::access), the side-effect-free debug path (RegisterMap::debug) and the
// documentation (RegisterMap::markdown(), checked against docs/registers.md by a test).
//
// Access rules (TLM-2.0 base protocol, IEEE 1666-2011 §14.17; every path sets exactly one
// response status; docs/integration.md gives the reasons of each choice):
//   command other than read/write/ignore                 -> TLM_COMMAND_ERROR_RESPONSE
//   streaming width 0                                    -> taken as the data length (as
//        VCML's peripherals do); with AccessRules::strict_streaming_width: TLM_BURST_ERROR_RESPONSE
//   beat (streaming width) starting or ending beyond the bank -> TLM_ADDRESS_ERROR_RESPONSE
//   byte-enable pointer set (not supported)              -> TLM_BYTE_ENABLE_ERROR_RESPONSE
//   beat other than 4 bytes, length 0 or not a multiple of the beat
//                                                        -> TLM_BURST_ERROR_RESPONSE
//   address not 4-byte aligned                           -> TLM_ADDRESS_ERROR_RESPONSE
//   offset not in the table (a hole)                     -> TLM_ADDRESS_ERROR_RESPONSE
//   TLM_IGNORE_COMMAND on a mapped register              -> TLM_OK_RESPONSE, no effect
//   null data pointer on read/write                      -> TLM_COMMAND_ERROR_RESPONSE
//   write to RO / read of WO                             -> TLM_COMMAND_ERROR_RESPONSE
// The checks run in that order. A streaming access (length n*4, streaming width 4) is n
// accesses of the same register, in order (a FIFO-style read of STATUS twice, say). No access
// aborts the simulation.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <tlm>

namespace memtile::sc {

enum class RegAccess { RO, RW, WO, W1C };
const char* to_string(RegAccess a);

struct Register {
  std::string name;
  std::uint32_t offset = 0;
  unsigned width = 32;            // bits; every register of the bank is one 32-bit word
  std::uint32_t reset = 0;        // value after reset (stored registers) / documented value
  RegAccess access = RegAccess::RW;
  std::string description;
  // Optional callbacks. read: returns the value (default: the stored value). write: receives
  // the written value after the access rule (W1C: the bits to clear) and the transaction's
  // annotated delay (the initiator's local time offset); default: store the value.
  std::function<std::uint32_t()> read;
  std::function<void(std::uint32_t value, const sc_core::sc_time& delay)> write;
  std::uint32_t value = 0;        // stored value (used when no read callback)
};

struct AccessRules {
  bool strict_streaming_width = false;  // streaming width 0 is a burst error (else: = length)
};

class RegisterMap {
 public:
  explicit RegisterMap(std::uint32_t size_bytes, AccessRules rules = {}) : size_(size_bytes), rules_(rules) {}
  Register& add(Register r);                       // throws std::logic_error on overlap/misalignment
  const std::vector<Register>& registers() const { return regs_; }
  Register* find(std::uint32_t offset);
  const Register* find(std::uint32_t offset) const;
  Register& at(const std::string& name);
  std::uint32_t size() const { return size_; }
  void reset();                                    // stored values back to reset

  // Full access path: sets exactly one response status; returns it.
  tlm::tlm_response_status access(tlm::tlm_generic_payload& tx, const sc_core::sc_time& delay);
  // transport_dbg: reads any whole registers covered (no side effects: stored value or the
  // read callback, which must be pure; WO registers read as 0); writes are refused (0 bytes).
  unsigned debug(tlm::tlm_generic_payload& tx) const;
  // Value as the guest would read it (RO/RW/W1C), without side effects.
  std::uint32_t peek(std::uint32_t offset) const;

  // Markdown table of the map (docs/registers.md body).
  std::string markdown(const std::string& title, const std::string& preamble) const;

 private:
  std::uint32_t size_;
  AccessRules rules_;
  std::vector<Register> regs_;
};

}  // namespace memtile::sc
