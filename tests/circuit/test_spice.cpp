// Exported netlists run through `ngspice -b`; every column current (and every layer output)
// must match the C++ solver. ngspice solves the same linear system with its own sparse LU, so
// this validates both the assembly of the nodal system and the netlist writer.
#include <boost/test/unit_test.hpp>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <algorithm>
#include <map>
#include <regex>
#include <sstream>
#include <string>
#include <unistd.h>
#include <vector>

#include "CircuitTestUtil.hpp"
#include "Ngspice.hpp"
#include "memtile/core/CrossbarSolver.hpp"
#include "memtile/core/Errors.hpp"
#include "memtile/core/Partitioning.hpp"
#include "memtile/core/SpiceWriter.hpp"

using namespace memtile::core;
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

BOOST_AUTO_TEST_SUITE(spice)

BOOST_AUTO_TEST_CASE(crossbar_matches_ngspice) {
  std::mt19937_64 rng(21);
  struct Case { int M, N, K; WireParams w; double r_min, r_max; };
  const Case cases[] = {
      {8, 8, 2, wires(2.5, 2.5), 1e3, 1e7},
      {16, 5, 3, wires(10.0, 1.0, 50.0, 100.0), 1e3, 1e7},          // rectangular, tall
      {5, 20, 2, wires(1.0, 20.0, 0.0, 0.0, true), 1e3, 1e7},       // rectangular, wide, both ends
      {24, 24, 2, wires(9.24, 11.55), 1e3, 1e7},                    // technology defaults
      {24, 17, 1, wires(9.24, 11.55, 200.0, 500.0, true), 1e3, 1e4},  // low-R cells: strong IR drop
      {4, 4, 2, wires(1000.0, 1000.0), 1e3, 1e7},                   // very resistive wires
      {12, 12, 1, wires(0.0, 5.0, 100.0, 0.0), 1e4, 1e7},           // merged rows
      {12, 9, 1, wires(3.0, 0.0, 0.0, 200.0), 1e4, 1e7},            // merged columns
      {10, 6, 1, wires(3.0, 0.0, 0.0, 0.0), 1e3, 1e7},              // grounded columns (fallback path)
      {3, 7, 1, wires(0.0, 0.0, 0.0, 0.0), 1e6, 1e7},               // ideal wires
  };
  for (const Case& c : cases) {
    const Eigen::MatrixXd G = random_conductances(c.M, c.N, rng, c.r_min, c.r_max);
    const Eigen::MatrixXd V = random_inputs(c.K, c.M, rng);
    const Eigen::MatrixXd I = CrossbarSolver(G, c.w).solve(V);
    const auto spice = run_ngspice(crossbar_netlist(G, c.w, V), "xbar");
    BOOST_REQUIRE_EQUAL(spice.size(), std::size_t(c.K));
    double worst = 0;
    for (int k = 0; k < c.K; ++k) {
      for (int j = 0; j < c.N; ++j) {
        const auto it = spice[std::size_t(k)].find("i(vsense" + std::to_string(j) + ")");
        BOOST_REQUIRE(it != spice[std::size_t(k)].end());
        worst = std::max(worst, std::abs(it->second - I(k, j)) / std::abs(I(k, j)));
      }
    }
    BOOST_TEST_MESSAGE("ngspice " << c.M << "x" << c.N << " rs=" << c.w.row_segment_ohm << " cs="
                                  << c.w.col_segment_ohm << ": max relative error " << worst);
    BOOST_TEST(worst <= 1e-6);
  }
}

BOOST_AUTO_TEST_CASE(partitioned_layer_matches_ngspice) {
  std::mt19937_64 rng(23);
  LayerNetlistSpec s;
  const int n_in = 20, n_out = 10;
  // IMAC-Sim's device range: 5 kOhm .. 15 kOhm.
  s.g_pos = random_conductances(n_in + 1, n_out, rng, 5e3, 15e3);
  s.g_neg = random_conductances(n_in + 1, n_out, rng, 5e3, 15e3);
  s.inputs = random_inputs(2, n_in, rng, -0.5, 0.5);
  s.rows = 8;
  s.cols = 4;
  s.wire = wires(9.24, 11.55, 10.0, 0.0);
  s.tia_ohm = 100.0;
  s.opamp_gain = 1e10;  // near-ideal op-amps so the comparison with the ideal reference is tight
  const PartitionedLayer layer(s.g_pos, s.g_neg, s.rows, s.cols, s.wire);
  BOOST_TEST(layer.hpar() == 3);  // ceil(21 / 8)
  BOOST_TEST(layer.vpar() == 3);  // ceil(10 / 4)
  const LayerResponse ref = layer_reference(s);
  const auto spice = run_ngspice(layer_netlist(s), "layer");
  BOOST_REQUIRE_EQUAL(spice.size(), std::size_t(2));
  const double scale = ref.pre_activation_v.cwiseAbs().maxCoeff();
  double worst_s = 0, worst_y = 0;
  for (int k = 0; k < 2; ++k) {
    for (int j = 0; j < n_out; ++j) {
      const auto& m = spice[std::size_t(k)];
      BOOST_REQUIRE(m.count("v(sum" + std::to_string(j) + ")") == 1);
      worst_s = std::max(worst_s, std::abs(m.at("v(sum" + std::to_string(j) + ")") - ref.pre_activation_v(k, j)) / scale);
      worst_y = std::max(worst_y, std::abs(m.at("v(y" + std::to_string(j) + ")") - ref.output_v(k, j)));
    }
  }
  BOOST_TEST_MESSAGE("layer: pre-activation error " << worst_s << " (of max), neuron output error " << worst_y << " V");
  BOOST_TEST(worst_s <= 1e-6);
  BOOST_TEST(worst_y <= 1e-6);
  // The summed differential currents really depend on the wires: compare with ideal wires.
  LayerNetlistSpec ideal = s;
  ideal.wire = WireParams{};
  BOOST_TEST(max_rel_diff(layer_reference(ideal).pre_activation_v, ref.pre_activation_v) > 1e-4);
}

BOOST_AUTO_TEST_CASE(netlist_format) {
  Eigen::MatrixXd G(1, 2);
  G << 1e-4, 2e-4;
  Eigen::MatrixXd V(2, 1);
  V << 0.1, 0.2;
  const std::string net = crossbar_netlist(G, wires(1.5, 2.5, 10, 20), V);
  BOOST_TEST(net.find("Vin0 in0 0 DC 0.10000000000000001") != std::string::npos);
  BOOST_TEST(net.find("alter vin0 dc = 0.20000000000000001") != std::string::npos);
  BOOST_TEST(net.find("Rx0_0 r0_0 c0_0 10000") != std::string::npos);
  BOOST_TEST(net.find(".end\n") != std::string::npos);
  BOOST_CHECK_THROW(crossbar_netlist(G, wires(1, 1), Eigen::MatrixXd::Zero(1, 3)), InputError);
  BOOST_CHECK_THROW(crossbar_netlist(-G, wires(1, 1), V), InputError);
}

BOOST_AUTO_TEST_SUITE_END()
