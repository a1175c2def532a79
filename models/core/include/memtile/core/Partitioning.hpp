// IMAC-Sim partitioning of fully connected layers onto fixed-size crossbars (docs/model.md §4,
// docs/mapping.md). The partitions are the blocks of core::LayerTiling with IMAC's two rules:
// the layer has n_in + 1 rows (the bias row is a weight row driven at vdd), and both axes are
// split Balanced (sizes differ by at most one), as IMAC-Sim does, so no partition is much
// longer than the others:
//   hpar = ceil((n_in + 1) / r) horizontal and vpar = ceil(n_out / c) vertical partitions.
// Each partition has its own drivers and sense circuits (shorter lines, less IR drop); the
// partial results of the hpar partitions of one output are summed after sensing.
// Area (IMAC-Sim): W*L*r*c*N_xbar + 0.56 um^2 * N_xbar * (r + c) (the second term is the
// per-line switch/periphery allowance of IMAC-Sim; drivers, ADCs and neurons are not included).
#pragma once
#include <Eigen/Dense>
#include <vector>

#include "memtile/core/CrossbarSolver.hpp"
#include "memtile/core/LayerTiling.hpp"
#include "memtile/core/WireTechnology.hpp"

namespace memtile::core {

// The partitions of a layer of n_in inputs and n_out outputs on rows x cols crossbars: a
// LayerTiling of (n_in + 1) x n_out, Balanced. InputError on sizes < 1.
LayerTiling imac_partition_tiling(int n_in, int n_out, int rows, int cols);
int horizontal_partitions(int n_in, int rows);  // ceil((n_in + 1) / rows), bias row included
int vertical_partitions(int n_out, int cols);   // ceil(n_out / cols)

// Balanced split of `total` items into `parts` contiguous blocks: (first, count) per block.
using Block = BlockRange;
std::vector<Block> balanced_blocks(int total, int parts);

struct NetworkPartitioning {
  std::vector<int> hpar;  // one per layer (layer_sizes.size() - 1 entries)
  std::vector<int> vpar;
  int crossbars = 0;      // sum over layers of hpar * vpar
  double area_m2 = 0;     // IMAC-Sim area formula
};
// layer_sizes: e.g. {400, 120, 84, 10}. Throws InputError on sizes < 1 or fewer than 2 layers.
NetworkPartitioning partition_network(const std::vector<int>& layer_sizes, int rows, int cols,
                                      const WireTechnology& tech = WireTechnology{});
double crossbar_area_m2(int crossbars, int rows, int cols, const WireTechnology& tech = WireTechnology{});

// One layer mapped on differential pairs: output k uses a G+ and a G- column. A partition has
// up to `rows` input rows and up to `cols` outputs; physically it is a rows x (2 * outputs)
// crossbar with the +/- columns interleaved (column 2k is G+, 2k+1 is G- of its k-th output),
// solved exactly with CrossbarSolver. Row n_in (the last) is the bias row.
class PartitionedLayer {
 public:
  // g_pos, g_neg: (n_in + 1) x n_out conductances (S), last row = bias.
  PartitionedLayer(const Eigen::MatrixXd& g_pos, const Eigen::MatrixXd& g_neg, int rows, int cols,
                   const WireParams& wire);

  int inputs() const { return n_in_; }
  int outputs() const { return n_out_; }
  int hpar() const { return int(row_blocks_.size()); }
  int vpar() const { return int(out_blocks_.size()); }
  const std::vector<Block>& row_blocks() const { return row_blocks_; }
  const std::vector<Block>& output_blocks() const { return out_blocks_; }
  // Physical conductance matrix of partition (h, v): rows x 2*outputs, interleaved +/-.
  const Eigen::MatrixXd& partition_conductance(int h, int v) const;
  const CrossbarSolver& partition_solver(int h, int v) const;

  // Sum over the horizontal partitions of I+ - I- for every output: K x n_out amperes.
  // inputs: K x n_in volts; the bias row is driven at bias_v.
  Eigen::MatrixXd differential_currents(const Eigen::MatrixXd& inputs, double bias_v) const;

 private:
  int n_in_ = 0, n_out_ = 0;
  std::vector<Block> row_blocks_, out_blocks_;
  std::vector<Eigen::MatrixXd> g_;          // h * vpar + v
  std::vector<CrossbarSolver> solvers_;     // h * vpar + v
};

// The same layer reduced to its transfer: per partition the exact effective conductance
// matrix (CrossbarSolver::effective_conductance), each computed with its factor alive only
// while it is needed, so a layer of many partitions holds a few kB per partition instead of
// its sparse factors. Same results as PartitionedLayer::differential_currents.
class PartitionedTransfer {
 public:
  PartitionedTransfer(const Eigen::MatrixXd& g_pos, const Eigen::MatrixXd& g_neg, int rows, int cols,
                      const WireParams& wire);
  int hpar() const { return int(row_blocks_.size()); }
  int vpar() const { return int(out_blocks_.size()); }
  const std::vector<Block>& row_blocks() const { return row_blocks_; }
  const std::vector<Block>& output_blocks() const { return out_blocks_; }
  Eigen::MatrixXd differential_currents(const Eigen::MatrixXd& inputs, double bias_v) const;

 private:
  int n_in_ = 0, n_out_ = 0;
  std::vector<Block> row_blocks_, out_blocks_;
  std::vector<Eigen::MatrixXd> geff_;  // h * vpar + v: rows x 2*outputs, interleaved +/-
};

}  // namespace memtile::core
