// Base of the tile's components: one TLM target socket, cumulative energy and operation count.
#pragma once
#include <cstdint>
#include <systemc>
#include <tlm_utils/simple_target_socket.h>

#include "memtile/sc/components/Payload.hpp"

namespace memtile::sc {

class Component : public sc_core::sc_module {
 public:
  tlm_utils::simple_target_socket<Component> socket;

  explicit Component(sc_core::sc_module_name name) : sc_core::sc_module(name), socket("socket") {
    socket.register_b_transport(this, &Component::b_transport);
  }
  double energy_pj() const { return energy_pj_; }       // cumulative, all operations so far
  std::uint64_t operations() const { return ops_; }     // unit operations counted as documented per component
  virtual double area_um2() const = 0;

 protected:
  // Performs ext.op; returns false if the operation is not implemented here. Adds the unit
  // latency to `delay`, the energy to ext.energy_pj (the base adds it to energy_pj()).
  virtual bool execute(MvmExtension& ext, sc_core::sc_time& delay) = 0;
  std::uint64_t ops_ = 0;

 private:
  void b_transport(tlm::tlm_generic_payload& tx, sc_core::sc_time& delay) {
    auto* ext = tx.get_extension<MvmExtension>();
    if (!ext || tx.get_command() != tlm::TLM_WRITE_COMMAND) {
      tx.set_response_status(tlm::TLM_COMMAND_ERROR_RESPONSE);
      return;
    }
    if (!execute(*ext, delay)) {
      tx.set_response_status(tlm::TLM_COMMAND_ERROR_RESPONSE);
      return;
    }
    energy_pj_ += ext->energy_pj;
    tx.set_response_status(tlm::TLM_OK_RESPONSE);
  }
  double energy_pj_ = 0;
};

}  // namespace memtile::sc
