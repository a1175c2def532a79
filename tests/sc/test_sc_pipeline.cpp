// Inter-layer pipeline of a model: per-image stage times, pipelined throughput = 1 / slowest
// stage, the first image's latency, replication per layer from the mapping, the replication
// planner, and the Perfetto tracks of the pipelined layers overlapping in time. Expected
// values are derived by hand from the stage latencies (see each case).
#define BOOST_TEST_MODULE memtile sc pipeline
#include <boost/test/unit_test.hpp>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>

#include "Harness.hpp"
#include "memtile/sc/tile/Accelerator.hpp"

using namespace memtile;
using memtile::test::NoSystemCWarnings;
BOOST_TEST_GLOBAL_FIXTURE(NoSystemCWarnings);

namespace {
const std::string kTrace = "test_sc_pipeline.perfetto.json";

core::EngineConfig cfg32() {
  core::EngineConfig c;
  c.array_rows = c.array_cols = 32;
  c.xblk = c.mblk = {1, 1, 2, 4};  // 4 input slices
  c.radc = 256;                    // 8-bit ADC (the table's reference: 1.28 GS/s)
  c.var = 0;
  return c;
}

struct Model {
  sc::AcceleratorModel model;
  static core::TileConfig tile() {
    core::TileConfig t;
    t.clock_ghz = 1.0;
    t.adc_mux = 8;
    t.pipeline = false;        // per vector: S (A + B + C) + R, easy to write by hand
    t.dac_settle_ns = 1.0;
    t.read_pulse_ns = 40.0;
    t.sample_cycles = 1;
    t.mapping.layer_pipeline = true;
    t.mapping.layer_replication["A"] = 2;
    t.mapping.array_budget = 100;
    return t;
  }
  static core::TraceConfig trace() {
    core::TraceConfig tr;
    tr.perfetto_path = kTrace;
    tr.trace_vectors = 4;
    return tr;
  }
  Model() : model(tile(), {}, trace(), sc::AcceleratorModel::Topology::Independent) {
    model.add_layer("A", test::random_matrix(32, 32, 1), cfg32());
    model.add_layer("B", test::random_matrix(64, 32, 2), cfg32());  // two row partitions
    model.add_layer("C", test::random_matrix(32, 10, 3), cfg32());
    // Two images; per image A sees 4 vectors (e.g. conv patches), B 2 and C 1.
    for (int img = 0; img < 2; ++img) {
      model.run_layer(0, test::random_matrix(4, 32, 10 + img));
      model.run_layer(1, test::random_matrix(2, 64, 20 + img));
      model.run_layer(2, test::random_matrix(1, 32, 30 + img));
    }
    model.set_images(2);
  }
};
Model& fx() {
  static Model m;
  return m;
}

// Per vector, not pipelined: 4 slices x (A 42 ns + B 8/1.28 = 6.25 ns + C 1 ns) + R, with
// R = ceil(log2 hpar) + 1 clocks: 198 ns (one row partition), 199 ns (two).
constexpr double kVec1 = 4 * (42 + 6.25 + 1) + 1, kVec2 = kVec1 + 1;
constexpr double kStageA = 2 * kVec1;  // 4 vectors over 2 copies: 2 slots
constexpr double kStageB = 2 * kVec2;  // 2 vectors, 1 copy
constexpr double kStageC = 1 * kVec1;
}  // namespace

// PipelineSchedule::run_vectors (the jump once the schedule repeats itself shifted) leaves the
// times that stepping through every item and vector leaves, for stage latencies where A, B, C,
// reduce or neuron dominate (zeros included), pipelined or not, 1 to 8 items per vector and
// 0 to 2000 vectors; the next vector's times agree too (the whole state was carried).
BOOST_AUTO_TEST_CASE(run_vectors_equals_stepping_every_item) {
  using sc_core::sc_time;
  using sc_core::SC_NS;
  const double ns[] = {0, 1, 3, 7.5, 10, 25};
  int cases = 0;
  for (int k = 0; k < 400; ++k) {
    // A deterministic spread of latency combinations (a linear congruential walk over the table).
    const unsigned h = 2654435761u * static_cast<unsigned>(k + 1);
    sc::StageLatencies lat;
    lat.dac = sc_time(ns[h % 6], SC_NS);
    lat.read = sc_time(ns[(h >> 3) % 6], SC_NS);
    lat.adc = sc_time(ns[(h >> 6) % 6], SC_NS);
    lat.shift_add = sc_time(ns[(h >> 9) % 6], SC_NS);
    lat.reduce = sc_time(ns[(h >> 12) % 6] * 3, SC_NS);
    lat.neuron = sc_time(ns[(h >> 15) % 6] * 5, SC_NS);
    const bool pipelined = (h >> 18) % 2 == 0;
    const int S = 1 + static_cast<int>((h >> 19) % 8);
    for (std::int64_t n : {0, 1, 2, 3, 50, 2000}) {
      sc::PipelineSchedule stepped(lat, pipelined), jumped(lat, pipelined);
      for (std::int64_t b = 0; b < n; ++b) {
        for (int i = 0; i < S; ++i) stepped.next_item();
        stepped.finish_vector();
      }
      jumped.run_vectors(n, S);
      BOOST_TEST_CONTEXT("case " << k << ", pipelined " << pipelined << ", S " << S << ", vectors " << n) {
        BOOST_TEST(stepped.items_end() == jumped.items_end());
        BOOST_TEST(stepped.vectors_end() == jumped.vectors_end());
        for (int i = 0; i < S; ++i) {
          const sc::ItemTimes a = stepped.next_item(), b = jumped.next_item();
          BOOST_TEST((a.a_start == b.a_start && a.b_end == b.b_end && a.c_end == b.c_end));
        }
        BOOST_TEST(stepped.finish_vector().n_end == jumped.finish_vector().n_end);
      }
      ++cases;
    }
  }
  BOOST_TEST(cases == 2400);
}

