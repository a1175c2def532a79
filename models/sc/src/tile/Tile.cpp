#include "memtile/sc/tile/Tile.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <fstream>

#include "rtl/RtlPeriphery.hpp"
#include "memtile/core/Errors.hpp"
#include "memtile/core/Finite.hpp"
#include "memtile/core/Programming.hpp"
#include "memtile/core/rtlref/EngineMapping.hpp"

namespace memtile::sc {
using sc_core::sc_time;
using sc_core::SC_ZERO_TIME;

namespace {
constexpr std::size_t kThreadStack = 8u << 20;  // Eigen's GEMM blocks may sit on the stack
enum Stage { kDac = 0, kXbar = 1, kAdc = 2, kSa = 3 };
}  // namespace

// ---------------------------------------------------------------- one row partition
class Tile::Partition : public sc_core::sc_module {
  Tile& tile_;  // declared first: initialised before the components below
  int kb_;

 public:
  SC_HAS_PROCESS(Partition);
  Partition(sc_core::sc_module_name name, Tile& tile, int kb)
      : sc_core::sc_module(name), tile_(tile), kb_(kb),
        dac("dac", *tile.pm_, kb, tile.cfg_, tile.energy_),
        crossbar("crossbar", *tile.pm_, kb, tile.cfg_, tile.energy_),
        adc("adc", *tile.pm_, kb, tile.cfg_, tile.energy_),
        shift_add("shift_add", *tile.pm_, ShiftAdd::Role::Partition, tile.cfg_, tile.energy_),
        dac_socket("dac_socket"), crossbar_socket("crossbar_socket"), adc_socket("adc_socket"),
        shift_add_socket("shift_add_socket") {
    dac_socket.bind(dac.socket);
    crossbar_socket.bind(crossbar.socket);
    adc_socket.bind(adc.socket);
    shift_add_socket.bind(shift_add.socket);
    SC_THREAD(run);
    set_stack_size(kThreadStack);
    if (TraceHub* t = tile.trace_) {
      const std::string n = this->name();
      if (sc_core::sc_trace_file* f = t->vcd()) {
        for (int s = 0; s < 4; ++s) {
          static const char* names[4] = {"dac", "crossbar", "adc", "shift_add"};
          sc_core::sc_trace(f, busy_[s], n + "." + names[s] + "_busy");
          sc_core::sc_trace(f, ops_[s], n + "." + names[s] + "_ops");
        }
      }
      if (t->perfetto()) {
        tid_[kDac] = t->track(n + " dac");
        tid_[kXbar] = t->track(n + " crossbar");
        tid_[kAdc] = t->track(n + " adc");
        tid_[kSa] = t->track(n + " shift_add");
      }
    }
  }

  Dac dac;
  Crossbar crossbar;
  Adc adc;
  ShiftAdd shift_add;
  tlm_utils::simple_initiator_socket<Partition> dac_socket, crossbar_socket, adc_socket, shift_add_socket;

 private:
  void run() {
    while (true) {
      sc_core::wait(tile_.start_ev_);
      numerics();
      if (++tile_.numerics_done_ == tile_.geo_.hpar()) tile_.numerics_done_ev_.notify(SC_ZERO_TIME);
      sc_core::wait(tile_.go_ev_);
      walk();
      if (++tile_.partitions_done_ == tile_.geo_.hpar()) tile_.partitions_done_ev_.notify(SC_ZERO_TIME);
    }
  }

