// CrossbarSolver against independent references: dense LU of the full nodal system, the
// hand-derived single-cell series formula, the ideal V*G limit and continuity at R -> 0.
#define BOOST_TEST_MODULE memtile_circuit
#include <boost/test/unit_test.hpp>

#include "CircuitTestUtil.hpp"
#include "memtile/core/CrossbarSolver.hpp"
#include "memtile/core/Errors.hpp"

using memtile::core::CrossbarSolver;
using memtile::core::InputError;
using memtile::core::WireParams;
using namespace memtile::test;

namespace {
WireParams wires(double rs, double cs, double rd = 0, double ss = 0, bool both = false) {
  WireParams w;
  w.row_segment_ohm = rs;
  w.col_segment_ohm = cs;
  w.driver_ohm = rd;
  w.sense_ohm = ss;
  w.both_end_drive = both;
  return w;
}
}  // namespace

BOOST_AUTO_TEST_SUITE(solver)

BOOST_AUTO_TEST_CASE(matches_dense_lu_on_random_arrays) {
  std::mt19937_64 rng(11);
  struct Case { int M, N; WireParams w; };
  const Case cases[] = {
      {7, 5, wires(2.0, 3.0)},
      {12, 12, wires(9.24, 11.55, 50.0, 100.0)},
      {3, 17, wires(1.0, 20.0, 10.0, 0.0, true)},
      {16, 2, wires(100.0, 0.5, 0.0, 1e3, true)},
      {1, 9, wires(5.0, 5.0, 1.0, 1.0)},
      {9, 1, wires(5.0, 5.0, 1.0, 1.0, true)},
  };
  for (const Case& c : cases) {
    const Eigen::MatrixXd G = random_conductances(c.M, c.N, rng);
    const Eigen::MatrixXd V = random_inputs(4, c.M, rng, -0.3, 0.3);
    const CrossbarSolver s(G, c.w);
    BOOST_TEST(s.unknowns() == 2 * c.M * c.N);
    const DenseSolution ref = dense_reference(G, c.w, V);
    const double e_i = max_rel_diff(s.solve(V), ref.currents);
    const double e_v = max_rel_diff(s.node_voltages(V), ref.nodes);
    const double e_g = max_rel_diff(V * s.effective_conductance(), ref.currents);
    BOOST_TEST_MESSAGE(c.M << "x" << c.N << ": currents " << e_i << ", nodes " << e_v << ", Geff " << e_g);
    BOOST_TEST(e_i <= 1e-10);
    BOOST_TEST(e_v <= 1e-10);
    BOOST_TEST(e_g <= 1e-10);
  }
}

BOOST_AUTO_TEST_CASE(single_cell_series_formula) {
  // One cell: V -> driver -> row segment -> cell -> column segment -> sense -> 0 V.
  const double G = 1.0 / 4700.0, V = 0.2;
  WireParams w = wires(3.0, 7.0, 20.0, 50.0);
  Eigen::MatrixXd g(1, 1), v(1, 1);
  g(0, 0) = G;
  v(0, 0) = V;
  const double I_hand = V / (20.0 + 3.0 + 1.0 / G + 7.0 + 50.0);
  BOOST_TEST(std::abs(CrossbarSolver(g, w).solve(v)(0, 0) - I_hand) <= 1e-15 * I_hand);
  // Both ends driven: two (driver + segment) branches in parallel onto the one row node.
  w.both_end_drive = true;
  const double I_both = V / ((20.0 + 3.0) / 2 + 1.0 / G + 7.0 + 50.0);
  BOOST_TEST(std::abs(CrossbarSolver(g, w).solve(v)(0, 0) - I_both) <= 1e-15 * I_both);
  BOOST_TEST(std::abs(CrossbarSolver(g, w).effective_conductance()(0, 0) * V - I_both) <= 1e-15 * I_both);
}

BOOST_AUTO_TEST_CASE(zero_resistance_is_exactly_ideal) {
  std::mt19937_64 rng(3);
  const Eigen::MatrixXd G = random_conductances(13, 7, rng);
  const Eigen::MatrixXd V = random_inputs(5, 13, rng, -1, 1);
  for (bool both : {false, true}) {
    const CrossbarSolver s(G, wires(0, 0, 0, 0, both));
    BOOST_TEST(s.unknowns() == 0);
    BOOST_TEST((s.effective_conductance().array() == G.array()).all());
    const Eigen::MatrixXd ideal = V * G;
    BOOST_TEST((s.solve(V).array() == ideal.array()).all());
  }
}

