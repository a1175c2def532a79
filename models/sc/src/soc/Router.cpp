#include "memtile/sc/soc/Router.hpp"

#include <algorithm>
#include <limits>
#include <stdexcept>

namespace memtile::sc {

Router::Router(sc_core::sc_module_name name, sc_core::sc_time hop_latency)
    : sc_core::sc_module(name), target("target"), initiator("initiator"), hop_(hop_latency) {
  target.register_b_transport(this, &Router::b_transport);
  target.register_transport_dbg(this, &Router::transport_dbg);
  target.register_get_direct_mem_ptr(this, &Router::get_direct_mem_ptr);
  initiator.register_invalidate_direct_mem_ptr(this, &Router::invalidate_direct_mem_ptr);
}

int Router::map(const std::string& name, std::uint64_t base, std::uint64_t size) {
  if (size == 0 || base + size < base) throw std::logic_error("Router: empty or wrapping region " + name);
  for (const Region& r : regions_)
    if (base < r.base + r.size && r.base < base + size)
      throw std::logic_error("Router: region " + name + " overlaps " + r.name);
  regions_.push_back({name, base, size});
  return static_cast<int>(regions_.size()) - 1;
}

int Router::decode(std::uint64_t addr, unsigned len) const {
  for (std::size_t i = 0; i < regions_.size(); ++i) {
    const Region& r = regions_[i];
    if (addr >= r.base && addr - r.base < r.size) {
      const std::uint64_t room = r.size - (addr - r.base);
      return len <= room ? static_cast<int>(i) : -1;
    }
  }
  return -1;
}

void Router::b_transport(int, tlm::tlm_generic_payload& tx, sc_core::sc_time& delay) {
  ++transactions_;
  const sc_dt::uint64 addr = tx.get_address();
  // A streaming access touches [addr, addr + streaming width) only (0: no streaming).
  const unsigned len = tx.get_data_length(), sw = tx.get_streaming_width();
  const int port = decode(addr, std::max(1u, sw != 0 && sw < len ? sw : len));
  if (port < 0 || port >= static_cast<int>(initiator.size())) {
    tx.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
    return;
  }
  delay += hop_;
  tx.set_address(addr - regions_[port].base);
  initiator[port]->b_transport(tx, delay);
  tx.set_address(addr);
}

unsigned Router::transport_dbg(int, tlm::tlm_generic_payload& tx) {
  const sc_dt::uint64 addr = tx.get_address();
  const unsigned len = tx.get_data_length();
  const int port = decode(addr, 1);
  if (port < 0 || port >= static_cast<int>(initiator.size())) return 0;
  const Region& r = regions_[port];
  const unsigned clipped = static_cast<unsigned>(std::min<std::uint64_t>(len, r.size - (addr - r.base)));
  tx.set_address(addr - r.base);
  tx.set_data_length(clipped);
  const unsigned n = initiator[port]->transport_dbg(tx);
  tx.set_address(addr);
  tx.set_data_length(len);
  return n;
}

bool Router::get_direct_mem_ptr(int, tlm::tlm_generic_payload& tx, tlm::tlm_dmi& dmi) {
  const sc_dt::uint64 addr = tx.get_address();
  const int port = decode(addr, 1);
  if (port < 0 || port >= static_cast<int>(initiator.size())) {
    dmi.allow_none();
    return false;
  }
  const Region& r = regions_[port];
  tx.set_address(addr - r.base);
  const bool ok = initiator[port]->get_direct_mem_ptr(tx, dmi);
  tx.set_address(addr);
  // Translate back to bus addresses and clip to the region.
  const sc_dt::uint64 last = r.size - 1;
  sc_dt::uint64 s = dmi.get_start_address(), e = std::min<sc_dt::uint64>(dmi.get_end_address(), last);
  if (s > e) s = e;
  dmi.set_start_address(r.base + s);
  dmi.set_end_address(r.base + e);
  return ok;
}

void Router::invalidate_direct_mem_ptr(int id, sc_dt::uint64 start, sc_dt::uint64 end) {
  if (id < 0 || id >= static_cast<int>(regions_.size())) return;
  const Region& r = regions_[id];
  const sc_dt::uint64 s = r.base + std::min<sc_dt::uint64>(start, r.size - 1);
  const sc_dt::uint64 e = r.base + std::min<sc_dt::uint64>(end, r.size - 1);
  for (unsigned i = 0; i < target.size(); ++i) target[i]->invalidate_direct_mem_ptr(s, e);
}

}  // namespace memtile::sc
