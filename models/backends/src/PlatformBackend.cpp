#include "memtile/backends/PlatformBackend.hpp"

#include <algorithm>
#include <cfloat>
#include <cstring>

#include <nlohmann/json.hpp>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/tlm_quantumkeeper.h>

#include "memtile/core/Errors.hpp"
#include "memtile/core/LayerTiling.hpp"
#include "memtile/sc/soc/AcceleratorTop.hpp"
#include "memtile/sc/soc/Memory.hpp"
#include "memtile/sc/soc/Router.hpp"
#include "memtile/sc/trace/Trace.hpp"
#include "memtile/sc/soc/WordAccess.hpp"

namespace memtile::backends {

using core::require;
using sc_core::sc_time;

// The firmware: one job per request (DESC_ADDR, CTRL = IRQ_EN | START, sleep until the
// interrupt, STATUS, acknowledge), then sc_pause() hands control back to the executor.
class PlatformBackend::Driver : public sc_core::sc_module {
 public:
  tlm_utils::simple_initiator_socket<Driver, 32> socket;
  sc_core::sc_in<bool> irq;

  struct Result {
    bool done = false;
    std::uint32_t status = 0;
    double job_ns = 0;
  };

  SC_HAS_PROCESS(Driver);
  explicit Driver(sc_core::sc_module_name n) : sc_core::sc_module(n), socket("socket"), irq("irq") {
    SC_THREAD(run);
    set_stack_size(1u << 20);  // calls into the bus and the accelerator: deep frames under ASan
  }
  void request(std::uint64_t desc_addr) {
    desc_addr_ = desc_addr;
    result_ = {};
    go_.notify(sc_core::SC_ZERO_TIME);
  }
  const Result& result() const { return result_; }

 private:
  std::uint32_t access(tlm::tlm_command cmd, std::uint32_t off, std::uint32_t v) {
    // The CSR map is fixed and the offsets below exist: an error here is a wiring bug.
    if (sc::word_access(socket, qk_, cmd, kCsrBase + off, v) != tlm::TLM_OK_RESPONSE)
      SC_REPORT_ERROR("memtile/platform", "CSR access failed");
    return v;
  }
  void write(std::uint32_t off, std::uint32_t v) { access(tlm::TLM_WRITE_COMMAND, off, v); }
  std::uint32_t read(std::uint32_t off) { return access(tlm::TLM_READ_COMMAND, off, 0); }

  void run() {
    for (;;) {
      sc_core::wait(go_);
      write(sc::reg::DESC_ADDR_LO, static_cast<std::uint32_t>(desc_addr_));
      write(sc::reg::DESC_ADDR_HI, static_cast<std::uint32_t>(desc_addr_ >> 32));
      write(sc::reg::CTRL, 4u | 1u);  // IRQ_EN | START
      qk_.sync();
      const sc_time t0 = sc_core::sc_time_stamp();
      if (!irq.read()) sc_core::wait(irq.posedge_event());
      const sc_time t1 = sc_core::sc_time_stamp();
      qk_.reset();
      result_.status = read(sc::reg::STATUS);
      write(sc::reg::INT_STATUS, 3u);
      qk_.sync();
      result_.job_ns = (t1 - t0).to_seconds() * 1e9;
      result_.done = true;
      sc_core::sc_pause();
    }
  }

