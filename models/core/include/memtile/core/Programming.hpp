// Cost of programming crossbar arrays, the one formula every path that writes weights uses
// (the SystemC tile at elaboration, the VP peripheral when a job loads weights).
// First-order model: every cell receives `pulses_per_cell` write pulses of write_voltage_v for
// write_pulse_ns each and conducts its target conductance during them (the device is taken as a
// linear conductance), so one pulse costs V^2 * G * t and the arrays cost
//   E = V^2 * t_pulse * pulses * sum(G).
// Rows are written one after the other, the cells of a row in parallel, so an array of `rows`
// rows takes rows * pulses * t_pulse; arrays of different tiles are written in parallel.
// Not modelled: the nonlinear I-V of the device during SET/RESET, the verify reads of
// program-and-verify, half-selected cells, and driver losses.
#pragma once

namespace memtile::core {

struct ProgrammingCost {
  double time_ns = 0;
  double energy_pj = 0;
};

// total_conductance_s: sum of the programmed conductances of every cell written (S).
// software: the engine has no physical arrays (EngineConfig::software): no programming time;
// the energy is still reported from the conductances the weights map to.
// Throws InputError on a negative or non-finite argument.
ProgrammingCost programming_cost(int rows, double total_conductance_s, double write_voltage_v,
                                 double write_pulse_ns, int pulses_per_cell, bool software = false);

}  // namespace memtile::core
