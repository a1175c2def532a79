#include "memtile/core/Programming.hpp"

#include <cmath>

#include "memtile/core/Errors.hpp"

namespace memtile::core {

ProgrammingCost programming_cost(int rows, double total_conductance_s, double write_voltage_v,
                                 double write_pulse_ns, int pulses_per_cell, bool software) {
  require(rows >= 0 && pulses_per_cell >= 0, "programming", "rows and pulses per cell must be >= 0");
  require(std::isfinite(total_conductance_s) && total_conductance_s >= 0 && std::isfinite(write_voltage_v) &&
              std::isfinite(write_pulse_ns) && write_pulse_ns >= 0,
          "programming", "conductance, write voltage and pulse width must be finite (and >= 0)");
  const double pulses = pulses_per_cell;
  ProgrammingCost c;
  c.time_ns = software ? 0.0 : rows * pulses * write_pulse_ns;
  c.energy_pj = write_voltage_v * write_voltage_v * write_pulse_ns * 1e-9 * pulses * total_conductance_s * 1e12;
  return c;
}

}  // namespace memtile::core
