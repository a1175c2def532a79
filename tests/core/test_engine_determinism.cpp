#include <boost/test/unit_test.hpp>
#include <cmath>
#include <cstring>

#include "TestData.hpp"
#include "memtile/core/Errors.hpp"
#include "memtile/core/FixedOrderProduct.hpp"
#include "memtile/core/MatrixEngine.hpp"

using namespace memtile::core;

namespace {
bool same_bytes(const Eigen::MatrixXd& x, const Eigen::MatrixXd& y) {
  return x.rows() == y.rows() && x.cols() == y.cols() &&
         std::memcmp(x.data(), y.data(), sizeof(double) * x.size()) == 0;
}
}  // namespace

BOOST_AUTO_TEST_SUITE(determinism)

BOOST_AUTO_TEST_CASE(same_seed_same_bytes_different_seed_different) {
  const Eigen::MatrixXd a = memtile::test::randn(16, 70, 5), b = memtile::test::randn(70, 40, 6);
  for (EngineMode mode : {EngineMode::BitSlice, EngineMode::DiffPair, EngineMode::FloatingPoint}) {
    EngineConfig c;
    c.mode = mode;
    c.vnoise = 0.002;
    c.stuck_at_lgs = 0.01;
    c.stuck_at_hgs = 0.01;
    c.seed = 42;
    const Eigen::MatrixXd y1 = MatrixEngine(c).dot(a, b);
    const Eigen::MatrixXd y2 = MatrixEngine(c).dot(a, b);
    c.seed = 43;
    const Eigen::MatrixXd y3 = MatrixEngine(c).dot(a, b);
    BOOST_TEST_CONTEXT(to_string(mode)) {
      BOOST_TEST(same_bytes(y1, y2));
      BOOST_TEST(!same_bytes(y1, y3));
    }
  }
}

