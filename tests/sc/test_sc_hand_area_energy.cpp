// Area and energy of small tiles against numbers derived by hand from the ISAAC table (the
// table's figures typed here, the component counts from the geometry), per component. The
// library's counters are not used for the expectations: the counts are multiplied out below.
#define BOOST_TEST_MODULE memtile sc hand-derived area and energy
#include <boost/test/unit_test.hpp>
#include <cmath>

#include "Harness.hpp"
#include "memtile/core/MatrixEngine.hpp"

using namespace memtile;
using memtile::test::NoSystemCWarnings;
BOOST_TEST_GLOBAL_FIXTURE(NoSystemCWarnings);

namespace {

// 64 x 64 weights on 32 x 32 arrays: hpar 2, vpar 2; 1-bit slices, 4 input and 4 weight
// slices; two's complement (one LGS reference column per array).
core::EngineConfig engine_cfg(int radc) {
  core::EngineConfig c;
  c.array_rows = c.array_cols = 32;
  c.xblk = c.mblk = {1, 1, 1, 1};
  c.radc = radc;
  c.var = 0.0;
  c.seed = 7;
  return c;
}

struct Case {
  const char* name;
  int radc;   // 2^bits
  int bits;
  int mux;
};
const Case kCases[] = {{"adc8_mux8", 256, 8, 8}, {"adc6_mux4", 64, 6, 4}, {"adc10_mux32", 1024, 10, 32}};

struct Fixture {
  test::Bench bench;
  Fixture() {
    for (const Case& c : kCases) {
      core::TileConfig t;
      t.adc_mux = c.mux;
      bench.add(c.name, core::MatrixEngine(engine_cfg(c.radc)).program(test::random_matrix(64, 64, 21)), t);
    }
  }
};
Fixture& fx() {
  static Fixture f;
  return f;
}

// ISAAC 32 nm figures (Shafiee et al. 2016, Table 2) as the default table holds them.
constexpr double kAdcAreaUm2At8 = 1200, kAdcPowerMw = 2, kAdcGsps = 1.28;
constexpr double kDacArea1bitUm2 = 0.17, kDacPower1bitUw = 3.9, kReadCycleNs = 100;
constexpr double kShAreaUm2 = 0.039, kShPowerNw = 9.7;  // 0.00004 mm^2 / 1024, rounded as in the table
constexpr double kXbarAreaUm2 = 25;  // one 128 x 128 array
constexpr double kSaAreaUm2 = 0.00024e6 / 4, kSaUnitsPerAdc = 4.0 / 8;
constexpr double kSaPowerMw = 0.2, kSaAddsPerNs = 8 * 1.28;  // 4 units adding the outputs of 8 ADCs
constexpr int kHpar = 2, kVpar = 2, kSlices = 4, kRows = 32, kCols = 32;

}  // namespace

BOOST_AUTO_TEST_CASE(area_per_component_from_the_table) {
  for (int k = 0; k < 3; ++k) {
    const Case& c = kCases[k];
    BOOST_TEST_CONTEXT(c.name) {
      const sc::AreaBreakdown a = fx().bench.tile(k).area();
      const double arrays = kHpar * kVpar * kSlices;  // one per (row block, column block, weight slice)
      const double adcs = arrays * (kCols / c.mux);
      const double adc_um2 = adcs * kAdcAreaUm2At8 * std::pow(2.0, c.bits - 8);
      const double sh_um2 = arrays * kCols * kShAreaUm2;
      const double dac_um2 = arrays * kRows * kDacArea1bitUm2;  // every row of every array, 1-bit slices
      const double xbar_um2 = arrays * kXbarAreaUm2 * kRows * (kCols + 1) / (128.0 * 128.0);
      const double sa_um2 = adcs * kSaUnitsPerAdc * kSaAreaUm2;
      const auto tol = boost::test_tools::tolerance(1e-12);
      BOOST_TEST(a.adc_um2 == adc_um2, tol);
      BOOST_TEST(a.sample_hold_um2 == sh_um2, tol);
      BOOST_TEST(a.dac_um2 == dac_um2, tol);
      BOOST_TEST(a.crossbar_um2 == xbar_um2, tol);
      BOOST_TEST(a.shift_add_um2 == sa_um2, tol);
      BOOST_TEST(a.total_um2() == adc_um2 + sh_um2 + dac_um2 + xbar_um2 + sa_um2, tol);
    }
  }
}

BOOST_AUTO_TEST_CASE(energy_per_component_from_the_table_and_the_geometry) {
  for (int k = 0; k < 3; ++k) {
    const Case& c = kCases[k];
    BOOST_TEST_CONTEXT(c.name) {
      const int B = 5;
      fx().bench.run(k, test::random_matrix(B, 64, 50 + k));
      const sc::TileStats s = fx().bench.tile(k).stats();
      // Per vector: every input slice drives every row of every array (gating off), each
      // array read converts every column once.
      const double reads = double(B) * kSlices /*input*/ * kSlices /*weight*/ * kHpar * kVpar;
      const double dac_conv = reads * kRows, adc_conv = reads * kCols;
      const double e_dac = kDacPower1bitUw * 1e-6 * kReadCycleNs * 1e-9 * 1e12;  // pJ per 1-bit conversion
      const double e_adc = kAdcPowerMw * 1e-3 / (kAdcGsps * 1e9) * 1e12 * std::pow(2.0, c.bits - 8);
      const double e_sh = kShPowerNw * 1e-9 * kReadCycleNs * 1e-9 * 1e12;
      const double e_sa = kSaPowerMw * 1e-3 / (kSaAddsPerNs * 1e9) * 1e12;
      const auto tol = boost::test_tools::tolerance(1e-12);
      BOOST_TEST(s.dac_conversions == static_cast<std::uint64_t>(dac_conv));
      BOOST_TEST(s.adc_conversions == static_cast<std::uint64_t>(adc_conv));
      BOOST_TEST(s.energy.dac_pj == dac_conv * e_dac, tol);
      BOOST_TEST(s.energy.adc_pj == adc_conv * e_adc, tol);
      BOOST_TEST(s.energy.sample_hold_pj == adc_conv * e_sh, tol);
      BOOST_TEST(s.energy.shift_add_pj == adc_conv * e_sa, tol);
      // Programming: 2 V, 10 ns, one pulse: V^2 t sum(G); all cells' conductances summed here
      // from the programmed levels (G = LGS + level (HGS - LGS)), reference columns at LGS.
      double g = 0;
      const core::ProgrammedMatrix& pm = fx().bench.tile(k).matrix();
      for (int kb = 0; kb < pm.row_blocks(); ++kb)
        for (const core::ProgrammedSlice& ps : pm.block(kb).slices) g += ps.row_g_sum_s.sum();
      BOOST_TEST(s.energy.program_pj == 2.0 * 2.0 * 10e-9 * g * 1e12, tol);
      // Bounds on sum(G) from the device range: every cell between LGS and HGS.
      const double cells = double(kHpar) * kVpar * kSlices * kRows * (kCols + 1);
      BOOST_TEST(g >= cells * 1e-7 * (1 - 1e-12));
      BOOST_TEST(g <= cells * 1e-5 * (1 + 1e-12));
    }
  }
}
