#include "rtl/RtlPeriphery.hpp"

// The Verilated model headers first: they bring in systemc.h the way the Verilator runtime
// expects (docs/rtl.md), then the VCD writer.
#include "Vmemtile_accumulator.h"
#include "Vmemtile_sar_logic.h"
#include "Vmemtile_shift_add.h"
#include "Vmemtile_tile_ctrl.h"
#include <verilated.h>
#include <verilated_vcd_sc.h>

#include <cmath>
#include <functional>
#include <stdexcept>

#include "memtile/core/Errors.hpp"
#include "memtile/core/config/Geometry.hpp"
#include "memtile/core/rtlref/PartialSumAccumulatorModel.hpp"
#include "memtile/core/rtlref/SarLogicModel.hpp"
#include "memtile/core/rtlref/ShiftAddModel.hpp"
#include "memtile/core/rtlref/TileControllerModel.hpp"

namespace memtile::sc {
namespace rr = core::rtlref;
using core::require;
using sc_core::sc_signal;
using sc_core::sc_time;

namespace {
// Verilog parameters of the production blocks (rtl/*.v defaults, as Verilated in memtile_rtl).
constexpr int kLanes = 8;          // LANES of memtile_shift_add / memtile_accumulator
constexpr int kMaxSlices = 16;     // MAXS of memtile_tile_ctrl
constexpr std::uint32_t kMaxLmax = 0xffff;  // tab_lmax[15:0]
constexpr std::uint32_t kMaxShift = 63;     // tab_shift[5:0]
constexpr int kMaxParts = 0xffff;  // PART_W = 16
constexpr double kTwo53 = 9007199254740992.0;
constexpr double kTwo62 = 4611686018427387904.0;

// VerilatedVcdSc registers itself with the SystemC kernel, which keeps the pointer for the
// rest of the process: the files are closed, never deleted (kept reachable here).
std::vector<VerilatedVcdSc*>& vcd_files() {
  static std::vector<VerilatedVcdSc*> files;
  return files;
}

int lanes_for(int adc_mux) {  // the largest divisor of adc_mux that fits the lanes
  for (int g = std::min(adc_mux, kLanes); g > 1; --g)
    if (adc_mux % g == 0) return g;
  return 1;
}
}  // namespace

struct RtlPeriphery::Impl {
  const core::ProgrammedMatrix& pm;
  core::RtlConfig use;
  bool activate;
  std::string vcd_path;
  core::TileGeometry geo;
  std::vector<rr::IntegerForm> forms;
  int G = 1;
  Eigen::Index N = 0;
  std::uint64_t levels = 0, nbits = 0;
  bool fp = false, common_unit = true;
  sc_time half;
  VerilatedVcdSc* vcd = nullptr;
  std::uint64_t cycles = 0, ops = 0, acc_batches = 0;

