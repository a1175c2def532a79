// Energy, latency and area of the fully analog (IMAC-style) backend against numbers derived by
// hand: binary weights make every resistance pair (Rlow, Rhigh) whatever the sign, so the
// crossbar's static power sum_i V_i^2 sum_j (G+ + G-) is known without the mapping code.
#define BOOST_TEST_MODULE memtile analog energy by hand
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <random>

#include <nlohmann/json.hpp>

#include "memtile/backends/AnalogBackend.hpp"

using namespace memtile;

extern "C" int sc_main(int, char*[]) { return 0; }  // Boost owns main(); libsystemc still references sc_main (C linkage, as SystemC declares it)

namespace {
Eigen::MatrixXd uniform(Eigen::Index r, Eigen::Index c, unsigned seed, double lo, double hi) {
  std::mt19937 g(seed);
  std::uniform_real_distribution<double> u(lo, hi);
  Eigen::MatrixXd m(r, c);
  for (Eigen::Index i = 0; i < m.size(); ++i) m.data()[i] = u(g);
  return m;
}
}  // namespace

BOOST_AUTO_TEST_CASE(crossbar_energy_latency_and_area_by_hand) {
  backends::AnalogConfig cfg;
  cfg.mapping.weights = core::ImacWeights::Binary;
  cfg.mapping.variation_pct = 0;
  cfg.wire_resistance = 0;  // ideal wires: no RC settle, the latency is the neuron's sampling time
  cfg.neuron.sample_ns = 1.0;
  backends::AnalogBackend b(cfg);
  // Two layers: 5 -> 3 (sigmoid, fused) and 3 -> 40 (sigmoid, fused; vpar = 2 on 32 outputs).
  const int K0 = 5, N0 = 3, N1 = 40;
  nn::WeightedLayer l0, l1;
  l0.id = 0, l0.op = "Gemm", l0.in_features = K0, l0.out_features = N0, l0.node_name = "fc0";
  l1.id = 1, l1.op = "Gemm", l1.in_features = N0, l1.out_features = N1, l1.node_name = "fc1";
  b.program(l0, uniform(K0, N0, 1, -1, 1));
  b.program(l1, uniform(N0, N1, 2, -1, 1));
  BOOST_REQUIRE(b.fuse_activation(l0, "Sigmoid"));
  BOOST_REQUIRE(b.fuse_activation(l1, "Sigmoid"));
  b.program_bias(l0, Eigen::VectorXd::Constant(N0, 0.3));
  b.program_bias(l1, Eigen::VectorXd::Constant(N1, -0.2));

  const Eigen::MatrixXd X = uniform(4, K0, 3, 0, 1);
  const Eigen::MatrixXd H = b.multiply(l0, X);
  b.multiply(l1, H);

  const double vdd = cfg.vdd_v, pair_s = 1 / cfg.mapping.r_low_ohm + 1 / cfg.mapping.r_high_ohm;
  // Per vector and layer: sum over input rows of V^2 * (outputs x pair conductance), plus the
  // bias row at vdd; for t = 1 ns.
  auto layer_pj = [&](const Eigen::MatrixXd& in, int outputs) {
    double p_w = 0;
    for (Eigen::Index v = 0; v < in.rows(); ++v) {
      for (Eigen::Index i = 0; i < in.cols(); ++i) p_w += std::pow(in(v, i) * vdd, 2) * outputs * pair_s;
      p_w += vdd * vdd * outputs * pair_s;
    }
    return p_w * 1e-9 * 1e12;
  };
  const nlohmann::json s = b.summary();
  const double e0 = layer_pj(X, N0), e1 = layer_pj(H, N1);
  BOOST_TEST(s["layers"][0]["energy_pj"]["crossbar"].get<double>() == e0, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(s["layers"][1]["energy_pj"]["crossbar"].get<double>() == e1, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(s["energy_pj"]["crossbar"].get<double>() == e0 + e1, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(s["latency_ns_per_vector"].get<double>() == 2.0, boost::test_tools::tolerance(1e-12));
  // IMAC-Sim area: cell W x L = 12 node x 15 node at 9 nm, 0.56 um^2 per line; layer 0 is one
  // 32 x 32 partition, layer 1 two (40 outputs on 32-output partitions).
  const double cell_um2 = 0.108 * 0.135, crossbars = 3;
  const double area = cell_um2 * 32 * 32 * crossbars + 0.56 * crossbars * (32 + 32);
  BOOST_TEST(s["area_um2"].get<double>() == area, boost::test_tools::tolerance(1e-12));
}
