// Shape of the hardware a programmed layer occupies (docs/model.md §4 partitioning): the
// engine's tiling of the layer (core::LayerTiling, docs/mapping.md) into hpar row partitions
// (row blocks) x vpar column partitions (column blocks), each partition a set of weight-slice
// arrays (x2 for differential G+/G- pairs). No bias row is mapped: the core engine has none
// (IMAC-Sim's +1 bias row belongs to the IMAC preset).
#pragma once
#include <Eigen/Dense>
#include <algorithm>
#include <vector>

#include "memtile/core/LayerTiling.hpp"
#include "memtile/core/MatrixEngine.hpp"

namespace memtile::core {

struct TileGeometry {
  LayerTiling tiling;              // the programmed matrix's (ProgrammedMatrix::tiling())
  int input_slices = 0;            // DAC slices per input vector
  int weight_slices = 0;           // arrays per (row block, column block, polarity)
  int polarity = 1;                // 2 for differential pairs (G+ and G- arrays)
  std::vector<int> dac_bits;       // per input slice: resolution the DAC needs
  bool software = false;

  // The tiling in the tile's words: array size, row x column partitions, the layer's shape.
  int rows() const { return tiling.block_rows(); }
  int cols() const { return tiling.block_cols(); }
  int hpar() const { return tiling.row_blocks(); }
  int vpar() const { return tiling.col_blocks(); }
  Eigen::Index in_features() const { return tiling.inputs(); }
  Eigen::Index out_features() const { return tiling.outputs(); }
  Eigen::Index padded_cols() const { return tiling.padded_cols(); }
  // Rows of row partition kb that hold inputs; the rest of its rows are padding.
  Eigen::Index used_rows(int kb) const { return tiling.rows_of(kb).count; }
  // Arrays of one row partition: vpar x weight_slices x polarity.
  int arrays_per_partition() const { return vpar() * weight_slices * polarity; }
  static TileGeometry of(const ProgrammedMatrix& pm);
};

inline int ceil_log2(long long v) {
  int b = 0;
  while ((1LL << b) < v) ++b;
  return b;
}

inline TileGeometry TileGeometry::of(const ProgrammedMatrix& pm) {
  const EngineConfig& c = pm.config();
  TileGeometry g;
  g.tiling = pm.tiling();
  g.software = c.software;
  const bool diffpair = c.mode == EngineMode::DiffPair;
  g.input_slices = pm.input_slices();
  g.weight_slices = pm.weight_slices();
  g.polarity = pm.differential() ? 2 : 1;
  const int rdac_bits = ceil_log2(c.rdac);
  for (int i = 0; i < g.input_slices; ++i)
    g.dac_bits.push_back(diffpair ? rdac_bits : std::min(pm.input_plan().slices[i].bits, rdac_bits));
  return g;
}

}  // namespace memtile::core
