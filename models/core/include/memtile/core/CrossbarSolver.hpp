// Exact DC solve of one memristor crossbar with wire parasitics (docs/model.md §4).
//
// Topology ("standard", IMAC-Sim orientation): M input lines (rows) x N output lines (columns).
//   * Row i is driven at its left end (column 0 side) by an ideal DAC voltage V_i through the
//     driver resistance and one row segment; neighbouring cells of the row are joined by one
//     row segment each, so a row has N segments. With both_end_drive the same voltage also
//     drives the right end (column N-1 side) through another driver + segment.
//   * Cell (i,j) is a linear conductance G(i,j) between row node (i,j) and column node (i,j).
//   * Column j runs from row 0 to row M-1, one column segment between neighbouring cells, and
//     ends after row M-1 through one more segment plus the sense resistance at the sense
//     amplifier's virtual ground (0 V); a column therefore has M segments. The column current
//     is the current into that virtual ground.
// Nodal analysis gives a symmetric positive definite system A x = B v with 2*M*N unknowns
// (fewer when a line has zero resistance: its nodes are merged, see below). The sparse
// Cholesky factor of A is computed once per programming (constructor) and reused for every
// input vector. The unknowns are ordered interior first (AMD) and the "ports" last: the nodes
// where sources inject (row feed nodes) and where the output currents are read (last column
// nodes). Because the right-hand side lives on the ports and only port voltages are needed
// for the column currents, forward and backward substitution touch only the trailing dense
// port block of the factor, which is the Cholesky factor of the exact Schur complement of the
// interior onto the ports. That makes the per-vector solve and Geff (I = v * Geff) cheap and
// exact; node_voltages() does the full sweeps. When the ports are not a small set (a zero-
// resistance line pins every cell to a source or ground) the solver falls back to a plain
// AMD ordering and full sweeps.
//
// Zero resistances are handled by node merging, never by dividing by zero:
//   row_segment_ohm == 0 and driver_ohm > 0  -> the whole row is one node behind the driver;
//   row_segment_ohm == 0 and driver_ohm == 0 -> the row nodes are the source voltage itself;
//   col_segment_ohm == 0 and sense_ohm > 0   -> the whole column is one node above the sense R;
//   col_segment_ohm == 0 and sense_ohm == 0  -> the column nodes are the virtual ground itself.
// With all four zero there is no unknown at all and Geff == G exactly.
//
// Not modelled here: cell non-linearity (I-V of the device is linear, G is the read
// conductance), selector devices, capacitance (see WireTechnology for the Elmore settle time),
// finite sense-amplifier gain (the virtual ground is exactly 0 V) and DAC non-idealities.
#pragma once
#include <Eigen/Dense>
#include <memory>

namespace memtile::core {

struct WireParams {
  double row_segment_ohm = 0;   // per segment along input (row) lines
  double col_segment_ohm = 0;   // per segment along output (column) lines
  double driver_ohm = 0;        // DAC driver output resistance (in series with first row segment)
  double sense_ohm = 0;         // sense-amp input resistance (in series with last column segment)
  bool both_end_drive = false;  // rows driven from both ends

  bool ideal() const {
    return row_segment_ohm == 0 && col_segment_ohm == 0 && driver_ohm == 0 && sense_ohm == 0;
  }
};

// Throws InputError unless every resistance is finite and >= 0.
void validate(const WireParams& w);

class CrossbarSolver {
 public:
  // Assembles and factors the nodal system. G: M x N conductances in siemens, all finite and
  // > 0. Throws InputError on bad input.
  CrossbarSolver(const Eigen::MatrixXd& G, const WireParams& w);
  ~CrossbarSolver();
  CrossbarSolver(CrossbarSolver&&) noexcept;
  CrossbarSolver& operator=(CrossbarSolver&&) noexcept;
  CrossbarSolver(const CrossbarSolver&) = delete;
  CrossbarSolver& operator=(const CrossbarSolver&) = delete;

  // Per-vector nodal solve with the stored factor. V: K x M volts (one input vector per row).
  // Returns K x N column currents in amperes. All K right-hand sides are solved in one batch.
  Eigen::MatrixXd solve(const Eigen::MatrixXd& V) const;

  // Voltages of every unknown node for each input vector: K x unknowns(), volts. Full
  // forward/backward sweeps over the factor (the slow, complete path: IR-drop maps and
  // validation). Node order: row nodes first (row-major, i*N+j; one per row when the row is
  // merged), then column nodes (column-major, j*M+i; one per column when merged).
  Eigen::MatrixXd node_voltages(const Eigen::MatrixXd& V) const;

  // M x N matrix Geff (siemens) with I = V * Geff for every V, exact up to rounding. Computed
  // on the first call (min(M, N) solves with the stored factor) and cached; thread-safe.
  const Eigen::MatrixXd& effective_conductance() const;

  // Number of unknown node voltages of the reduced nodal system (2*M*N with non-zero wires).
  Eigen::Index unknowns() const;
  // Non-zeros of the Cholesky factor (a measure of the factorisation cost).
  Eigen::Index factor_nonzeros() const;
  // Size of the dense port block used by solve()/effective_conductance() (0 = full sweeps).
  Eigen::Index port_count() const;
  Eigen::Index rows() const;  // M
  Eigen::Index cols() const;  // N
  const WireParams& wire() const;
  // Wall time spent in assembly + symbolic + numeric factorisation, seconds.
  double factor_seconds() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace memtile::core
