#include "RunParallel.hpp"

#include <algorithm>
#include <string>
#include <vector>

#include "Mpi.hpp"
#include "memtile/sc/tile/Accelerator.hpp"

namespace memtile::cli::parallel {

using nlohmann::json;

namespace {
const mpi::Session& session() { return mpi::Session::current(); }

std::vector<double> gather(double x) {
  if (!distributed()) return {x};
  std::vector<double> out;
  for (const std::string& s : mpi::allgather(json(x).dump())) out.push_back(json::parse(s).get<double>());
  return out;
}

// Sums `key` of objects a (rank 0's, modified) and b: numbers in place, objects key by key.
void add_into(json& a, const json& b) {
  if (a.is_object()) {
    for (auto it = a.begin(); it != a.end(); ++it)
      if (b.contains(it.key())) add_into(it.value(), b[it.key()]);
  } else if (a.is_number_unsigned() && b.is_number_unsigned()) {
    a = a.get<std::uint64_t>() + b.get<std::uint64_t>();
  } else if (a.is_number_integer() && b.is_number_integer()) {
    a = a.get<std::int64_t>() + b.get<std::int64_t>();
  } else if (a.is_number() && b.is_number()) {
    a = a.get<double>() + b.get<double>();
  }
}
}  // namespace

bool is_root() { return session().rank() == 0; }
bool distributed() { return session().active() && session().size() > 1; }

Share image_share(std::int64_t n, std::int64_t batch) {
  if (!distributed()) return {0, n};
  const auto batch_start = [&](std::int64_t b) { return b == 0 ? 0 : std::min(n, 1 + (b - 1) * batch); };
  // The first batch starting at or after rank r's even share of the images.
  const auto boundary = [&](int r) {
    const std::int64_t target = n * r / session().size();
    if (target <= 0) return std::int64_t{0};
    return batch_start(1 + (target - 1 + batch - 1) / batch);
  };
  const int r = session().rank();
  return {boundary(r), r + 1 == session().size() ? n : boundary(r + 1)};
}

void sum_exact(std::int64_t& a, std::int64_t& b, std::int64_t& c) {
  if (!distributed()) return;
  const auto s = mpi::allreduce_sum({a, b, c});
  a = s[0];
  b = s[1];
  c = s[2];
}

double sum_in_rank_order(double x) {
  double sum = 0;
  for (double v : gather(x)) sum += v;
  return sum;
}

double max_over_ranks(double x) {
  const auto v = gather(x);
  return *std::max_element(v.begin(), v.end());
}

double from_root(double x) { return gather(x).front(); }

json reduce_accelerator_summary(const json& summary, std::uint64_t images, bool layer_pipeline, std::uint64_t array_budget) {
  if (!distributed()) return summary;
  std::vector<json> all;
  for (const std::string& s : mpi::allgather(summary.dump())) all.push_back(json::parse(s));
  json out = all[0];
  json& layers = out["layers"];
  // What the images add up: run counts, busy time, operations, inference energies. Programming
  // energy, geometry, first-batch times and per-operation figures stay rank 0's.
  static const char* additive[] = {"batches", "vectors", "busy_time_ns", "ops"};
  for (std::size_t r = 1; r < all.size(); ++r) {
    for (std::size_t l = 0; l < layers.size(); ++l) {
      json& a = layers[l];
      const json& b = all[r]["layers"][l];
      for (const char* k : additive) add_into(a[k], b.at(k));
      add_into(a["counts"], b.at("counts"));
      for (auto it = a["energy_pj"].begin(); it != a["energy_pj"].end(); ++it)
        if (it.key() != "program" && it.key() != "total") add_into(it.value(), b["energy_pj"].at(it.key()));
      if (a.contains("rtl"))
        for (const char* k : {"cycles", "operations", "accumulator_batches"}) add_into(a["rtl"][k], b["rtl"].at(k));
    }
  }
  // Derived per layer, then the totals and the pipeline as summary() derives them.
  double e_inf = 0, e_tot = 0, ops = 0;
  for (json& a : layers) {
    json& e = a["energy_pj"];
    e["total"] = e["inference"].get<double>() + e["program"].get<double>();
    const double busy = a["busy_time_ns"].get<double>(), inf = e["inference"].get<double>();
    a["throughput_mvm_per_s"] = busy > 0 ? a["vectors"].get<double>() / (busy * 1e-9) : 0.0;
    a["tops_per_w"] = inf > 0 ? a["ops"].get<double>() / (inf * 1e-12) / 1e12 : 0.0;
    e_inf += inf;
    e_tot += e["total"].get<double>();
    ops += a["ops"].get<double>();
  }
  json& total = out["total"];
  total["vectors"] = layers.empty() ? json(0) : layers.back()["vectors"];
  total["inference_energy_pj"] = e_inf;
  total["energy_pj"] = e_tot;
  total["ops"] = ops;
  total["tops_per_w"] = e_inf > 0 ? ops / (e_inf * 1e-12) / 1e12 : 0.0;
  if (!out["pipeline"].is_null() && images > 0) {
    std::vector<sc::AcceleratorModel::PipelineStage> stages;
    std::vector<double> first;
    for (const json& a : layers) {
      stages.push_back({a["name"].get<std::string>(), a["busy_time_ns"].get<double>() / static_cast<double>(images),
                        a["replication"].get<int>(), a["arrays_total"].get<std::uint64_t>()});
      first.push_back(a["first_batch_time_ns"].get<double>());
    }
    out["pipeline"] = sc::AcceleratorModel::pipeline_section(stages, first, images, layer_pipeline, array_budget, layers);
  }
  return out;
}

}  // namespace memtile::cli::parallel
