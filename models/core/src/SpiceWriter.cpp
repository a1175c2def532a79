#include "memtile/core/SpiceWriter.hpp"

#include <cmath>
#include <cstdio>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

#include "memtile/core/Errors.hpp"
#include "memtile/core/Partitioning.hpp"

namespace memtile::core {

namespace {

// 17 significant digits: parses back to the same double.
std::string num(double x) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.17g", x);
  return buf;
}

std::string idx(Eigen::Index a, Eigen::Index b) { return std::to_string(a) + "_" + std::to_string(b); }

void check_conductances(const Eigen::MatrixXd& G, const char* what) {
  require(G.rows() > 0 && G.cols() > 0, what, "conductance matrix is empty");
  for (Eigen::Index j = 0; j < G.cols(); ++j)
    for (Eigen::Index i = 0; i < G.rows(); ++i)
      require(std::isfinite(G(i, j)) && G(i, j) > 0.0, what, "conductances must be finite and > 0 S");
}

void header(std::ostringstream& os, const std::string& title) {
  // The first line of a SPICE deck is the title.
  os << "* " << title << "\n";
  os << "* written by memtile (models/core/src/SpiceWriter.cpp); values in SI units\n";
  os << ".options reltol=1e-12 abstol=1e-20 vntol=1e-15\n";
}

// Resistors of one crossbar, node-merged like CrossbarSolver. `p` prefixes every element and
// internal node name; source(i) is the node of row i's ideal DAC voltage, sense(j) the node
// that column j's current flows into (held at 0 V by the caller).
void write_crossbar_body(std::ostringstream& os, const std::string& p, const Eigen::MatrixXd& G, const WireParams& w,
                         const std::function<std::string(Eigen::Index)>& source,
                         const std::function<std::string(Eigen::Index)>& sense) {
  const Eigen::Index M = G.rows(), N = G.cols();
  const bool row_seg = w.row_segment_ohm > 0, row_merged = !row_seg && w.driver_ohm > 0;
  const bool col_seg = w.col_segment_ohm > 0, col_merged = !col_seg && w.sense_ohm > 0;
  auto row_node = [&](Eigen::Index i, Eigen::Index j) {
    return row_seg ? p + "r" + idx(i, j) : row_merged ? p + "r" + std::to_string(i) : source(i);
  };
  auto col_node = [&](Eigen::Index i, Eigen::Index j) {
    return col_seg ? p + "c" + idx(i, j) : col_merged ? p + "c" + std::to_string(j) : sense(j);
  };
  auto R = [&](const std::string& name, const std::string& a, const std::string& b, double ohm) {
    os << "R" << name << " " << a << " " << b << " " << num(ohm) << "\n";
  };
  os << "* row lines (" << M << "), driver " << num(w.driver_ohm) << " ohm, segment " << num(w.row_segment_ohm)
     << " ohm" << (w.both_end_drive ? ", both ends driven" : "") << "\n";
  for (Eigen::Index i = 0; i < M; ++i) {
    const std::string si = std::to_string(i);
    if (row_seg) {
      // Driver and first segment in series from each driven end.
      auto feed = [&](const std::string& end, Eigen::Index j) {
        if (w.driver_ohm > 0) {
          R("d" + end + p + si, source(i), p + "d" + end + si, w.driver_ohm);
          R("f" + end + p + si, p + "d" + end + si, row_node(i, j), w.row_segment_ohm);
        } else {
          R("f" + end + p + si, source(i), row_node(i, j), w.row_segment_ohm);
        }
      };
      feed("a", 0);
      if (w.both_end_drive) feed("b", N - 1);
      for (Eigen::Index j = 0; j + 1 < N; ++j) R("r" + p + idx(i, j), row_node(i, j), row_node(i, j + 1), w.row_segment_ohm);
    } else if (row_merged) {
      R("da" + p + si, source(i), row_node(i, 0), w.driver_ohm);
      if (w.both_end_drive) R("db" + p + si, source(i), row_node(i, 0), w.driver_ohm);
    }
  }
  os << "* column lines (" << N << "), segment " << num(w.col_segment_ohm) << " ohm, sense " << num(w.sense_ohm)
     << " ohm\n";
  for (Eigen::Index j = 0; j < N; ++j) {
    const std::string sj = std::to_string(j);
    if (col_seg) {
      for (Eigen::Index i = 0; i + 1 < M; ++i) R("c" + p + idx(i, j), col_node(i, j), col_node(i + 1, j), w.col_segment_ohm);
      if (w.sense_ohm > 0) {
        R("o" + p + sj, col_node(M - 1, j), p + "e" + sj, w.col_segment_ohm);
        R("s" + p + sj, p + "e" + sj, sense(j), w.sense_ohm);
      } else {
        R("o" + p + sj, col_node(M - 1, j), sense(j), w.col_segment_ohm);
      }
    } else if (col_merged) {
      R("s" + p + sj, col_node(0, j), sense(j), w.sense_ohm);
    }
  }
  os << "* cells (" << M << " x " << N << "), R = 1/G\n";
  for (Eigen::Index i = 0; i < M; ++i)
    for (Eigen::Index j = 0; j < N; ++j) R("x" + p + idx(i, j), row_node(i, j), col_node(i, j), 1.0 / G(i, j));
}

// .control block: one operating point per input vector, alter the named sources in between.
void write_control(std::ostringstream& os, const Eigen::MatrixXd& V, const std::vector<std::string>& sources,
                   const std::vector<std::string>& probes) {
  os << ".control\nset numdgt=16\n";
  for (Eigen::Index k = 0; k < V.rows(); ++k) {
    if (k > 0)
      for (std::size_t i = 0; i < sources.size(); ++i)
        os << "alter " << sources[i] << " dc = " << num(V(k, Eigen::Index(i))) << "\n";
    os << "op\necho memtile_vector " << k << "\n";
    // Short print lines (8 probes each): every scalar prints as "name = value".
    for (std::size_t a = 0; a < probes.size(); a += 8) {
      os << "print";
      for (std::size_t b = a; b < std::min(probes.size(), a + 8); ++b) os << " " << probes[b];
      os << "\n";
    }
  }
  // quit 0: batch mode would otherwise exit with status 1 ("no simulations run" for the deck
  // itself, since every analysis runs inside the control block).
  os << "quit 0\n.endc\n.end\n";
}

}  // namespace

