// Phase 2 of the RTL periphery (docs/rtl.md): a whole tile with the Verilated blocks in the
// loop gives the same numbers as the behavioural tile, bit for bit, for bit slices (default
// [1,1,2,4] and 1-bit), diff-pair and fp, partitioned (hpar > 1) and single-partition shapes,
// mux ratios 1..8, and every block switched on alone as well as all together. The behavioural
// twin of each RTL tile holds an identically programmed matrix (same seed: same variation and
// read-noise draws) and gets the same batches.
#define BOOST_TEST_MODULE memtile sc rtl equivalence
#include <boost/test/unit_test.hpp>

#include "Harness.hpp"
#include "memtile/core/MatrixEngine.hpp"
#include "memtile/core/rtlref/EngineMapping.hpp"

using namespace memtile;

using memtile::test::NoSystemCWarnings;
BOOST_TEST_GLOBAL_FIXTURE(NoSystemCWarnings);

namespace {
core::RtlConfig all_rtl() { return {true, true, true, true}; }

struct Case {
  std::string name;
  core::EngineConfig cfg;
  Eigen::Index K, N;
  int adc_mux;
  core::RtlConfig rtl;
  bool exact = true;             // engine == unit * S bit for bit (rtlref::IntegerForm::exact)
  bool accumulator_used = false;  // the accumulator's reduction is the output
};

core::EngineConfig base(core::EngineMode m, int rows, int cols) {
  core::EngineConfig c;
  c.mode = m;
  c.array_rows = rows;
  c.array_cols = cols;
  c.var = 0.05;     // device variation
  c.vnoise = 0.002; // read noise (keyed by the vector count: both twins draw the same)
  c.seed = 4321;
  return c;
}

std::vector<Case> cases() {
  using M = core::EngineMode;
  std::vector<Case> out;
  // All four blocks Verilated.
  out.push_back({"bitslice_default_40x20_on16_mux4", base(M::BitSlice, 16, 16), 40, 20, 4, all_rtl(), true, false});
  core::EngineConfig one = base(M::BitSlice, 16, 16);
  one.xblk = one.mblk = {1, 1, 1, 1, 1, 1, 1, 1};
  out.push_back({"bitslice_1bit_24x12_on16_mux8", one, 24, 12, 8, all_rtl(), true, false});
  out.push_back({"bitslice_default_16x16_single_partition_mux2", base(M::BitSlice, 16, 16), 16, 16, 2, all_rtl(), true,
                 true});
  out.push_back({"diffpair_33x10_on16x8_mux8", base(M::DiffPair, 16, 8), 33, 10, 8, all_rtl(), true, false});
  out.push_back({"fp_40x12_on16_mux4", base(M::FloatingPoint, 16, 16), 40, 12, 4, all_rtl(), true, true});
  out.push_back({"fp_20x9_on8_mux1", base(M::FloatingPoint, 8, 8), 20, 9, 1, all_rtl(), true, true});
  // Circuit-solved worst-case full scale (wire resistance): unit is not a power of two, the
  // integer path is exact but unit * S differs from the engine by rounding.
  core::EngineConfig wires = base(M::BitSlice, 8, 8);
  wires.wire_resistance = 2.93;
  out.push_back({"bitslice_wires_20x8_on8_mux8", wires, 20, 8, 8, all_rtl(), false, false});
  // The cases above read in the default float32; again in float64 (the validation setting).
  for (std::size_t k = 0, n = out.size(); k < n; ++k) {
    Case f = out[k];
    f.name += "_float64";
    f.cfg.precision = core::Precision::Float64;
    out.push_back(f);
  }
  // Each block alone (the others are their rtlref C++ models in the same loop).
  const std::pair<const char*, core::RtlConfig> alone[] = {{"controller", {true, false, false, false}},
                                                         {"sar_adc", {false, true, false, false}},
                                                         {"shift_add", {false, false, true, false}},
                                                         {"accumulator", {false, false, false, true}}};
  for (const auto& [n, r] : alone) {
    out.push_back({std::string("fp_only_") + n + "_24x8_on8_mux4", base(M::FloatingPoint, 8, 8), 24, 8, 4, r, true, true});
    out.push_back({std::string("bitslice_only_") + n + "_20x8_on16x8_mux2", base(M::BitSlice, 16, 8), 20, 8, 2, r, true,
                   false});
  }
  return out;
}

struct Fixture {
  std::vector<Case> all = cases();
  test::Bench bench;
  std::vector<int> rtl_tile, beh_tile;
  Fixture() {
    for (std::size_t k = 0; k < all.size(); ++k) {
      const Eigen::MatrixXd W = test::random_matrix(all[k].K, all[k].N, 11 + static_cast<unsigned>(k));
      core::TileConfig beh;
      beh.adc_mux = all[k].adc_mux;
      core::TileConfig rtl = beh;
      rtl.rtl = all[k].rtl;
      beh_tile.push_back(bench.add(all[k].name + "_beh", core::MatrixEngine(all[k].cfg).program(W), beh));
      rtl_tile.push_back(bench.add(all[k].name + "_rtl", core::MatrixEngine(all[k].cfg).program(W), rtl));
    }
  }
};
Fixture& fx() {
  static Fixture f;  // one elaboration for the whole executable
  return f;
}
}  // namespace

