// Bit-exact, cycle-exact reference model of rtl/memtile_tile_ctrl.v (docs/rtl.md). Pure C++.
//
// States and transitions (all outputs are functions of the registers: a Moore machine):
//   IDLE  --start--> PROG if program, else CLEAR if compute, else ACT if activate, else IDLE+done
//   PROG  (prog_req; ws inner, part outer) --prog_ack on the last--> CLEAR / ACT / IDLE+done
//   CLEAR (sa_clear; acc_clear on partition 0) -> DAC
//   DAC   (dac_req, xs)  --dac_ack--> READ
//   READ  (read_req, xs, ws) --read_ack--> CONV
//   CONV  (adc_start, one clock) -> WAIT --adc_done--> SADD
//   SADD  (sa_valid, lane = mux) -> next mux: CONV / next ws: READ / next xs: DAC / PSUM
//   PSUM  (acc_valid, lane = mux; one clock per lane) -> next part: CLEAR / ACT / IDLE+done
//   ACT   (act_req) --act_ack--> IDLE+done
// done drops on start. Counts of 0 act as 1; slice counts above maxs act as maxs.
#pragma once
#include <cstdint>
#include <vector>

#include "memtile/core/rtlref/Bits.hpp"

namespace memtile::core::rtlref {

struct TileControllerParams {  // Verilog parameters of memtile_tile_ctrl
  int maxs = 16, idx_w = 4, part_w = 16, mux_w = 8;
  void validate() const {
    require_param(maxs >= 1 && idx_w >= 1 && idx_w < 31 && (1LL << idx_w) >= maxs, "tile ctrl: maxs / idx_w");
    require_param(part_w >= 1 && part_w < 32 && mux_w >= 1 && mux_w < 32, "tile ctrl: part_w / mux_w");
  }
};

enum class CtrlState : std::uint32_t { Idle = 0, Prog, Clear, Dac, Read, Conv, Wait, Sadd, Psum, Act };

class TileControllerModel {
 public:
  struct Inputs {
    bool rst_n = true;
    std::uint64_t n_x = 1, n_w = 1, n_parts = 1, mux = 1;  // raw port bits
    bool program = false, compute = true, activate = false;
    bool tab_we = false, tab_sel = false;
    std::uint64_t tab_idx = 0, tab_lmax = 0, tab_shift = 0;
    bool tab_neg = false;
    bool start = false, prog_ack = false, dac_ack = false, read_ack = false, adc_done = false, act_ack = false;
  };
  struct Outputs {
    std::uint32_t state = 0;
    bool busy = false, done = false, prog_req = false, dac_req = false, read_req = false, adc_start = false,
         act_req = false, sa_clear = false, sa_valid = false, sa_neg = false, acc_clear = false, acc_valid = false;
    std::uint32_t sa_mult = 0, sa_shift = 0, part_idx = 0, xs_idx = 0, ws_idx = 0, mux_idx = 0;
    bool operator==(const Outputs& o) const {
      return state == o.state && busy == o.busy && done == o.done && prog_req == o.prog_req &&
             dac_req == o.dac_req && read_req == o.read_req && adc_start == o.adc_start && act_req == o.act_req &&
             sa_clear == o.sa_clear && sa_valid == o.sa_valid && sa_neg == o.sa_neg && acc_clear == o.acc_clear &&
             acc_valid == o.acc_valid && sa_mult == o.sa_mult && sa_shift == o.sa_shift && part_idx == o.part_idx &&
             xs_idx == o.xs_idx && ws_idx == o.ws_idx && mux_idx == o.mux_idx;
    }
    bool operator!=(const Outputs& o) const { return !(*this == o); }
  };
  struct SliceEntry {
    std::uint32_t lmax = 0, shift = 0;
    bool neg = false;
  };

  explicit TileControllerModel(const TileControllerParams& p = {}) : p_(p), x_(p.maxs), w_(p.maxs) { p_.validate(); }
  const TileControllerParams& params() const { return p_; }
  CtrlState state() const { return state_; }

  Outputs outputs() const {
    Outputs o;
    const auto s = state_;
    o.state = static_cast<std::uint32_t>(s);
    o.busy = s != CtrlState::Idle;
    o.done = done_;
    o.prog_req = s == CtrlState::Prog;
    o.dac_req = s == CtrlState::Dac;
    o.read_req = s == CtrlState::Read;
    o.adc_start = s == CtrlState::Conv;
    o.act_req = s == CtrlState::Act;
    o.sa_clear = s == CtrlState::Clear;
    o.sa_valid = s == CtrlState::Sadd;
    o.acc_clear = s == CtrlState::Clear && part_ == 0;
    o.acc_valid = s == CtrlState::Psum;
    const SliceEntry ex = xs_ < static_cast<std::uint64_t>(p_.maxs) ? x_[xs_] : SliceEntry{};
    const SliceEntry ew = ws_ < static_cast<std::uint64_t>(p_.maxs) ? w_[ws_] : SliceEntry{};
    o.sa_mult = ex.lmax * ew.lmax;  // both < 2^16
    o.sa_shift = ex.shift + ew.shift;
    o.sa_neg = ex.neg != ew.neg;
    o.part_idx = static_cast<std::uint32_t>(part_);
    o.xs_idx = static_cast<std::uint32_t>(xs_);
    o.ws_idx = static_cast<std::uint32_t>(ws_);
    o.mux_idx = static_cast<std::uint32_t>(mux_);
    return o;
  }