  // Wires. The clock is toggled by the calling thread (no free-running clock: sc_start()
  // returns when the model is idle).
  sc_signal<bool> clk{"clk", false}, rst_n{"rst_n", false};
  sc_signal<bool> clk_traced{"clk_traced", false};  // clk while the Verilated VCD is open (SystemC VCD)
  bool vcd_open = false;
  std::uint64_t vcd_cycles = 0, vcd_ops = 0;
  // controller
  sc_signal<std::uint32_t> c_n_x{"c_n_x", 0}, c_n_w{"c_n_w", 0}, c_n_parts{"c_n_parts", 0}, c_mux{"c_mux", 0},
      c_tab_idx{"c_tab_idx", 0}, c_tab_lmax{"c_tab_lmax", 0}, c_tab_shift{"c_tab_shift", 0};
  sc_signal<bool> c_program{"c_program", false}, c_compute{"c_compute", false}, c_activate{"c_activate", false},
      c_tab_we{"c_tab_we", false}, c_tab_sel{"c_tab_sel", false}, c_tab_neg{"c_tab_neg", false},
      c_start{"c_start", false}, c_prog_ack{"c_prog_ack", false}, c_dac_ack{"c_dac_ack", false},
      c_read_ack{"c_read_ack", false}, c_adc_done{"c_adc_done", false}, c_act_ack{"c_act_ack", false};
  sc_signal<std::uint32_t> c_state{"c_state", 0}, c_sa_mult{"c_sa_mult", 0}, c_sa_shift{"c_sa_shift", 0},
      c_part_idx{"c_part_idx", 0}, c_xs_idx{"c_xs_idx", 0}, c_ws_idx{"c_ws_idx", 0}, c_mux_idx{"c_mux_idx", 0};
  sc_signal<bool> c_busy{"c_busy", false}, c_done{"c_done", false}, c_prog_req{"c_prog_req", false},
      c_dac_req{"c_dac_req", false}, c_read_req{"c_read_req", false}, c_adc_start{"c_adc_start", false},
      c_act_req{"c_act_req", false}, c_sa_clear{"c_sa_clear", false}, c_sa_valid{"c_sa_valid", false},
      c_sa_neg{"c_sa_neg", false}, c_acc_clear{"c_acc_clear", false}, c_acc_valid{"c_acc_valid", false};
  // SAR
  sc_signal<std::uint32_t> s_levels{"s_levels", 0}, s_nbits{"s_nbits", 0}, s_dac{"s_dac", 0}, s_code_u{"s_code_u", 0},
      s_code_s{"s_code_s", 0};
  sc_signal<bool> s_start{"s_start", false}, s_cmp{"s_cmp", false}, s_busy{"s_busy", false}, s_done{"s_done", false};
  // shift-add
  sc_signal<bool> a_clear{"a_clear", false}, a_valid{"a_valid", false}, a_neg{"a_neg", false},
      a_rd_ovf{"a_rd_ovf", false}, a_any_ovf{"a_any_ovf", false};
  sc_signal<std::uint32_t> a_lane{"a_lane", 0}, a_code{"a_code", 0}, a_mult{"a_mult", 0}, a_shift{"a_shift", 0},
      a_rd_lane{"a_rd_lane", 0};
  sc_signal<std::uint64_t> a_rd_acc{"a_rd_acc", 0};
  // accumulator
  sc_signal<bool> r_clear{"r_clear", false}, r_valid{"r_valid", false}, r_rd_ovf{"r_rd_ovf", false},
      r_any_ovf{"r_any_ovf", false};
  sc_signal<std::uint32_t> r_lane{"r_lane", 0}, r_shift{"r_shift", 0}, r_rd_lane{"r_rd_lane", 0};
  sc_signal<std::uint64_t> r_psum{"r_psum", 0}, r_rd_acc{"r_rd_acc", 0};

  std::unique_ptr<Vmemtile_tile_ctrl> v_ctrl;
  std::unique_ptr<Vmemtile_sar_logic> v_sar;
  std::unique_ptr<Vmemtile_shift_add> v_sa;
  std::unique_ptr<Vmemtile_accumulator> v_acc;

  // The C++ reference models stand in for the blocks that are not Verilated.
  rr::TileControllerModel m_ctrl;
  rr::SarLogicModel m_sar;
  rr::ShiftAddModel m_sa;
  rr::PartialSumAccumulatorModel m_acc;
  // Inputs of the next rising edge (raw port bits), for both kinds of block.
  rr::TileControllerModel::Inputs ctrl_in;
  rr::SarLogicModel::Inputs sar_in;
  rr::ShiftAddModel::Inputs sa_in;
  rr::PartialSumAccumulatorModel::Inputs acc_in;
  std::uint64_t sa_rd_lane = 0, acc_rd_lane = 0;

