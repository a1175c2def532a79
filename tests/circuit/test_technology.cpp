// Technology-derived wire parameters, Elmore delay and IMAC-Sim partitioning/area.
#include <boost/test/unit_test.hpp>
#include <cmath>
#include <random>

#include "memtile/core/Errors.hpp"
#include "memtile/core/Partitioning.hpp"
#include "memtile/core/WireTechnology.hpp"

using namespace memtile::core;

BOOST_AUTO_TEST_SUITE(technology)

BOOST_AUTO_TEST_CASE(default_segment_resistances) {
  const WireTechnology t;
  BOOST_TEST_MESSAGE("rho_eff " << effective_resistivity_ohm_m(t) << " ohm m, row " << row_segment_ohm(t)
                                << " ohm, col " << col_segment_ohm(t) << " ohm, C_row " << row_segment_capacitance_f(t)
                                << " F, C_col " << col_segment_capacitance_f(t) << " F");
  BOOST_TEST(std::abs(row_segment_ohm(t) - 9.24) < 0.005);
  BOOST_TEST(std::abs(col_segment_ohm(t) - 11.55) < 0.005);
  // Ratio is exactly L / W = 15 / 12.
  BOOST_TEST(std::abs(col_segment_ohm(t) / row_segment_ohm(t) - 1.25) < 1e-12);
  // Smaller nodes: stronger size effect, higher resistivity.
  WireTechnology small = t;
  small.node_nm = 5;
  BOOST_TEST(effective_resistivity_ohm_m(small) > effective_resistivity_ohm_m(t));
  const WireParams w = wire_params(t, 100, 200, true);
  BOOST_TEST(w.row_segment_ohm == row_segment_ohm(t));
  BOOST_TEST(w.sense_ohm == 200.0);
  BOOST_TEST(w.both_end_drive);
}

BOOST_AUTO_TEST_CASE(capacitance_is_positive_and_scales) {
  WireTechnology t;
  const double c9 = row_segment_capacitance_f(t);
  BOOST_TEST(c9 > 1e-18);
  BOOST_TEST(c9 < 1e-15);
  t.node_nm = 18;  // longer, wider segments (H and T fixed): more capacitance per segment
  BOOST_TEST(row_segment_capacitance_f(t) > c9);
  BOOST_TEST(col_segment_capacitance_f(t) > col_segment_capacitance_f(WireTechnology{}));
}

BOOST_AUTO_TEST_CASE(elmore_delay_matches_transfer_resistances) {
  // For an RC tree the Elmore delay at node i is sum_k R_ik C_k, R = inverse conductance matrix.
  const int M = 7, N = 9;
  WireParams w;
  w.row_segment_ohm = 4.0;
  w.col_segment_ohm = 6.0;
  w.driver_ohm = 50.0;
  w.sense_ohm = 30.0;
  const double Cr = 2e-16, Cc = 3e-16;
  auto ladder_delay = [](int n, double r_end, double r_seg, double C, int far) {
    Eigen::MatrixXd A = Eigen::MatrixXd::Zero(n, n);
    A(0, 0) += 1.0 / r_end;  // node 0 is next to the driving/sensing end
    for (int k = 0; k + 1 < n; ++k) {
      A(k, k) += 1 / r_seg; A(k + 1, k + 1) += 1 / r_seg; A(k, k + 1) -= 1 / r_seg; A(k + 1, k) -= 1 / r_seg;
    }
    const Eigen::VectorXd tau = A.inverse() * Eigen::VectorXd::Constant(n, C);
    return tau(far);
  };
  const ElmoreDelay d = elmore_delay(M, N, w, Cr, Cc);
  BOOST_TEST(std::abs(d.row_s - ladder_delay(N, 50.0 + 4.0, 4.0, Cr, N - 1)) <= 1e-12 * d.row_s);
  BOOST_TEST(std::abs(d.col_s - ladder_delay(M, 6.0 + 30.0, 6.0, Cc, M - 1)) <= 1e-12 * d.col_s);
  // Both ends driven, even N: exactly half a line per driver.
  w.both_end_drive = true;
  const ElmoreDelay d2 = elmore_delay(M, 8, w, Cr, Cc);
  BOOST_TEST(std::abs(d2.row_s - ladder_delay(4, 54.0, 4.0, Cr, 3)) <= 1e-12 * d2.row_s);
  BOOST_TEST(settle_time_s(d, std::ldexp(1.0, -8)) == d.total_s() * 8 * std::log(2.0));
  const ElmoreDelay dt = elmore_delay(128, 128, WireTechnology{});
  BOOST_TEST_MESSAGE("128x128 default technology: Elmore row " << dt.row_s << " s, col " << dt.col_s << " s");
  BOOST_TEST(dt.total_s() > 0);
}

