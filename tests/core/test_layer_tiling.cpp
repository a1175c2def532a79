// The layer mapper (core::LayerTiling, docs/mapping.md) against block counts and ranges worked
// out by hand, the IMAC partitioning through it, and the engine's arrays cut by it (and the
// tile's geometry read from it).
#include <boost/test/unit_test.hpp>
#include <string>

#include "memtile/core/Errors.hpp"
#include "memtile/core/LayerTiling.hpp"
#include "memtile/core/MatrixEngine.hpp"
#include "memtile/core/Partitioning.hpp"
#include "memtile/core/config/Geometry.hpp"

using namespace memtile::core;

namespace {
void check_range(const BlockRange& r, Eigen::Index first, Eigen::Index count) {
  BOOST_TEST(r.first == first);
  BOOST_TEST(r.count == count);
}

// True when `call` throws an InputError whose message starts with `field`.
template <class F>
bool throws_naming(F call, const std::string& field) {
  try {
    call();
  } catch (const InputError& e) {
    const std::string m = e.what();
    BOOST_TEST_MESSAGE(m);
    return m.rfind(field + ":", 0) == 0;
  }
  return false;
}
}  // namespace

BOOST_AUTO_TEST_SUITE(layer_tiling)

// K = 400 inputs, N = 120 outputs on 32 x 32 arrays, packed (engine, tiles, VP):
// 400 = 12 x 32 + 16 -> 13 row blocks, the last with 16 rows; 120 = 3 x 32 + 24 -> 4 column
// blocks, the last with 24 columns; 13 x 4 = 52 blocks; padded 416 x 128.
BOOST_AUTO_TEST_CASE(packed_400_by_120_on_32_by_32) {
  const LayerTiling t(400, 120, 32, 32);
  BOOST_TEST(t.row_blocks() == 13);
  BOOST_TEST(t.col_blocks() == 4);
  BOOST_TEST(t.blocks() == 52);
  check_range(t.rows_of(0), 0, 32);
  check_range(t.rows_of(11), 352, 32);
  check_range(t.rows_of(12), 384, 16);
  check_range(t.cols_of(0), 0, 32);
  check_range(t.cols_of(2), 64, 32);
  check_range(t.cols_of(3), 96, 24);
  BOOST_TEST(t.rows_of(12).end() == 400);
  BOOST_TEST(t.padded_rows() == 416);
  BOOST_TEST(t.padded_cols() == 128);
  BOOST_TEST(t.row_utilisation() == 400.0 / 416.0);
  BOOST_TEST(t.col_utilisation() == 0.9375);  // 120 / 128
  BOOST_TEST(t.cell_utilisation() == (400.0 / 416.0) * 0.9375);
  // Row-major block numbering: b = row_block * 4 + col_block.
  BOOST_TEST(t.block_index(0, 0) == 0);
  BOOST_TEST(t.block_index(1, 1) == 5);
  BOOST_TEST(t.block_index(12, 3) == 51);
  BOOST_TEST(t.row_block_of(5) == 1);
  BOOST_TEST(t.col_block_of(5) == 1);
  BOOST_TEST(t.row_block_of(51) == 12);
  BOOST_TEST(t.col_block_of(51) == 3);
  BOOST_TEST(t.row_block_of(4) == 1);
  BOOST_TEST(t.col_block_of(4) == 0);
}

// Rectangular blocks and exact fits: 70 x 100 on 16 x 48 -> 70 = 4 x 16 + 6 (5 row blocks),
// 100 = 2 x 48 + 4 (3 column blocks); 32 x 64 on 32 x 32 fits exactly; a single weight.
BOOST_AUTO_TEST_CASE(packed_edges) {
  const LayerTiling r(70, 100, 16, 48);
  BOOST_TEST(r.row_blocks() == 5);
  BOOST_TEST(r.col_blocks() == 3);
  check_range(r.rows_of(4), 64, 6);
  check_range(r.cols_of(1), 48, 48);
  check_range(r.cols_of(2), 96, 4);
  BOOST_TEST(r.padded_rows() == 80);
  BOOST_TEST(r.padded_cols() == 144);

  const LayerTiling exact(32, 64, 32, 32);
  BOOST_TEST(exact.blocks() == 2);
  check_range(exact.rows_of(0), 0, 32);
  check_range(exact.cols_of(1), 32, 32);
  BOOST_TEST(exact.cell_utilisation() == 1.0);

  const LayerTiling over(33, 1, 32, 32);  // one row too many: a second block of one row
  BOOST_TEST(over.row_blocks() == 2);
  check_range(over.rows_of(1), 32, 1);

  const LayerTiling one(1, 1, 128, 128);
  BOOST_TEST(one.blocks() == 1);
  check_range(one.rows_of(0), 0, 1);
  BOOST_TEST(one.cell_utilisation() == 1.0 / (128.0 * 128.0));
}