  tlm_utils::tlm_quantumkeeper qk_;
  sc_core::sc_event go_;
  std::uint64_t desc_addr_ = 0;
  Result result_;
};

namespace {
constexpr std::uint64_t kAlign = 64;
std::uint64_t align_up(std::uint64_t v) { return (v + kAlign - 1) / kAlign * kAlign; }
}  // namespace

PlatformBackend::PlatformBackend(const core::EngineConfig& engine, const core::TileConfig& tile,
                                 const core::EnergyTable& energy, const core::TraceConfig& trace)
    : engine_(engine), tile_(tile), energy_(energy), trace_cfg_(trace) {
  engine_.validate();
  tile_.validate(engine_);
  energy_.validate();
}

PlatformBackend::~PlatformBackend() = default;

const sc::AcceleratorTop& PlatformBackend::accelerator() const {
  require(accel_ != nullptr, "platform", "is not elaborated before the first multiply()");
  return *accel_;
}

void PlatformBackend::program(const nn::WeightedLayer& layer, const Eigen::MatrixXd& W) {
  require(!accel_, "platform", "layers must all be programmed before the first multiply()");
  require(layer.id == static_cast<int>(layers_.size()), "platform", "layers must be programmed in id order");
  PlatformLayerStats s;
  s.name = layer.node_name.empty() ? "layer" + std::to_string(layer.id) : layer.node_name;
  if (layer.groups > 1) s.name += "_g" + std::to_string(layer.group);
  // The guest memory holds float32: a finite double beyond its range would arrive as Inf.
  require(W.size() == 0 || W.cwiseAbs().maxCoeff() <= FLT_MAX, s.name, "weights exceed the float32 range of the platform memory");
  s.k = W.rows();
  s.n = W.cols();
  s.tile_base = tiles_needed_;
  // One tile per array-sized block (elaborate() sets tile_in x tile_out to one array): the same
  // blocks as the engine's arrays on the tiles backend, each on a tile of its own.
  s.tiles = core::LayerTiling(W.rows(), W.cols(), engine_.array_rows, engine_.array_cols).blocks();
  tiles_needed_ += s.tiles;
  Layer l;
  l.w = W;
  l.weights_addr = weights_bytes_;  // offset, rebased at elaboration
  weights_bytes_ = align_up(weights_bytes_ + 4ull * static_cast<std::uint64_t>(W.size()));
  max_k_ = std::max(max_k_, W.rows());
  max_n_ = std::max(max_n_, W.cols());
  pending_.push_back(std::move(l));
  layers_.push_back(std::move(s));
}

void PlatformBackend::elaborate() {
  if (accel_) return;
  require(!layers_.empty(), "platform", "has no layers");
  // Memory: descriptor, every layer's weights, one input and one output buffer of kMaxBatch rows.
  desc_addr_ = kMemBase;
  const std::uint64_t weights_base = kMemBase + kAlign;
  in_addr_ = weights_base + weights_bytes_;
  out_addr_ = align_up(in_addr_ + 4ull * kMaxBatch * static_cast<std::uint64_t>(max_k_));
  const std::uint64_t mem_bytes = align_up(out_addr_ + 4ull * kMaxBatch * static_cast<std::uint64_t>(max_n_)) - kMemBase;

  tlm_utils::tlm_quantumkeeper::set_global_quantum(sc_time(tile_.quantum_ns, sc_core::SC_NS));
  trace_ = std::make_unique<sc::TraceHub>(trace_cfg_);
  sc::AcceleratorTopConfig cfg;
  cfg.tiles = tiles_needed_;
  cfg.tile_in = engine_.array_rows;
  cfg.tile_out = engine_.array_cols;
  cfg.engine = engine_;
  cfg.tile = tile_;
  cfg.energy = energy_;
  cfg.max_batch = kMaxBatch;
  driver_ = std::make_unique<Driver>("cpu");
  bus_ = std::make_unique<sc::Router>("bus");
  mem_ = std::make_unique<sc::Memory>("memory", mem_bytes);
  accel_ = std::make_unique<sc::AcceleratorTop>("accel", cfg, trace_.get());
  irq_ = std::make_unique<sc_core::sc_signal<bool>>("irq");
  driver_->socket.bind(bus_->target);
  accel_->dma.bind(bus_->target);
  bus_->map("accel_csr", kCsrBase, sc::AcceleratorTop::kCsrBytes);
  bus_->initiator.bind(accel_->csr);
  bus_->map("memory", kMemBase, mem_bytes);
  bus_->initiator.bind(mem_->socket);
  accel_->irq.bind(*irq_);
  driver_->irq.bind(*irq_);

  for (Layer& l : pending_) {
    l.weights_addr += weights_base;
    unsigned char* p = mem_->data() + (l.weights_addr - kMemBase);
    for (Eigen::Index i = 0; i < l.w.rows(); ++i)
      for (Eigen::Index j = 0; j < l.w.cols(); ++j) {
        const float f = static_cast<float>(l.w(i, j));
        std::memcpy(p + 4 * (i * l.w.cols() + j), &f, 4);
      }
    l.w.resize(0, 0);  // the memory holds it now
  }
  // Initialise the processes (the driver waits for its first request) before any request.
  sc_core::sc_start(sc_core::SC_ZERO_TIME);
  // Boot: program every layer onto its tiles once (PROGRAM_ONLY jobs, in layer order).
  for (std::size_t i = 0; i < layers_.size(); ++i) {
    sc::LayerDescriptor d;
    d.flags = sc::LayerDescriptor::LoadWeights | sc::LayerDescriptor::ProgramOnly;
    d.k = static_cast<std::uint32_t>(layers_[i].k);
    d.n = static_cast<std::uint32_t>(layers_[i].n);
    d.weights_addr = pending_[i].weights_addr;
    d.tile_base = static_cast<std::uint32_t>(layers_[i].tile_base);
    program_ns_ += run_job(d, layers_[i].name);
  }
}

double PlatformBackend::run_job(const sc::LayerDescriptor& d, const std::string& layer) {
  d.to_bytes(mem_->data() + (desc_addr_ - kMemBase));
  driver_->request(desc_addr_);
  sc_core::sc_start();
  const Driver::Result& r = driver_->result();
  require(r.done, layer, "the accelerator job did not complete (simulation stopped)");
  const std::uint32_t code = (r.status >> 8) & 0xFF;
  // The codes a network (not the driver) can cause get their meaning in the message.
  const std::string why = code == static_cast<std::uint32_t>(sc::AccelError::ResultRange) ? "simulated outputs are NaN or Inf in float32: "
                          : code == static_cast<std::uint32_t>(sc::AccelError::BadData)   ? "a weight or input is NaN or Inf: "
                                                                                       : "";
  require((r.status & 4u) == 0, layer,
          why + "the accelerator reported error code " + std::to_string(code) + " (docs/registers.md)");
  return r.job_ns;
}

Eigen::MatrixXd PlatformBackend::multiply(const nn::WeightedLayer& layer, const Eigen::MatrixXd& X) {
  require(layer.id >= 0 && layer.id < static_cast<int>(layers_.size()), "platform", "unknown layer");
  elaborate();
  const Layer& l = pending_[static_cast<std::size_t>(layer.id)];
  PlatformLayerStats& s = layers_[static_cast<std::size_t>(layer.id)];
  require(X.cols() == s.k, s.name, "input has " + std::to_string(X.cols()) + " features, the layer " + std::to_string(s.k));
  require(X.size() == 0 || X.cwiseAbs().maxCoeff() <= FLT_MAX, s.name, "inputs exceed the float32 range of the platform memory");
  Eigen::MatrixXd Y(X.rows(), s.n);
  for (Eigen::Index r0 = 0; r0 < X.rows(); r0 += kMaxBatch) {
    const Eigen::Index rows = std::min<Eigen::Index>(kMaxBatch, X.rows() - r0);
    unsigned char* in = mem_->data() + (in_addr_ - kMemBase);
    for (Eigen::Index b = 0; b < rows; ++b)
      for (Eigen::Index i = 0; i < s.k; ++i) {
        const float f = static_cast<float>(X(r0 + b, i));
        std::memcpy(in + 4 * (b * s.k + i), &f, 4);
      }
    sc::LayerDescriptor d;
    d.flags = 0;  // weights resident since elaboration
    d.k = static_cast<std::uint32_t>(s.k);
    d.n = static_cast<std::uint32_t>(s.n);
    d.batch = static_cast<std::uint32_t>(rows);
    d.weights_addr = l.weights_addr;
    d.input_addr = in_addr_;
    d.output_addr = out_addr_;
    d.tile_base = static_cast<std::uint32_t>(s.tile_base);
    const double job_ns = run_job(d, s.name);
    const unsigned char* out = mem_->data() + (out_addr_ - kMemBase);
    for (Eigen::Index b = 0; b < rows; ++b)
      for (Eigen::Index j = 0; j < s.n; ++j) {
        float f;
        std::memcpy(&f, out + 4 * (b * s.n + j), 4);
        Y(r0 + b, j) = f;
      }
    if (s.jobs == 0) s.first_job_ns = job_ns;
    s.last_job_ns = job_ns;
    s.busy_ns += job_ns;
    ++s.jobs;
    s.mvms += static_cast<std::uint64_t>(rows);
    simulated_ns_ += job_ns;
  }
  return Y;
}

nlohmann::json PlatformBackend::summary() const {
  using nlohmann::json;
  const sc::AcceleratorTop& a = accelerator();
  sc::EnergyBreakdown e;
  sc::AreaBreakdown area;
  for (int t = 0; t < a.tiles(); ++t) {
    const sc::TileStats st = a.tile(t).stats();
    e.dac_pj += st.energy.dac_pj;
    e.crossbar_pj += st.energy.crossbar_pj;
    e.adc_pj += st.energy.adc_pj;
    e.sample_hold_pj += st.energy.sample_hold_pj;
    e.shift_add_pj += st.energy.shift_add_pj;
    e.reduce_pj += st.energy.reduce_pj;
    e.neuron_pj += st.energy.neuron_pj;
    const sc::AreaBreakdown ar = a.tile(t).area();
    area.dac_um2 += ar.dac_um2;
    area.crossbar_um2 += ar.crossbar_um2;
    area.adc_um2 += ar.adc_um2;
    area.sample_hold_um2 += ar.sample_hold_um2;
    area.shift_add_um2 += ar.shift_add_um2;
  }
  const sc::AcceleratorCounters c = a.counters();
  // The top's own work: partial-sum reduction across row blocks and the activation.
  const double top_pj = std::max(0.0, c.energy_pj - c.program_pj - e.inference_pj());
  const double inference_pj = e.inference_pj() + top_pj;
  double ops = 0;
  json layers = json::array();
  for (const PlatformLayerStats& s : layers_) {
    ops += 2.0 * static_cast<double>(s.k) * static_cast<double>(s.n) * static_cast<double>(s.mvms);
    layers.push_back({{"name", s.name},
                      {"in_features", s.k},
                      {"out_features", s.n},
                      {"tile_base", s.tile_base},
                      {"tiles", s.tiles},
                      {"jobs", s.jobs},
                      {"mvms", s.mvms},
                      {"first_job_ns", s.first_job_ns},
                      {"last_job_ns", s.last_job_ns},
                      {"busy_ns", s.busy_ns}});
  }
  return {{"energy_breakdown_pj",
           {{"dac", e.dac_pj},
            {"crossbar", e.crossbar_pj},
            {"adc", e.adc_pj},
            {"sample_hold", e.sample_hold_pj},
            {"shift_add", e.shift_add_pj},
            {"reduce", e.reduce_pj + top_pj},
            {"neuron", e.neuron_pj}}},
          {"inference_energy_pj", inference_pj},
          {"programming_energy_pj", c.program_pj},
          {"programming_ns", program_ns_},
          {"area_um2", area.total_um2()},
          {"tops_per_w", inference_pj > 0 ? ops / (inference_pj * 1e-12) / 1e12 : 0.0},
          {"tiles", a.tiles()},
          {"jobs", c.jobs},
          {"mvms", c.mvms},
          {"busy_cycles", c.busy_cycles},
          {"layers", layers}};
}

void PlatformBackend::close_traces() {
  if (trace_) trace_->close();
}

RunReport PlatformBackend::report(std::uint64_t images, const SummaryReduction& reduce) {
  using nlohmann::json;
  // Programming happened at boot (PROGRAM_ONLY jobs): the first image's jobs are inference only.
  close_traces();
  const json s = reduce ? reduce(summary()) : summary();
  RunReport r;
  r.simulated_ns = simulated_ns_;
  r.inference_energy_pj = s.at("inference_energy_pj").get<double>();
  for (const auto& [k, v] : s.at("energy_breakdown_pj").items())
    r.energy_breakdown_pj[k] = v.get<double>() / static_cast<double>(images);
  r.programming_energy_pj = s.at("programming_energy_pj").get<double>();
  r.programming_ns = s.at("programming_ns").get<double>();
  r.area_um2 = s.at("area_um2").get<double>();
  r.tops_per_w = s.at("tops_per_w").get<double>();
  r.layers = s.at("layers");
  r.platform_summary = {{"tiles", s.at("tiles")}, {"jobs", s.at("jobs")}, {"mvms", s.at("mvms")},
                        {"busy_cycles", s.at("busy_cycles")}};
  r.config["tile"] = to_json(tile_);
  r.config["energy"] = to_json(energy_);
  return r;
}

}  // namespace memtile::backends
