// The C++ reference models of the RTL (rtlref), without SystemC:
//  - saturating updates against an independent big-integer statement of the spec;
//  - the SAR model with the analog comparator against core::AdcQuantiser;
//  - the digital path (SAR -> shift-add -> partial-sum accumulator) against the numerical
//    engine: bit for bit where IntegerForm::exact holds, within rounding where it does not.
#define BOOST_TEST_MODULE memtile rtl reference models
#include <boost/multiprecision/cpp_int.hpp>
#include <boost/test/unit_test.hpp>
#include <cmath>
#include <random>

#include "memtile/core/Converters.hpp"
#include "memtile/core/MatrixEngine.hpp"
#include "memtile/core/rtlref/EngineMapping.hpp"
#include "memtile/core/rtlref/PartialSumAccumulatorModel.hpp"
#include "memtile/core/rtlref/SarLogicModel.hpp"
#include "memtile/core/rtlref/ShiftAddModel.hpp"

using namespace memtile::core;
using namespace memtile::core::rtlref;
using boost::multiprecision::cpp_int;

namespace {

std::uint64_t corner(std::mt19937_64& rng, int w) {
  const std::uint64_t m = w >= 64 ? ~0ULL : ((1ULL << w) - 1);
  switch (rng() % 8) {
    case 0: return 0;
    case 1: return m;
    case 2: return 1ULL << (w - 1);
    case 3: return m >> 1;
    default: return rng() & m;
  }
}

// clamp(acc + sign * a * b * 2^shift) with unbounded integers.
std::int64_t spec(std::int64_t acc, cpp_int term, unsigned shift, int acc_w, bool* ovf) {
  const cpp_int v = cpp_int(acc) + (term << shift);
  const cpp_int lo = -(cpp_int(1) << (acc_w - 1)), hi = (cpp_int(1) << (acc_w - 1)) - 1;
  *ovf = v < lo || v > hi;
  return static_cast<std::int64_t>(v < lo ? lo : (v > hi ? hi : v));
}

Eigen::MatrixXd randn(Eigen::Index r, Eigen::Index c, std::uint64_t seed) {
  std::mt19937_64 g(seed);
  std::normal_distribution<double> n;
  Eigen::MatrixXd m(r, c);
  for (Eigen::Index i = 0; i < m.size(); ++i) m.data()[i] = n(g);
  return m;
}

}  // namespace

BOOST_AUTO_TEST_CASE(shift_add_update_matches_big_integer_spec) {
  std::mt19937_64 rng(11);
  for (const ShiftAddParams p : {ShiftAddParams{}, ShiftAddParams{6, 8, 5, 20, 3, 2}, ShiftAddParams{32, 32, 7, 64, 1, 1}}) {
    for (int k = 0; k < 200000; ++k) {
      const std::int64_t acc = sign_extend(corner(rng, p.acc_w), p.acc_w);
      const std::uint64_t code = corner(rng, p.code_w), mult = corner(rng, p.mult_w);
      const std::uint64_t shift = rng() % 2 ? corner(rng, p.shift_w) : rng() % 24;
      const bool neg = rng() & 1;
      bool o1 = false, o2 = false;
      const std::int64_t got = ShiftAddModel::update(p, acc, code, mult, shift, neg, &o1);
      cpp_int term = cpp_int(sign_extend(code, p.code_w)) * cpp_int(mult);
      if (neg) term = -term;
      const std::int64_t want = spec(acc, term, static_cast<unsigned>(shift), p.acc_w, &o2);
      if (got != want || o1 != o2) {
        BOOST_ERROR("acc " << acc << " code " << code << " mult " << mult << " shift " << shift << " neg " << neg
                           << ": model " << got << " spec " << want);
        return;
      }
    }
  }
  BOOST_TEST(true, "600000 shift-add updates equal the big-integer spec");
}

BOOST_AUTO_TEST_CASE(accumulator_update_matches_big_integer_spec) {
  std::mt19937_64 rng(12);
  for (const AccumulatorParams p : {AccumulatorParams{}, AccumulatorParams{12, 5, 20, 3, 2}, AccumulatorParams{64, 7, 40, 1, 1}}) {
    for (int k = 0; k < 200000; ++k) {
      const std::int64_t acc = sign_extend(corner(rng, p.acc_w), p.acc_w);
      const std::uint64_t psum = corner(rng, p.in_w);
      const std::uint64_t shift = rng() % 2 ? corner(rng, p.shift_w) : rng() % 8;
      bool o1 = false, o2 = false;
      const std::int64_t got = PartialSumAccumulatorModel::update(p, acc, psum, shift, &o1);
      const std::int64_t want = spec(acc, cpp_int(sign_extend(psum, p.in_w)), static_cast<unsigned>(shift), p.acc_w, &o2);
      if (got != want || o1 != o2) {
        BOOST_ERROR("acc " << acc << " psum " << psum << " shift " << shift << ": model " << got << " spec " << want);
        return;
      }
    }
  }
  BOOST_TEST(true, "600000 accumulator updates equal the big-integer spec");
}

