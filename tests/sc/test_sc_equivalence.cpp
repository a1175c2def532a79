// The tile's numbers are the core engine's, bit for bit (==), over the three engines,
// software and hardware, with variation and read noise, several shapes incl. partitioned.
#define BOOST_TEST_MODULE memtile sc equivalence
#include <boost/test/unit_test.hpp>

#include "Harness.hpp"
#include "memtile/core/MatrixEngine.hpp"

using namespace memtile;

using memtile::test::NoSystemCWarnings;
BOOST_TEST_GLOBAL_FIXTURE(NoSystemCWarnings);

namespace {
struct Case {
  std::string name;
  core::EngineConfig cfg;
  Eigen::Index K, N;
};

std::vector<Case> cases() {
  std::vector<Case> out;
  auto base = [](core::EngineMode m, bool sw, int r, int c) {
    core::EngineConfig cfg;
    cfg.mode = m;
    cfg.software = sw;
    cfg.array_rows = r;
    cfg.array_cols = c;
    cfg.var = 0.05;
    cfg.vnoise = sw ? 0.0 : 0.002;
    cfg.seed = 1234;
    return cfg;
  };
  const std::pair<core::EngineMode, const char*> modes[] = {
      {core::EngineMode::BitSlice, "bitslice"}, {core::EngineMode::DiffPair, "diffpair"}, {core::EngineMode::FloatingPoint, "fp"}};
  for (auto [m, mn] : modes)
    for (bool sw : {false, true}) {
      const std::string s = std::string(mn) + (sw ? "_sw" : "_hw");
      out.push_back({s + "_100x70_on32", base(m, sw, 32, 32), 100, 70});   // hpar 4 x vpar 3
      out.push_back({s + "_33x17_on16x8", base(m, sw, 16, 8), 33, 17});     // rectangular arrays
    }
  core::EngineConfig c = base(core::EngineMode::BitSlice, false, 128, 128);
  c.xblk = c.mblk = {1, 1, 1, 1, 1, 1, 1, 1};
  out.push_back({"bitslice_128x128_1bit", c, 128, 128});
  c = base(core::EngineMode::BitSlice, false, 32, 32);
  c.weight_encoding = core::WeightEncoding::Differential;
  c.adc_full_scale = core::AdcFullScale::Calibrated;
  c.stuck_at_lgs = 0.01;
  out.push_back({"bitslice_differential_calibrated_64x40", c, 64, 40});
  c = base(core::EngineMode::FloatingPoint, false, 8, 8);
  c.wire_resistance = 2.93;  // circuit-solved reads
  out.push_back({"fp_wires_20x12_on8", c, 20, 12});
  c = base(core::EngineMode::DiffPair, false, 16, 16);
  c.wire_resistance = 2.93;
  c.drift_nu = 0.01;
  c.drift_t_s = 100;
  out.push_back({"diffpair_wires_drift_30x20_on16", c, 30, 20});
  // The cases above read in the default float32; again in float64 (the validation setting): the
  // tile is the engine within each precision.
  for (std::size_t k = 0, n = out.size(); k < n; ++k) {
    if (out[k].cfg.software) continue;
    Case f = out[k];
    f.name += "_float64";
    f.cfg.precision = core::Precision::Float64;
    out.push_back(f);
  }
  return out;
}

struct Fixture {
  std::vector<Case> all = cases();
  std::vector<core::ProgrammedMatrix> refs;
  std::vector<Eigen::MatrixXd> W;
  test::Bench bench;
  Fixture() {
    for (std::size_t k = 0; k < all.size(); ++k) {
      W.push_back(test::random_matrix(all[k].K, all[k].N, 7 + k));
      refs.push_back(core::MatrixEngine(all[k].cfg).program(W.back()));
      bench.add(all[k].name, core::MatrixEngine(all[k].cfg).program(W.back()));
    }
  }
};
Fixture& fx() {
  static Fixture f;  // one elaboration for the whole executable
  return f;
}
}  // namespace

BOOST_AUTO_TEST_CASE(tile_output_is_bit_identical_to_core_multiply) {
  Fixture& f = fx();
  for (std::size_t k = 0; k < f.all.size(); ++k) {
    BOOST_TEST_CONTEXT(f.all[k].name) {
      // Two batches: the second continues the read-noise vector count.
      for (int batch = 0; batch < 2; ++batch) {
        const Eigen::MatrixXd X = test::random_matrix(batch == 0 ? 5 : 3, f.all[k].K, 100 + 10 * k + batch);
        const Eigen::MatrixXd want = f.refs[k].multiply(X);
        const Eigen::MatrixXd got = f.bench.run(static_cast<int>(k), X);
        BOOST_REQUIRE_EQUAL(got.rows(), want.rows());
        BOOST_REQUIRE_EQUAL(got.cols(), want.cols());
        BOOST_TEST((got.array() == want.array()).all(), "max |diff| = " << (got - want).cwiseAbs().maxCoeff());
      }
      const core::ReadCounters& a = f.refs[k].counters();
      const core::ReadCounters& b = f.bench.tile(static_cast<int>(k)).matrix().counters();
      BOOST_TEST(a.vectors == b.vectors);
      BOOST_TEST(a.dac_conversions == b.dac_conversions);
      BOOST_TEST(a.array_reads == b.array_reads);
      BOOST_TEST(a.adc_conversions == b.adc_conversions);
      BOOST_TEST(a.read_energy_per_s_j == b.read_energy_per_s_j);
      // The components count the same operations as the core.
      const sc::TileStats s = f.bench.tile(static_cast<int>(k)).stats();
      if (!f.all[k].cfg.software) {
        BOOST_TEST(s.dac_conversions == a.dac_conversions);
        BOOST_TEST(s.array_reads == a.array_reads);
        BOOST_TEST(s.adc_conversions == a.adc_conversions);
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(noise_is_on_and_matters) {
  // Guard against a vacuous equivalence: with read noise, two reads of the same input differ.
  Fixture& f = fx();
  const Eigen::MatrixXd X = test::random_matrix(2, f.all[0].K, 999);
  const Eigen::MatrixXd a = f.bench.run(0, X), b = f.bench.run(0, X);
  BOOST_TEST((a - b).cwiseAbs().maxCoeff() > 0.0);
}