// Balanced (IMAC-Sim): 401 rows (400 inputs + bias) in 13 partitions: 401 = 13 x 30 + 11, so
// partitions 0..10 hold 31 rows and 11..12 hold 30; 120 outputs in 4 partitions of 30.
BOOST_AUTO_TEST_CASE(balanced_401_by_120_on_32_by_32) {
  const LayerTiling t(401, 120, 32, 32, BlockSplit::Balanced);
  BOOST_TEST(t.row_blocks() == 13);
  BOOST_TEST(t.col_blocks() == 4);
  check_range(t.rows_of(0), 0, 31);
  check_range(t.rows_of(10), 310, 31);
  check_range(t.rows_of(11), 341, 30);
  check_range(t.rows_of(12), 371, 30);
  check_range(t.cols_of(0), 0, 30);
  check_range(t.cols_of(3), 90, 30);
  // Same block counts as packed; only the ranges differ.
  const LayerTiling p(401, 120, 32, 32);
  BOOST_TEST(p.blocks() == t.blocks());
  check_range(p.rows_of(12), 384, 17);
}

// The IMAC partitions of LeNet-300's {400, 120, 84, 10} MLP through the mapper: layer 2 has
// 121 rows = 4 x 30 + 1 -> 4 partitions (31, 30, 30, 30) and 84 = 3 x 28 outputs -> 3 of 28;
// layer 3 has 85 rows = 3 x 28 + 1 -> 3 partitions (29, 28, 28) and 10 outputs -> 1.
BOOST_AUTO_TEST_CASE(imac_partitions_are_balanced_blocks_with_the_bias_row) {
  const LayerTiling l1 = imac_partition_tiling(400, 120, 32, 32);
  BOOST_TEST(l1.inputs() == 401);
  BOOST_TEST((l1.split() == BlockSplit::Balanced));
  BOOST_TEST(l1.row_blocks() == 13);
  check_range(l1.rows_of(12), 371, 30);
  const LayerTiling l2 = imac_partition_tiling(120, 84, 32, 32);
  BOOST_TEST(l2.row_blocks() == 4);
  check_range(l2.rows_of(0), 0, 31);
  check_range(l2.rows_of(1), 31, 30);
  check_range(l2.rows_of(3), 91, 30);
  BOOST_TEST(l2.col_blocks() == 3);
  check_range(l2.cols_of(2), 56, 28);
  const LayerTiling l3 = imac_partition_tiling(84, 10, 32, 32);
  BOOST_TEST(l3.row_blocks() == 3);
  check_range(l3.rows_of(0), 0, 29);
  check_range(l3.rows_of(2), 57, 28);
  BOOST_TEST(l3.col_blocks() == 1);
  check_range(l3.cols_of(0), 0, 10);

  // partition_network and the partitioned circuit take their blocks from the same tiling.
  const NetworkPartitioning n = partition_network({400, 120, 84, 10}, 32, 32);
  BOOST_TEST(n.crossbars == 13 * 4 + 4 * 3 + 3 * 1);
  BOOST_TEST(horizontal_partitions(120, 32) == 4);
  BOOST_TEST(vertical_partitions(84, 32) == 3);
  const Eigen::MatrixXd g = Eigen::MatrixXd::Constant(121, 84, 1e-5);
  const PartitionedTransfer circuit(g, g, 32, 32, WireParams{});
  BOOST_TEST(circuit.hpar() == 4);
  BOOST_TEST(circuit.vpar() == 3);
  check_range(circuit.row_blocks()[1], 31, 30);
  check_range(circuit.output_blocks()[2], 56, 28);
}