// The SAR model with the comparator is AdcQuantiser for every non-tie input; at ties the
// half-even comparator still is, the plain one rounds half up.
BOOST_AUTO_TEST_CASE(sar_model_matches_adc_quantiser) {
  std::mt19937_64 rng(13);
  std::uniform_real_distribution<double> x(-1.05, 1.05);
  SarLogicModel sar(SarParams{20, 5});
  int n = 0;
  for (int levels : {2, 3, 4, 5, 16, 100, 255, 256, 1000, 1024, 4096, 65535, 65536, 1 << 20}) {
    const AdcQuantiser adc{levels};
    const std::uint64_t nb = SarLogicModel::bits_for(static_cast<std::uint64_t>(levels));
    for (int k = 0; k < 40000; ++k, ++n) {
      const double xv = x(rng), t = xv * adc.half();
      const bool tie = t - std::floor(t) == 0.5;
      const double he = static_cast<double>(sar.convert(t, levels, nb, TieRule::HalfEven));
      const double up = static_cast<double>(sar.convert(t, levels, nb, TieRule::AtOrAbove));
      BOOST_REQUIRE_EQUAL(he, adc.code(xv));
      if (!tie) BOOST_REQUIRE_EQUAL(up, adc.code(xv));
    }
    for (int c = -adc.half() - 1; c <= levels - adc.half(); ++c) {  // every tie
      const double t = c + 0.5;
      BOOST_REQUIRE_EQUAL(static_cast<double>(sar.convert(t, levels, nb, TieRule::HalfEven)),
                          adc.code(t / adc.half()));
      if (levels > 5000) c += 997;
    }
  }
  BOOST_TEST_MESSAGE("sar model conversions vs AdcQuantiser: " << n);
}

