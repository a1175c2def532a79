// Fully analog (IMAC-style) mode: the neuron against ngspice, the mapped and partitioned layer
// against ngspice, the whole analog MLP against the float network, the IMAC mapping rules and
// bad configurations.
#define BOOST_TEST_MODULE memtile analog imac
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <cstdio>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "../circuit/Ngspice.hpp"
#include "memtile/core/Errors.hpp"
#include "memtile/core/ImacMapping.hpp"
#include "memtile/core/SpiceWriter.hpp"
#include "memtile/nn/Dataset.hpp"
#include "memtile/nn/Executor.hpp"
#include "memtile/nn/Graph.hpp"
#include "memtile/backends/AnalogBackend.hpp"

using namespace memtile;

extern "C" int sc_main(int, char*[]) { return 0; }  // Boost owns main(); libsystemc still references sc_main (C linkage, as SystemC declares it)

namespace {

std::string source_dir() {
  const char* s = std::getenv("MEMTILE_SOURCE_DIR");
  return s ? s : ".";
}

std::string num(double x) {
  char b[40];
  std::snprintf(b, sizeof b, "%.17g", x);
  return b;
}

}  // namespace

BOOST_AUTO_TEST_CASE(imac_neuron_dc_transfer_matches_ngspice) {
  // IMAC-Sim's neuron: V(in) - V(in2) = bias, r_in from in2 to the inverter input x, r_fb from x
  // to the output, the inverter as a behavioural tanh source between vss and vdd. ngspice
  // solves the same circuit (its own Newton iteration); NeuronModel bisects it.
  core::NeuronConfig c;
  c.kind = core::NeuronKind::ImacSigmoid;
  const core::NeuronModel m{c};
  const double vmid = 0.5 * (c.vdd_v + c.vss_v), half = 0.5 * (c.vdd_v - c.vss_v);
  std::ostringstream n;
  n << "imac neuron\nVd in 0 dc 0\nVb in in2 dc " << num(c.bias_v) << "\nRin in2 x " << num(c.r_in_ohm) << "\nRfb x out "
    << num(c.r_fb_ohm) << "\nBinv out 0 v = " << num(vmid) << " - " << num(half) << " * tanh(" << num(c.inverter_gain)
    << " * (v(x) - " << num(vmid) << ") / " << num(half) << ")\n.control\nset numdgt=16\n";
  std::vector<double> vds;
  for (int k = 0; k <= 24; ++k) vds.push_back(-0.6 + 0.05 * k);
  for (std::size_t k = 0; k < vds.size(); ++k)
    n << "alter vd dc = " << num(vds[k]) << "\nop\necho memtile_vector " << k << "\nprint v(out)\n";
  n << "quit 0\n.endc\n.end\n";
  const auto spice = test::run_ngspice(n.str(), "imac_neuron");
  BOOST_REQUIRE_EQUAL(spice.size(), vds.size());
  double worst = 0;
  for (std::size_t k = 0; k < vds.size(); ++k) worst = std::max(worst, std::abs(spice[k].at("v(out)") - m.imac_vout(vds[k])));
  BOOST_TEST_MESSAGE("neuron: max |ngspice - model| " << worst << " V");
  BOOST_TEST(worst < 1e-6);  // ngspice converges to vntol = 1 uV
  // Composite transfer in units: rises (the mapping swaps I+/I-), 0.5 at 0, saturates at 0 and 1.
  BOOST_TEST(std::abs(m.apply(0.0) - 0.5) < 1e-9);
  double prev = -1;
  for (double y = -8; y <= 8; y += 0.25) {
    const double v = m.apply(y);
    BOOST_TEST(v >= prev);
    BOOST_TEST(v >= 0.0);
    BOOST_TEST(v <= 1.0);
    prev = v;
  }
  BOOST_TEST(m.apply(6.0) > 0.99);
  BOOST_TEST(m.apply(-6.0) < 0.01);
}