BOOST_AUTO_TEST_CASE(rtl_tile_equals_behavioural_tile) {
  Fixture& f = fx();
  for (std::size_t k = 0; k < f.all.size(); ++k) {
    const Case& c = f.all[k];
    BOOST_TEST_CONTEXT(c.name) {
      sc::Tile& rt = f.bench.tile(f.rtl_tile[k]);
      sc::Tile& bt = f.bench.tile(f.beh_tile[k]);
      BOOST_TEST(rt.rtl());
      BOOST_TEST(!bt.rtl());
      for (int kb = 0; kb < rt.geometry().hpar(); ++kb)
        BOOST_TEST(core::rtlref::integer_form(rt.matrix(), kb).exact == c.exact, core::rtlref::integer_form(rt.matrix(), kb).reason);
      Eigen::Index vectors = 0;
      // Two batches: the second continues the read-noise vector count.
      for (int batch = 0; batch < 2; ++batch) {
        const Eigen::MatrixXd X = test::random_matrix(batch == 0 ? 3 : 2, c.K, 500 + 10 * static_cast<unsigned>(k) + batch);
        sc_core::sc_time t_beh, t_rtl;
        const Eigen::MatrixXd want = f.bench.run(f.beh_tile[k], X, &t_beh);
        const Eigen::MatrixXd got = f.bench.run(f.rtl_tile[k], X, &t_rtl);
        vectors += X.rows();
        BOOST_REQUIRE_EQUAL(got.rows(), want.rows());
        BOOST_REQUIRE_EQUAL(got.cols(), want.cols());
        const double diff = (got - want).cwiseAbs().maxCoeff(), scale = want.cwiseAbs().maxCoeff();
        BOOST_TEST(scale > 0.0);
        if (c.exact) {
          BOOST_TEST((got.array() == want.array()).all(), "max |diff| = " << diff);
        } else {
          BOOST_TEST(diff <= 1e-14 * scale, "max |diff| / max |y| = " << diff / scale);
          // Not bit-identical: proof that the output really is the RTL's unit * S.
          BOOST_TEST(diff > 0.0);
          BOOST_TEST_MESSAGE(c.name << ": max |diff| / max |y| = " << diff / scale);
        }
        // RTL mode spends real clock cycles before walking the same schedule.
        BOOST_TEST(t_rtl > t_beh);
      }
      const sc::TileStats s = rt.stats();
      BOOST_TEST_MESSAGE(c.name << ": " << s.rtl_cycles << " RTL cycles, " << s.rtl_operations << " controller operations");
      const int G = std::min(c.adc_mux, 8);
      const std::uint64_t groups = static_cast<std::uint64_t>((c.N + G - 1) / G);
      BOOST_TEST(s.rtl_operations == 1 + static_cast<std::uint64_t>(vectors) * groups);  // program + one per (vector, group)
      BOOST_TEST(s.rtl_cycles > s.rtl_operations * 10);
      BOOST_TEST(s.rtl_accumulator_batches == (c.accumulator_used ? 2u : 0u));
      // Behavioural bookkeeping is unchanged by RTL mode.
      const sc::TileStats b = bt.stats();
      BOOST_TEST(b.rtl_cycles == 0u);
      BOOST_TEST(s.adc_conversions == b.adc_conversions);
      BOOST_TEST(s.energy.inference_pj() == b.energy.inference_pj());
      BOOST_TEST(s.mvm_latency_ns == b.mvm_latency_ns);
    }
  }
}

// Guard against a vacuous comparison: the RTL tile's numbers depend on its inputs and the
// circuit-solved case really is inexact (unit not a power of two) yet close.
BOOST_AUTO_TEST_CASE(rtl_results_are_not_trivial) {
  Fixture& f = fx();
  const Eigen::MatrixXd X1 = test::random_matrix(2, f.all[0].K, 77), X2 = test::random_matrix(2, f.all[0].K, 78);
  const Eigen::MatrixXd a = f.bench.run(f.rtl_tile[0], X1), b = f.bench.run(f.rtl_tile[0], X2);
  BOOST_TEST((a - b).cwiseAbs().maxCoeff() > 0.0);
}

// fp mode with row blocks whose input exponents are ~2^100 apart: the alignment shift does not
// fit the accumulator (and the engine's double sum would round), so the batch keeps the
// behavioural reduction on the RTL's partition sums: still equal, and not counted as an
// accumulator batch.
BOOST_AUTO_TEST_CASE(fp_far_apart_exponents_keep_the_behavioural_reduction) {
  Fixture& f = fx();
  std::size_t k = 0;
  while (k < f.all.size() && f.all[k].name != "fp_40x12_on16_mux4") ++k;
  BOOST_REQUIRE(k < f.all.size());
  Eigen::MatrixXd X = test::random_matrix(2, f.all[k].K, 901);
  X.leftCols(16) *= std::ldexp(1.0, -100);  // row block 0 (array rows 16)
  const std::uint64_t before = f.bench.tile(f.rtl_tile[k]).stats().rtl_accumulator_batches;
  const Eigen::MatrixXd want = f.bench.run(f.beh_tile[k], X);
  const Eigen::MatrixXd got = f.bench.run(f.rtl_tile[k], X);
  BOOST_TEST((got.array() == want.array()).all(), "max |diff| = " << (got - want).cwiseAbs().maxCoeff());
  BOOST_TEST(f.bench.tile(f.rtl_tile[k]).stats().rtl_accumulator_batches == before);
  // The same tile with ordinary inputs does use the accumulator (the counter can move).
  const Eigen::MatrixXd X2 = test::random_matrix(2, f.all[k].K, 902);
  BOOST_TEST((f.bench.run(f.rtl_tile[k], X2).array() == f.bench.run(f.beh_tile[k], X2).array()).all());
  BOOST_TEST(f.bench.tile(f.rtl_tile[k]).stats().rtl_accumulator_batches == before + 1);
}