BOOST_AUTO_TEST_CASE(merged_lines_are_the_limit_of_small_resistance) {
  // Zero segment resistance merges the nodes of a line; the result must be the limit of a
  // tiny resistance solved with all nodes kept (first-order difference ~ R_tiny * G).
  std::mt19937_64 rng(5);
  const Eigen::MatrixXd G = random_conductances(9, 11, rng);
  const Eigen::MatrixXd V = random_inputs(3, 9, rng);
  // Small enough for a ~1e-7 first-order difference, large enough that the all-nodes solve
  // keeps its accuracy (segment conductance 1e6 S next to cells of 1e-3 .. 1e-7 S).
  const double tiny = 1e-6;
  struct Case { WireParams merged, limit; };
  const Case cases[] = {
      {wires(0, 4.0, 30.0, 0), wires(tiny, 4.0, 30.0, 0)},             // merged rows behind a driver
      {wires(0, 4.0, 30.0, 0, true), wires(tiny, 4.0, 30.0, 0, true)}, // ... driven from both ends
      {wires(0, 4.0, 0, 0), wires(tiny, 4.0, 0, 0)},                   // rows pinned to the source
      {wires(6.0, 0, 0, 80.0), wires(6.0, tiny, 0, 80.0)},             // merged columns above a sense R
      {wires(6.0, 0, 0, 0), wires(6.0, tiny, 0, 0)},                   // columns pinned to ground
      {wires(0, 0, 25.0, 80.0), wires(tiny, tiny, 25.0, 80.0)},        // both merged
      {wires(0, 0, 0, 80.0), wires(tiny, tiny, 0, 80.0)},
      {wires(0, 0, 25.0, 0), wires(tiny, tiny, 25.0, 0)},
  };
  for (const Case& c : cases) {
    const CrossbarSolver merged(G, c.merged), limit(G, c.limit);
    BOOST_TEST(merged.unknowns() < limit.unknowns());
    const double e = max_rel_diff(merged.solve(V), limit.solve(V));
    const double e_g = max_rel_diff(V * merged.effective_conductance(), merged.solve(V));
    BOOST_TEST_MESSAGE("merged vs limit: " << e);
    BOOST_TEST(e <= 1e-6);
    BOOST_TEST(e_g <= 1e-12);
  }
}

BOOST_AUTO_TEST_CASE(effective_conductance_equals_per_vector_solves) {
  std::mt19937_64 rng(7);
  for (auto [M, N] : {std::pair{32, 32}, std::pair{40, 24}, std::pair{24, 40}}) {
    const Eigen::MatrixXd G = random_conductances(M, N, rng, 1e3, 1e6);
    const CrossbarSolver s(G, wires(9.24, 11.55, 100.0, 200.0));
    BOOST_TEST(s.port_count() == M + N);
    const Eigen::MatrixXd V = random_inputs(64, M, rng, -0.2, 0.2);
    const Eigen::MatrixXd I = s.solve(V);
    BOOST_TEST(max_rel_diff(V * s.effective_conductance(), I) <= 1e-12);
    // Full sweeps over the whole factor give the same column currents.
    const Eigen::MatrixXd nodes = s.node_voltages(V);
    Eigen::MatrixXd I_nodes(V.rows(), N);
    for (int j = 0; j < N; ++j)
      I_nodes.col(j) = nodes.col(M * N + j * M + (M - 1)) / (11.55 + 200.0);
    BOOST_TEST(max_rel_diff(I_nodes, I) <= 1e-12);
    // Single vectors and the batch agree.
    BOOST_TEST(max_rel_diff(s.solve(V.row(3)), I.row(3)) <= 1e-14);
    // IR drop lowers every column current below the ideal one for positive inputs.
    const Eigen::MatrixXd Vp = V.cwiseAbs();
    BOOST_TEST(((Vp * s.effective_conductance()).array() < (Vp * G).array()).all());
  }
}