// Every split covers its axis exactly once, in order, no block above capacity, and balanced
// sizes differ by at most one.
BOOST_AUTO_TEST_CASE(blocks_cover_the_layer_once) {
  for (Eigen::Index total : {1, 2, 31, 32, 33, 63, 64, 65, 400, 401, 1000})
    for (int cap : {1, 3, 7, 32, 128})
      for (BlockSplit split : {BlockSplit::Packed, BlockSplit::Balanced}) {
        const LayerTiling t(total, 1, cap, 1, split);
        BOOST_TEST(t.row_blocks() == (total + cap - 1) / cap);
        Eigen::Index next = 0, smallest = cap, largest = 0;
        for (const BlockRange& r : t.row_ranges()) {
          BOOST_TEST(r.first == next);
          BOOST_TEST((r.count >= 1 && r.count <= cap));
          smallest = std::min(smallest, r.count);
          largest = std::max(largest, r.count);
          next = r.end();
        }
        BOOST_TEST(next == total);
        if (split == BlockSplit::Balanced) BOOST_TEST(largest - smallest <= 1);
      }
}

BOOST_AUTO_TEST_CASE(bad_input_names_the_field) {
  BOOST_TEST(throws_naming([] { LayerTiling(0, 5, 32, 32); }, "tiling.inputs"));
  BOOST_TEST(throws_naming([] { LayerTiling(5, 0, 32, 32); }, "tiling.outputs"));
  BOOST_TEST(throws_naming([] { LayerTiling(5, 5, 0, 32); }, "tiling.block_rows"));
  BOOST_TEST(throws_naming([] { LayerTiling(5, 5, 32, -1); }, "tiling.block_cols"));
  const LayerTiling t(400, 120, 32, 32);
  BOOST_TEST(throws_naming([&] { t.rows_of(13); }, "tiling.row_block"));
  BOOST_TEST(throws_naming([&] { t.cols_of(-1); }, "tiling.col_block"));
  BOOST_TEST(throws_naming([&] { t.row_block_of(52); }, "tiling.block"));
  BOOST_TEST(throws_naming([&] { t.block_index(0, 4); }, "tiling.col_block"));
  BOOST_TEST(throws_naming([] { imac_partition_tiling(0, 10, 32, 32); }, "partitioning"));
  // More blocks than an int holds.
  BOOST_TEST(throws_naming([] { LayerTiling(Eigen::Index{1} << 40, 1, 1, 1); }, "tiling.inputs"));
}

// The engine cuts its arrays with the mapper: same block counts, and row block kb holds layer
// rows rows_of(kb) (the rest of the array zero). 70 x 100 on 16 x 48, software form.
BOOST_AUTO_TEST_CASE(engine_arrays_are_the_tiling_blocks) {
  EngineConfig c;
  c.software = true;
  c.array_rows = 16;
  c.array_cols = 48;
  const Eigen::MatrixXd W = Eigen::MatrixXd::Constant(70, 100, 0.5);
  const ProgrammedMatrix pm = MatrixEngine(c).program(W);
  const LayerTiling t(70, 100, 16, 48);
  BOOST_TEST(pm.row_blocks() == t.row_blocks());
  BOOST_TEST(pm.col_blocks() == t.col_blocks());
  for (int kb = 0; kb < t.row_blocks(); ++kb) {
    const Eigen::MatrixXd& w = pm.block(kb).w_int;
    const BlockRange rows = t.rows_of(kb);
    BOOST_TEST(w.rows() == 16);
    BOOST_TEST((w.topRows(rows.count).array() != 0).all());
    BOOST_TEST((w.bottomRows(16 - rows.count).array() == 0).all());
  }
}

// The tile's geometry is the programmed matrix's tiling (no arithmetic of its own): 70 x 100 on
// 16 x 48 uses 16, 16, 16, 16, 6 rows of its 5 row partitions and 144 padded columns.
BOOST_AUTO_TEST_CASE(tile_geometry_reads_the_tiling) {
  EngineConfig c;
  c.software = true;
  c.array_rows = 16;
  c.array_cols = 48;
  const ProgrammedMatrix pm = MatrixEngine(c).program(Eigen::MatrixXd::Constant(70, 100, 0.5));
  const TileGeometry g = TileGeometry::of(pm);
  BOOST_TEST(pm.tiling().blocks() == pm.row_blocks() * pm.col_blocks());
  BOOST_TEST(g.rows() == 16);
  BOOST_TEST(g.cols() == 48);
  BOOST_TEST(g.hpar() == 5);
  BOOST_TEST(g.vpar() == 3);
  BOOST_TEST(g.in_features() == 70);
  BOOST_TEST(g.out_features() == 100);
  BOOST_TEST(g.padded_cols() == 144);
  for (int kb = 0; kb < 5; ++kb) BOOST_TEST(g.used_rows(kb) == (kb < 4 ? 16 : 6));
  BOOST_TEST(TileGeometry{}.hpar() == 0);  // no layer yet: no partitions
}

BOOST_AUTO_TEST_SUITE_END()
