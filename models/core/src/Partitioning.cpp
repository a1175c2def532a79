#include "memtile/core/Partitioning.hpp"

#include <cmath>
#include <string>

#include "memtile/core/Errors.hpp"

namespace memtile::core {

LayerTiling imac_partition_tiling(int n_in, int n_out, int rows, int cols) {
  // n_in + 1 would hide an empty layer; the tiling checks the other sizes.
  require(n_in >= 1, "partitioning", "inputs must be >= 1, got " + std::to_string(n_in));
  return LayerTiling(Eigen::Index{n_in} + 1, n_out, rows, cols, BlockSplit::Balanced);
}

// The partition count of one axis does not depend on the other: a one-wide tiling gives it.
int horizontal_partitions(int n_in, int rows) { return imac_partition_tiling(n_in, 1, rows, 1).row_blocks(); }
int vertical_partitions(int n_out, int cols) { return imac_partition_tiling(1, n_out, 1, cols).col_blocks(); }

std::vector<Block> balanced_blocks(int total, int parts) {
  require(total >= 1 && parts >= 1 && parts <= total, "partitioning", "need 1 <= parts <= total");
  std::vector<Block> out;
  for (int p = 0; p < parts; ++p) out.push_back(balanced_range(total, parts, p));
  return out;
}

double crossbar_area_m2(int crossbars, int rows, int cols, const WireTechnology& tech) {
  tech.validate();
  require(crossbars >= 0 && rows >= 1 && cols >= 1, "partitioning", "bad crossbar count or size");
  const double periphery_m2_per_line = 0.56e-12;  // IMAC-Sim: 0.56 um^2 per row/column line
  return tech.cell_width_m() * tech.cell_length_m() * double(rows) * double(cols) * crossbars +
         periphery_m2_per_line * crossbars * double(rows + cols);
}

NetworkPartitioning partition_network(const std::vector<int>& layer_sizes, int rows, int cols,
                                      const WireTechnology& tech) {
  require(layer_sizes.size() >= 2, "partitioning", "need at least an input and an output layer");
  NetworkPartitioning p;
  for (std::size_t l = 0; l + 1 < layer_sizes.size(); ++l) {
    const LayerTiling t = imac_partition_tiling(layer_sizes[l], layer_sizes[l + 1], rows, cols);
    p.hpar.push_back(t.row_blocks());
    p.vpar.push_back(t.col_blocks());
    p.crossbars += t.blocks();
  }
  p.area_m2 = crossbar_area_m2(p.crossbars, rows, cols, tech);
  return p;
}

namespace {
void check_layer(const Eigen::MatrixXd& g_pos, const Eigen::MatrixXd& g_neg) {
  require(g_pos.rows() >= 2 && g_pos.cols() >= 1, "layer", "g_pos must be (n_in + 1) x n_out with n_in >= 1");
  require(g_neg.rows() == g_pos.rows() && g_neg.cols() == g_pos.cols(), "layer",
          "g_pos and g_neg must have the same shape");
}

// Partition (h, v)'s physical conductances: rows x 2*outputs, +/- columns interleaved.
Eigen::MatrixXd partition_g(const Eigen::MatrixXd& g_pos, const Eigen::MatrixXd& g_neg, const Block& h, const Block& v) {
  Eigen::MatrixXd g(h.count, 2 * v.count);
  for (int k = 0; k < v.count; ++k) {
    g.col(2 * k) = g_pos.block(h.first, v.first + k, h.count, 1);
    g.col(2 * k + 1) = g_neg.block(h.first, v.first + k, h.count, 1);
  }
  return g;
}

// Sum over the horizontal partitions of I+ - I-; geff(p) is partition p = h * vpar + v's transfer.
template <class Geff>
Eigen::MatrixXd sum_partitions(const Eigen::MatrixXd& inputs, double bias_v, int n_in, int n_out,
                               const std::vector<Block>& rows, const std::vector<Block>& outs, const Geff& geff) {
  require(inputs.cols() == n_in, "layer",
          "inputs have " + std::to_string(inputs.cols()) + " columns, the layer has " + std::to_string(n_in));
  require(inputs.allFinite() && std::isfinite(bias_v), "layer", "input voltages must be finite");
  Eigen::MatrixXd full(inputs.rows(), n_in + 1);
  full.leftCols(n_in) = inputs;
  full.col(n_in).setConstant(bias_v);
  Eigen::MatrixXd out = Eigen::MatrixXd::Zero(inputs.rows(), n_out);
  for (std::size_t h = 0; h < rows.size(); ++h) {
    const Block& rb = rows[h];
    for (std::size_t v = 0; v < outs.size(); ++v) {
      const Block& ob = outs[v];
      const Eigen::MatrixXd I = full.middleCols(rb.first, rb.count) * geff(h * outs.size() + v);
      for (int k = 0; k < ob.count; ++k) out.col(ob.first + k) += I.col(2 * k) - I.col(2 * k + 1);
    }
  }
  return out;
}
}  // namespace

PartitionedLayer::PartitionedLayer(const Eigen::MatrixXd& g_pos, const Eigen::MatrixXd& g_neg, int rows, int cols,
                                   const WireParams& wire) {
  check_layer(g_pos, g_neg);
  n_in_ = int(g_pos.rows()) - 1;
  n_out_ = int(g_pos.cols());
  const LayerTiling tiling = imac_partition_tiling(n_in_, n_out_, rows, cols);
  row_blocks_ = tiling.row_ranges();
  out_blocks_ = tiling.col_ranges();
  for (const Block& h : row_blocks_) {
    for (const Block& v : out_blocks_) {
      Eigen::MatrixXd g = partition_g(g_pos, g_neg, h, v);
      solvers_.emplace_back(g, wire);  // validates the conductances
      g_.push_back(std::move(g));
    }
  }
}

PartitionedTransfer::PartitionedTransfer(const Eigen::MatrixXd& g_pos, const Eigen::MatrixXd& g_neg, int rows,
                                         int cols, const WireParams& wire) {
  check_layer(g_pos, g_neg);
  n_in_ = int(g_pos.rows()) - 1;
  n_out_ = int(g_pos.cols());
  const LayerTiling tiling = imac_partition_tiling(n_in_, n_out_, rows, cols);
  row_blocks_ = tiling.row_ranges();
  out_blocks_ = tiling.col_ranges();
  for (const Block& h : row_blocks_)
    for (const Block& v : out_blocks_) geff_.push_back(CrossbarSolver(partition_g(g_pos, g_neg, h, v), wire).effective_conductance());
}

Eigen::MatrixXd PartitionedTransfer::differential_currents(const Eigen::MatrixXd& inputs, double bias_v) const {
  return sum_partitions(inputs, bias_v, n_in_, n_out_, row_blocks_, out_blocks_,
                        [this](std::size_t p) -> const Eigen::MatrixXd& { return geff_[p]; });
}

const Eigen::MatrixXd& PartitionedLayer::partition_conductance(int h, int v) const {
  require(h >= 0 && h < hpar() && v >= 0 && v < vpar(), "layer", "partition index out of range");
  return g_[std::size_t(h * vpar() + v)];
}

const CrossbarSolver& PartitionedLayer::partition_solver(int h, int v) const {
  require(h >= 0 && h < hpar() && v >= 0 && v < vpar(), "layer", "partition index out of range");
  return solvers_[std::size_t(h * vpar() + v)];
}

Eigen::MatrixXd PartitionedLayer::differential_currents(const Eigen::MatrixXd& inputs, double bias_v) const {
  return sum_partitions(inputs, bias_v, n_in_, n_out_, row_blocks_, out_blocks_,
                        [this](std::size_t p) -> const Eigen::MatrixXd& { return solvers_[p].effective_conductance(); });
}

}  // namespace memtile::core