std::string crossbar_netlist(const Eigen::MatrixXd& G, const WireParams& w, const Eigen::MatrixXd& V,
                             const std::string& title) {
  check_conductances(G, "spice");
  validate(w);
  require(V.rows() >= 1, "spice", "need at least one input vector");
  require(V.cols() == G.rows(), "spice", "input vectors must have one voltage per row");
  require(V.allFinite(), "spice", "input voltages must be finite");
  const Eigen::Index M = G.rows(), N = G.cols();
  std::ostringstream os;
  header(os, title + " " + std::to_string(M) + "x" + std::to_string(N));
  os << "* inputs: ideal DAC sources; outputs: 0 V sources at the sense amplifiers' virtual grounds\n";
  std::vector<std::string> sources, probes;
  for (Eigen::Index i = 0; i < M; ++i) {
    os << "Vin" << i << " in" << i << " 0 DC " << num(V(0, i)) << "\n";
    sources.push_back("vin" + std::to_string(i));
  }
  for (Eigen::Index j = 0; j < N; ++j) {
    os << "Vsense" << j << " s" << j << " 0 DC 0\n";
    probes.push_back("i(vsense" + std::to_string(j) + ")");
  }
  write_crossbar_body(
      os, "", G, w, [](Eigen::Index i) { return "in" + std::to_string(i); },
      [](Eigen::Index j) { return "s" + std::to_string(j); });
  write_control(os, V, sources, probes);
  return os.str();
}

namespace {
void check_layer_spec(const LayerNetlistSpec& s) {
  require(s.inputs.rows() >= 1, "spice", "need at least one input vector");
  require(s.inputs.cols() + 1 == s.g_pos.rows(), "spice", "inputs must have n_in columns (g has n_in + 1 rows)");
  require(s.inputs.allFinite() && std::isfinite(s.bias_v), "spice", "input voltages must be finite");
  auto pos = [](double x) { return std::isfinite(x) && x > 0; };
  require(pos(s.tia_ohm) && pos(s.diff_gain) && pos(s.diff_in_ohm) && pos(s.sum_ohm) && pos(s.opamp_gain) &&
              pos(s.neuron_vdd) && pos(s.neuron_scale_v),
          "spice", "amplifier and neuron parameters must be finite and > 0");
}
}  // namespace

