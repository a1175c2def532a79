// How a layer becomes tiles: the one mapper every backend uses (docs/mapping.md).
//
// A layer y = x W has K inputs (the rows of W) and N outputs (the columns of W). Hardware
// holds W in blocks of at most block_rows x block_cols weights (a crossbar array, or a tile of
// the virtual platform): the K rows are cut into row blocks, the N columns into column blocks,
// and every (row block, column block) pair is one block of the layer:
//
//   row_blocks = ceil(K / block_rows)    col_blocks = ceil(N / block_cols)
//   blocks     = row_blocks x col_blocks, numbered b = row_block * col_blocks + col_block
//
// A block drives its rows with its slice of the inputs and senses its columns; the partial
// results of the row blocks of one column block are added after sensing. Rows (columns) a
// block does not use are padding: driven at 0 V (their columns never read out).
//
// Two ways to cut an axis, one per kind of hardware:
//   Packed   full blocks first, the remainder in the last one: block b covers
//            [b * capacity, min((b + 1) * capacity, total)). The digital engine, the tiles and
//            the virtual platform: every block is a fixed-size array, the engine quantises per
//            array (scale per row block), and padded rows cost nothing.
//   Balanced ceil(total / capacity) blocks whose sizes differ by at most one, the larger ones
//            first (IMAC-Sim's partitioning for the fully analog MLP): each partition is its own
//            circuit, so equal lengths keep the IR drop of the worst line low.
// Both give the same number of blocks; only the ranges differ.
#pragma once
#include <Eigen/Core>
#include <vector>

namespace memtile::core {

enum class BlockSplit { Packed, Balanced };

// Contiguous rows (or columns) of the layer that one block uses.
struct BlockRange {
  Eigen::Index first = 0;  // first layer row (column) in the block
  Eigen::Index count = 0;  // rows (columns) used; the rest of the block's capacity is padding
  Eigen::Index end() const { return first + count; }
};

// ceil(total / capacity): the blocks of one axis. InputError naming `field` unless total >= 1
// and capacity >= 1.
int block_count(Eigen::Index total, int capacity, const char* field);
// Range of block b when `total` items are split into `parts` blocks of sizes differing by at
// most one, larger first. InputError unless 1 <= parts <= total and 0 <= b < parts.
BlockRange balanced_range(Eigen::Index total, int parts, int b);

class LayerTiling {
 public:
  // The empty tiling (0 x 0 layer, no blocks): what a ProgrammedMatrix or TileGeometry holds
  // before program() or TileGeometry::of() assigns the real one.
  LayerTiling() = default;
  // inputs = K, outputs = N, block_rows x block_cols = one block's capacity. InputError naming the
  // field (tiling.inputs, tiling.outputs, tiling.block_rows, tiling.block_cols) unless all >= 1
  // and the block count fits an int.
  LayerTiling(Eigen::Index inputs, Eigen::Index outputs, int block_rows, int block_cols,
              BlockSplit split = BlockSplit::Packed);

  Eigen::Index inputs() const { return inputs_; }
  Eigen::Index outputs() const { return outputs_; }
  int block_rows() const { return block_rows_; }
  int block_cols() const { return block_cols_; }
  BlockSplit split() const { return split_; }

  int row_blocks() const { return row_blocks_; }
  int col_blocks() const { return col_blocks_; }
  int blocks() const { return row_blocks_ * col_blocks_; }  // tiles (arrays) of the layer

  // The layer rows of row block r / columns of column block c (InputError when out of range).
  BlockRange rows_of(int row_block) const;
  BlockRange cols_of(int col_block) const;
  std::vector<BlockRange> row_ranges() const;
  std::vector<BlockRange> col_ranges() const;

  // Block b = row_block * col_blocks + col_block.
  int block_index(int row_block, int col_block) const;
  int row_block_of(int block) const;
  int col_block_of(int block) const;

  // Rows / columns of all blocks together, padding included (row_blocks x block_rows, ...).
  Eigen::Index padded_rows() const { return static_cast<Eigen::Index>(row_blocks_) * block_rows_; }
  Eigen::Index padded_cols() const { return static_cast<Eigen::Index>(col_blocks_) * block_cols_; }
  // Share of the allocated rows / columns / cells that hold weights (1 when nothing is padded).
  double row_utilisation() const { return static_cast<double>(inputs_) / static_cast<double>(padded_rows()); }
  double col_utilisation() const { return static_cast<double>(outputs_) / static_cast<double>(padded_cols()); }
  double cell_utilisation() const { return row_utilisation() * col_utilisation(); }

 private:
  Eigen::Index inputs_ = 0, outputs_ = 0;
  int block_rows_ = 0, block_cols_ = 0;
  BlockSplit split_ = BlockSplit::Packed;
  int row_blocks_ = 0, col_blocks_ = 0;
};

}  // namespace memtile::core
