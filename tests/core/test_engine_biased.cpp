// ISAAC's encodings: biased (offset-binary) weights with the bias subtracted digitally, flipped
// columns, and the lossless ADC full scale (one code per unit of the slice product). Checked
// against hand-worked cells and against the exact integer product of the quantised operands.
#include <boost/test/unit_test.hpp>

#include "memtile/core/Errors.hpp"
#include "memtile/core/MatrixEngine.hpp"

using namespace memtile::core;

namespace {
EngineConfig isaac_like(WeightEncoding e, int radc) {
  EngineConfig c;
  c.array_rows = c.array_cols = 128;
  c.xblk = std::vector<int>(16, 1);  // 16-bit inputs, one bit per cycle
  c.mblk = std::vector<int>(8, 2);   // 16-bit weights in 2-bit cells
  c.g_level = 4;
  c.HGS = 1.0 / 2e3;  // 2 kohm .. 2 Mohm
  c.LGS = 1.0 / 2e6;
  c.var = 0;
  c.rdac = 2;
  c.radc = radc;
  c.adc_full_scale = AdcFullScale::Lossless;
  c.weight_encoding = e;
  return c;
}

// The exact product of the quantised operands (x ~ sx q_x, w ~ q_w sw), as the software form.
Eigen::MatrixXd exact_quantised(const EngineConfig& hw, const Eigen::MatrixXd& X, const Eigen::MatrixXd& W) {
  EngineConfig sw = hw;
  sw.software = true;
  sw.weight_encoding = WeightEncoding::TwosComplement;
  sw.adc_full_scale = AdcFullScale::WorstCase;
  return MatrixEngine(sw).dot(X, W);
}
}  // namespace

BOOST_AUTO_TEST_SUITE(biased_encoding)

BOOST_AUTO_TEST_CASE(offset_plan_slices_offset_binary) {
  const SlicePlan p = make_offset_plan({2, 2});  // 4-bit words, stored as q + 8
  BOOST_TEST(p.total_bits == 4);
  BOOST_TEST(p.offset == 8);
  BOOST_TEST(p.slices[0].weight == 4.0);
  BOOST_TEST(p.slices[1].weight == 1.0);
  // -3 + 8 = 5 = 01 01; 7 + 8 = 15 = 11 11; -8 + 8 = 0.
  BOOST_TEST(slice_value(-3, p, p.slices[0]) == 1.0);
  BOOST_TEST(slice_value(-3, p, p.slices[1]) == 1.0);
  BOOST_TEST(slice_value(7, p, p.slices[0]) == 3.0);
  BOOST_TEST(slice_value(-8, p, p.slices[1]) == 0.0);
}

BOOST_AUTO_TEST_CASE(flipped_column_by_hand) {
  // 2-bit weights in one 2-bit cell (q in -1..1 stored as q + 2 in 1..3), 2-bit inputs
  // (sign slice + one bit), a 4x1 array. W = [1, 1, 1, -1]: levels 3, 3, 3, 1 sum to 10 > 4 x 3 / 2,
  // so the column is flipped to 0, 0, 0, 2. x = [1, 1, 1, 1]: the magnitude slice drives all rows.
  EngineConfig c;
  c.array_rows = 4;
  c.array_cols = 1;
  c.xblk = {1, 1};
  c.mblk = {2};
  c.g_level = 4;
  c.var = 0;
  c.rdac = 2;
  c.radc = 256;
  c.adc_full_scale = AdcFullScale::Lossless;
  c.weight_encoding = WeightEncoding::BiasedFlipped;
  Eigen::MatrixXd W(4, 1);
  W << 1, 1, 1, -1;
  ProgrammedMatrix pm = MatrixEngine(c).program(W);
  BOOST_TEST(pm.block(0).slices.size() == 1u);
  BOOST_TEST(pm.block(0).slices[0].flip_sign(0) == -1.0);
  // Correction per unit of the input sum: -bias (2) + levels_max (3) x slice weight (1) = 1.
  BOOST_TEST(pm.block(0).input_sum_weight(0) == 1.0);
  // The array reads sum(u * v') = 2 (lossless code 2); the shift-add subtracts it: -2; the input
  // sum (4) x 1 restores 1 + 1 + 1 - 1 = 2.
  const EncodedInput in = pm.encode(Eigen::MatrixXd::Ones(1, 4), 0);
  const Eigen::MatrixXd I = pm.read(0, 0, 1, in.volts[1], 0);
  BOOST_TEST(pm.adc_codes(0, 0, 1, I, 0)(0) == 2.0);
  BOOST_TEST(pm.convert(0, 0, 1, I)(0, 0) == -2.0);
  BOOST_TEST(pm.multiply(Eigen::MatrixXd::Ones(1, 4))(0, 0) == 2.0, boost::test_tools::tolerance(1e-12));
}

BOOST_AUTO_TEST_CASE(isaac_8bit_adc_is_lossless_only_with_flipped_weights) {
  // 128 rows of 2-bit cells, 1-bit inputs: a column sum reaches 128 x 3 = 384 > 255 codes of an
  // 8-bit ADC; flipped columns keep it <= 192 (ISAAC section on encoding).
  std::srand(7);
  const Eigen::MatrixXd W = (Eigen::MatrixXd::Random(128, 24).array() + 1.0) * 0.5;  // >= 0: large sums
  const Eigen::MatrixXd X = Eigen::MatrixXd::Ones(3, 128);
  const auto err = [&](WeightEncoding e, int radc) {
    const EngineConfig c = isaac_like(e, radc);
    return relative_error(exact_quantised(c, X, W), MatrixEngine(c).dot(X, W));
  };
  BOOST_TEST(err(WeightEncoding::BiasedFlipped, 256) <= 1e-13);  // 8-bit: exact
  BOOST_TEST(err(WeightEncoding::Biased, 512) <= 1e-13);         // 9-bit without the flip: exact
  BOOST_TEST(err(WeightEncoding::Biased, 256) > 1e-4);           // 8-bit without the flip: clips
  BOOST_TEST(err(WeightEncoding::TwosComplement, 512) <= 1e-13);
  // Signed weights and inputs too.
  std::srand(8);
  const Eigen::MatrixXd Ws = Eigen::MatrixXd::Random(200, 30), Xs = Eigen::MatrixXd::Random(5, 200);
  const EngineConfig c = isaac_like(WeightEncoding::BiasedFlipped, 256);
  BOOST_TEST(relative_error(exact_quantised(c, Xs, Ws), MatrixEngine(c).dot(Xs, Ws)) <= 1e-13);
}

BOOST_AUTO_TEST_CASE(biased_encodings_are_validated) {
  EngineConfig c = isaac_like(WeightEncoding::Biased, 256);
  c.mode = EngineMode::DiffPair;
  BOOST_CHECK_THROW(c.validate(), InputError);
  c = isaac_like(WeightEncoding::Differential, 256);
  BOOST_CHECK_THROW(c.validate(), InputError);  // lossless needs a non-differential encoding
  c = isaac_like(WeightEncoding::Biased, 256);
  c.xblk = {2, 2};
  c.rdac = 3;  // 2 steps cannot drive the levels 0..3 of a 2-bit slice exactly
  BOOST_CHECK_THROW(c.validate(), InputError);
  c.rdac = 4;
  BOOST_CHECK_NO_THROW(c.validate());
}

BOOST_AUTO_TEST_SUITE_END()
