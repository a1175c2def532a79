// Shape of the hardware a programmed layer occupies (docs/model.md §4 partitioning): hpar row
// partitions (row blocks) x vpar column partitions (column blocks), each partition a set of
// weight-slice arrays (x2 for differential G+/G- pairs). No bias row is mapped: the core
// engine has none (IMAC-Sim's +1 bias row belongs to the IMAC preset).
#pragma once
#include <Eigen/Dense>
#include <vector>

#include "memtile/core/MatrixEngine.hpp"

namespace memtile::core {

struct TileGeometry {
  int rows = 0, cols = 0;          // array size
  int hpar = 0, vpar = 0;          // row partitions x column partitions
  int input_slices = 0;            // DAC slices per input vector
  int weight_slices = 0;           // arrays per (row block, column block, polarity)
  int polarity = 1;                // 2 for differential pairs (G+ and G- arrays)
  Eigen::Index in_features = 0, out_features = 0, padded_cols = 0;
  std::vector<int> dac_bits;       // per input slice: resolution the DAC needs
  bool software = false;

  // Arrays of one row partition: vpar x weight_slices x polarity.
  int arrays_per_partition() const { return vpar * weight_slices * polarity; }
  static TileGeometry of(const core::ProgrammedMatrix& pm);
};

inline int ceil_log2(long long v) {
  int b = 0;
  while ((1LL << b) < v) ++b;
  return b;
}

inline TileGeometry TileGeometry::of(const core::ProgrammedMatrix& pm) {
  const core::EngineConfig& c = pm.config();
  TileGeometry g;
  g.rows = c.array_rows;
  g.cols = c.array_cols;
  g.hpar = pm.row_blocks();
  g.vpar = pm.col_blocks();
  g.in_features = pm.in_features();
  g.out_features = pm.out_features();
  g.padded_cols = static_cast<Eigen::Index>(g.vpar) * g.cols;
  g.software = c.software;
  const bool diffpair = c.mode == core::EngineMode::DiffPair;
  g.input_slices = diffpair ? 1 : static_cast<int>(pm.input_plan().slices.size());
  g.weight_slices = diffpair ? 1 : static_cast<int>(pm.weight_plan().slices.size());
  g.polarity = pm.differential() ? 2 : 1;
  const int rdac_bits = ceil_log2(c.rdac);
  for (int i = 0; i < g.input_slices; ++i)
    g.dac_bits.push_back(diffpair ? rdac_bits : std::min(pm.input_plan().slices[i].bits, rdac_bits));
  return g;
}

}  // namespace memtile::core