BOOST_AUTO_TEST_CASE(fallback_without_small_port_set_matches_dense_lu) {
  // Grounded columns (no column wire, no sense R): every row node is an output tap, so the
  // solver uses full sweeps instead of the port block.
  std::mt19937_64 rng(9);
  const Eigen::MatrixXd G = random_conductances(24, 24, rng);
  const WireParams w = wires(5.0, 0, 10.0, 0);
  const CrossbarSolver s(G, w);
  BOOST_TEST(s.port_count() == 0);
  const Eigen::MatrixXd V = random_inputs(20, 24, rng);
  const CrossbarSolver limit(G, wires(5.0, 1e-6, 10.0, 0));
  BOOST_TEST(max_rel_diff(s.solve(V), limit.solve(V)) <= 1e-6);
  BOOST_TEST(max_rel_diff(V * s.effective_conductance(), s.solve(V)) <= 1e-12);
  // Independent check: a cell's current is G (u - 0), rows form a ladder -> dense LU of the rows.
  const int M = 24, N = 24;
  Eigen::MatrixXd I_ref = Eigen::MatrixXd::Zero(V.rows(), N);
  for (int i = 0; i < M; ++i) {
    Eigen::MatrixXd A = Eigen::MatrixXd::Zero(N, N);
    A(0, 0) += 1.0 / 15.0;
    for (int j = 0; j + 1 < N; ++j) {
      A(j, j) += 0.2; A(j + 1, j + 1) += 0.2; A(j, j + 1) -= 0.2; A(j + 1, j) -= 0.2;
    }
    for (int j = 0; j < N; ++j) A(j, j) += G(i, j);
    Eigen::VectorXd b = Eigen::VectorXd::Zero(N);
    b(0) = 1.0 / 15.0;
    const Eigen::VectorXd u = A.fullPivLu().solve(b);  // row node voltages per volt of input
    for (int k = 0; k < V.rows(); ++k)
      for (int j = 0; j < N; ++j) I_ref(k, j) += G(i, j) * u(j) * V(k, i);
  }
  BOOST_TEST(max_rel_diff(s.solve(V), I_ref) <= 1e-10);
}

BOOST_AUTO_TEST_CASE(bad_input_throws) {
  Eigen::MatrixXd G = Eigen::MatrixXd::Constant(3, 4, 1e-5);
  const WireParams ok = wires(1, 1);
  BOOST_CHECK_NO_THROW(CrossbarSolver(G, ok));
  Eigen::MatrixXd bad = G;
  bad(1, 2) = 0;
  BOOST_CHECK_THROW(CrossbarSolver(bad, ok), InputError);
  bad(1, 2) = -1e-6;
  BOOST_CHECK_THROW(CrossbarSolver(bad, ok), InputError);
  bad(1, 2) = std::nan("");
  BOOST_CHECK_THROW(CrossbarSolver(bad, ok), InputError);
  bad(1, 2) = std::numeric_limits<double>::infinity();
  BOOST_CHECK_THROW(CrossbarSolver(bad, ok), InputError);
  BOOST_CHECK_THROW(CrossbarSolver(Eigen::MatrixXd(0, 3), ok), InputError);
  BOOST_CHECK_THROW(CrossbarSolver(G, wires(-1, 1)), InputError);
  BOOST_CHECK_THROW(CrossbarSolver(G, wires(1, -1)), InputError);
  BOOST_CHECK_THROW(CrossbarSolver(G, wires(1, 1, -5)), InputError);
  BOOST_CHECK_THROW(CrossbarSolver(G, wires(1, 1, 0, std::nan(""))), InputError);
  const CrossbarSolver s(G, ok);
  BOOST_CHECK_THROW(s.solve(Eigen::MatrixXd::Zero(2, 4)), InputError);  // K x 4 but M = 3
  Eigen::MatrixXd V = Eigen::MatrixXd::Zero(2, 3);
  V(1, 1) = std::nan("");
  BOOST_CHECK_THROW(s.solve(V), InputError);
  BOOST_CHECK_THROW(s.node_voltages(Eigen::MatrixXd::Zero(1, 5)), InputError);
  try {
    CrossbarSolver(bad, ok);
  } catch (const InputError& e) {
    BOOST_TEST_MESSAGE(e.what());
    BOOST_TEST(std::string(e.what()).find("crossbar") == 0);
  }
}

BOOST_AUTO_TEST_CASE(solver_is_movable_and_geff_is_cached) {
  std::mt19937_64 rng(13);
  const Eigen::MatrixXd G = random_conductances(6, 6, rng);
  CrossbarSolver a(G, wires(2, 2));
  const Eigen::MatrixXd* first = &a.effective_conductance();
  CrossbarSolver b = std::move(a);
  BOOST_TEST(&b.effective_conductance() == first);
  BOOST_TEST(b.rows() == 6);
  BOOST_TEST(b.factor_seconds() >= 0.0);
}

BOOST_AUTO_TEST_SUITE_END()
