// Tiling and zero padding are right for every shape: rectangular arrays, odd operand shapes,
// single rows and columns, checked against the exact product in ideal mode.
#include <boost/test/unit_test.hpp>

#include "TestData.hpp"
#include "memtile/core/MatrixEngine.hpp"

using namespace memtile::core;

BOOST_AUTO_TEST_SUITE(tiling)

BOOST_AUTO_TEST_CASE(odd_shapes_on_rectangular_arrays_match_the_exact_product) {
  struct Shape { int m, k, n, rows, cols; };
  const Shape shapes[] = {{1, 1, 1, 32, 32},  {1, 37, 1, 32, 32},  {5, 33, 65, 32, 32},
                          {7, 100, 70, 32, 16}, {3, 70, 100, 16, 48}, {64, 31, 33, 8, 64},
                          {2, 257, 3, 128, 8}, {9, 5, 300, 3, 7}};
  for (const Shape& s : shapes) {
    const Eigen::MatrixXd a = memtile::test::randn(s.m, s.k, s.k), b = memtile::test::randn(s.k, s.n, s.n);
    for (EngineMode mode : {EngineMode::BitSlice, EngineMode::DiffPair, EngineMode::FloatingPoint}) {
      for (bool software : {true, false}) {
        EngineConfig c;
        c.mode = mode;
        c.software = software;
        c.precision = Precision::Float64;  // 24-bit slicing resolves below float32's rounding
        c.var = 0;
        c.array_rows = s.rows;
        c.array_cols = s.cols;
        c.radc = 1 << 30;
        c.xblk = c.mblk = {4, 4, 4, 4, 4, 4};  // 24 bits
        c.g_level = 16;
        c.rdac = 256;
        if (mode == EngineMode::DiffPair) {
          c.rdac = (1 << 24) + 1;
          c.g_level = (1 << 23) + 1;
        }
        if (mode == EngineMode::FloatingPoint) c.xblk = c.mblk = std::vector<int>(22, 1);
        MatrixEngine e(c);
        const Eigen::MatrixXd y = e.dot(a, b);
        BOOST_TEST_CONTEXT(s.m << "x" << s.k << " . " << s.k << "x" << s.n << " on " << s.rows << "x"
                               << s.cols << " " << to_string(mode) << (software ? " sw" : " hw")) {
          BOOST_TEST(y.rows() == s.m);
          BOOST_TEST(y.cols() == s.n);
          // Relative to the operand norms: a single output may cancel to almost nothing.
          BOOST_TEST((a * b - y).norm() < 1e-6 * a.norm() * b.norm());
        }
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(zero_rows_and_columns_give_exact_zeros) {
  Eigen::MatrixXd a = memtile::test::randn(4, 40, 1), b = memtile::test::randn(40, 6, 2);
  a.row(2).setZero();
  b.col(3).setZero();
  EngineConfig c;  // defaults, with variation
  c.var = 0;
  MatrixEngine e(c);
  const Eigen::MatrixXd y = e.dot(a, b);
  BOOST_TEST(y.row(2).isZero(0.0));
  BOOST_TEST(y.col(3).isZero(0.0));
}

BOOST_AUTO_TEST_CASE(program_once_read_many_times) {
  const Eigen::MatrixXd a = memtile::test::randn(10, 50, 3), b = memtile::test::randn(50, 20, 4);
  EngineConfig c;
  MatrixEngine e(c);
  ProgrammedMatrix pm = e.program(b);
  const Eigen::MatrixXd y1 = pm.multiply(a);
  const Eigen::MatrixXd y2 = pm.multiply(a);
  // Variation is drawn once at programming: without read noise, reads repeat exactly.
  BOOST_TEST((y1.array() == y2.array()).all());
  // Batching does not change the answer: row by row equals the whole batch.
  for (int r = 0; r < a.rows(); ++r) BOOST_TEST((pm.multiply(a.row(r)).array() == y1.row(r).array()).all());
  BOOST_TEST(pm.counters().vectors == 30u);
  BOOST_TEST(pm.array_count() == 2u * 1u * 4u);  // 2 row blocks x 1 column block x 4 slices
}

BOOST_AUTO_TEST_SUITE_END()
