// Wire parasitics derived from the technology (IMAC-Sim's models, docs/model.md §4):
//  * size-effect resistivity of narrow copper lines (Mayadas-Shatzkes grain-boundary term plus
//    Fuchs-Sondheimer surface term, as in IMAC-Sim's mapLayer.py);
//  * segment resistance along input lines rho_eff*W/(w*T), along output lines rho_eff*L/(w*T);
//  * line capacitance per segment from the Sakurai-Tamaru parallel-plate + fringe formula with
//    one neighbouring line (IMAC-Sim's form, including its 0.5 factor on the ground term);
//  * Elmore delay of the row and column RC ladders -> crossbar settle time for the latency model.
// Not modelled: temperature dependence of rho, via and contact resistance, barrier/liner
// thickness, line-to-line coupling beyond the nearest neighbour, inductance, and the cells'
// own capacitance (the cells are >= kOhm and load the lines weakly; ignoring their conductance
// makes the Elmore delay a slight overestimate).
#pragma once
#include "memtile/core/CrossbarSolver.hpp"

namespace memtile::core {

// The one wire-technology struct of the project (the tile's settle time, the analog backend,
// `memtile xbar --tech-node-nm`, the IMAC area). Lengths in nanometres as configured; the
// formulas use the *_m() accessors.
struct WireTechnology {
  double node_nm = 9.0;                  // technology node
  double width_factor = 3.0;             // metal width w = width_factor * node
  double cell_length_factor = 15.0;      // cell L = factor * node (output-line segment length)
  double cell_width_factor = 12.0;       // cell W = factor * node (input-line segment length)
  double pair_spacing_factor = 5.0;      // spacing of an output line to its neighbour (I+/I-), D = factor * node
  double metal_thickness_nm = 22.0;      // T
  double ild_height_nm = 20.0;           // H, inter-metal (dielectric) spacing to the ground plane
  double resistivity_ohm_m = 1.9e-8;     // bulk Cu rho
  double mean_free_path_nm = 39.0;       // lambda, electrons in Cu
  double specularity = 0.25;             // p, specular fraction of surface scattering
  double grain_reflection = 0.3;         // R, reflection probability at a grain boundary
  double relative_permittivity = 20.0;   // of the dielectric (IMAC-Sim default)

  static constexpr double kVacuumPermittivityFPerM = 8.854e-12;
  double node_m() const { return node_nm * 1e-9; }
  double metal_thickness_m() const { return metal_thickness_nm * 1e-9; }
  double ild_height_m() const { return ild_height_nm * 1e-9; }
  double mean_free_path_m() const { return mean_free_path_nm * 1e-9; }
  double permittivity_f_per_m() const { return relative_permittivity * kVacuumPermittivityFPerM; }
  double metal_width_m() const { return width_factor * node_m(); }
  double cell_length_m() const { return cell_length_factor * node_m(); }
  double cell_width_m() const { return cell_width_factor * node_m(); }
  double pair_spacing_m() const { return pair_spacing_factor * node_m(); }

  // Throws InputError naming the first non-physical field.
  void validate() const;
};

// rho_eff = rho * (0.75 (1-p) lambda / w + [1 - 1.5 a + 3 a^2 - 3 a^3 ln(1 + 1/a)]^-1),
// a = lambda R / (w (1 - R)).
double effective_resistivity_ohm_m(const WireTechnology& t);
double row_segment_ohm(const WireTechnology& t);  // rho_eff * W / (w T)  (9.24 Ohm at the defaults)
double col_segment_ohm(const WireTechnology& t);  // rho_eff * L / (w T)  (11.55 Ohm at the defaults)

// Capacitance per metre of a line of width w, thickness T at height H over ground with one
// neighbour at spacing s: eps * (0.5 (1.15 w/H + 2.8 (T/H)^0.222)
//                                + (0.03 w/H + 0.83 T/H - 0.07 (T/H)^0.222) (H/s)^1.34).
double line_capacitance_f_per_m(const WireTechnology& t, double spacing_m);
// Input lines: neighbour at the row pitch L, spacing L - w; segment length W.
double row_segment_capacitance_f(const WireTechnology& t);
// Output lines: neighbour is the differential partner at spacing D; segment length L.
double col_segment_capacitance_f(const WireTechnology& t);

// Wire parameters of the standard topology from the technology (segment resistances only;
// driver and sense resistances are circuit choices and are passed through).
WireParams wire_params(const WireTechnology& t, double driver_ohm = 0, double sense_ohm = 0,
                       bool both_end_drive = false);

// Elmore delay (s) of a uniform RC ladder of n segments (r_seg_ohm, c_seg_f each, the
// capacitance lumped at each segment's far node) driven through r_driver_ohm:
//   sum_{k=1..n} C (r_driver + k R) = n C r_driver + R C n (n + 1) / 2.
// The one home of the Elmore formula; elmore_delay below and the tile's settle time use it.
double elmore_ladder_delay_s(int segments, double r_seg_ohm, double c_seg_f, double r_driver_ohm);

// Elmore delays (s) of the RC ladders of an M x N array, lumped capacitance per segment node:
//   row (far end from the driver):  R_drv*N*C_r + R_r*C_r*N(N+1)/2   (both-end drive: the same
//     with N -> ceil(N/2), exact by symmetry for even N);
//   column (row 0, farthest from the sense amp): R_c*C_c*M(M-1)/2 + (R_c + R_sense)*M*C_c,
//     i.e. the ladder of M segments "driven" through the sense resistance.
struct ElmoreDelay {
  double row_s = 0;
  double col_s = 0;
  double total_s() const { return row_s + col_s; }  // cascaded stages: sum of Elmore delays
};
ElmoreDelay elmore_delay(int rows, int cols, const WireParams& w, double row_segment_f, double col_segment_f);
ElmoreDelay elmore_delay(int rows, int cols, const WireTechnology& t, double driver_ohm = 0, double sense_ohm = 0,
                         bool both_end_drive = false);
// Single-pole settling of the outputs to within `accuracy` (e.g. 2^-bits): tau * ln(1/accuracy).
double settle_time_s(const ElmoreDelay& d, double accuracy);

}  // namespace memtile::core