  Impl(const core::ProgrammedMatrix& pm_, const core::TileConfig& cfg, bool activate_, const std::string& vcd_path_)
      : pm(pm_), use(cfg.rtl), activate(activate_), vcd_path(vcd_path_), geo(core::TileGeometry::of(pm_)) {
    for (int kb = 0; kb < geo.hpar(); ++kb) forms.push_back(rr::integer_form(pm, kb));
    for (const rr::IntegerForm& f : forms) common_unit = common_unit && f.unit == forms.front().unit;
    G = lanes_for(cfg.adc_mux);
    N = geo.out_features();
    levels = static_cast<std::uint64_t>(pm.config().radc);
    nbits = rr::SarLogicModel::bits_for(levels);
    fp = pm.config().mode == core::EngineMode::FloatingPoint;
    // Half a clock period, at the kernel's resolution (1 ps by default): the RTL clock period
    // is twice that, which differs from 1/clock_ghz only when that is not a whole number of ps.
    half = sc_time(0.5 / cfg.clock_ghz, sc_core::SC_NS);
    require(half > sc_core::SC_ZERO_TIME, "tile.clock_ghz", "half a clock period is below the SystemC time resolution");
    if (!vcd_path.empty()) Verilated::traceEverOn(true);  // before the models are built
    if (use.controller) {
      v_ctrl = std::make_unique<Vmemtile_tile_ctrl>("ctrl");
      Vmemtile_tile_ctrl& v = *v_ctrl;
      v.clk(clk); v.rst_n(rst_n);
      v.cfg_n_x(c_n_x); v.cfg_n_w(c_n_w); v.cfg_n_parts(c_n_parts); v.cfg_mux(c_mux);
      v.cfg_program(c_program); v.cfg_compute(c_compute); v.cfg_activate(c_activate);
      v.tab_we(c_tab_we); v.tab_sel(c_tab_sel); v.tab_idx(c_tab_idx); v.tab_lmax(c_tab_lmax);
      v.tab_shift(c_tab_shift); v.tab_neg(c_tab_neg);
      v.start(c_start); v.prog_ack(c_prog_ack); v.dac_ack(c_dac_ack); v.read_ack(c_read_ack);
      v.adc_done(c_adc_done); v.act_ack(c_act_ack);
      v.state(c_state); v.busy(c_busy); v.done(c_done); v.prog_req(c_prog_req); v.dac_req(c_dac_req);
      v.read_req(c_read_req); v.adc_start(c_adc_start); v.act_req(c_act_req); v.sa_clear(c_sa_clear);
      v.sa_valid(c_sa_valid); v.sa_mult(c_sa_mult); v.sa_shift(c_sa_shift); v.sa_neg(c_sa_neg);
      v.acc_clear(c_acc_clear); v.acc_valid(c_acc_valid); v.part_idx(c_part_idx); v.xs_idx(c_xs_idx);
      v.ws_idx(c_ws_idx); v.mux_idx(c_mux_idx);
    }
    if (use.sar_adc) {
      v_sar = std::make_unique<Vmemtile_sar_logic>("sar");
      Vmemtile_sar_logic& v = *v_sar;
      v.clk(clk); v.rst_n(rst_n); v.cfg_levels(s_levels); v.cfg_nbits(s_nbits); v.start(s_start); v.cmp(s_cmp);
      v.dac_code(s_dac); v.busy(s_busy); v.done(s_done); v.code_u(s_code_u); v.code_s(s_code_s);
    }
    if (use.shift_add) {
      v_sa = std::make_unique<Vmemtile_shift_add>("shift_add");
      Vmemtile_shift_add& v = *v_sa;
      v.clk(clk); v.rst_n(rst_n); v.clear(a_clear); v.valid(a_valid); v.lane(a_lane); v.code(a_code);
      v.mult(a_mult); v.shift(a_shift); v.neg(a_neg); v.rd_lane(a_rd_lane); v.rd_acc(a_rd_acc);
      v.rd_ovf(a_rd_ovf); v.any_ovf(a_any_ovf);
    }
    if (use.accumulator) {
      v_acc = std::make_unique<Vmemtile_accumulator>("accumulator");
      Vmemtile_accumulator& v = *v_acc;
      v.clk(clk); v.rst_n(rst_n); v.clear(r_clear); v.valid(r_valid); v.lane(r_lane);
      // Both Verilated: the shift-add's read port drives the accumulator's input, a wire.
      if (use.shift_add) v.psum(a_rd_acc);
      else v.psum(r_psum);
      v.shift(r_shift); v.rd_lane(r_rd_lane); v.rd_acc(r_rd_acc); v.rd_ovf(r_rd_ovf); v.any_ovf(r_any_ovf);
    }
    ctrl_in.n_x = static_cast<std::uint64_t>(geo.input_slices);
    ctrl_in.n_w = static_cast<std::uint64_t>(geo.weight_slices);
    ctrl_in.n_parts = static_cast<std::uint64_t>(geo.hpar());
    ctrl_in.mux = static_cast<std::uint64_t>(G);
    ctrl_in.compute = false;
    sar_in.levels = levels;
    sar_in.nbits = nbits;
  }