namespace {

struct EngineCheck {
  bool exact = false;
  bool bit_identical = true;   // every element of every row block and of Y
  double max_rel = 0.0;        // largest |engine - rtl| / max|engine| over row blocks
  std::uint64_t conversions = 0;
  std::string reason;
};

// Runs X*W through the engine's steps and through the RTL reference models: SAR (with a
// half-even comparator on the engine's analog values), shift-add (per (vector, column) lane)
// and, across row blocks, the partial-sum accumulator with power-of-two alignment (fp mode)
// or plain sums in double (integer modes: the block scales are arbitrary reals there).
EngineCheck check_engine_in(const EngineConfig& cfg, Eigen::Index B, Eigen::Index K, Eigen::Index N) {
  MatrixEngine engine(cfg);
  const Eigen::MatrixXd W = randn(K, N, 21), X = randn(B, K, 22);
  ProgrammedMatrix pm = engine.program(W);
  // Columns the engine computes (padded columns of the last column block are never read out).
  const Eigen::Index npad = pm.out_features();
  const std::uint64_t nbits = SarLogicModel::bits_for(static_cast<std::uint64_t>(cfg.radc));
  EngineCheck out;
  out.exact = true;
  Eigen::MatrixXd Y = Eigen::MatrixXd::Zero(B, npad), Yrtl = Eigen::MatrixXd::Zero(B, npad);
  const bool fp = cfg.mode == EngineMode::FloatingPoint;
  const int lane_w = 20;
  PartialSumAccumulatorModel across(AccumulatorParams{64, 6, 64, static_cast<int>(B * npad), lane_w});
  std::vector<int> e_min(static_cast<std::size_t>(B * npad), INT32_MAX);
  std::vector<std::vector<Eigen::MatrixXd>> block_s;  // per kb: S (B x npad) as double for the fp path
  std::vector<EncodedInput> ins;
  for (int kb = 0; kb < pm.row_blocks(); ++kb) {
    const IntegerForm f = integer_form(pm, kb);
    BOOST_REQUIRE(f.applicable);
    if (!f.exact) {
      out.exact = false;
      out.reason = f.reason;
    }
    const EncodedInput in = pm.encode(X, kb);
    Eigen::MatrixXd acc = Eigen::MatrixXd::Zero(B, npad);
    ShiftAddModel sa(ShiftAddParams{16, 32, 7, 64, static_cast<int>(B * npad), lane_w});
    SarLogicModel sar;
    for (int i = 0; i < static_cast<int>(in.volts.size()); ++i)
      for (int j = 0; j < static_cast<int>(pm.block(kb).slices.size()); ++j) {
        const Eigen::MatrixXd I = pm.read(kb, j, i, in.volts[i], pm.vectors_read());
        const Eigen::MatrixXd P = pm.convert(kb, j, i, I);
        pm.shift_add(acc, j, i, P);
        const Eigen::MatrixXd t = adc_lsb_values(pm, kb, j, I);
        for (Eigen::Index b = 0; b < B; ++b)
          for (Eigen::Index c = 0; c < npad; ++c) {
            const std::int64_t code = sar.convert(t(b, c), static_cast<std::uint64_t>(cfg.radc), nbits, TieRule::HalfEven);
            ++out.conversions;
            // The engine's P is code * cv: the SAR code is the engine's code.
            BOOST_REQUIRE_EQUAL(P(b, c), static_cast<double>(code) * engine_code_value(pm, kb, j, i, c));
            ShiftAddModel::Inputs s;
            s.valid = true;
            s.lane = static_cast<std::uint64_t>(b * npad + c);
            s.code = to_bits(code, 16);
            s.mult = static_cast<std::uint64_t>(f.x[i].lmax) * f.w[j].lmax;
            s.shift = f.x[i].shift + f.w[j].shift;
            s.neg = f.x[i].neg != f.w[j].neg;
            sa.clock(s);
          }
      }
    BOOST_REQUIRE(!sa.any_ovf());
    Eigen::MatrixXd accr(B, npad);
    for (Eigen::Index b = 0; b < B; ++b)
      for (Eigen::Index c = 0; c < npad; ++c) accr(b, c) = f.unit * static_cast<double>(sa.acc(static_cast<std::uint64_t>(b * npad + c)));
    const double scale = std::max(1.0, acc.cwiseAbs().maxCoeff());
    out.max_rel = std::max(out.max_rel, (acc - accr).cwiseAbs().maxCoeff() / scale);
    if (acc != accr) out.bit_identical = false;
    pm.finish_block(Y, kb, in, acc);
    if (!fp) pm.finish_block(Yrtl, kb, in, accr);
    // fp: remember the integer partial sums and exponents for the accumulator below.
    block_s.push_back({Eigen::MatrixXd(B, npad)});
    for (Eigen::Index b = 0; b < B; ++b)
      for (Eigen::Index c = 0; c < npad; ++c) {
        block_s.back()[0](b, c) = static_cast<double>(sa.acc(static_cast<std::uint64_t>(b * npad + c)));
        const double s = in.scale(b) * pm.block(kb).w_scale(c);
        if (s > 0) e_min[static_cast<std::size_t>(b * npad + c)] = std::min(e_min[static_cast<std::size_t>(b * npad + c)], std::ilogb(s));
      }
    ins.push_back(in);
  }
  if (fp) {
    // Partial sums of all row blocks aligned by their power-of-two scales and reduced in the
    // accumulator model: Y = unit * 2^e_min * acc.
    const double unit = integer_form(pm, 0).unit;
    for (int kb = 0; kb < pm.row_blocks(); ++kb)
      for (Eigen::Index b = 0; b < B; ++b)
        for (Eigen::Index c = 0; c < npad; ++c) {
          const double s = ins[kb].scale(b) * pm.block(kb).w_scale(c);
          if (!(s > 0)) continue;
          PartialSumAccumulatorModel::Inputs a;
          a.valid = true;
          a.lane = static_cast<std::uint64_t>(b * npad + c);
          a.psum = to_bits(static_cast<std::int64_t>(block_s[kb][0](b, c)), 64);
          a.shift = static_cast<std::uint64_t>(std::ilogb(s) - e_min[static_cast<std::size_t>(b * npad + c)]);
          across.clock(a);
        }
    BOOST_REQUIRE(!across.any_ovf());
    for (Eigen::Index b = 0; b < B; ++b)
      for (Eigen::Index c = 0; c < npad; ++c) {
        const int e = e_min[static_cast<std::size_t>(b * npad + c)];
        if (e != INT32_MAX)
          Yrtl(b, c) = std::ldexp(unit * static_cast<double>(across.acc(static_cast<std::uint64_t>(b * npad + c))), e);
      }
  }
  if (Y != Yrtl) out.bit_identical = false;
  out.max_rel = std::max(out.max_rel, (Y - Yrtl).cwiseAbs().maxCoeff() / std::max(1e-300, Y.cwiseAbs().maxCoeff()));
  // The steps equal the engine's fused multiply().
  ProgrammedMatrix pm2 = MatrixEngine(cfg).program(W);
  BOOST_TEST((pm2.multiply(X) == Y.leftCols(N)));
  BOOST_TEST(Y.cols() == N);
  return out;
}

// check_engine_in in both read precisions (the default float32 and float64): the RTL equals the
// engine within each; the results combined (exact and bit identical in both, the larger error).
EngineCheck check_engine(EngineConfig cfg, Eigen::Index B, Eigen::Index K, Eigen::Index N) {
  EngineCheck all;
  all.exact = true;
  for (Precision p : {Precision::Float32, Precision::Float64}) {
    cfg.precision = p;
    const EngineCheck r = check_engine_in(cfg, B, K, N);
    all.exact = all.exact && r.exact;
    all.bit_identical = all.bit_identical && r.bit_identical;
    all.max_rel = std::max(all.max_rel, r.max_rel);
    all.conversions += r.conversions;
    if (all.reason.empty()) all.reason = r.reason;
  }
  return all;
}

}  // namespace