BOOST_AUTO_TEST_CASE(read_noise_is_per_read_and_independent_of_batching) {
  const Eigen::MatrixXd a = memtile::test::randn(6, 32, 7), b = memtile::test::randn(32, 8, 8);
  EngineConfig c;
  c.var = 0;
  c.vnoise = 0.005;
  MatrixEngine e1(c), e2(c);
  ProgrammedMatrix p1 = e1.program(b), p2 = e2.program(b);
  const Eigen::MatrixXd whole = p1.multiply(a);
  Eigen::MatrixXd rows(a.rows(), b.cols());
  for (int r = 0; r < a.rows(); ++r) rows.row(r) = p2.multiply(a.row(r));
  BOOST_TEST(same_bytes(whole, rows));
  // A second read of the same inputs draws new noise.
  BOOST_TEST(!same_bytes(whole, p1.multiply(a)));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(step_functions)

// multiply(B, rows), the input supplied a block of rows per task, gives multiply(X)'s bytes and
// counters (70 vectors: two whole tasks and a partial one; 3 row blocks), in both precisions and
// with read noise; a non-finite row is refused like a non-finite matrix.
BOOST_AUTO_TEST_CASE(rows_on_demand_equal_the_formed_matrix) {
  const Eigen::MatrixXd a = memtile::test::randn(70, 90, 31), b = memtile::test::randn(90, 20, 32);
  for (Precision precision : {Precision::Float32, Precision::Float64}) {
    EngineConfig c;
    c.vnoise = 0.001;
    c.precision = precision;
    ProgrammedMatrix p1 = MatrixEngine(c).program(b);
    ProgrammedMatrix p2 = MatrixEngine(c).program(b);
    const Eigen::MatrixXd y1 = p1.multiply(a);
    const Eigen::MatrixXd y2 = p2.multiply(a.rows(), [&](Eigen::Index first, Eigen::Index count, Eigen::Ref<Eigen::MatrixXd> out) {
      out = a.middleRows(first, count);
    });
    BOOST_TEST_CONTEXT((precision == Precision::Float32 ? "float32" : "float64")) {
      BOOST_TEST(same_bytes(y1, y2));
      BOOST_TEST(p1.counters().adc_conversions == p2.counters().adc_conversions);
      BOOST_TEST(p1.counters().read_energy_per_s_j == p2.counters().read_energy_per_s_j);
      BOOST_TEST(p1.vectors_read() == p2.vectors_read());
    }
    Eigen::MatrixXd bad = a;
    bad(40, 3) = std::nan("");
    BOOST_CHECK_THROW(p2.multiply(bad.rows(), [&](Eigen::Index first, Eigen::Index count, Eigen::Ref<Eigen::MatrixXd> out) {
      out = bad.middleRows(first, count);
    }), InputError);
  }
}

// encode_accumulate (the tile's fused step, every row block at once, from a matrix or a row
// source) gives the composed steps' accumulator and scales and drive_sums' sums (what the
// tile's observed partitions use) byte for byte: 40 vectors (2 chunks, one per group), 45 (a
// chunk of 13: a tail of 5 in the 8-vector lanes) and 4200 vectors (132 chunks in groups of
// 2), 3 row blocks; with read noise, and without it in float32, where the chunks' voltages are
// made in float with their squares in the same pass (also with 7-bit slices, past the 16-entry
// table lookups); a NaN row from a row source is computed as zeros and reported.
BOOST_AUTO_TEST_CASE(encode_accumulate_equals_the_steps_and_drive_sums) {
  const Eigen::MatrixXd b = memtile::test::randn(90, 20, 34);
  for (Eigen::Index B : {40, 45, 4200})
  for (int variant = 0; variant < 3; ++variant) {
    const Eigen::MatrixXd a = memtile::test::randn(B, 90, 33);
    EngineConfig c;
    c.vnoise = variant == 0 ? 0.001 : 0.0;
    if (variant == 2) c.xblk = {1, 7};
    c.array_rows = 32;
    ProgrammedMatrix p = MatrixEngine(c).program(b);
    BOOST_REQUIRE_EQUAL(p.row_blocks(), 3);
    const auto rows = [&](Eigen::Index first, Eigen::Index count, Eigen::Ref<Eigen::MatrixXd> out) {
      out = a.middleRows(first, count);
    };
    std::vector<BlockBatch> fused(3), from_rows(3);
    std::vector<BlockBatch*> fused_p, rows_p;
    for (int kb = 0; kb < 3; ++kb) {
      fused_p.push_back(&fused[kb]);
      rows_p.push_back(&from_rows[kb]);
    }
    p.encode_accumulate(a, 7, fused_p);
    BOOST_TEST(p.encode_accumulate(B, rows, 7, rows_p));
    for (int kb = 0; kb < 3; ++kb) {
      BOOST_TEST_CONTEXT("B " << B << ", variant " << variant << ", row block " << kb) {
        const EncodedInput in = p.encode(a, kb);
        Eigen::MatrixXd acc = Eigen::MatrixXd::Zero(B, b.cols());
        for (int i = 0; i < static_cast<int>(in.volts.size()); ++i)
          for (int j = 0; j < static_cast<int>(p.block(kb).slices.size()); ++j)
            p.shift_add(acc, j, i, p.convert(kb, j, i, p.read(kb, j, i, in.volts[i], 7)));
        const DriveSums d = p.drive_sums(kb, in);
        for (const BlockBatch* o : {&fused[kb], &from_rows[kb]}) {
          BOOST_TEST(same_bytes(o->acc, acc));
          BOOST_TEST(same_bytes(o->in.scale, in.scale));
          BOOST_TEST(o->drive.read_power_w == d.read_power_w);
          BOOST_REQUIRE_EQUAL(o->drive.v2_per_row.size(), d.v2_per_row.size());
          for (std::size_t i = 0; i < d.v2_per_row.size(); ++i) BOOST_TEST(same_bytes(o->drive.v2_per_row[i], d.v2_per_row[i]));
        }
      }
    }
    Eigen::MatrixXd bad = a;
    bad(B - 3, 50) = std::nan("");
    BOOST_TEST(!p.encode_accumulate(B, [&](Eigen::Index first, Eigen::Index count, Eigen::Ref<Eigen::MatrixXd> out) {
      out = bad.middleRows(first, count);
    }, 7, rows_p));
    BOOST_TEST(from_rows[1].acc.allFinite());
  }
}

// The SystemC tile sequences encode/read/convert/shift_add/finish_block itself: composed by
// hand they must give multiply()'s bytes and read energy exactly, with and without read noise
// (5 and 45 vectors: tails of 5 in the 8-vector lanes).
BOOST_AUTO_TEST_CASE(composed_steps_equal_multiply_bit_for_bit) {
  const Eigen::MatrixXd b = memtile::test::randn(70, 40, 10);
  for (Eigen::Index B : {5, 45})
  for (double vnoise : {0.001, 0.0})
  for (EngineMode mode : {EngineMode::BitSlice, EngineMode::DiffPair, EngineMode::FloatingPoint})
  for (Precision precision : {Precision::Float64, Precision::Float32}) {
    const Eigen::MatrixXd a = memtile::test::randn(B, 70, 9);
    EngineConfig c;
    c.mode = mode;
    c.vnoise = vnoise;
    c.precision = precision;
    ProgrammedMatrix p1 = MatrixEngine(c).program(b);
    ProgrammedMatrix p2 = MatrixEngine(c).program(b);
    const Eigen::MatrixXd y1 = p1.multiply(a);
    Eigen::MatrixXd y2 = Eigen::MatrixXd::Zero(a.rows(), b.cols());
    for (int kb = 0; kb < p2.row_blocks(); ++kb) {
      const EncodedInput in = p2.encode(a, kb);
      Eigen::MatrixXd acc = Eigen::MatrixXd::Zero(a.rows(), y2.cols());
      for (int i = 0; i < static_cast<int>(in.volts.size()); ++i)
        for (int j = 0; j < static_cast<int>(p2.block(kb).slices.size()); ++j)
          p2.shift_add(acc, j, i, p2.convert(kb, j, i, p2.read(kb, j, i, in.volts[i], p2.vectors_read())));
      p2.finish_block(y2, kb, in, acc);
      p2.count_reads(kb, in);
    }
    p2.end_batch(a.rows());
    BOOST_TEST_CONTEXT(to_string(mode) << (precision == Precision::Float32 ? " float32" : "") << ", vnoise " << vnoise
                                       << ", B " << B) {
      BOOST_TEST(same_bytes(y1, y2));
      BOOST_TEST(p1.counters().adc_conversions == p2.counters().adc_conversions);
      BOOST_TEST(p1.counters().read_energy_per_s_j == p2.counters().read_energy_per_s_j);
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(parallel)

// Every row of the fixed-order product has the same bits whichever kernel computed it (the
// 16-row AVX-512 blocks, the 8-row AVX2 blocks, the scalar tail) and in whatever block of rows.
BOOST_AUTO_TEST_CASE(fixed_order_product_rows_do_not_depend_on_the_block) {
  for (Eigen::Index K : {1, 7, 25, 32, 128})
    for (Eigen::Index N : {1, 5, 16, 33}) {
      const Eigen::MatrixXd V = memtile::test::randn(45, K, 31), D = memtile::test::randn(K, N, 32);
      Eigen::MatrixXd all(45, N);
      fixed_order_product(V, D, all);
      BOOST_TEST_CONTEXT("K " << K << ", N " << N) {
        BOOST_TEST((all - V * D).cwiseAbs().maxCoeff() <= 1e-12 * K * (1.0 + (V * D).cwiseAbs().maxCoeff()));
        for (Eigen::Index r0 : {0, 3, 13, 29})
          for (Eigen::Index len : {1, 8, 16}) {
            if (r0 + len > 45) continue;
            Eigen::MatrixXd part(len, N);
            fixed_order_product(V.middleRows(r0, len), D, part);
            BOOST_TEST(same_bytes(part, all.middleRows(r0, len)));
          }
      }
    }
}

// The single-precision product: the same row independence, and each element the ascending
// chain of float fused multiply-adds (checked against a scalar std::fma loop written here).
BOOST_AUTO_TEST_CASE(float_fixed_order_product_is_the_ascending_fma_chain) {
  for (Eigen::Index K : {1, 7, 25, 32, 128})
    for (Eigen::Index N : {1, 5, 16, 33}) {
      const Eigen::MatrixXf V = memtile::test::randn(70, K, 41).cast<float>(), D = memtile::test::randn(K, N, 42).cast<float>();
      Eigen::MatrixXf all(70, N);
      fixed_order_product(V, D, all);
      Eigen::MatrixXf chain(70, N);
      for (Eigen::Index c = 0; c < N; ++c)
        for (Eigen::Index r = 0; r < 70; ++r) {
          float acc = 0.0f;
#if defined(__AVX2__) && defined(__FMA__)
          for (Eigen::Index k = 0; k < K; ++k) acc = std::fma(V(r, k), D(k, c), acc);
#else  // a build without FMA (-DMEMTILE_ARCH=): a multiply then an add
          for (Eigen::Index k = 0; k < K; ++k) acc = acc + V(r, k) * D(k, c);
#endif
          chain(r, c) = acc;
        }
      BOOST_TEST_CONTEXT("K " << K << ", N " << N) {
        BOOST_TEST((all.array() == chain.array()).all());
        Eigen::MatrixXd wide(70, N);  // the same sums widened to double on the way out
        fixed_order_product(V, D, wide);
        BOOST_TEST((wide.array() == chain.cast<double>().array()).all());
        for (Eigen::Index r0 : {0, 3, 13, 33})
          for (Eigen::Index len : {1, 16, 32}) {
            if (r0 + len > 70) continue;
            Eigen::MatrixXf part(len, N);
            fixed_order_product(V.middleRows(r0, len), D, part);
            BOOST_TEST((part.array() == all.middleRows(r0, len).array()).all());
          }
      }
    }
}

// The product converted in registers (fixed_order_product_convert) against the product stored
// and then converted and shift-added here, one element at a time: the same bits, in both
// precisions, for every block the kernels cut (AVX-512, AVX2, scalar tail), with codes that
// clip at both ends, ties of the rounding, and rounding to counts; into a strided accumulator.
BOOST_AUTO_TEST_CASE(product_converted_in_registers_is_product_then_conversion) {
  const auto convert_add = [](double& acc, double I, double k, double u, const AdcConversion& cv) {
    double t = I * k;
    t = std::nearbyint(t);  // ties to even (the default rounding mode)
    if (t < cv.lo) t = cv.lo;
    if (t > cv.hi) t = cv.hi;
    double p = t * u;
    if (cv.round_to_count) p = std::nearbyint(p);
    acc = acc + cv.weight * p;
  };
  for (Eigen::Index K : {1, 7, 32})
    for (Eigen::Index N : {1, 5, 16, 33})
      for (bool round : {false, true}) {
        // Currents of about +-K; codes per ampere chosen so some codes clip at +-8 and some
        // products land on .5 exactly (inputs and conductances multiples of 1/4).
        Eigen::MatrixXd V = (memtile::test::randn(45, K, 51) * 4).array().round() / 4;
        Eigen::MatrixXd D = (memtile::test::randn(K, N, 52) * 2).array().round() / 4;
        Eigen::ArrayXd inv_fs(N), code_value(N);
        for (Eigen::Index c = 0; c < N; ++c) {
          inv_fs(c) = c % 3 == 0 ? 2.0 : 0.75 + 0.1 * static_cast<double>(c);
          code_value(c) = c % 2 == 0 ? 0.5 : 1.25;
        }
        AdcConversion cv;
        cv.inv_fs = inv_fs.data();
        cv.code_value = code_value.data();
        cv.lo = -8;
        cv.hi = 7;
        cv.round_to_count = round;
        cv.weight = -4;
        const Eigen::MatrixXd acc0 = memtile::test::randn(45, N, 53);
        BOOST_TEST_CONTEXT("K " << K << ", N " << N << ", round " << round) {
          {  // double
            Eigen::MatrixXd I(45, N);
            fixed_order_product(V, D, I);
            Eigen::MatrixXd expect = acc0;
            for (Eigen::Index c = 0; c < N; ++c)
              for (Eigen::Index b = 0; b < 45; ++b) convert_add(expect(b, c), I(b, c), inv_fs(c), code_value(c), cv);
            Eigen::MatrixXd wide = Eigen::MatrixXd::Zero(50, N + 2);  // a block with an outer stride
            wide.block(2, 1, 45, N) = acc0;
            fixed_order_product_convert(V, D, cv, wide.block(2, 1, 45, N));
            BOOST_TEST(same_bytes(wide.block(2, 1, 45, N), expect));
            BOOST_TEST((wide.col(0).array() == 0).all());
          }
          {  // float sums, widened, converted in double
            const Eigen::MatrixXf Vf = V.cast<float>(), Df = D.cast<float>();
            Eigen::MatrixXd I(45, N);
            fixed_order_product(Vf, Df, I);
            Eigen::MatrixXd expect = acc0, acc = acc0;
            for (Eigen::Index c = 0; c < N; ++c)
              for (Eigen::Index b = 0; b < 45; ++b) convert_add(expect(b, c), I(b, c), inv_fs(c), code_value(c), cv);
            fixed_order_product_convert(Vf, Df, cv, acc);
            BOOST_TEST(same_bytes(acc, expect));
          }
        }
      }
}

// Results (outputs and counters; the read energy, summed per batch, for equal batches) are the same bytes for 1 and 2 worker
// threads and whether the vectors are read in batches of 1, 16 or 64 (the rows' products are
// summed in one fixed order, so neither the batch nor the split over threads moves a bit).
BOOST_AUTO_TEST_CASE(bit_identical_for_threads_and_batch_sizes) {
  const Eigen::MatrixXd a = memtile::test::randn(64, 100, 21), b = memtile::test::randn(100, 45, 22);
  struct Variant {
    const char* name;
    EngineConfig cfg;
  };
  std::vector<Variant> variants;
  variants.push_back({"bitslice", EngineConfig{}});
  {
    EngineConfig c;
    c.vnoise = 0.002;
    variants.push_back({"bitslice_read_noise", c});
  }
  {
    EngineConfig c;
    c.mode = EngineMode::DiffPair;
    variants.push_back({"diffpair", c});
  }
  {
    EngineConfig c;
    c.mode = EngineMode::FloatingPoint;
    variants.push_back({"fp", c});
  }
  {
    EngineConfig c;
    c.software = true;
    variants.push_back({"software", c});
  }
  {
    EngineConfig c;  // ISAAC-like: 128 x 128 arrays, 1-bit inputs, flipped biased weights
    c.array_rows = c.array_cols = 128;
    c.xblk = std::vector<int>(16, 1);
    c.mblk = {2, 2, 2, 2, 2, 2, 2, 2};
    c.weight_encoding = WeightEncoding::BiasedFlipped;
    c.adc_full_scale = AdcFullScale::Lossless;
    c.radc = 256;
    variants.push_back({"isaac_like", c});
  }
  // Every variant again in double precision (float64 reads, the validation setting; the ones
  // above read in the default float32): the same guarantee.
  for (std::size_t k = 0, n = variants.size(); k < n; ++k) {
    if (variants[k].cfg.software) continue;  // no reads to change the precision of
    Variant f = variants[k];
    f.cfg.precision = Precision::Float64;
    f.name = nullptr;
    variants.push_back(f);
  }
  for (const Variant& v : variants) {
    BOOST_TEST_CONTEXT((v.name ? v.name : "variant") << (v.cfg.precision == Precision::Float64 ? " float64" : "")) {
      Eigen::MatrixXd ref;
      ReadCounters ref_counts;
      double energy_batch64 = -1.0;
      for (int threads : {1, 2}) {
        for (int batch : {1, 16, 64}) {
          EngineConfig c = v.cfg;
          c.threads = threads;
          ProgrammedMatrix pm = MatrixEngine(c).program(b);
          Eigen::MatrixXd y(a.rows(), b.cols());
          for (Eigen::Index r = 0; r < a.rows(); r += batch) y.middleRows(r, batch) = pm.multiply(a.middleRows(r, batch));
          BOOST_TEST_CONTEXT("threads " << threads << ", batch " << batch) {
            if (batch == 64) {
              if (energy_batch64 < 0) energy_batch64 = pm.counters().read_energy_per_s_j;
              else BOOST_TEST(pm.counters().read_energy_per_s_j == energy_batch64);
            }
            if (ref.size() == 0) {
              ref = y;
              ref_counts = pm.counters();
              BOOST_TEST(ref.cwiseAbs().maxCoeff() > 0.0);
              continue;
            }
            BOOST_TEST(same_bytes(ref, y));
            BOOST_TEST(pm.counters().adc_conversions == ref_counts.adc_conversions);
          }
        }
      }
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()