  // ---- outputs after the last rising edge
  rr::TileControllerModel::Outputs ctrl_out() const {
    if (!use.controller) return m_ctrl.outputs();
    rr::TileControllerModel::Outputs o;
    o.state = c_state.read();
    o.busy = c_busy.read(); o.done = c_done.read(); o.prog_req = c_prog_req.read(); o.dac_req = c_dac_req.read();
    o.read_req = c_read_req.read(); o.adc_start = c_adc_start.read(); o.act_req = c_act_req.read();
    o.sa_clear = c_sa_clear.read(); o.sa_valid = c_sa_valid.read(); o.sa_neg = c_sa_neg.read();
    o.acc_clear = c_acc_clear.read(); o.acc_valid = c_acc_valid.read();
    o.sa_mult = c_sa_mult.read(); o.sa_shift = c_sa_shift.read(); o.part_idx = c_part_idx.read();
    o.xs_idx = c_xs_idx.read(); o.ws_idx = c_ws_idx.read(); o.mux_idx = c_mux_idx.read();
    return o;
  }
  std::uint64_t sar_dac() const { return use.sar_adc ? s_dac.read() : m_sar.dac_code(); }
  bool sar_done() const { return use.sar_adc ? s_done.read() : m_sar.done(); }
  std::uint64_t sar_code_bits() const { return use.sar_adc ? s_code_s.read() : m_sar.code_s_bits(levels); }
  bool sa_overflow() const { return use.shift_add ? a_any_ovf.read() : m_sa.any_ovf(); }
  bool acc_overflow() const { return use.accumulator ? r_any_ovf.read() : m_acc.any_ovf(); }

  // ---- one clock cycle: drive the inputs (clock low), let combinational paths settle for
  // half a period, sample what the edge needs (`at_edge`), then the rising edge.
  void cycle(const std::function<void()>& at_edge = {}) {
    rst_n.write(ctrl_in.rst_n);
    if (use.controller) {
      c_n_x.write(static_cast<std::uint32_t>(ctrl_in.n_x)); c_n_w.write(static_cast<std::uint32_t>(ctrl_in.n_w));
      c_n_parts.write(static_cast<std::uint32_t>(ctrl_in.n_parts)); c_mux.write(static_cast<std::uint32_t>(ctrl_in.mux));
      c_program.write(ctrl_in.program); c_compute.write(ctrl_in.compute); c_activate.write(ctrl_in.activate);
      c_tab_we.write(ctrl_in.tab_we); c_tab_sel.write(ctrl_in.tab_sel);
      c_tab_idx.write(static_cast<std::uint32_t>(ctrl_in.tab_idx));
      c_tab_lmax.write(static_cast<std::uint32_t>(ctrl_in.tab_lmax));
      c_tab_shift.write(static_cast<std::uint32_t>(ctrl_in.tab_shift)); c_tab_neg.write(ctrl_in.tab_neg);
      c_start.write(ctrl_in.start); c_prog_ack.write(ctrl_in.prog_ack); c_dac_ack.write(ctrl_in.dac_ack);
      c_read_ack.write(ctrl_in.read_ack); c_adc_done.write(ctrl_in.adc_done); c_act_ack.write(ctrl_in.act_ack);
    }
    if (use.sar_adc) {
      s_levels.write(static_cast<std::uint32_t>(sar_in.levels)); s_nbits.write(static_cast<std::uint32_t>(sar_in.nbits));
      s_start.write(sar_in.start); s_cmp.write(sar_in.cmp);
    }
    if (use.shift_add) {
      a_clear.write(sa_in.clear); a_valid.write(sa_in.valid); a_lane.write(static_cast<std::uint32_t>(sa_in.lane));
      a_code.write(static_cast<std::uint32_t>(sa_in.code)); a_mult.write(static_cast<std::uint32_t>(sa_in.mult));
      a_shift.write(static_cast<std::uint32_t>(sa_in.shift)); a_neg.write(sa_in.neg);
      a_rd_lane.write(static_cast<std::uint32_t>(sa_rd_lane));
    }
    if (use.accumulator) {
      r_clear.write(acc_in.clear); r_valid.write(acc_in.valid); r_lane.write(static_cast<std::uint32_t>(acc_in.lane));
      if (!use.shift_add) r_psum.write(acc_in.psum);
      r_shift.write(static_cast<std::uint32_t>(acc_in.shift)); r_rd_lane.write(static_cast<std::uint32_t>(acc_rd_lane));
    }
    sc_core::wait(half);
    if (at_edge) at_edge();
    // The C++ models take the same edge (their outputs are next read after the Verilated ones updated).
    sar_in.rst_n = sa_in.rst_n = acc_in.rst_n = ctrl_in.rst_n;
    if (!use.controller) m_ctrl.clock(ctrl_in);
    if (!use.sar_adc) m_sar.clock(sar_in);
    if (!use.shift_add) m_sa.clock(sa_in);
    if (!use.accumulator) m_acc.clock(acc_in);
    clk.write(true);
    if (vcd_open) clk_traced.write(true);
    sc_core::wait(half);
    clk.write(false);
    clk_traced.write(false);
    ++cycles;
    if (vcd_open) ++vcd_cycles;
  }

