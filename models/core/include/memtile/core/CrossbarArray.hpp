// One programmed memristor crossbar: conductance levels -> programmed conductances with
// lognormal programming variation and stuck-at faults (drawn once, at programming, from the
// owning engine's counter RNG), drift at read time, and the effective conductance seen from
// the row drivers to the column sense amplifiers (ideal wires, or the exact circuit solve).
#pragma once
#include <Eigen/Dense>
#include <cstdint>

#include "memtile/core/CounterRng.hpp"

namespace memtile::core {

struct DeviceParams {
  double HGS = 1e-5;              // S
  double LGS = 1e-7;              // S
  double var = 0.0;               // lognormal sigma of programming variation
  double stuck_at_lgs = 0.0;      // probability
  double stuck_at_hgs = 0.0;      // probability
  double drift_nu = 0.0;          // G(t) = G0 (t/t0)^-nu
  double drift_t_s = 1.0;
  double drift_t0_s = 1.0;
  double row_segment_ohm = 0.0;   // wire segment resistances; both 0 = ideal wires
  double col_segment_ohm = 0.0;

  bool ideal_wires() const { return row_segment_ohm == 0.0 && col_segment_ohm == 0.0; }
  double drift_factor() const;
};

class CrossbarArray {
 public:
  // levels: rows x cols integer levels in [0, levels_max]; G = LGS + level * (HGS-LGS)/levels_max.
  // With reference_column, one more column of LGS cells is appended (the bit-sliced read
  // subtracts it). array_id keys the random draws.
  CrossbarArray(const Eigen::MatrixXd& levels, int levels_max, const DeviceParams& device,
                const CounterRng& rng, std::uint64_t array_id, bool reference_column);

  // Programmed conductances (S), variation and faults included, before drift.
  const Eigen::MatrixXd& conductance() const { return g_; }
  // I = V * effective(): drift applied, and the circuit solved when the wires are not ideal.
  Eigen::MatrixXd effective(const DeviceParams& device) const;

 private:
  Eigen::MatrixXd g_;
};

// Effective conductance of an arbitrary conductance matrix under the device's wires.
Eigen::MatrixXd effective_conductance(const Eigen::MatrixXd& g, const DeviceParams& device);

// The read power of a crossbar read, sum over vectors b and rows r of V(b,r)^2 * G(r), with
// G(r) the conductance on row r summed over the arrays driven (every cell of a row sees the
// row voltage; wire losses are not subtracted). In two factors so that a caller driving
// several arrays with the same voltages forms the voltage part once. One home for the
// engine's counters and the SystemC crossbar's energy.
// Per row: sum over the vectors of the squared drive voltage (V^2), volts = vectors x rows;
// the second form writes into `out` (rows entries), allocating nothing.
Eigen::VectorXd squared_drive_per_row(const Eigen::Ref<const Eigen::MatrixXd>& volts);
void squared_drive_per_row(const Eigen::Ref<const Eigen::MatrixXd>& volts, Eigen::Ref<Eigen::VectorXd> out);
// Its sums' order, for passes that square the voltages as they make them: eight running sums
// of v * v (lane = vector index mod 8, each from 0), combined in this fixed tree.
constexpr int kDriveLanes = 8;
inline double combine_drive_lanes(const double* s) {
  return ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]));
}
// sum_r v2(r) * G(r) (W), from squared_drive_per_row and the row conductance sums (S).
double read_power_w(const Eigen::Ref<const Eigen::VectorXd>& v2_per_row, const Eigen::VectorXd& row_g_s);

}  // namespace memtile::core