// 1-bit slices (mPimPy's hardware INT8 case), ideal wires, worst-case full scale: the integer
// form is exact and SAR + shift-add reproduce the engine bit for bit, two row blocks.
BOOST_AUTO_TEST_CASE(engine_bitslice_one_bit_slices_bit_exact) {
  EngineConfig cfg;
  cfg.xblk = cfg.mblk = {1, 1, 1, 1, 1, 1, 1, 1};
  const EngineCheck r = check_engine(cfg, 4, 50, 40);
  BOOST_TEST(r.exact, r.reason);
  BOOST_TEST(r.bit_identical);
  BOOST_TEST_MESSAGE("1-bit slices: " << r.conversions << " conversions, max rel diff " << r.max_rel);
}

// Block floating point with 1-bit fraction slices: exact per row block, and the partial-sum
// accumulator with exponent alignment reproduces the engine's cross-block sum bit for bit.
BOOST_AUTO_TEST_CASE(engine_fp_row_blocks_through_accumulator_bit_exact) {
  EngineConfig cfg;
  cfg.mode = EngineMode::FloatingPoint;
  cfg.xblk = cfg.mblk = {1, 1, 1, 1, 1, 1};
  const EngineCheck r = check_engine(cfg, 3, 90, 20);
  BOOST_TEST(r.exact, r.reason);
  BOOST_TEST(r.bit_identical);
  BOOST_TEST_MESSAGE("fp 1-bit slices, 3 row blocks: " << r.conversions << " conversions, max rel diff " << r.max_rel);
}

// The default [1,1,2,4] slices: since ProgrammedMatrix::adc_scales forms the code value as
// unit * (Lx*Lw) (docs/rtl.md, condition 3), every code value is exactly unit * Lx*Lw and the
// double engine equals the integer path bit for bit, three row blocks (before that fix the
// value was off by an ulp for Lx*Lw = 15, 45, 225 and the two agreed only to rounding).
BOOST_AUTO_TEST_CASE(engine_default_slices_bit_exact) {
  EngineConfig cfg;
  const EngineCheck r = check_engine(cfg, 4, 70, 33);
  BOOST_TEST(r.exact, r.reason);
  BOOST_TEST(r.bit_identical);
  BOOST_TEST(r.max_rel == 0.0);
  BOOST_TEST_MESSAGE("default [1,1,2,4]: " << r.conversions << " conversions, bit identical " << r.bit_identical);
}

// Differential pairs (one signed slice each side, Lx = DAC qmax, Lw = g_level - 1): exact too.
BOOST_AUTO_TEST_CASE(engine_diffpair_bit_exact) {
  EngineConfig cfg;
  cfg.mode = EngineMode::DiffPair;
  const EngineCheck r = check_engine(cfg, 3, 50, 20);
  BOOST_TEST(r.exact, r.reason);
  BOOST_TEST(r.bit_identical);
  BOOST_TEST_MESSAGE("diff-pair: " << r.conversions << " conversions, bit identical " << r.bit_identical);
}

// With wire resistance the worst-case full scale is circuit-solved: unit is not a power of two.
BOOST_AUTO_TEST_CASE(engine_circuit_full_scale_agrees_to_rounding) {
  EngineConfig cfg;
  cfg.xblk = cfg.mblk = {1, 1, 1, 1, 1, 1, 1, 1};
  cfg.wire_resistance = 2.93;
  cfg.array_rows = cfg.array_cols = 16;
  const EngineCheck r = check_engine(cfg, 2, 16, 16);
  BOOST_TEST(!r.exact);
  BOOST_TEST(r.max_rel < 1e-13);
  BOOST_TEST_MESSAGE("circuit full scale: " << r.reason << ", max rel diff " << r.max_rel);
}

// Calibrated full scale differs per array: no common unit, the integer form does not apply.
BOOST_AUTO_TEST_CASE(engine_calibrated_full_scale_not_applicable) {
  EngineConfig cfg;
  cfg.adc_full_scale = AdcFullScale::Calibrated;
  MatrixEngine engine(cfg);
  ProgrammedMatrix pm = engine.program(randn(32, 32, 5));
  const IntegerForm f = integer_form(pm, 0);
  BOOST_TEST(!f.applicable);
  BOOST_TEST(!f.exact);
}