  void idle_inputs() {
    ctrl_in.start = ctrl_in.prog_ack = ctrl_in.dac_ack = ctrl_in.read_ack = ctrl_in.adc_done = ctrl_in.act_ack = false;
    ctrl_in.tab_we = false;
    sar_in.start = sar_in.cmp = false;
    sa_in.clear = sa_in.valid = false;
    acc_in.clear = acc_in.valid = false;
  }

  // Per (row partition, vector, column): include the partial sum, and its alignment shift.
  struct Alignment {
    bool use_accumulator = false;       // the accumulator's result is the output of this batch
    std::vector<Eigen::MatrixXi> shift;  // [kb] B x N (fp); empty: 0
    std::vector<Eigen::Matrix<bool, Eigen::Dynamic, Eigen::Dynamic>> include;  // [kb] (fp)
    Eigen::MatrixXi e_min;               // B x N (fp), INT_MAX = no block contributes
  };

  Alignment plan(Eigen::Index B, const std::vector<PartitionData>& parts) const {
    Alignment a;
    if (!fp) {
      // Integer modes: the row blocks' scales are arbitrary reals and the engine sums the
      // scaled blocks in double; only a single row partition maps onto the accumulator.
      a.use_accumulator = geo.hpar() == 1;
      return a;
    }
    if (!common_unit) return a;
    const int H = geo.hpar();
    a.shift.assign(H, Eigen::MatrixXi::Zero(B, N));
    a.include.assign(H, Eigen::Matrix<bool, Eigen::Dynamic, Eigen::Dynamic>::Constant(B, N, false));
    a.e_min = Eigen::MatrixXi::Constant(B, N, INT32_MAX);
    std::vector<Eigen::MatrixXi> e(H, Eigen::MatrixXi::Zero(B, N));
    for (int kb = 0; kb < H; ++kb)
      for (Eigen::Index c = 0; c < N; ++c)
        for (Eigen::Index b = 0; b < B; ++b) {
          const double s = parts[kb].in.scale(b) * pm.block(kb).w_scale(c);
          if (!(s > 0)) continue;
          a.include[kb](b, c) = true;
          e[kb](b, c) = std::ilogb(s);
          a.e_min(b, c) = std::min(a.e_min(b, c), e[kb](b, c));
        }
    // The integer sum is exact; the engine's double sum too (and then both agree bit for bit)
    // only while every partial sum stays below 2^53. Otherwise (row blocks whose exponents are
    // far apart) this batch keeps the behavioural reduction.
    for (Eigen::Index c = 0; c < N; ++c)
      for (Eigen::Index b = 0; b < B; ++b) {
        double bound = 0;
        for (int kb = 0; kb < H; ++kb) {
          if (!a.include[kb](b, c)) continue;
          const int sh = e[kb](b, c) - a.e_min(b, c);
          if (sh > static_cast<int>(kMaxShift)) return Alignment{};
          a.shift[kb](b, c) = sh;
          bound += std::ldexp(forms[kb].max_abs_s, sh);
        }
        if (!(bound < kTwo53)) return Alignment{};
      }
    a.use_accumulator = true;
    return a;
  }