BOOST_AUTO_TEST_CASE(imac_mapping_rules) {
  core::ImacMappingConfig cfg;
  cfg.weights = core::ImacWeights::Ternary;
  Eigen::MatrixXd W(2, 3);
  W << 0.5, -0.5, 0.01, -0.2, 0.3, 0.0;
  const Eigen::VectorXd b = Eigen::Vector3d(0.4, -0.001, 0.0);
  const core::ImacLayerMapping m = core::map_imac_layer(W, b, cfg, 1, 0);
  const double on = 1.0 / 5e3, off = 1.0 / 15e3;
  BOOST_TEST(m.g_pos(0, 0) == on);   // +1: (Rlow, Rhigh)
  BOOST_TEST(m.g_neg(0, 0) == off);
  BOOST_TEST(m.g_pos(0, 1) == off);  // -1: swapped
  BOOST_TEST(m.g_neg(0, 1) == on);
  BOOST_TEST(m.g_pos(0, 2) == on);   // 0 (|w| < 5 % of max): both Rlow
  BOOST_TEST(m.g_neg(0, 2) == on);
  BOOST_TEST(m.g_pos(2, 0) == on);   // bias row last
  BOOST_TEST(m.g_neg(2, 1) == on);   // -0.001: ternary 0
  BOOST_TEST(m.g_pos(2, 1) == on);
  cfg.weights = core::ImacWeights::Analog;
  const core::ImacLayerMapping a = core::map_imac_layer(W, b, cfg, 1, 0);
  // G+ - G- = w * unit_siemens exactly proportional.
  BOOST_TEST(((a.g_pos - a.g_neg).topRows(2) - W * a.unit_siemens).cwiseAbs().maxCoeff() < 1e-18);
  BOOST_TEST(a.g_pos.minCoeff() >= off * (1 - 1e-12));
  BOOST_TEST(a.g_pos.maxCoeff() <= on * (1 + 1e-12));
  cfg.variation_pct = 10;
  const core::ImacLayerMapping v1 = core::map_imac_layer(W, b, cfg, 7, 3), v2 = core::map_imac_layer(W, b, cfg, 7, 3);
  BOOST_TEST((v1.g_pos.array() == v2.g_pos.array()).all());  // seeded
  const Eigen::ArrayXXd rel = (v1.g_pos.array() / a.g_pos.array());
  BOOST_TEST(rel.minCoeff() >= 1 / 1.1 - 1e-12);
  BOOST_TEST(rel.maxCoeff() <= 1 / 0.9 + 1e-12);
  BOOST_TEST((rel != 1.0).all());
  BOOST_CHECK_THROW(core::parse_imac_weights("quaternary"), core::InputError);
  cfg.r_high_ohm = 1e3;
  BOOST_CHECK_THROW(core::map_imac_layer(W, b, cfg, 1, 0), core::InputError);
}

BOOST_AUTO_TEST_CASE(analog_layer_matches_ngspice) {
  // A 20-input, 6-output layer on 8 x 4 partitions (hpar 3, vpar 2) with 9 nm wires and 5 %
  // variation: the backend's differential currents, turned into the summing amplifier's output
  // of SpiceWriter's layer netlist, against ngspice on that netlist.
  backends::AnalogConfig cfg;
  cfg.array_rows = 8;
  cfg.array_cols = 4;
  cfg.mapping.variation_pct = 5;
  backends::AnalogBackend be(cfg);
  std::srand(3);
  const Eigen::MatrixXd W = Eigen::MatrixXd::Random(20, 6);
  nn::WeightedLayer l;
  l.id = 0;
  l.op = "Gemm";
  l.in_features = 20;
  l.out_features = 6;
  be.program(l, W);
  BOOST_TEST(be.fuse_activation(l, "Sigmoid"));
  be.program_bias(l, Eigen::VectorXd::LinSpaced(6, -0.5, 0.5));
  const Eigen::MatrixXd X = (Eigen::MatrixXd::Random(3, 20).array() + 1.0) * 0.5;  // [0, 1]
  const Eigen::MatrixXd dI = be.differential_currents(0, X);
  BOOST_TEST(be.circuit(0).hpar() == 3);
  BOOST_TEST(be.circuit(0).vpar() == 2);
  core::LayerNetlistSpec s;
  s.g_pos = be.mapping(0).g_pos;
  s.g_neg = be.mapping(0).g_neg;
  s.inputs = X * cfg.vdd_v;
  s.bias_v = cfg.vdd_v;
  s.rows = cfg.array_rows;
  s.cols = cfg.array_cols;
  s.wire = core::wire_params(cfg.wire);
  s.opamp_gain = 1e10;  // near-ideal op-amps, as the backend's transimpedance stage is ideal
  const auto spice = test::run_ngspice(core::layer_netlist(s), "analog_layer");
  BOOST_REQUIRE_EQUAL(spice.size(), 3u);
  double worst = 0, scale = 0;
  for (Eigen::Index k = 0; k < 3; ++k)
    for (Eigen::Index j = 0; j < 6; ++j) {
      const double model = s.diff_gain * s.tia_ohm * dI(k, j);
      const double ng = spice[static_cast<std::size_t>(k)].at("v(sum" + std::to_string(j) + ")");
      worst = std::max(worst, std::abs(model - ng));
      scale = std::max(scale, std::abs(ng));
    }
  BOOST_TEST_MESSAGE("analog layer: max |ngspice - model| " << worst << " V of " << scale << " V");
  BOOST_TEST(worst <= 1e-6 * scale);
}

