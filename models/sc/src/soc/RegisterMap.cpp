#include "memtile/sc/soc/RegisterMap.hpp"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <sstream>
#include <stdexcept>

namespace memtile::sc {

const char* to_string(RegAccess a) {
  switch (a) {
    case RegAccess::RO: return "RO";
    case RegAccess::RW: return "RW";
    case RegAccess::WO: return "WO";
    case RegAccess::W1C: return "W1C";
  }
  return "?";
}

Register& RegisterMap::add(Register r) {
  if (r.offset % 4 != 0 || r.width != 32 || r.offset + 4 > size_)
    throw std::logic_error("RegisterMap: register " + r.name + " misaligned, not 32 bits or outside the bank");
  for (const Register& o : regs_)
    if (o.offset == r.offset || o.name == r.name)
      throw std::logic_error("RegisterMap: register " + r.name + " overlaps " + o.name);
  r.value = r.reset;
  regs_.push_back(std::move(r));
  return regs_.back();
}

Register* RegisterMap::find(std::uint32_t offset) {
  for (Register& r : regs_)
    if (r.offset == offset) return &r;
  return nullptr;
}
const Register* RegisterMap::find(std::uint32_t offset) const {
  for (const Register& r : regs_)
    if (r.offset == offset) return &r;
  return nullptr;
}
Register& RegisterMap::at(const std::string& name) {
  for (Register& r : regs_)
    if (r.name == name) return r;
  throw std::logic_error("RegisterMap: no register " + name);
}

void RegisterMap::reset() {
  for (Register& r : regs_) r.value = r.reset;
}

std::uint32_t RegisterMap::peek(std::uint32_t offset) const {
  const Register* r = find(offset);
  if (!r || r->access == RegAccess::WO) return 0;
  return r->read ? r->read() : r->value;
}

tlm::tlm_response_status RegisterMap::access(tlm::tlm_generic_payload& tx, const sc_core::sc_time& delay) {
  auto done = [&](tlm::tlm_response_status st) {
    tx.set_response_status(st);
    return st;
  };
  const tlm::tlm_command cmd = tx.get_command();
  if (cmd != tlm::TLM_READ_COMMAND && cmd != tlm::TLM_WRITE_COMMAND && cmd != tlm::TLM_IGNORE_COMMAND)
    return done(tlm::TLM_COMMAND_ERROR_RESPONSE);
  const sc_dt::uint64 addr = tx.get_address();
  const unsigned len = tx.get_data_length();
  unsigned beat = tx.get_streaming_width();
  if (beat == 0) {
    if (rules_.strict_streaming_width) return done(tlm::TLM_BURST_ERROR_RESPONSE);
    beat = len;
  }
  const unsigned span = std::min(beat, len);  // bytes of the bank a beat touches
  if (addr >= size_ || span > size_ - addr) return done(tlm::TLM_ADDRESS_ERROR_RESPONSE);
  if (tx.get_byte_enable_ptr() != nullptr) return done(tlm::TLM_BYTE_ENABLE_ERROR_RESPONSE);
  if (beat != 4 || len == 0 || len % beat != 0) return done(tlm::TLM_BURST_ERROR_RESPONSE);
  if (addr % 4 != 0) return done(tlm::TLM_ADDRESS_ERROR_RESPONSE);
  Register* r = find(static_cast<std::uint32_t>(addr));
  if (!r) return done(tlm::TLM_ADDRESS_ERROR_RESPONSE);
  if (cmd == tlm::TLM_IGNORE_COMMAND) return done(tlm::TLM_OK_RESPONSE);
  if (tx.get_data_ptr() == nullptr) return done(tlm::TLM_COMMAND_ERROR_RESPONSE);
  if (cmd == tlm::TLM_READ_COMMAND) {
    if (r->access == RegAccess::WO) return done(tlm::TLM_COMMAND_ERROR_RESPONSE);
    for (unsigned off = 0; off < len; off += 4) {
      const std::uint32_t v = r->read ? r->read() : r->value;
      std::memcpy(tx.get_data_ptr() + off, &v, 4);  // host byte order (little-endian hosts)
    }
    return done(tlm::TLM_OK_RESPONSE);
  }
  if (r->access == RegAccess::RO) return done(tlm::TLM_COMMAND_ERROR_RESPONSE);
  // Status first: a callback may read the response of the payload it was given.
  tx.set_response_status(tlm::TLM_OK_RESPONSE);
  for (unsigned off = 0; off < len; off += 4) {
    std::uint32_t v = 0;
    std::memcpy(&v, tx.get_data_ptr() + off, 4);
    if (r->write)
      r->write(v, delay);
    else if (r->access == RegAccess::W1C)
      r->value &= ~v;
    else
      r->value = v;
  }
  return tlm::TLM_OK_RESPONSE;
}

unsigned RegisterMap::debug(tlm::tlm_generic_payload& tx) const {
  if (tx.get_command() != tlm::TLM_READ_COMMAND || tx.get_data_ptr() == nullptr) return 0;
  const sc_dt::uint64 addr = tx.get_address();
  const unsigned len = tx.get_data_length();
  if (addr % 4 != 0 || len % 4 != 0 || addr >= size_) return 0;
  unsigned n = 0;
  for (; n < len && addr + n < size_; n += 4) {
    const std::uint32_t v = peek(static_cast<std::uint32_t>(addr + n));
    std::memcpy(tx.get_data_ptr() + n, &v, 4);
  }
  return n;
}

std::string RegisterMap::markdown(const std::string& title, const std::string& preamble) const {
  std::ostringstream o;
  o << "# " << title << "\n\n" << preamble << "\n\n";
  o << "| Offset | Name | Width | Access | Reset | Description |\n";
  o << "|--------|------|-------|--------|-------|-------------|\n";
  for (const Register& r : regs_) {
    char off[16], rst[16];
    std::snprintf(off, sizeof off, "0x%03X", r.offset);
    std::snprintf(rst, sizeof rst, "0x%08X", r.reset);
    o << "| " << off << " | " << r.name << " | " << r.width << " | " << to_string(r.access) << " | " << rst << " | "
      << r.description << " |\n";
  }
  return o.str();
}

}  // namespace memtile::sc
