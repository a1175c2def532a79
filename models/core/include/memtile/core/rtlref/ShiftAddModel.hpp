// Bit-exact reference model of rtl/memtile_shift_add.v (docs/rtl.md). Pure C++, no SystemC.
//
// Per clock: clear (or reset) zeroes every lane and overflow flag; otherwise, when valid and
// lane < lanes, acc[lane] = sat(acc[lane] + (neg ? -1 : 1) * code * mult * 2^shift), where
// sat clamps to the acc_w-bit two's-complement range and sets the lane's sticky flag.
// Inputs are taken as raw port bits and truncated to the port widths, like the RTL.
#pragma once
#include <algorithm>
#include <cstdint>
#include <vector>

#include "memtile/core/rtlref/Bits.hpp"

namespace memtile::core::rtlref {

struct ShiftAddParams {  // Verilog parameters of memtile_shift_add
  int code_w = 16, mult_w = 32, shift_w = 7, acc_w = 64, lanes = 8, lane_w = 3;
  void validate() const {
    require_param(code_w >= 2 && mult_w >= 1 && code_w + mult_w <= 64, "shift-add: code_w + mult_w must be <= 64");
    require_param(acc_w >= code_w + mult_w && acc_w <= 64, "shift-add: acc_w must be in [code_w + mult_w, 64]");
    require_param(shift_w >= 1 && shift_w < 32, "shift-add: shift_w must be in 1..31");
    require_param(lanes >= 1 && lane_w >= 1 && lane_w < 32 && (1LL << lane_w) >= lanes, "shift-add: lanes / lane_w");
  }
};

class ShiftAddModel {
 public:
  struct Inputs {
    bool rst_n = true, clear = false, valid = false, neg = false;
    std::uint64_t lane = 0, code = 0, mult = 0, shift = 0;  // raw port bits
  };

  explicit ShiftAddModel(const ShiftAddParams& p = {}) : p_(p), acc_(p.lanes, 0), ovf_(p.lanes, false) {
    p_.validate();
  }
  const ShiftAddParams& params() const { return p_; }

  // The accumulator after one update (the combinational datapath of the RTL).
  static std::int64_t update(const ShiftAddParams& p, std::int64_t acc, std::uint64_t code_bits,
                             std::uint64_t mult_bits, std::uint64_t shift_bits, bool neg, bool* overflow) {
    const __int128 prod = static_cast<__int128>(sign_extend(code_bits, p.code_w)) *
                          static_cast<__int128>(mask_bits(mult_bits, p.mult_w));
    return saturating_shift_add(acc, neg ? -prod : prod, static_cast<unsigned>(mask_bits(shift_bits, p.shift_w)),
                                p.acc_w, overflow);
  }

  // One rising clock edge with these inputs.
  void clock(const Inputs& in) {
    if (!in.rst_n || in.clear) {
      std::fill(acc_.begin(), acc_.end(), 0);
      std::fill(ovf_.begin(), ovf_.end(), false);
      return;
    }
    const std::uint64_t lane = mask_bits(in.lane, p_.lane_w);
    if (!in.valid || lane >= static_cast<std::uint64_t>(p_.lanes)) return;
    bool o = false;
    acc_[lane] = update(p_, acc_[lane], in.code, in.mult, in.shift, in.neg, &o);
    if (o) ovf_[lane] = true;
  }

  // Read port (combinational): 0 / false for lanes out of range.
  std::int64_t acc(std::uint64_t rd_lane) const {
    rd_lane = mask_bits(rd_lane, p_.lane_w);
    return rd_lane < acc_.size() ? acc_[rd_lane] : 0;
  }
  bool ovf(std::uint64_t rd_lane) const {
    rd_lane = mask_bits(rd_lane, p_.lane_w);
    return rd_lane < ovf_.size() ? static_cast<bool>(ovf_[rd_lane]) : false;
  }
  bool any_ovf() const {
    for (bool o : ovf_) if (o) return true;
    return false;
  }

 private:
  ShiftAddParams p_;
  std::vector<std::int64_t> acc_;
  std::vector<char> ovf_;
};

}  // namespace memtile::core::rtlref