BOOST_AUTO_TEST_CASE(pipelined_throughput_is_one_over_the_slowest_stage) {
  const nlohmann::json s = fx().model.summary();
  const nlohmann::json& p = s.at("pipeline");
  const auto tol = boost::test_tools::tolerance(1e-9);
  BOOST_TEST(p.at("stages")[0].at("stage_ns_per_image").get<double>() == kStageA, tol);
  BOOST_TEST(p.at("stages")[1].at("stage_ns_per_image").get<double>() == kStageB, tol);
  BOOST_TEST(p.at("stages")[2].at("stage_ns_per_image").get<double>() == kStageC, tol);
  BOOST_TEST(p.at("stages")[0].at("replication").get<int>() == 2);
  BOOST_TEST(p.at("bottleneck").get<std::string>() == "B");
  BOOST_TEST(p.at("interval_ns_per_image").get<double>() == kStageB, tol);
  BOOST_TEST(p.at("images_per_s_pipelined").get<double>() == 1e9 / kStageB, tol);
  BOOST_TEST(p.at("images_per_s_sequential").get<double>() == 1e9 / (kStageA + kStageB + kStageC), tol);
  BOOST_TEST(p.at("images_per_s").get<double>() == 1e9 / kStageB, tol);  // layer_pipeline on
  // The first image runs through the layers one after another.
  BOOST_TEST(p.at("first_image_latency_ns").get<double>() == kStageA + kStageB + kStageC, tol);
  BOOST_TEST(s.at("layers")[1].at("pipeline_utilisation").get<double>() == 1.0, tol);
  BOOST_TEST(s.at("layers")[2].at("pipeline_utilisation").get<double>() == kStageC / kStageB, tol);
  // Utilisation of the arrays: C uses 10 of 32 columns, all 32 rows.
  BOOST_TEST(s.at("layers")[2].at("utilisation").at("columns").get<double>() == 10.0 / 32, tol);
  BOOST_TEST(s.at("layers")[2].at("utilisation").at("rows").get<double>() == 1.0, tol);
}

BOOST_AUTO_TEST_CASE(replication_planner_balances_within_the_budget) {
  using Stage = sc::AcceleratorModel::PipelineStage;
  // A 800 ns on 8 arrays, B 400 ns on 8, C 100 ns on 2 (18 arrays). Budget 50: A -> 2 (26),
  // A and B tie at 400: A -> 3 (34), B -> 2 (42), A -> 4 (50); A and B at 200, A cannot grow.
  const std::vector<Stage> st = {{"A", 800, 1, 8}, {"B", 400, 1, 8}, {"C", 100, 1, 2}};
  BOOST_TEST(sc::AcceleratorModel::plan_replication(st, 50) == (std::vector<int>{4, 2, 1}),
             boost::test_tools::per_element());
  BOOST_TEST(sc::AcceleratorModel::plan_replication(st, 18) == (std::vector<int>{1, 1, 1}),
             boost::test_tools::per_element());
  // From the model (A already at 2 copies of 4 arrays... per copy: 1 x 4 weight slices).
  const nlohmann::json plan = fx().model.summary().at("pipeline").at("replication_plan");
  BOOST_TEST(plan.at("arrays").get<std::uint64_t>() <= 100u);
  BOOST_TEST(plan.at("interval_ns_per_image").get<double>() < kStageB);
}

BOOST_AUTO_TEST_CASE(perfetto_shows_the_pipelined_layers_overlapping) {
  fx().model.close_traces();
  std::ifstream f(kTrace);
  BOOST_REQUIRE(f.good());
  const nlohmann::json j = nlohmann::json::parse(f);
  std::map<int, std::string> track;
  for (const auto& e : j.at("traceEvents"))
    if (e.at("ph") == "M" && e.at("name") == "thread_name") track[e.at("tid").get<int>()] = e.at("args").at("name");
  struct Span {
    std::string layer;
    long long image;
    double start, end;
  };
  std::vector<Span> spans;
  for (const auto& e : j.at("traceEvents"))
    if (e.at("ph") == "X" && e.at("name") == "image") {
      const double ts = e.at("ts").get<double>() * 1e3, dur = e.at("dur").get<double>() * 1e3;  // us -> ns
      spans.push_back({track.at(e.at("tid").get<int>()), e.at("args").at("vector").get<long long>(), ts, ts + dur});
    }
  BOOST_TEST(spans.size() == 6u);  // 2 images x 3 layers
  // Image 1 enters A while image 0 is in B: [kStageA, 2 kStageA] against [kStageA, kStageA + kStageB].
  const auto find = [&](const std::string& l, long long img) {
    for (const Span& s : spans)
      if (s.layer == "pipeline " + l && s.image == img) return s;
    BOOST_FAIL("missing span " << l << " " << img);
    return Span{};
  };
  const Span a1 = find("A", 1), b0 = find("B", 0), b1 = find("B", 1), c0 = find("C", 0);
  const double t0 = find("A", 0).start;
  const auto tol = boost::test_tools::tolerance(1e-6);
  BOOST_TEST(a1.start - t0 == kStageA, tol);
  BOOST_TEST(b0.start - t0 == kStageA, tol);
  BOOST_TEST(std::min(a1.end, b0.end) - std::max(a1.start, b0.start) > 0.0);  // overlap
  BOOST_TEST(b1.start - t0 == kStageA + kStageB, tol);  // B is busy with image 0 until then
  BOOST_TEST(c0.end - t0 == kStageA + kStageB + kStageC, tol);
  std::remove(kTrace.c_str());
}