  // The whole batch's numbers, in ProgrammedMatrix::multiply's order (i outer, j inner).
  void numerics() {
    const core::TileGeometry& g = tile_.geo_;
    PartitionData& d = tile_.parts_[kb_];
    MvmExtension ext;
    ext.kb = kb_;
    ext.batch = tile_.batch_rows_;
    ext.first_vector = tile_.batch_first_vector_;
    ext.x = tile_.batch_x_;
    ext.part = &d;
    const bool trace_codes = tile_.traces_adc_codes(kb_);
    // When no one observes the intermediate currents, the tile has already computed this
    // partition's accumulator with the engine's fused, parallel step (run_batch) and the
    // components only account time and energy.
    const bool observed = tile_.observed(kb_);
    ext.numerics = !g.software && observed;
    if (g.software || observed) {
      ext.op = MvmOp::Encode;
      mvm_transport(dac_socket, tx_, ext);
      if (g.software) {
        ext.op = MvmOp::ReadSoftware;
        mvm_transport(crossbar_socket, tx_, ext);
      } else {
        d.drive = tile_.pm_->drive_sums(kb_, d.in);
        d.acc.setZero(tile_.batch_rows_, g.out_features());
      }
    }
    energy_.fill(0.0);
    sc_time lat[4];
    for (int i = 0; i < g.input_slices; ++i) {
      ext.i = i;
      ext.op = MvmOp::Drive;
      lat[kDac] = std::max(lat[kDac], mvm_transport(dac_socket, tx_, ext));
      energy_[kDac] += ext.energy_pj;
      for (int j = 0; j < g.weight_slices; ++j) {  // the weight slices' arrays work in parallel: max
        ext.j = j;
        ext.op = MvmOp::Read;
        lat[kXbar] = std::max(lat[kXbar], mvm_transport(crossbar_socket, tx_, ext));
        energy_[kXbar] += ext.energy_pj;
        if (tile_.rtl_)  // RTL mode: the held column currents in comparator LSBs, for the SAR
          tile_.rtl_t_[kb_][static_cast<std::size_t>(i) * g.weight_slices + j] =
              core::rtlref::adc_lsb_values(*tile_.pm_, kb_, j, d.I);
        if (trace_codes && j == 0) tile_.traced_codes_[i] = adc.codes(0, i, d.I, tile_.trace_->config().adc_trace_column);
        ext.op = MvmOp::Convert;
        lat[kAdc] = std::max(lat[kAdc], mvm_transport(adc_socket, tx_, ext));
        energy_[kAdc] += ext.energy_pj;
        ext.op = MvmOp::Accumulate;
        lat[kSa] = std::max(lat[kSa], mvm_transport(shift_add_socket, tx_, ext));
        energy_[kSa] += ext.energy_pj;
      }
    }
    d.in.volts = {};  // the reads are done; only scale and q are needed (finish_block)
    tile_.batch_stage_energy_pj_ += energy_[kDac] + energy_[kXbar] + energy_[kAdc] + energy_[kSa];
    if (kb_ == 0) {
      tile_.lat_.dac = lat[kDac];
      tile_.lat_.read = lat[kXbar];
      tile_.lat_.adc = lat[kAdc];
      tile_.lat_.shift_add = lat[kSa];
    }
  }

  // Advances time through the batch: stage by stage for the traced items, then in one step.
  void walk() {
    TraceHub* t = tile_.trace_;
    const sc_time base = sc_core::sc_time_stamp();
    const std::vector<ItemTimes>& items = tile_.traced_items_;
    const int S = tile_.geo_.input_slices;
    if (t && !items.empty()) {
      const std::uint64_t v0 = tile_.batch_first_vector_;
      if (t->perfetto()) {
        for (std::size_t m = 0; m < items.size(); ++m) {
          const ItemTimes& it = items[m];
          // A slot holds `replication` vectors on as many copies: its first vector names it.
          const std::int64_t v = static_cast<std::int64_t>(v0 + (m / S) * tile_.cfg_.replication);
          const int i = static_cast<int>(m % S);
          t->complete("dac slice", tid_[kDac], base + it.a_start, tile_.lat_.dac, v, i, kb_);
          t->complete("crossbar read", tid_[kXbar], base + it.a_start + tile_.lat_.dac, tile_.lat_.read, v, i, kb_);
          t->complete("adc batch", tid_[kAdc], base + it.b_start, it.b_end - it.b_start, v, i, kb_);
          t->complete("shift-add", tid_[kSa], base + it.c_start, it.c_end - it.c_start, v, i, kb_);
        }
      }
      if (t->vcd()) walk_vcd(items, base);
    }
    const sc_time end = base + tile_.items_end_;
    if (end > sc_core::sc_time_stamp()) qk_.inc(end - sc_core::sc_time_stamp());
    qk_.sync();  // a batch boundary is a synchronisation point: the reducer needs our results now
  }

