#include "memtile/core/LayerTiling.hpp"

#include <algorithm>
#include <limits>
#include <string>

#include "memtile/core/Errors.hpp"

namespace memtile::core {

namespace {
constexpr Eigen::Index kMaxBlocks = std::numeric_limits<int>::max();
}  // namespace

int block_count(Eigen::Index total, int capacity, const char* field) {
  require(total >= 1, field, "must be >= 1, got " + std::to_string(total));
  require(capacity >= 1, field, "block capacity must be >= 1, got " + std::to_string(capacity));
  const Eigen::Index blocks = (total - 1) / capacity + 1;  // ceil without overflowing total + capacity
  require(blocks <= kMaxBlocks, field, std::to_string(blocks) + " blocks exceed an int");
  return static_cast<int>(blocks);
}

BlockRange balanced_range(Eigen::Index total, int parts, int b) {
  if (parts < 1 || parts > total)
    throw InputError("balanced split: need 1 <= parts <= total, got " + std::to_string(parts) + " parts of " +
                     std::to_string(total));
  if (b < 0 || b >= parts)
    throw InputError("balanced split: block " + std::to_string(b) + " out of 0.." + std::to_string(parts - 1));
  // The first `extra` blocks take one more item than the others.
  const Eigen::Index base = total / parts, extra = total % parts;
  return {b * base + std::min<Eigen::Index>(b, extra), base + (b < extra ? 1 : 0)};
}

LayerTiling::LayerTiling(Eigen::Index inputs, Eigen::Index outputs, int block_rows, int block_cols, BlockSplit split)
    : inputs_(inputs), outputs_(outputs), block_rows_(block_rows), block_cols_(block_cols), split_(split) {
  require(block_rows >= 1, "tiling.block_rows", "must be >= 1, got " + std::to_string(block_rows));
  require(block_cols >= 1, "tiling.block_cols", "must be >= 1, got " + std::to_string(block_cols));
  row_blocks_ = block_count(inputs, block_rows, "tiling.inputs");
  col_blocks_ = block_count(outputs, block_cols, "tiling.outputs");
  require(static_cast<Eigen::Index>(row_blocks_) * col_blocks_ <= kMaxBlocks, "tiling",
          std::to_string(row_blocks_) + " x " + std::to_string(col_blocks_) + " blocks exceed an int");
}

namespace {
BlockRange axis_range(Eigen::Index total, int capacity, int blocks, BlockSplit split, int b, const char* field) {
  if (b < 0 || b >= blocks)  // (the engine asks per read: no message built unless it fails)
    throw InputError(std::string(field) + ": block " + std::to_string(b) + " out of 0.." + std::to_string(blocks - 1));
  if (split == BlockSplit::Balanced) return balanced_range(total, blocks, b);
  const Eigen::Index first = static_cast<Eigen::Index>(b) * capacity;
  return {first, std::min<Eigen::Index>(capacity, total - first)};
}
}  // namespace

BlockRange LayerTiling::rows_of(int row_block) const {
  return axis_range(inputs_, block_rows_, row_blocks_, split_, row_block, "tiling.row_block");
}

BlockRange LayerTiling::cols_of(int col_block) const {
  return axis_range(outputs_, block_cols_, col_blocks_, split_, col_block, "tiling.col_block");
}

std::vector<BlockRange> LayerTiling::row_ranges() const {
  std::vector<BlockRange> v;
  for (int r = 0; r < row_blocks_; ++r) v.push_back(rows_of(r));
  return v;
}

std::vector<BlockRange> LayerTiling::col_ranges() const {
  std::vector<BlockRange> v;
  for (int c = 0; c < col_blocks_; ++c) v.push_back(cols_of(c));
  return v;
}

int LayerTiling::block_index(int row_block, int col_block) const {
  require(row_block >= 0 && row_block < row_blocks_, "tiling.row_block",
          std::to_string(row_block) + " out of 0.." + std::to_string(row_blocks_ - 1));
  require(col_block >= 0 && col_block < col_blocks_, "tiling.col_block",
          std::to_string(col_block) + " out of 0.." + std::to_string(col_blocks_ - 1));
  return row_block * col_blocks_ + col_block;
}

int LayerTiling::row_block_of(int block) const {
  require(block >= 0 && block < blocks(), "tiling.block", std::to_string(block) + " out of 0.." + std::to_string(blocks() - 1));
  return block / col_blocks_;
}

int LayerTiling::col_block_of(int block) const {
  require(block >= 0 && block < blocks(), "tiling.block", std::to_string(block) + " out of 0.." + std::to_string(blocks() - 1));
  return block % col_blocks_;
}

}  // namespace memtile::core