BOOST_AUTO_TEST_CASE(analog_mlp_reproduces_the_float_network_with_ideal_devices) {
  const nn::Graph g = nn::load_onnx(source_dir() + "/tb/networks/mlp_fmnist.onnx");
  const nn::Dataset data = nn::open_dataset("fashion-mnist");
  nn::Tensor images;
  std::vector<int> labels;
  data.batch(0, 64, images, labels);
  nn::IdealBackend ideal;
  nn::Executor fexec(g, ideal);
  const Eigen::MatrixXd yf = nn::to_matrix(fexec.run(images));

  // Ideal wires, no variation, ideal logistic neurons: the trained function, to rounding.
  backends::AnalogConfig cfg;
  cfg.wire_resistance = 0;
  cfg.neuron.kind = core::NeuronKind::Sigmoid;
  backends::AnalogBackend exact(cfg);
  nn::Executor aexec(g, exact);
  const Eigen::MatrixXd ya = nn::to_matrix(aexec.run(images));
  BOOST_TEST((ya - yf).cwiseAbs().maxCoeff() <= 1e-9 * yf.cwiseAbs().maxCoeff());
  for (const backends::AnalogLayerStats& s : exact.layers()) BOOST_TEST(s.vectors == 64u);
  BOOST_TEST(exact.layers()[0].fused);   // Gemm + Sigmoid
  BOOST_TEST(!exact.layers()[2].fused);  // logits: read out, bias added digitally

  // IMAC's neuron, ideal wires: the same classes on nearly every image.
  backends::AnalogConfig imac;
  imac.wire_resistance = 0;
  backends::AnalogBackend ib(imac);
  nn::Executor iexec(g, ib);
  const Eigen::MatrixXd yi = nn::to_matrix(iexec.run(images));
  int agree = 0;
  for (Eigen::Index i = 0; i < yi.rows(); ++i) {
    Eigen::Index a, b;
    yi.row(i).maxCoeff(&a);
    yf.row(i).maxCoeff(&b);
    agree += a == b;
  }
  BOOST_TEST_MESSAGE("IMAC neuron, ideal wires: argmax agreement " << agree << "/64");
  BOOST_TEST(agree >= 56);
  const nlohmann::json sum = ib.summary();
  BOOST_TEST(sum.at("inference_energy_pj").get<double>() > 0);
  BOOST_TEST(sum.at("latency_ns_per_vector").get<double>() == 2.0);  // two sampled neuron layers, no wire delay
  BOOST_TEST(sum.at("area_um2").get<double>() > 0);

  // Conv layers are refused with the node named.
  const nn::Graph lenet = nn::load_onnx(source_dir() + "/tb/networks/lenet5_fmnist.onnx");
  backends::AnalogBackend nope(imac);
  BOOST_CHECK_EXCEPTION(nn::Executor(lenet, nope), core::InputError, [](const core::InputError& e) {
    return std::string(e.what()).find("Conv") != std::string::npos;
  });
}

BOOST_AUTO_TEST_CASE(analog_config_json_errors_name_the_field) {
  backends::AnalogConfig c;
  const auto fails = [&](const char* text, const char* needle) {
    try {
      backends::AnalogConfig x;
      backends::apply_json(x, nlohmann::json::parse(text), "cfg.json: analog");
      x.validate();
    } catch (const core::InputError& e) {
      return std::string(e.what()).find(needle) != std::string::npos;
    }
    return false;
  };
  BOOST_TEST(fails(R"({"bogus": 1})", "bogus"));
  BOOST_TEST(fails(R"({"weights": "quaternary"})", "weights"));
  BOOST_TEST(fails(R"({"r_high_ohm": 10})", "r_high_ohm"));
  BOOST_TEST(fails(R"({"variation_pct": -1})", "variation_pct"));
  BOOST_TEST(fails(R"({"array_rows": 1})", "array_rows"));
  BOOST_TEST(fails(R"({"gains": [30, -1]})", "gains"));
  BOOST_TEST(fails(R"({"neuron": {"kind": "none"}})", "neuron.kind"));
  backends::apply_json(c, nlohmann::json::parse(R"({"weights": "binary", "gains": [30, 30, 10], "tech_node_nm": 45})"), "x");
  BOOST_TEST(core::to_string(c.mapping.weights) == "binary");
  BOOST_TEST(c.gains.size() == 3u);
  BOOST_TEST(backends::to_json(c).at("tech_node_nm").get<double>() == 45.0);
}