  void walk_vcd(const std::vector<ItemTimes>& items, sc_time base) {
    // Stage boundaries of the traced items: (time, order, action). Ends sort before starts.
    struct Change {
      sc_time t;
      int order;  // 0 = end, 1 = start
      int stage;
      std::size_t item;
    };
    std::vector<Change> ch;
    ch.reserve(items.size() * 8);
    for (std::size_t m = 0; m < items.size(); ++m) {
      const ItemTimes& it = items[m];
      const sc_time dac_end = it.a_start + tile_.lat_.dac;
      ch.push_back({it.a_start, 1, kDac, m});
      ch.push_back({dac_end, 0, kDac, m});
      ch.push_back({dac_end, 1, kXbar, m});
      ch.push_back({it.a_end, 0, kXbar, m});
      ch.push_back({it.b_start, 1, kAdc, m});
      ch.push_back({it.b_end, 0, kAdc, m});
      ch.push_back({it.c_start, 1, kSa, m});
      ch.push_back({it.c_end, 0, kSa, m});
    }
    std::stable_sort(ch.begin(), ch.end(), [](const Change& a, const Change& b) {
      return a.t < b.t || (a.t == b.t && a.order < b.order);
    });
    // Each traced item's share of this partition's batch energy, booked when its stage ends.
    const double items_in_batch = static_cast<double>(tile_.batch_slots_) * tile_.geo_.input_slices;
    double* energy_var[4] = {&tile_.vcd_e_dac_pj_, &tile_.vcd_e_xbar_pj_, &tile_.vcd_e_adc_pj_, &tile_.vcd_e_sa_pj_};
    const int S = tile_.geo_.input_slices;
    for (const Change& c : ch) {
      const sc_time at = base + c.t;
      if (at > sc_core::sc_time_stamp()) sc_core::wait(at - sc_core::sc_time_stamp());
      if (c.order == 1) {
        busy_[c.stage] = true;
        ++ops_[c.stage];
        if (c.stage == kAdc && kb_ == 0 && !tile_.traced_codes_.empty()) {
          const Eigen::VectorXd& codes = tile_.traced_codes_[c.item % S];
          const Eigen::Index b = static_cast<Eigen::Index>(c.item / S) * tile_.cfg_.replication;
          if (b < codes.size()) tile_.vcd_adc_code_ = static_cast<int>(codes(b));
        }
      } else {
        busy_[c.stage] = false;
        *energy_var[c.stage] += energy_[c.stage] / items_in_batch;
      }
    }
  }