  // One controller operation. compute: vector b, column group g of the batch.
  void operation(bool program, bool compute, Eigen::Index b = 0, int g = 0,
                 const std::vector<std::vector<Eigen::MatrixXd>>* t = nullptr, const Alignment* al = nullptr,
                 std::vector<Eigen::Matrix<std::int64_t, Eigen::Dynamic, Eigen::Dynamic>>* S = nullptr) {
    ++ops;
    if (vcd_open) ++vcd_ops;
    idle_inputs();
    ctrl_in.program = program;
    ctrl_in.compute = compute;
    ctrl_in.activate = compute && activate;
    ctrl_in.start = true;
    cycle();
    ctrl_in.start = false;
    // Upper bound on the cycles of one operation (a hang is a modelling error, not bad input).
    const std::uint64_t limit =
        64 + 4ull * static_cast<std::uint64_t>(geo.hpar()) *
                 (static_cast<std::uint64_t>(geo.weight_slices) +
                  static_cast<std::uint64_t>(geo.input_slices) *
                      (2 + static_cast<std::uint64_t>(geo.weight_slices) * (2 + G * (nbits + 6))) + G);
    const std::uint64_t start = cycles;
    double held_t = 0.0;
    std::uint32_t part = 0, xs = 0, ws = 0;
    const int nw = geo.weight_slices;
    while (true) {
      const rr::TileControllerModel::Outputs o = ctrl_out();
      if (!o.busy && o.done) break;
      if (cycles - start > limit) throw std::logic_error("memtile::sc rtl: the tile controller did not finish its operation");
      // Handshakes: the SystemC side answers every request at the next edge.
      ctrl_in.prog_ack = o.prog_req;
      ctrl_in.dac_ack = o.dac_req;
      ctrl_in.read_ack = o.read_req;
      ctrl_in.act_ack = o.act_req;
      if (o.read_req) {  // the sample-and-hold captures this (partition, input slice, weight slice) read
        part = o.part_idx;
        xs = o.xs_idx;
        ws = o.ws_idx;
      }
      const Eigen::Index col = static_cast<Eigen::Index>(g) * G + o.mux_idx;
      const bool in_range = compute && col < N && part < static_cast<std::uint32_t>(geo.hpar());
      if (o.adc_start)  // the SAR samples the held column current (in LSBs of the comparator)
        held_t = in_range ? (*t)[part][static_cast<std::size_t>(xs) * nw + ws](b, col) : 0.0;
      sar_in.start = o.adc_start;
      sar_in.cmp = rr::sar_comparator(held_t, sar_dac(), levels, rr::TieRule::HalfEven);
      ctrl_in.adc_done = sar_done();
      sa_in.clear = o.sa_clear;
      sa_in.valid = o.sa_valid;
      sa_in.lane = o.mux_idx;
      sa_in.code = sar_code_bits();
      sa_in.mult = o.sa_mult;
      sa_in.shift = o.sa_shift;
      sa_in.neg = o.sa_neg;
      sa_rd_lane = o.mux_idx;
      const std::uint32_t p = o.part_idx;
      const bool psum_here = o.acc_valid && in_range;
      acc_in.clear = o.acc_clear;
      acc_in.lane = o.mux_idx;
      acc_in.valid = o.acc_valid;
      acc_in.shift = 0;
      if (psum_here && al && !al->include.empty()) {
        acc_in.valid = al->include[p](b, col);
        acc_in.shift = static_cast<std::uint64_t>(al->shift[p](b, col));
      }
      if (!use.shift_add) acc_in.psum = static_cast<std::uint64_t>(m_sa.acc(o.mux_idx));
      cycle([&] {
        // The shift-add's read port (lane = mux_idx) as the accumulator sees it at this edge.
        const std::uint64_t v = use.shift_add ? a_rd_acc.read() : acc_in.psum;
        if (!use.accumulator) acc_in.psum = v;
        if (psum_here && S) (*S)[p](b, col) = static_cast<std::int64_t>(v);
      });
    }
    idle_inputs();
    if (sa_overflow()) throw std::logic_error("memtile::sc rtl: the shift-add saturated (|S| bound checked at elaboration)");
  }
};

// ------------------------------------------------------------------ checks
void RtlPeriphery::check(const core::ProgrammedMatrix& pm, const core::TileConfig& cfg) {
  if (!cfg.rtl.any()) return;
  cfg.validate(pm.config());  // software, calibrated full scale, ADC kind, radc
  const core::TileGeometry geo = core::TileGeometry::of(pm);
  require(geo.hpar() <= kMaxParts, "tile.rtl",
          std::to_string(geo.hpar()) + " row partitions exceed the controller's 16-bit partition counter");
  require(geo.input_slices <= kMaxSlices && geo.weight_slices <= kMaxSlices, "tile.rtl",
          std::to_string(geo.input_slices) + " input / " + std::to_string(geo.weight_slices) +
              " weight slices exceed the controller's slice table (16 entries each)");
  for (int kb = 0; kb < geo.hpar(); ++kb) {
    const rr::IntegerForm f = rr::integer_form(pm, kb);
    require(f.applicable, "tile.rtl", "row block " + std::to_string(kb) + ": " + f.reason);
    require(static_cast<int>(f.x.size()) == geo.input_slices && static_cast<int>(f.w.size()) == geo.weight_slices,
            "tile.rtl", "the integer form's slices do not match the tile's (mode not supported by the RTL periphery)");
    for (const auto* v : {&f.x, &f.w})
      for (const rr::SliceControl& e : *v) {
        require(e.lmax <= kMaxLmax, "tile.rtl",
                "slice level count " + std::to_string(e.lmax) + " exceeds the slice table's 16-bit lmax");
        require(e.shift <= kMaxShift, "tile.rtl",
                "slice shift " + std::to_string(e.shift) + " exceeds the slice table's 6-bit shift");
      }
    require(f.max_abs_s < kTwo62, "tile.rtl",
            "the integer partial sums may reach 2^" + std::to_string(std::ilogb(f.max_abs_s)) +
                ", beyond the 64-bit shift-add (fewer ADC levels or operand bits)");
  }
}

// ------------------------------------------------------------------ the module
RtlPeriphery::RtlPeriphery(sc_core::sc_module_name name, const core::ProgrammedMatrix& pm, const core::TileConfig& cfg,
                           bool activate, const std::string& vcd_path)
    : sc_core::sc_module(name) {
  check(pm, cfg);
  impl_ = std::make_unique<Impl>(pm, cfg, activate, vcd_path);
}

RtlPeriphery::~RtlPeriphery() { close_vcd(); }

void RtlPeriphery::program() {
  Impl& m = *impl_;
  if (!m.vcd_path.empty() && !m.vcd) {
    // After elaboration and every sc_trace call of the SystemC VCD (docs/model.md §7).
    m.vcd = new VerilatedVcdSc;
    vcd_files().push_back(m.vcd);
    if (m.v_ctrl) m.v_ctrl->trace(m.vcd, 99);
    if (m.v_sar) m.v_sar->trace(m.vcd, 99);
    if (m.v_sa) m.v_sa->trace(m.vcd, 99);
    if (m.v_acc) m.v_acc->trace(m.vcd, 99);
    m.vcd->open(m.vcd_path.c_str());
    // Checked writable at elaboration (Tile); failing now is an environment error.
    if (!m.vcd->isOpen()) SC_REPORT_ERROR("memtile/rtl", ("cannot write the Verilated VCD " + m.vcd_path).c_str());
    m.vcd_open = m.vcd->isOpen();
  }
  // Reset, then the slice table, then the program operation.
  m.idle_inputs();
  m.ctrl_in.rst_n = false;
  m.cycle();
  m.ctrl_in.rst_n = true;
  const rr::IntegerForm& f = m.forms.front();
  for (int sel = 0; sel < 2; ++sel) {
    const std::vector<rr::SliceControl>& tab = sel ? f.w : f.x;
    for (std::size_t k = 0; k < tab.size(); ++k) {
      m.ctrl_in.tab_we = true;
      m.ctrl_in.tab_sel = sel == 1;
      m.ctrl_in.tab_idx = k;
      m.ctrl_in.tab_lmax = tab[k].lmax;
      m.ctrl_in.tab_shift = tab[k].shift;
      m.ctrl_in.tab_neg = tab[k].neg;
      m.cycle();
    }
  }
  m.ctrl_in.tab_we = false;
  m.operation(true, false);
}

bool RtlPeriphery::run_batch(Eigen::Index B, const std::vector<std::vector<Eigen::MatrixXd>>& t,
                             std::vector<PartitionData>& parts, Eigen::MatrixXd& y, Eigen::Index traced) {
  Impl& m = *impl_;
  if (traced <= 0) close_vcd();
  const int H = m.geo.hpar();
  const Eigen::Index N = m.N;
  const Impl::Alignment al = m.plan(B, parts);
  std::vector<Eigen::Matrix<std::int64_t, Eigen::Dynamic, Eigen::Dynamic>> S(
      H, Eigen::Matrix<std::int64_t, Eigen::Dynamic, Eigen::Dynamic>::Zero(B, N));
  Eigen::Matrix<std::int64_t, Eigen::Dynamic, Eigen::Dynamic> acc = decltype(acc)::Zero(B, N);
  bool acc_ok = al.use_accumulator;
  const int groups = static_cast<int>((N + m.G - 1) / m.G);
  for (Eigen::Index b = 0; b < B; ++b) {
    for (int g = 0; g < groups; ++g) {
      m.operation(false, true, b, g, &t, &al, &S);
      if (!al.use_accumulator) continue;
      // Read the accumulator's lanes out (one per clock through its read port).
      acc_ok = acc_ok && !m.acc_overflow();
      for (int lane = 0; lane < m.G; ++lane) {
        const Eigen::Index col = static_cast<Eigen::Index>(g) * m.G + lane;
        m.acc_rd_lane = static_cast<std::uint64_t>(lane);
        m.cycle([&] {
          const std::int64_t v = m.use.accumulator ? static_cast<std::int64_t>(m.r_rd_acc.read()) : m.m_acc.acc(lane);
          if (col < N) acc(b, col) = v;
        });
      }
    }
    if (b + 1 >= traced) close_vcd();  // the traced vectors are done
  }
  for (int kb = 0; kb < H; ++kb) parts[kb].acc = m.forms[kb].unit * S[kb].cast<double>();
  if (!acc_ok) return false;
  ++m.acc_batches;
  y = Eigen::MatrixXd::Zero(B, N);
  if (m.fp) {
    const double unit = m.forms.front().unit;
    for (Eigen::Index c = 0; c < N; ++c)
      for (Eigen::Index b = 0; b < B; ++b)
        if (al.e_min(b, c) != INT32_MAX) y(b, c) = std::ldexp(unit * static_cast<double>(acc(b, c)), al.e_min(b, c));
  } else {
    // One row partition: the accumulator passed S through (shift 0); scale as the engine does.
    m.pm.finish_block(y, 0, parts[0].in, m.forms.front().unit * acc.cast<double>());
  }
  return true;
}

std::uint64_t RtlPeriphery::cycles() const { return impl_->cycles; }
std::uint64_t RtlPeriphery::operations() const { return impl_->ops; }
std::uint64_t RtlPeriphery::accumulator_batches() const { return impl_->acc_batches; }
int RtlPeriphery::lanes() const { return impl_->G; }
const core::rtlref::IntegerForm& RtlPeriphery::form(int kb) const { return impl_->forms.at(kb); }

void RtlPeriphery::close_vcd() {
  if (!impl_) return;
  impl_->vcd_open = false;
  if (impl_->vcd && impl_->vcd->isOpen()) impl_->vcd->close();
}
std::uint64_t RtlPeriphery::vcd_cycles() const { return impl_->vcd_cycles; }
std::uint64_t RtlPeriphery::vcd_operations() const { return impl_->vcd_ops; }
const sc_core::sc_signal<bool>& RtlPeriphery::traced_clock() const { return impl_->clk_traced; }

}  // namespace memtile::sc