std::string layer_netlist(const LayerNetlistSpec& s) {
  check_layer_spec(s);
  const PartitionedLayer layer(s.g_pos, s.g_neg, s.rows, s.cols, s.wire);  // validates and partitions
  const int n_in = layer.inputs(), n_out = layer.outputs();
  std::ostringstream os;
  header(os, s.title + " " + std::to_string(n_in) + "-" + std::to_string(n_out) + " on " + std::to_string(s.rows) +
                 "x" + std::to_string(s.cols) + ", hpar " + std::to_string(layer.hpar()) + ", vpar " +
                 std::to_string(layer.vpar()));
  const std::string A = num(s.opamp_gain);
  os << "* inputs (ideal DAC sources); row " << n_in << " is the bias row at " << num(s.bias_v) << " V\n";
  std::vector<std::string> sources, probes;
  for (int i = 0; i < n_in; ++i) {
    os << "Vin" << i << " in" << i << " 0 DC " << num(s.inputs(0, i)) << "\n";
    sources.push_back("vin" + std::to_string(i));
  }
  os << "Vin" << n_in << " in" << n_in << " 0 DC " << num(s.bias_v) << "\n";
  for (int h = 0; h < layer.hpar(); ++h) {
    const Block rb = layer.row_blocks()[std::size_t(h)];
    for (int v = 0; v < layer.vpar(); ++v) {
      const Block ob = layer.output_blocks()[std::size_t(v)];
      os << "* ---- partition h" << h << " v" << v << ": rows " << rb.first << ".." << rb.first + rb.count - 1
         << ", outputs " << ob.first << ".." << ob.first + ob.count - 1 << " (+/- columns interleaved)\n";
      write_crossbar_body(
          os, "p" + idx(h, v) + "_", layer.partition_conductance(h, v), s.wire,
          [&](Eigen::Index i) { return "in" + std::to_string(rb.first + i); },
          [&](Eigen::Index j) {
            return std::string(j % 2 == 0 ? "sp" : "sn") + idx(ob.first + j / 2, h);
          });
    }
  }
  os << "* sense: transimpedance amplifiers (VCVS op-amp, feedback " << num(s.tia_ohm)
     << " ohm) hold every column end at virtual ground\n";
  os << "* difference amplifiers (gain " << num(s.diff_gain) << ", IMAC-Sim network), inverting summers over the "
     << layer.hpar() << " horizontal partitions, behavioural sigmoid neurons\n";
  for (int k = 0; k < n_out; ++k) {
    for (int h = 0; h < layer.hpar(); ++h) {
      const std::string t = idx(k, h);
      for (const char* pol : {"p", "n"}) {
        os << "Et" << pol << t << " t" << pol << t << " 0 0 s" << pol << t << " " << A << "\n";
        os << "Rt" << pol << t << " s" << pol << t << " t" << pol << t << " " << num(s.tia_ohm) << "\n";
      }
      // out = gain * (v(tp) - v(tn)) with R1 = R2 = diff_in, R3 = R4 = gain * diff_in.
      os << "Rda" << t << " tn" << t << " dm" << t << " " << num(s.diff_in_ohm) << "\n";
      os << "Rdb" << t << " tp" << t << " dp" << t << " " << num(s.diff_in_ohm) << "\n";
      os << "Ed" << t << " do" << t << " 0 dp" << t << " dm" << t << " " << A << "\n";
      os << "Rdc" << t << " dm" << t << " do" << t << " " << num(s.diff_gain * s.diff_in_ohm) << "\n";
      os << "Rdd" << t << " dp" << t << " 0 " << num(s.diff_gain * s.diff_in_ohm) << "\n";
      os << "Rsi" << t << " do" << t << " sm" << k << " " << num(s.sum_ohm) << "\n";
    }
    os << "Rsf" << k << " sm" << k << " sum" << k << " " << num(s.sum_ohm) << "\n";
    os << "Es" << k << " sum" << k << " 0 0 sm" << k << " " << A << "\n";
    os << "By" << k << " y" << k << " 0 V = " << num(s.neuron_vdd) << " / (1 + exp(-v(sum" << k << ") / "
       << num(s.neuron_scale_v) << "))\n";
    probes.push_back("v(sum" + std::to_string(k) + ")");
    probes.push_back("v(y" + std::to_string(k) + ")");
  }
  write_control(os, s.inputs, sources, probes);
  return os.str();
}

LayerResponse layer_reference(const LayerNetlistSpec& s) {
  check_layer_spec(s);
  const PartitionedLayer layer(s.g_pos, s.g_neg, s.rows, s.cols, s.wire);
  LayerResponse r;
  r.pre_activation_v = s.diff_gain * s.tia_ohm * layer.differential_currents(s.inputs, s.bias_v);
  r.output_v = r.pre_activation_v.unaryExpr(
      [&](double x) { return s.neuron_vdd / (1.0 + std::exp(-x / s.neuron_scale_v)); });
  return r;
}

}  // namespace memtile::core