  void clock(const Inputs& in) {
    if (!in.rst_n) {
      *this = TileControllerModel(p_);
      return;
    }
    clock_table(in);
    clock_fsm(in);
  }

 private:
  void clock_table(const Inputs& in) {
    const std::uint64_t idx = mask_bits(in.tab_idx, p_.idx_w);
    if (!in.tab_we || idx >= static_cast<std::uint64_t>(p_.maxs)) return;
    SliceEntry& e = in.tab_sel ? w_[idx] : x_[idx];
    e.lmax = static_cast<std::uint32_t>(mask_bits(in.tab_lmax, 16));
    e.shift = static_cast<std::uint32_t>(mask_bits(in.tab_shift, 6));
    e.neg = in.tab_neg;
  }

  void clock_fsm(const Inputs& in) {
    const std::uint64_t maxs = static_cast<std::uint64_t>(p_.maxs);
    const bool last_x = xs_ + 1 >= mask_bits(in.n_x, p_.idx_w + 1) || xs_ == maxs - 1;
    const bool last_w = ws_ + 1 >= mask_bits(in.n_w, p_.idx_w + 1) || ws_ == maxs - 1;
    const bool last_p = part_ + 1 >= mask_bits(in.n_parts, p_.part_w);
    const bool last_m = mux_ + 1 >= mask_bits(in.mux, p_.mux_w);
    const std::uint64_t idx_mask = (1ULL << p_.idx_w) - 1, part_mask = (1ULL << p_.part_w) - 1,
                        mux_mask = (1ULL << p_.mux_w) - 1;
    const CtrlState after_mvm = do_activate_ ? CtrlState::Act : CtrlState::Idle;
    const CtrlState after_prog = do_compute_ ? CtrlState::Clear : after_mvm;
    switch (state_) {
      case CtrlState::Idle:
        if (in.start) {
          done_ = false;
          do_compute_ = in.compute;
          do_activate_ = in.activate;
          part_ = xs_ = ws_ = mux_ = 0;
          if (in.program) state_ = CtrlState::Prog;
          else if (in.compute) state_ = CtrlState::Clear;
          else if (in.activate) state_ = CtrlState::Act;
          else done_ = true;
        }
        break;
      case CtrlState::Prog:
        if (in.prog_ack) {
          if (!last_w) ws_ = (ws_ + 1) & idx_mask;
          else {
            ws_ = 0;
            if (!last_p) part_ = (part_ + 1) & part_mask;
            else {
              part_ = 0;
              state_ = after_prog;
              if (after_prog == CtrlState::Idle) done_ = true;
            }
          }
        }
        break;
      case CtrlState::Clear: state_ = CtrlState::Dac; break;
      case CtrlState::Dac: if (in.dac_ack) state_ = CtrlState::Read; break;
      case CtrlState::Read: if (in.read_ack) state_ = CtrlState::Conv; break;
      case CtrlState::Conv: state_ = CtrlState::Wait; break;
      case CtrlState::Wait: if (in.adc_done) state_ = CtrlState::Sadd; break;
      case CtrlState::Sadd:
        if (!last_m) {
          mux_ = (mux_ + 1) & mux_mask;
          state_ = CtrlState::Conv;
        } else {
          mux_ = 0;
          if (!last_w) {
            ws_ = (ws_ + 1) & idx_mask;
            state_ = CtrlState::Read;
          } else {
            ws_ = 0;
            if (!last_x) {
              xs_ = (xs_ + 1) & idx_mask;
              state_ = CtrlState::Dac;
            } else {
              xs_ = 0;
              state_ = CtrlState::Psum;
            }
          }
        }
        break;
      case CtrlState::Psum:
        if (!last_m) mux_ = (mux_ + 1) & mux_mask;
        else {
          mux_ = 0;
          if (!last_p) {
            part_ = (part_ + 1) & part_mask;
            state_ = CtrlState::Clear;
          } else {
            part_ = 0;
            state_ = after_mvm;
            if (after_mvm == CtrlState::Idle) done_ = true;
          }
        }
        break;
      case CtrlState::Act:
        if (in.act_ack) {
          state_ = CtrlState::Idle;
          done_ = true;
        }
        break;
    }
  }

  TileControllerParams p_;
  std::vector<SliceEntry> x_, w_;
  CtrlState state_ = CtrlState::Idle;
  bool done_ = false, do_compute_ = false, do_activate_ = false;
  std::uint64_t part_ = 0, xs_ = 0, ws_ = 0, mux_ = 0;
};

}  // namespace memtile::core::rtlref
