#include "memtile/sc/tile/Accelerator.hpp"

#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>

#include "rtl/RtlPeriphery.hpp"
#include "memtile/core/CheckedSize.hpp"
#include "memtile/core/Errors.hpp"
#include "memtile/core/Finite.hpp"
#include "memtile/core/LayerTiling.hpp"
#include "memtile/core/Partitioning.hpp"

namespace memtile::sc {
using core::InputError;
using core::require;
using nlohmann::json;

// The host side of the first tile's `in` socket.
class AcceleratorModel::Source : public sc_core::sc_module {
 public:
  tlm_utils::simple_initiator_socket<Source> socket;
  explicit Source(sc_core::sc_module_name n) : sc_core::sc_module(n), socket("socket") {}
  void send(JobExtension batch) {
    sc_core::sc_time delay = sc_core::SC_ZERO_TIME;  // the tile only queues the batch: no time passes
    if (send_batch(socket, std::move(batch), 0, delay) != tlm::TLM_OK_RESPONSE)
      throw std::logic_error("memtile::sc: first tile rejected the input batch");
  }
};

// Collects the last tile's outputs.
class AcceleratorModel::Sink : public sc_core::sc_module {
 public:
  tlm_utils::simple_target_socket<Sink> socket;
  std::map<std::uint64_t, std::shared_ptr<Eigen::MatrixXd>> results;
  std::map<std::uint64_t, double> arrival_ns;
  explicit Sink(sc_core::sc_module_name n) : sc_core::sc_module(n), socket("socket") {
    socket.register_b_transport(this, &Sink::b_transport);
  }
  void b_transport(tlm::tlm_generic_payload& tx, sc_core::sc_time& delay) {
    const JobExtension* job = batch_of(tx);
    if (!job) return;
    results[job->job] = job->data;
    arrival_ns[job->job] = (sc_core::sc_time_stamp() + delay).to_seconds() * 1e9;
    tx.set_response_status(tlm::TLM_OK_RESPONSE);
  }
};

AcceleratorModel::AcceleratorModel(const core::TileConfig& tile, const core::EnergyTable& energy,
                                   const core::TraceConfig& trace, Topology topology)
    : tile_cfg_(tile), energy_(energy), trace_cfg_(trace), topology_(topology) {
  tile_cfg_.validate();
  energy_.validate();
  trace_cfg_.validate();
}

AcceleratorModel::~AcceleratorModel() {
  if (trace_) trace_->close();
  for (auto& t : tiles_) t->close_rtl_trace();
}

int AcceleratorModel::add_layer(const std::string& name, const Eigen::MatrixXd& W, const core::EngineConfig& cfg,
                                const core::NeuronConfig& neuron) {
  require(!elaborated_, "layer " + name, "layers must be added before the model is elaborated (first run)");
  tile_cfg_.validate(cfg);  // before programming: a bad tile config should not cost a programming
  neuron.validate();
  core::MatrixEngine engine(cfg);
  return add_layer(name, engine.program(W), neuron);
}

int AcceleratorModel::add_layer(const std::string& name, core::ProgrammedMatrix pm, const core::NeuronConfig& neuron) {
  require(!elaborated_, "layer " + name, "layers must be added before the model is elaborated (first run)");
  require(!name.empty(), "layer", "needs a name");
  for (const Spec& s : specs_) require(s.name != name, "layer " + name, "name used twice");
  tile_cfg_.validate(pm.config());  // fail here, naming the field, rather than at elaboration
  RtlPeriphery::check(pm, tile_cfg_);
  neuron.validate();
  if (topology_ == Topology::Chained && !specs_.empty())
    require(specs_.back().pm->out_features() == pm.in_features(), "layer " + name,
            "has " + std::to_string(pm.in_features()) + " inputs but the previous layer has " +
                std::to_string(specs_.back().pm->out_features()) + " outputs");
  core::TileConfig t = tile_cfg_;
  t.replication = tile_cfg_.mapping.replication_of(name);
  specs_.push_back(Spec{name, std::make_shared<core::ProgrammedMatrix>(std::move(pm)), neuron, t});
  return static_cast<int>(specs_.size()) - 1;
}

void AcceleratorModel::set_layer_rtl(int layer, const core::RtlConfig& rtl) {
  require(layer >= 0 && layer < layers(), "layer", "index " + std::to_string(layer) + " out of range");
  Spec& s = specs_[static_cast<std::size_t>(layer)];
  require(!elaborated_, "layer " + s.name, "RTL switches must be set before the model is elaborated (first run)");
  core::TileConfig t = s.tile;
  t.rtl = rtl;
  t.validate(s.pm->config());
  RtlPeriphery::check(*s.pm, t);
  s.tile = t;
}

void AcceleratorModel::elaborate() {
  if (elaborated_) return;
  require(!specs_.empty(), "model", "has no layers");
  for (const auto& entry : tile_cfg_.mapping.layer_replication) {
    const std::string& name = entry.first;
    bool found = false;
    for (const Spec& s : specs_) found = found || s.name == name;
    std::string names;
    for (const Spec& s : specs_) names += (names.empty() ? "" : ", ") + s.name;
    require(found, "tile.mapping.layer_replication." + name, "no layer of that name (layers: " + names + ")");
  }
  require(sc_core::sc_get_status() == sc_core::SC_ELABORATION, "model",
          "SystemC allows one elaboration per process: a model was already simulated in this process");
  tlm_utils::tlm_quantumkeeper::set_global_quantum(sc_core::sc_time(tile_cfg_.quantum_ns, sc_core::SC_NS));
  trace_ = std::make_unique<TraceHub>(trace_cfg_);
  for (const Spec& s : specs_)
    tiles_.push_back(std::make_unique<Tile>(s.name.c_str(), s.pm, s.tile, s.neuron, energy_, trace_.get()));
  if (topology_ == Topology::Chained) {
    sources_.push_back(std::make_unique<Source>("host_source"));
    sinks_.push_back(std::make_unique<Sink>("host_sink"));
    sources_.front()->socket.bind(tiles_.front()->in);
    for (std::size_t l = 0; l + 1 < tiles_.size(); ++l) tiles_[l]->out.bind(tiles_[l + 1]->in);
    tiles_.back()->out.bind(sinks_.front()->socket);
  } else {
    for (std::size_t l = 0; l < tiles_.size(); ++l) {
      sources_.push_back(std::make_unique<Source>(("host_source_" + std::to_string(l)).c_str()));
      sinks_.push_back(std::make_unique<Sink>(("host_sink_" + std::to_string(l)).c_str()));
      sources_[l]->socket.bind(tiles_[l]->in);
      tiles_[l]->out.bind(sinks_[l]->socket);
    }
  }
  elaborated_ = true;
  sc_core::sc_start();  // programs every tile; returns when all are idle
}

RunResult AcceleratorModel::run(const Eigen::MatrixXd& X, Eigen::Index chunk_rows) {
  require(!specs_.empty(), "model", "has no layers");
  require(topology_ == Topology::Chained, "model", "run() drives a chained model; use run_layer()");
  return inject(0, specs_.size() - 1, X.rows(), &X, nullptr, chunk_rows);
}

RunResult AcceleratorModel::run_layer(int layer, const Eigen::MatrixXd& X, Eigen::Index chunk_rows) {
  require(topology_ == Topology::Independent, "model", "run_layer() drives an independent-topology model");
  require(layer >= 0 && layer < layers(), "layer", "index " + std::to_string(layer) + " out of range");
  return inject(static_cast<std::size_t>(layer), static_cast<std::size_t>(layer), X.rows(), &X, nullptr, chunk_rows);
}

RunResult AcceleratorModel::run_layer(int layer, Eigen::Index B, const core::InputRows& rows, Eigen::Index chunk_rows) {
  require(topology_ == Topology::Independent, "model", "run_layer() drives an independent-topology model");
  require(layer >= 0 && layer < layers(), "layer", "index " + std::to_string(layer) + " out of range");
  require(static_cast<bool>(rows), "inputs", "no row source");
  // The tile holds the batch's accumulators (and, for observed partitions, the batch): B is
  // bounded like a declared size before anything is allocated in the simulation.
  const core::ProgrammedMatrix& pm = *specs_[static_cast<std::size_t>(layer)].pm;
  core::checked_count({B, std::max(pm.in_features(), pm.out_features())}, sizeof(double), "inputs (a row source's batch)");
  return inject(static_cast<std::size_t>(layer), static_cast<std::size_t>(layer), B, nullptr, &rows, chunk_rows);
}

RunResult AcceleratorModel::inject(std::size_t first, std::size_t last, Eigen::Index B, const Eigen::MatrixXd* X,
                                   const core::InputRows* rows, Eigen::Index chunk_rows) {
  require(B >= 1, "inputs", "empty batch");
  if (X) {
    const Eigen::Index k = specs_[first].pm->in_features();
    require(X->cols() == k, "inputs",
            "have " + std::to_string(X->cols()) + " columns but layer '" + specs_[first].name + "' has " +
                std::to_string(k) + " inputs");
    require(core::all_finite(*X), "inputs", "contain NaN or Inf");
  }
  require(chunk_rows >= 0, "chunk_rows", "must be >= 0");
  elaborate();
  Source& source = *sources_[topology_ == Topology::Chained ? 0 : first];
  Sink& sink = *sinks_[topology_ == Topology::Chained ? 0 : last];
  const double e0 = inference_energy_pj(tiles_, first, last + 1);
  RunResult r;
  r.start_ns = now_ns();
  if (first_run_start_ns_ < 0) first_run_start_ns_ = r.start_ns;
  const Eigen::Index chunk = chunk_rows > 0 ? chunk_rows : B;
  std::vector<std::uint64_t> ids;
  // One batch for all of X: the tiles read X itself (they only read their input, and every
  // job is done when sc_start() returns), through a view sharing `keep`'s count so that a
  // component still holding it afterwards is caught. Smaller chunks are copied. A row source
  // is passed the same way, each chunk through a view offsetting its rows.
  const auto keep = std::make_shared<int>(0);
  std::vector<std::shared_ptr<const core::InputRows>> views;
  for (Eigen::Index r0 = 0; r0 < B; r0 += chunk) {
    const Eigen::Index n = std::min(chunk, B - r0);
    ids.push_back(next_job_);
    JobExtension batch;
    batch.job = next_job_++;
    if (!X) {
      batch.vectors = n;
      if (n == B) batch.rows = std::shared_ptr<const core::InputRows>(keep, rows);
      else
        batch.rows = views.emplace_back(std::make_shared<const core::InputRows>(
            [rows, r0](Eigen::Index f, Eigen::Index c, Eigen::Ref<Eigen::MatrixXd> out) { (*rows)(r0 + f, c, out); }));
    } else if (n == B) {
      batch.data = std::shared_ptr<Eigen::MatrixXd>(keep, const_cast<Eigen::MatrixXd*>(X));
    } else {
      batch.data = std::make_shared<Eigen::MatrixXd>(X->middleRows(r0, n));
    }
    source.send(std::move(batch));
  }
  sc_core::sc_start();
  bool kept = keep.use_count() != 1;
  for (const auto& v : views) kept = kept || v.use_count() != 1;
  if (kept) throw std::logic_error("memtile::sc: a component kept the input batch after the run");
  r.y.resize(B, specs_[last].pm->out_features());
  Eigen::Index row = 0;
  for (std::uint64_t id : ids) {
    auto it = sink.results.find(id);
    if (it == sink.results.end()) throw std::logic_error("memtile::sc: a batch did not come out of the last tile");
    if (ids.size() == 1 && it->second.use_count() == 1 && it->second->rows() == B)
      r.y = std::move(*it->second);  // the only batch, held by no one else: no copy
    else
      r.y.middleRows(row, it->second->rows()) = *it->second;
    row += it->second->rows();
    r.end_ns = std::max(r.end_ns, sink.arrival_ns[id]);
    sink.results.erase(it);
    sink.arrival_ns.erase(id);
  }
  bool finite = true;
  for (std::size_t l = first; l <= last; ++l) finite = !tiles_[l]->take_input_not_finite() && finite;
  require(finite, "inputs", "contain NaN or Inf (a block of the row source; the batch ran with it as zeros)");
  r.energy_pj = inference_energy_pj(tiles_, first, last + 1) - e0;
  return r;
}

const Tile& AcceleratorModel::tile(int layer) const {
  require(elaborated_, "model", "not elaborated yet");
  return *tiles_.at(layer);
}

double AcceleratorModel::now_ns() const { return sc_core::sc_time_stamp().to_seconds() * 1e9; }

void AcceleratorModel::close_traces() {
  if (trace_) {
    trace_pipeline();
    trace_->close();
  }
  for (auto& t : tiles_) t->close_rtl_trace();
}

namespace {
json energy_json(const EnergyBreakdown& e) {
  return {{"dac", e.dac_pj}, {"crossbar", e.crossbar_pj}, {"adc", e.adc_pj}, {"sample_hold", e.sample_hold_pj},
          {"shift_add", e.shift_add_pj}, {"reduce", e.reduce_pj}, {"neuron", e.neuron_pj}, {"program", e.program_pj},
          {"inference", e.inference_pj()}, {"total", e.total_pj()}};
}
json area_json(const AreaBreakdown& a) {
  return {{"dac", a.dac_um2}, {"crossbar", a.crossbar_um2}, {"adc", a.adc_um2}, {"sample_hold", a.sample_hold_um2},
          {"shift_add", a.shift_add_um2}, {"total", a.total_um2()}};
}
}  // namespace

json AcceleratorModel::summary() const {
  require(elaborated_, "model", "not elaborated yet");
  json layers = json::array();
  double e_inf = 0, e_tot = 0, area = 0, ops = 0, imac_area = 0;
  std::uint64_t vectors = 0;
  for (std::size_t l = 0; l < tiles_.size(); ++l) {
    const Tile& t = *tiles_[l];
    const core::TileGeometry& g = t.geometry();
    const TileStats s = t.stats();
    const AreaBreakdown a = t.area();
    const double layer_ops = 2.0 * static_cast<double>(g.in_features()) * static_cast<double>(g.out_features()) *
                             static_cast<double>(s.vectors);
    // The layer's arrays as the engine cut it (core::LayerTiling, docs/mapping.md).
    const core::LayerTiling& tiling = g.tiling;
    // IMAC-Sim's area formula (docs/model.md §4), one crossbar per block of the engine's tiling
    // (no bias row: the engine has none, unlike the analog backend's IMAC partitions).
    const double imac = core::crossbar_area_m2(tiling.blocks(), g.rows(), g.cols(), tile_cfg_.wire) * 1e12;
    const CrossbarTiming& ct = t.crossbar_timing();
    const StageLatencies& lat = t.latencies();
    auto ns = [](sc_core::sc_time x) { return x.to_seconds() * 1e9; };
    const core::AdcOperatingPoint& adc = t.adc0().operating_point();
    // Utilisation of the mapped arrays: used rows / columns / cells of the allocated ones, and
    // the share of the ADC conversions that are of used columns (1 with gating).
    const double rows_used = tiling.row_utilisation(), cols_used = tiling.col_utilisation();
    const double conv_useful = static_cast<double>(g.out_features()) / static_cast<double>(t.adc0().conversions_per_vector());
    layers.push_back({
        {"name", specs_[l].name},
        {"in_features", g.in_features()},
        {"out_features", g.out_features()},
        {"array_rows", g.rows()},
        {"array_cols", g.cols()},
        {"hpar", g.hpar()},
        {"vpar", g.vpar()},
        {"input_slices", g.input_slices},
        {"weight_slices", g.weight_slices},
        {"arrays", g.hpar() * g.arrays_per_partition()},
        {"adc_bits", t.adc_bits()},
        {"neuron", to_string(specs_[l].neuron.kind)},
        {"batches", s.batches},
        {"vectors", s.vectors},
        {"mvm_latency_ns", s.mvm_latency_ns},
        {"busy_time_ns", s.busy_time_ns},
        {"throughput_mvm_per_s", s.busy_time_ns > 0 ? static_cast<double>(s.vectors) / (s.busy_time_ns * 1e-9) : 0.0},
        {"program_time_ns", s.program_time_ns},
        {"stage_latency_ns", {{"dac", ns(lat.dac)}, {"crossbar", ns(lat.read)}, {"adc_batch", ns(lat.adc)},
                              {"shift_add", ns(lat.shift_add)}, {"reduce", ns(lat.reduce)}, {"neuron", ns(lat.neuron)}}},
        {"crossbar_settle", {{"elmore_row_ns", ct.elmore_row_s * 1e9}, {"elmore_col_ns", ct.elmore_col_s * 1e9},
                             {"settle_factor", ct.settle_factor}, {"settle_ns", ct.settle_ns},
                             {"row_segment_ohm", ct.row_segment_ohm}, {"col_segment_ohm", ct.col_segment_ohm},
                             {"row_segment_ff", ct.row_segment_f * 1e15}, {"col_segment_ff", ct.col_segment_f * 1e15}}},
        {"crossbar_read", {{"read_pulse_ns", ct.read_pulse_ns}, {"settle_ns", ct.settle_ns}, {"read_ns", ct.read_ns},
                           {"sample_ns", ct.sample_ns}, {"drive_ns", ct.drive_ns}}},
        {"adc", {{"kind", to_string(specs_[l].tile.adc_kind)}, {"bits", adc.bits}, {"sample_rate_gsps", adc.sample_rate_gsps},
                 {"conversion_ns", adc.conversion_ns}, {"energy_per_conversion_pj", adc.energy_pj},
                 {"power_mw", adc.power_mw}, {"area_um2", adc.area_um2},
                 {"adcs", t.adc0().adcs() * g.hpar() * t.replication()},
                 {"conversions_per_read", t.adc0().conversions_per_batch()}}},
        {"replication", t.replication()},
        {"arrays_total", g.hpar() * g.arrays_per_partition() * t.replication()},
        {"mvm_interval_ns", ns(t.mvm_interval())},
        {"first_batch_time_ns", s.first_batch_time_ns},
        {"utilisation", {{"rows", rows_used}, {"columns", cols_used}, {"cells", tiling.cell_utilisation()},
                         {"useful_conversions", conv_useful}}},
        {"counts", {{"dac_conversions", s.dac_conversions}, {"array_reads", s.array_reads},
                    {"adc_conversions", s.adc_conversions}, {"shift_add_ops", s.shift_add_ops},
                    {"neuron_ops", s.neuron_ops}}},
        {"energy_pj", energy_json(s.energy)},
        {"area_um2", area_json(a)},
        {"imac_area_um2", imac},
        {"ops", layer_ops},
        {"tops_per_w", s.energy.inference_pj() > 0 ? layer_ops / (s.energy.inference_pj() * 1e-12) / 1e12 : 0.0},
    });
    if (t.rtl()) {  // RTL mode only: behavioural summaries keep their keys
      const core::RtlConfig& r = specs_[l].tile.rtl;
      layers.back()["rtl"] = {{"controller", r.controller}, {"sar_adc", r.sar_adc}, {"shift_add", r.shift_add},
                              {"accumulator", r.accumulator}, {"cycles", s.rtl_cycles},
                              {"operations", s.rtl_operations}, {"accumulator_batches", s.rtl_accumulator_batches},
                              {"vcd", t.rtl_vcd_path()}};
    }
    e_inf += s.energy.inference_pj();
    e_tot += s.energy.total_pj();
    area += a.total_um2();
    imac_area += imac;
    ops += layer_ops;
    vectors = s.vectors;
  }
  json sources = json::object();
  for (const auto& [g, src] : energy_.sources) sources[g] = src;
  json pipeline = nullptr;
  if (images_ > 0) {
    std::vector<double> first;
    for (const auto& t : tiles_) first.push_back(t->stats().first_batch_time_ns);
    pipeline = pipeline_section(pipeline_stages(), first, images_, tile_cfg_.mapping.layer_pipeline,
                                tile_cfg_.mapping.array_budget, layers);
  }
  return {{"simulated_time_ns", now_ns()},
          {"pipeline", pipeline},
          {"energy_table", energy_.name},
          {"energy_sources", sources},
          {"tile_config", to_json(tile_cfg_)},
          {"layers", layers},
          {"total", {{"vectors", vectors}, {"inference_energy_pj", e_inf}, {"energy_pj", e_tot}, {"area_um2", area},
                     {"imac_area_um2", imac_area}, {"ops", ops},
                     {"tops_per_w", e_inf > 0 ? ops / (e_inf * 1e-12) / 1e12 : 0.0}}}};
}

std::vector<AcceleratorModel::PipelineStage> AcceleratorModel::pipeline_stages() const {
  require(elaborated_, "model", "not elaborated yet");
  require(images_ > 0, "model", "pipeline stages need the number of images (set_images)");
  std::vector<PipelineStage> v;
  for (std::size_t l = 0; l < tiles_.size(); ++l) {
    const Tile& t = *tiles_[l];
    const core::TileGeometry& g = t.geometry();
    v.push_back({specs_[l].name, t.stats().busy_time_ns / static_cast<double>(images_), t.replication(),
                 static_cast<std::uint64_t>(g.hpar()) * g.arrays_per_partition() * t.replication()});
  }
  return v;
}

std::vector<int> AcceleratorModel::plan_replication(const std::vector<PipelineStage>& stages, std::uint64_t array_budget) {
  std::vector<int> r;
  std::vector<double> work;            // stage time with one copy
  std::vector<std::uint64_t> per_copy; // arrays of one copy
  std::uint64_t used = 0;
  for (const PipelineStage& s : stages) {
    require(s.replication >= 1 && s.arrays % static_cast<std::uint64_t>(s.replication) == 0, "replication plan",
            "stage " + s.layer + " has inconsistent copies/arrays");
    r.push_back(s.replication);
    work.push_back(s.stage_ns_per_image * s.replication);
    per_copy.push_back(s.arrays / static_cast<std::uint64_t>(s.replication));
    used += s.arrays;
  }
  while (!stages.empty()) {
    std::size_t slow = 0;
    for (std::size_t l = 1; l < stages.size(); ++l)
      if (work[l] / r[l] > work[slow] / r[slow]) slow = l;
    if (work[slow] <= 0 || used + per_copy[slow] > array_budget) break;  // the bottleneck cannot grow
    ++r[slow];
    used += per_copy[slow];
  }
  return r;
}

json AcceleratorModel::pipeline_section(const std::vector<PipelineStage>& stages, const std::vector<double>& first_batch_ns,
                                        std::uint64_t images, bool layer_pipeline, std::uint64_t array_budget,
                                        json& layers) {
  require(first_batch_ns.size() == stages.size() && layers.size() == stages.size(), "pipeline",
          "one first-batch time and one layer entry per stage");
  double seq = 0, slowest = 0, first = 0;
  std::string bottleneck;
  for (std::size_t l = 0; l < stages.size(); ++l) {
    seq += stages[l].stage_ns_per_image;
    first += first_batch_ns[l];
    if (stages[l].stage_ns_per_image > slowest) {
      slowest = stages[l].stage_ns_per_image;
      bottleneck = stages[l].layer;
    }
  }
  json st = json::array();
  for (std::size_t l = 0; l < stages.size(); ++l) {
    st.push_back({{"layer", stages[l].layer}, {"stage_ns_per_image", stages[l].stage_ns_per_image},
                  {"replication", stages[l].replication}, {"arrays", stages[l].arrays},
                  {"utilisation", slowest > 0 ? stages[l].stage_ns_per_image / slowest : 0.0}});
    layers[l]["pipeline_utilisation"] = st.back()["utilisation"];
  }
  const auto per_s = [](double ns_per_image) { return ns_per_image > 0 ? 1e9 / ns_per_image : 0.0; };
  json pipeline = {{"images", images},
                   {"layer_pipeline", layer_pipeline},
                   {"stages", st},
                   {"bottleneck", bottleneck},
                   {"sequential_ns_per_image", seq},
                   {"interval_ns_per_image", slowest},
                   {"images_per_s_sequential", per_s(seq)},
                   {"images_per_s_pipelined", per_s(slowest)},
                   {"images_per_s", per_s(layer_pipeline ? slowest : seq)},
                   {"first_image_latency_ns", first}};
  if (array_budget > 0) {
    const std::vector<int> plan = plan_replication(stages, array_budget);
    json reps = json::object();
    double projected = 0;
    std::uint64_t arrays = 0;
    for (std::size_t l = 0; l < stages.size(); ++l) {
      reps[stages[l].layer] = plan[l];
      projected = std::max(projected, stages[l].stage_ns_per_image * stages[l].replication / plan[l]);
      arrays += stages[l].arrays / static_cast<std::uint64_t>(stages[l].replication) * static_cast<std::uint64_t>(plan[l]);
    }
    pipeline["replication_plan"] = {{"array_budget", array_budget}, {"layer_replication", reps},
                                    {"arrays", arrays}, {"interval_ns_per_image", projected},
                                    {"images_per_s_pipelined", per_s(projected)}};
  }
  return pipeline;
}

void AcceleratorModel::trace_pipeline() {
  // The inter-layer pipeline of the first images as Perfetto tracks, one per layer: image n
  // enters layer l when layer l-1 has finished it and layer l has finished image n-1, and stays
  // for the layer's simulated stage time per image. (The tiles' own tracks keep the simulated
  // time base, where the executor ran the layers one after another.)
  if (pipeline_traced_ || !trace_ || !trace_->perfetto() || images_ == 0 || !tile_cfg_.mapping.layer_pipeline) return;
  pipeline_traced_ = true;
  const std::vector<PipelineStage> stages = pipeline_stages();
  const std::uint64_t n = std::min<std::uint64_t>(images_, std::max<std::uint64_t>(trace_cfg_.trace_vectors, 1));
  std::vector<int> tid;
  for (const PipelineStage& s : stages) tid.push_back(trace_->track("pipeline " + s.layer));
  std::vector<double> done(stages.size(), std::max(first_run_start_ns_, 0.0));  // end of the previous image per layer
  for (std::uint64_t img = 0; img < n; ++img) {
    double ready = std::max(first_run_start_ns_, 0.0);
    for (std::size_t l = 0; l < stages.size(); ++l) {
      const double start = std::max(ready, done[l]);
      const double end = start + stages[l].stage_ns_per_image;
      trace_->complete("image", tid[l], sc_core::sc_time(start, sc_core::SC_NS),
                       sc_core::sc_time(end - start, sc_core::SC_NS), static_cast<std::int64_t>(img), -1, -1);
      done[l] = ready = end;
    }
  }
}

void AcceleratorModel::write_summary_json(const std::string& path) const {
  std::ofstream f(path);
  require(static_cast<bool>(f), path, "cannot write summary");
  f << summary().dump(2) << "\n";
}

void AcceleratorModel::write_summary_csv(const std::string& path) const {
  const json s = summary();
  std::ofstream f(path);
  require(static_cast<bool>(f), path, "cannot write summary");
  static const char* comps[] = {"dac", "crossbar", "adc", "sample_hold", "shift_add", "reduce", "neuron", "program", "total"};
  f << "layer,in_features,out_features,hpar,vpar,arrays,vectors,mvm_latency_ns,throughput_mvm_per_s";
  for (const char* c : comps) f << ",energy_" << c << "_pj";
  f << ",area_um2,tops_per_w\n";
  f.precision(10);
  for (const json& l : s["layers"]) {
    f << l["name"].get<std::string>() << ',' << l["in_features"] << ',' << l["out_features"] << ',' << l["hpar"] << ','
      << l["vpar"] << ',' << l["arrays"] << ',' << l["vectors"] << ',' << l["mvm_latency_ns"].get<double>() << ','
      << l["throughput_mvm_per_s"].get<double>();
    for (const char* c : comps) f << ',' << l["energy_pj"][c].get<double>();
    f << ',' << l["area_um2"]["total"].get<double>() << ',' << l["tops_per_w"].get<double>() << '\n';
  }
}

}  // namespace memtile::sc