BOOST_AUTO_TEST_CASE(imac_sim_partitioning_and_area) {
  const NetworkPartitioning p = partition_network({400, 120, 84, 10}, 32, 32);
  BOOST_TEST(p.hpar == std::vector<int>({13, 4, 3}), boost::test_tools::per_element());
  BOOST_TEST(p.vpar == std::vector<int>({4, 3, 1}), boost::test_tools::per_element());
  BOOST_TEST(p.crossbars == 67);
  BOOST_TEST_MESSAGE("area " << p.area_m2 * 1e12 << " um^2");
  BOOST_TEST(std::abs(p.area_m2 * 1e12 - 3401.6) < 0.05);
  const auto b = balanced_blocks(401, 13);
  BOOST_TEST(b.front().first == 0);
  BOOST_TEST(b.back().first + b.back().count == 401);
  for (const Block& x : b) BOOST_TEST((x.count == 30 || x.count == 31));
}

BOOST_AUTO_TEST_CASE(partitioned_layer_sums_partial_currents) {
  // With ideal wires the layer is exactly (x, bias) * (G+ - G-).
  std::mt19937_64 rng(31);
  std::uniform_real_distribution<double> u(1e-6, 1e-4);
  Eigen::MatrixXd gp(11, 7), gn(11, 7);
  for (int i = 0; i < gp.size(); ++i) {
    gp.data()[i] = u(rng);
    gn.data()[i] = u(rng);
  }
  const PartitionedLayer layer(gp, gn, 4, 3, WireParams{});
  BOOST_TEST(layer.hpar() == 3);
  BOOST_TEST(layer.vpar() == 3);
  Eigen::MatrixXd x = Eigen::MatrixXd::Random(5, 10);
  Eigen::MatrixXd full(5, 11);
  full << x, Eigen::VectorXd::Constant(5, 0.7);
  const Eigen::MatrixXd expect = full * (gp - gn);
  BOOST_TEST((layer.differential_currents(x, 0.7) - expect).cwiseAbs().maxCoeff() <= 1e-15);
  // The factor-free transfer gives the same numbers, with ideal and with real wires.
  const PartitionedTransfer transfer(gp, gn, 4, 3, WireParams{});
  BOOST_TEST(transfer.hpar() == 3);
  BOOST_TEST(transfer.vpar() == 3);
  BOOST_TEST((transfer.differential_currents(x, 0.7).array() == layer.differential_currents(x, 0.7).array()).all());
  WireParams w;
  w.row_segment_ohm = 9.24;
  w.col_segment_ohm = 11.55;
  const PartitionedLayer wired(gp, gn, 4, 3, w);
  const PartitionedTransfer wired_t(gp, gn, 4, 3, w);
  BOOST_TEST((wired_t.differential_currents(x, 0.7).array() == wired.differential_currents(x, 0.7).array()).all());
  BOOST_TEST((wired.differential_currents(x, 0.7) - expect).cwiseAbs().maxCoeff() > 1e-12);  // IR drop is there
}

BOOST_AUTO_TEST_CASE(bad_technology_and_partition_input_throws) {
  WireTechnology t;
  t.node_nm = -1;
  BOOST_CHECK_THROW(row_segment_ohm(t), InputError);
  t = WireTechnology{};
  t.grain_reflection = 1.0;
  BOOST_CHECK_THROW(effective_resistivity_ohm_m(t), InputError);
  BOOST_CHECK_THROW(partition_network({400}, 32, 32), InputError);
  BOOST_CHECK_THROW(partition_network({400, 0}, 32, 32), InputError);
  BOOST_CHECK_THROW(horizontal_partitions(10, 0), InputError);
  BOOST_CHECK_THROW(PartitionedLayer(Eigen::MatrixXd::Constant(3, 2, 1e-5), Eigen::MatrixXd::Constant(3, 3, 1e-5), 2, 2,
                                     WireParams{}),
                    InputError);
  BOOST_CHECK_THROW(elmore_delay(0, 3, WireParams{}, 1e-16, 1e-16), InputError);
  BOOST_CHECK_THROW(settle_time_s(ElmoreDelay{}, 1.5), InputError);
}

BOOST_AUTO_TEST_SUITE_END()
