// Interrupt line -> C++ callback, for hosts whose interrupt controller is a function call
// (a PLIC-style `raise(source)` / `set_level(source, level)`) rather than a signal port.
//
//   memtile::sc::IrqAdapter gw("accel_irq", memtile::sc::IrqAdapter::Edge::Rising,
//                              [&](bool) { plic.raise(ACCEL_IRQ); });
//   accel.irq.bind(gw.line);
//
// The adapter owns the sc_signal<bool> the accelerator drives (`line`) and an SC_METHOD
// sensitive to it: Edge::Rising calls back with `true` on each 0 -> 1 transition; Edge::Level
// calls back with the new level on each change (1 -> 0 included), for level-sensitive
// controllers. The callback runs in the delta cycle after the accelerator's register change
// (AcceleratorTop drives `irq` from one SC_METHOD); it must not call wait().
// The accelerator's line is IRQ_EN && INT_STATUS != 0: it rises when a job ends (DONE or
// ERROR) with IRQ_EN set, or when IRQ_EN is set while INT_STATUS is pending, and falls when the
// driver clears INT_STATUS (W1C), clears IRQ_EN, or SOFT_RESETs (docs/integration.md).
#pragma once
#include <cstdint>
#include <functional>
#include <utility>

#include <systemc>

namespace memtile::sc {

class IrqAdapter : public sc_core::sc_module {
 public:
  enum class Edge { Rising, Level };
  using Callback = std::function<void(bool level)>;

  sc_core::sc_signal<bool> line;  // bind the accelerator's `irq` port here

  IrqAdapter(sc_core::sc_module_name name, Edge edge, Callback cb)
      : sc_core::sc_module(name), line("line"), edge_(edge), cb_(std::move(cb)) {
    SC_HAS_PROCESS(IrqAdapter);
    SC_METHOD(changed);
    sensitive << line;
    dont_initialize();
  }
  std::uint64_t calls() const { return calls_; }  // callbacks made so far

 private:
  void changed() {
    const bool level = line.read();
    if (edge_ == Edge::Rising && !level) return;
    ++calls_;
    if (cb_) cb_(level);
  }
  Edge edge_;
  Callback cb_;
  std::uint64_t calls_ = 0;
};

}  // namespace memtile::sc