  tlm::tlm_generic_payload tx_;
  tlm_utils::tlm_quantumkeeper qk_;
  std::array<double, 4> energy_{};
  bool busy_[4] = {false, false, false, false};
  unsigned ops_[4] = {0, 0, 0, 0};
  int tid_[4] = {0, 0, 0, 0};
};

// ---------------------------------------------------------------- the tile
Tile::Tile(sc_core::sc_module_name name, std::shared_ptr<core::ProgrammedMatrix> pm, const core::TileConfig& tile,
           const core::NeuronConfig& neuron, const core::EnergyTable& energy, TraceHub* trace)
    : sc_core::sc_module(name), in("in"), out("out"), pm_(std::move(pm)), cfg_(tile), neuron_cfg_(neuron),
      energy_(energy), trace_(trace), reduce_socket_("reduce_socket"), neuron_socket_("neuron_socket") {
  core::require(pm_ != nullptr, std::string(this->name()), "needs a programmed matrix");
  cfg_.validate(pm_->config());
  RtlPeriphery::check(*pm_, cfg_);  // before any module is built
  neuron_cfg_.validate();
  energy_.validate();
  geo_ = core::TileGeometry::of(*pm_);
  in.register_b_transport(this, &Tile::in_b_transport);
  parts_.resize(geo_.hpar());
  for (int kb = 0; kb < geo_.hpar(); ++kb)
    partitions_.push_back(std::make_unique<Partition>(("p" + std::to_string(kb)).c_str(), *this, kb));
  reducer_ = std::make_unique<ShiftAdd>("reducer", *pm_, ShiftAdd::Role::Reducer, cfg_, energy_);
  reduce_socket_.bind(reducer_->socket);
  // Always present (kind none = no stage) so that every socket is bound.
  neuron_ = std::make_unique<Neuron>("neuron", neuron_cfg_, cfg_, energy_);
  neuron_socket_.bind(neuron_->socket);
  has_neuron_ = neuron_cfg_.kind != core::NeuronKind::None;
  lat_.reduce = reducer_->latency();
  lat_.neuron = neuron_->latency();
  // Static unit latencies (the same values the components annotate per operation).
  const Partition& p0 = *partitions_.front();
  lat_.dac = p0.dac.settle();
  lat_.read = p0.crossbar.read_latency();
  lat_.adc = p0.adc.batch_latency();
  lat_.shift_add = p0.shift_add.latency();
  traced_codes_.resize(geo_.input_slices);
  if (cfg_.rtl.any()) {  // RTL mode (the layer was checked above by RtlPeriphery::check)
    if (trace_ && trace_->vcd()) {
      // The tile's name as a file-name part (ONNX layer names carry '/', e.g. "/fc1/Gemm").
      std::string part;
      for (const char ch : std::string(this->name())) {
        const bool keep = std::isalnum(static_cast<unsigned char>(ch)) || ch == '-' || ch == '_';
        if (keep) part += ch;
        else if (!part.empty() && part.back() != '_') part += '_';
      }
      if (!part.empty() && part.back() == '_') part.pop_back();
      rtl_vcd_path_ = trace_->config().vcd_path + "." + (part.empty() ? std::string("tile") : part) + ".rtl.vcd";
      // Fail here, naming the field, rather than in the simulation (the file is rewritten at time 0).
      core::require(std::ofstream(rtl_vcd_path_).good(), "trace.vcd_path", "cannot write the Verilated VCD " + rtl_vcd_path_);
    }
    rtl_ = std::make_unique<RtlPeriphery>("rtl", *pm_, cfg_, neuron_cfg_.kind != core::NeuronKind::None, rtl_vcd_path_);
    rtl_t_.assign(geo_.hpar(), std::vector<Eigen::MatrixXd>(static_cast<std::size_t>(geo_.input_slices) * geo_.weight_slices));
  }

  SC_HAS_PROCESS(Tile);
  SC_THREAD(control);
  set_stack_size(kThreadStack);

  if (trace_) {
    const std::string n = this->name();
    if (sc_core::sc_trace_file* f = trace_->vcd()) {
      sc_core::sc_trace(f, vcd_busy_, n + ".busy");
      sc_core::sc_trace(f, vcd_phase_, n + ".phase");
      sc_core::sc_trace(f, vcd_batches_, n + ".batches");
      sc_core::sc_trace(f, vcd_reduce_ops_, n + ".reduce_ops");
      sc_core::sc_trace(f, vcd_neuron_ops_, n + ".neuron_ops");
      sc_core::sc_trace(f, vcd_adc_code_, n + ".adc_code");
      sc_core::sc_trace(f, vcd_e_dac_pj_, n + ".energy_dac_pj");
      sc_core::sc_trace(f, vcd_e_xbar_pj_, n + ".energy_crossbar_pj");
      sc_core::sc_trace(f, vcd_e_adc_pj_, n + ".energy_adc_pj");
      sc_core::sc_trace(f, vcd_e_sa_pj_, n + ".energy_shift_add_pj");
      sc_core::sc_trace(f, vcd_e_reduce_pj_, n + ".energy_reduce_pj");
      sc_core::sc_trace(f, vcd_e_neuron_pj_, n + ".energy_neuron_pj");
      sc_core::sc_trace(f, vcd_e_program_pj_, n + ".energy_program_pj");
      // The RTL clock while the Verilated VCD is open: the same edges at the same times.
      if (rtl_) sc_core::sc_trace(f, rtl_->traced_clock(), n + ".rtl_clk");
    }
    if (trace_->perfetto()) tid_control_ = trace_->track(n + " control");
  }
}

Tile::~Tile() { close_rtl_trace(); }

void Tile::close_rtl_trace() {
  if (rtl_) rtl_->close_vcd();
}

void Tile::reprogram(core::ProgrammedMatrix pm) {
  const core::TileGeometry g = core::TileGeometry::of(pm);
  core::require(g.in_features() == geo_.in_features() && g.out_features() == geo_.out_features() &&
                    g.rows() == geo_.rows() && g.cols() == geo_.cols() && g.input_slices == geo_.input_slices &&
                    g.weight_slices == geo_.weight_slices && g.polarity == geo_.polarity && g.software == geo_.software,
                std::string(name()), "reprogrammed with a matrix of another geometry than the tile was built for");
  *pm_ = std::move(pm);
  for (const auto& p : partitions_) p->crossbar.reprogrammed();
}

double inference_energy_pj(const std::vector<std::unique_ptr<Tile>>& tiles, std::size_t first, std::size_t end) {
  double e_pj = 0;
  for (std::size_t t = first; t < end; ++t) e_pj += tiles.at(t)->stats().energy.inference_pj();
  return e_pj;
}

const CrossbarTiming& Tile::crossbar_timing() const { return partitions_.front()->crossbar.timing(); }
int Tile::adc_bits() const { return partitions_.front()->adc.bits(); }
const Adc& Tile::adc0() const { return partitions_.front()->adc; }

void Tile::in_b_transport(tlm::tlm_generic_payload& tx, sc_time& /*delay*/) {
  const JobExtension* job = batch_of(tx, /*take_rows=*/true);
  if (!job) return;
  if (job->data ? job->data->cols() != geo_.in_features() || job->data->rows() < 1 : job->vectors < 1) {
    tx.set_response_status(tlm::TLM_BURST_ERROR_RESPONSE);  // wrong vector length, or no vectors
    return;
  }
  queue_.push_back(job->data ? Job{job->data, nullptr, 0, job->job} : Job{nullptr, job->rows, job->vectors, job->job});
  job_ev_.notify(SC_ZERO_TIME);
  tx.set_response_status(tlm::TLM_OK_RESPONSE);
}

void Tile::control() {
  program_arrays();
  while (true) {
    while (queue_.empty()) sc_core::wait(job_ev_);
    const Job job = queue_.front();
    queue_.pop_front();
    running_ = true;
    run_batch(job);
    running_ = false;
  }
}

void Tile::program_arrays() {
  // RTL mode: reset, slice table and the controller's program operation (a few clocks at time 0).
  if (rtl_) rtl_->program();
  double g_total_s = 0;
  for (const auto& p : partitions_) g_total_s += p->crossbar.total_conductance_s();
  const core::ProgrammingCost cost = core::programming_cost(geo_.rows(), g_total_s, energy_.write_voltage_v,
                                                            energy_.write_pulse_ns, energy_.write_pulses_per_cell,
                                                            geo_.software);
  const double t_ns = cost.time_ns;
  // Every copy (replication) is programmed, all in parallel.
  const double e_pj = cost.energy_pj * cfg_.replication;
  stats_.program_time_ns = t_ns;
  stats_.energy.program_pj = e_pj;
  const sc_time t(t_ns, sc_core::SC_NS);
  if (t > SC_ZERO_TIME) {
    vcd_busy_ = true;
    vcd_phase_ = 1;
    if (trace_) trace_->complete("program", tid_control_, sc_core::sc_time_stamp(), t, -1, -1, -1);
    sc_core::wait(t);
  }
  vcd_e_program_pj_ = e_pj;
  vcd_busy_ = false;
  vcd_phase_ = 0;
}

bool Tile::traces_adc_codes(int kb) const {
  return kb == 0 && !geo_.software && batch_traced_ > 0 && trace_ && trace_->vcd() &&
         trace_->config().adc_trace_column < geo_.out_features();
}

bool Tile::observed(int kb) const { return rtl_ || traces_adc_codes(kb); }

void Tile::run_batch(const Job& job) {
  sc_time base = sc_core::sc_time_stamp();
  const Eigen::Index B = job.x ? job.x->rows() : job.vectors;
  const int S = geo_.input_slices;
  batch_x_ = job.x.get();
  batch_rows_ = B;
  batch_first_vector_ = pm_->vectors_read();
  const std::uint64_t limit = trace_ && trace_->any() ? trace_->config().trace_vectors : 0;
  batch_traced_ = batch_first_vector_ >= limit ? 0 : std::min<std::uint64_t>(B, limit - batch_first_vector_);
  // The unobserved partitions' numbers, all row blocks at once (each task's vectors taken
  // once); a partition that runs component by component needs the batch formed, so a row
  // source is formed here for it.
  std::vector<core::BlockBatch*> fused(static_cast<std::size_t>(geo_.hpar()), nullptr);
  bool any_fused = false, all_fused = true;
  for (int kb = 0; kb < geo_.hpar(); ++kb) {
    const bool f = !geo_.software && !observed(kb);
    if (f) fused[static_cast<std::size_t>(kb)] = &parts_[static_cast<std::size_t>(kb)];
    any_fused = any_fused || f;
    all_fused = all_fused && f;
  }
  Eigen::MatrixXd formed;
  if (!batch_x_ && !all_fused) {
    formed.resize(B, geo_.in_features());
    (*job.rows)(0, B, formed);
    if (!core::all_finite(formed)) {
      formed.setZero();
      input_not_finite_ = true;
    }
    batch_x_ = &formed;
  }
  if (any_fused) {
    if (batch_x_) pm_->encode_accumulate(*batch_x_, batch_first_vector_, fused);
    else if (!pm_->encode_accumulate(B, *job.rows, batch_first_vector_, fused)) input_not_finite_ = true;
  }
  numerics_done_ = partitions_done_ = 0;
  batch_stage_energy_pj_ = 0;
  ++vcd_batches_;
  vcd_busy_ = true;
  vcd_phase_ = 2;

  // 1. The partitions' numbers (zero time).
  start_ev_.notify(SC_ZERO_TIME);
  sc_core::wait(numerics_done_ev_);
  batch_x_ = nullptr;  // (may be `formed`, local to this call)

  // 1b. RTL mode: the clocked periphery recomputes the partitions' accumulators (unit * S) and,
  // where the accumulator applies, the reduced output; it takes real clock cycles, after which
  // the schedule below is walked as in behavioural mode.
  Eigen::MatrixXd y_rtl;
  bool rtl_reduced = false;
  if (rtl_) {
    // The Verilated VCD covers the traced vectors only (it is closed after them): bounded size.
    rtl_reduced = rtl_->run_batch(B, rtl_t_, parts_, y_rtl, static_cast<Eigen::Index>(batch_traced_));
    base = sc_core::sc_time_stamp();
  }

  // 2. Reduction and neuron, in multiply()'s order.
  for (int kb = 0; kb < geo_.hpar(); ++kb) pm_->count_reads(kb, B, parts_[kb].drive);
  Eigen::MatrixXd y(B, geo_.out_features());  // the reducer writes every element (from zero)
  MvmExtension ext;
  ext.batch = B;
  ext.parts = &parts_;
  ext.y = &y;
  ext.op = MvmOp::Reduce;
  lat_.reduce = mvm_transport(reduce_socket_, tx_, ext);
  const double e_reduce = ext.energy_pj;
  if (rtl_reduced) y = std::move(y_rtl);  // the accumulator's reduction (time and energy stay the reducer's)
  auto result = std::make_shared<Eigen::MatrixXd>(std::move(y));
  double e_neuron = 0;
  if (has_neuron_) {
    ext.op = MvmOp::Activate;
    ext.y = result.get();
    lat_.neuron = mvm_transport(neuron_socket_, tx_, ext);
    e_neuron = ext.energy_pj;
  }
  pm_->end_batch(B);

  // 3. Time. With `replication` copies of the arrays, the batch's vectors are dealt round
  // robin over the copies: the copies work in parallel with identical latencies, so the
  // schedule has ceil(B / replication) slots, each slot standing for its vectors.
  PipelineSchedule schedule(lat_, cfg_.pipeline);
  traced_items_.clear();
  std::vector<VectorTimes> traced_vectors;
  const Eigen::Index r = cfg_.replication;
  batch_slots_ = (B + r - 1) / r;
  // The traced slots (and the first, for the first batch's latency) item by item; the rest at
  // once (the same times: PipelineSchedule::run_vectors).
  const Eigen::Index traced_slots = static_cast<Eigen::Index>((batch_traced_ + static_cast<std::uint64_t>(r) - 1) /
                                                              static_cast<std::uint64_t>(r));
  const Eigen::Index stepped = std::min(batch_slots_, std::max<Eigen::Index>(1, traced_slots));
  for (Eigen::Index b = 0; b < stepped; ++b) {
    const bool traced = static_cast<std::uint64_t>(b * r) < batch_traced_;
    for (int i = 0; i < S; ++i) {
      const ItemTimes it = schedule.next_item();
      if (traced) traced_items_.push_back(it);
    }
    const VectorTimes v = schedule.finish_vector();
    if (traced) traced_vectors.push_back(v);
    if (b == 0 && stats_.batches == 0) stats_.mvm_latency_ns = v.n_end.to_seconds() * 1e9;
  }
  schedule.run_vectors(batch_slots_ - stepped, S);
  items_end_ = schedule.items_end();
  const sc_time batch_end = schedule.vectors_end();
  go_ev_.notify(SC_ZERO_TIME);
  walk_tail(traced_vectors, base);
  if (trace_ && trace_->vcd() && batch_end > items_end_ && base + items_end_ > sc_core::sc_time_stamp()) {
    sc_core::wait(base + items_end_ - sc_core::sc_time_stamp());
    vcd_phase_ = 3;
    vcd_e_reduce_pj_ = reducer_->energy_pj();
    vcd_e_neuron_pj_ = neuron_->energy_pj();
  }
  if (base + batch_end > sc_core::sc_time_stamp()) qk_.inc(base + batch_end - sc_core::sc_time_stamp());
  qk_.sync();
  if (partitions_done_ < geo_.hpar()) sc_core::wait(partitions_done_ev_);

  stats_.batches += 1;
  stats_.vectors += static_cast<std::uint64_t>(B);
  stats_.busy_time_ns += batch_end.to_seconds() * 1e9;
  if (stats_.batches == 1) stats_.first_batch_time_ns = batch_end.to_seconds() * 1e9;
  stats_.last_batch_time_ns = batch_end.to_seconds() * 1e9;
  publish_energy();
  vcd_phase_ = 0;
  vcd_busy_ = false;
  if (trace_ && trace_->perfetto() && batch_traced_ > 0) {
    const EnergyBreakdown e = stats().energy;
    const std::string n = name();
    trace_->counter(n + " energy_pj", sc_core::sc_time_stamp(),
                    {{"dac", e.dac_pj}, {"crossbar", e.crossbar_pj}, {"adc", e.adc_pj}, {"sample_hold", e.sample_hold_pj},
                     {"shift_add", e.shift_add_pj}, {"reduce", e.reduce_pj}, {"neuron", e.neuron_pj}});
    const double batch_pj = e_reduce + e_neuron + batch_stage_energy_pj_;
    const double ns = batch_end.to_seconds() * 1e9;
    trace_->counter(n + " power_mw", base, {{"power_mw", ns > 0 ? batch_pj / ns : 0.0}});  // pJ/ns = mW
    trace_->counter(n + " power_mw", sc_core::sc_time_stamp(), {{"power_mw", 0.0}});
  }

  // 4. Hand the result on.
  sc_time delay = SC_ZERO_TIME;
  if (send_batch(out, std::move(result), job.id, 0, delay) != tlm::TLM_OK_RESPONSE)
    SC_REPORT_ERROR("memtile/tile", (std::string(name()) + ": next stage rejected the output batch").c_str());
}

void Tile::walk_tail(const std::vector<VectorTimes>& traced, sc_time base) {
  if (!trace_ || traced.empty()) return;
  const std::uint64_t v0 = batch_first_vector_;
  for (std::size_t b = 0; b < traced.size(); ++b) {
    const VectorTimes& v = traced[b];
    trace_->complete("reduce", tid_control_, base + v.r_start, v.r_end - v.r_start, static_cast<std::int64_t>(v0 + b), -1, -1);
    if (has_neuron_)
      trace_->complete("neuron", tid_control_, base + v.n_start, v.n_end - v.n_start, static_cast<std::int64_t>(v0 + b), -1, -1);
  }
  if (!trace_->vcd()) return;
  for (const VectorTimes& v : traced) {
    if (base + v.r_start > sc_core::sc_time_stamp()) sc_core::wait(base + v.r_start - sc_core::sc_time_stamp());
    ++vcd_reduce_ops_;
    if (has_neuron_) {
      if (base + v.n_start > sc_core::sc_time_stamp()) sc_core::wait(base + v.n_start - sc_core::sc_time_stamp());
      ++vcd_neuron_ops_;
    }
  }
}

void Tile::publish_energy() {
  const EnergyBreakdown e = stats().energy;
  vcd_e_dac_pj_ = e.dac_pj;
  vcd_e_xbar_pj_ = e.crossbar_pj;
  vcd_e_adc_pj_ = e.adc_pj + e.sample_hold_pj;
  vcd_e_sa_pj_ = e.shift_add_pj;
  vcd_e_reduce_pj_ = e.reduce_pj;
  vcd_e_neuron_pj_ = e.neuron_pj;
}

TileStats Tile::stats() const {
  TileStats s = stats_;
  s.dac_conversions = s.array_reads = s.adc_conversions = s.shift_add_ops = 0;
  s.energy.dac_pj = s.energy.crossbar_pj = s.energy.adc_pj = s.energy.sample_hold_pj = s.energy.shift_add_pj = 0;
  for (const auto& p : partitions_) {
    s.energy.dac_pj += p->dac.energy_pj();
    s.energy.crossbar_pj += p->crossbar.energy_pj();
    s.energy.adc_pj += p->adc.energy_pj() - p->adc.sample_hold_energy_pj();
    s.energy.sample_hold_pj += p->adc.sample_hold_energy_pj();
    s.energy.shift_add_pj += p->shift_add.energy_pj();
    s.dac_conversions += p->dac.operations();
    s.array_reads += p->crossbar.operations();
    s.adc_conversions += p->adc.operations();
    s.shift_add_ops += p->shift_add.operations();
  }
  s.energy.reduce_pj = reducer_->energy_pj();
  s.energy.neuron_pj = neuron_->energy_pj();
  s.neuron_ops = neuron_->operations();
  if (rtl_) {
    s.rtl_cycles = rtl_->cycles();
    s.rtl_operations = rtl_->operations();
    s.rtl_accumulator_batches = rtl_->accumulator_batches();
    s.rtl_traced_cycles = rtl_->vcd_cycles();
    s.rtl_traced_operations = rtl_->vcd_operations();
  }
  return s;
}

AreaBreakdown Tile::area() const {
  AreaBreakdown a;
  const double r = cfg_.replication;  // every copy has its own arrays and periphery
  for (const auto& p : partitions_) {
    a.dac_um2 += r * p->dac.area_um2();
    a.crossbar_um2 += r * p->crossbar.area_um2();
    a.adc_um2 += r * (p->adc.area_um2() - p->adc.sample_hold_area_um2());
    a.sample_hold_um2 += r * p->adc.sample_hold_area_um2();
    a.shift_add_um2 += r * p->shift_add.area_um2();
  }
  return a;
}

sc_time Tile::mvm_interval() const {
  // Steady state of the in-tile pipeline: one item (input slice) per slowest stage.
  const StageLatencies& l = lat_;
  const sc_time per_item = cfg_.pipeline ? std::max({l.stage_a(), l.adc, l.shift_add})
                                         : l.stage_a() + l.adc + l.shift_add;
  sc_time t = per_item * static_cast<double>(geo_.input_slices);
  if (!cfg_.pipeline) t += l.reduce + l.neuron;
  return t;
}

}  // namespace memtile::sc
