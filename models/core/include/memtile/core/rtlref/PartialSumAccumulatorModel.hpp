// Bit-exact reference model of rtl/memtile_accumulator.v (docs/rtl.md). Pure C++, no SystemC.
//
// Per clock: clear (or reset) zeroes every lane and overflow flag; otherwise, when valid and
// lane < lanes, acc[lane] = sat(acc[lane] + psum * 2^shift), sat clamping to the acc_w-bit
// two's-complement range and setting the lane's sticky flag. Raw port bits in, like the RTL.
#pragma once
#include <algorithm>
#include <cstdint>
#include <vector>

#include "memtile/core/rtlref/Bits.hpp"

namespace memtile::core::rtlref {

struct AccumulatorParams {  // Verilog parameters of memtile_accumulator
  int in_w = 64, shift_w = 6, acc_w = 64, lanes = 8, lane_w = 3;
  void validate() const {
    require_param(in_w >= 1 && in_w <= 64, "accumulator: in_w must be in 1..64");
    require_param(acc_w >= 2 && acc_w <= 64, "accumulator: acc_w must be in 2..64");
    require_param(shift_w >= 1 && shift_w < 32, "accumulator: shift_w must be in 1..31");
    require_param(lanes >= 1 && lane_w >= 1 && lane_w < 32 && (1LL << lane_w) >= lanes, "accumulator: lanes / lane_w");
  }
};

class PartialSumAccumulatorModel {
 public:
  struct Inputs {
    bool rst_n = true, clear = false, valid = false;
    std::uint64_t lane = 0, psum = 0, shift = 0;  // raw port bits
  };

  explicit PartialSumAccumulatorModel(const AccumulatorParams& p = {})
      : p_(p), acc_(p.lanes, 0), ovf_(p.lanes, false) {
    p_.validate();
  }
  const AccumulatorParams& params() const { return p_; }

  static std::int64_t update(const AccumulatorParams& p, std::int64_t acc, std::uint64_t psum_bits,
                             std::uint64_t shift_bits, bool* overflow) {
    return saturating_shift_add(acc, sign_extend(psum_bits, p.in_w),
                                static_cast<unsigned>(mask_bits(shift_bits, p.shift_w)), p.acc_w, overflow);
  }

  void clock(const Inputs& in) {
    if (!in.rst_n || in.clear) {
      std::fill(acc_.begin(), acc_.end(), 0);
      std::fill(ovf_.begin(), ovf_.end(), false);
      return;
    }
    const std::uint64_t lane = mask_bits(in.lane, p_.lane_w);
    if (!in.valid || lane >= static_cast<std::uint64_t>(p_.lanes)) return;
    bool o = false;
    acc_[lane] = update(p_, acc_[lane], in.psum, in.shift, &o);
    if (o) ovf_[lane] = true;
  }

  std::int64_t acc(std::uint64_t rd_lane) const {
    rd_lane = mask_bits(rd_lane, p_.lane_w);
    return rd_lane < acc_.size() ? acc_[rd_lane] : 0;
  }
  bool ovf(std::uint64_t rd_lane) const {
    rd_lane = mask_bits(rd_lane, p_.lane_w);
    return rd_lane < ovf_.size() ? static_cast<bool>(ovf_[rd_lane]) : false;
  }
  bool any_ovf() const { return std::any_of(ovf_.begin(), ovf_.end(), [](char o) { return o != 0; }); }

 private:
  AccumulatorParams p_;
  std::vector<std::int64_t> acc_;
  std::vector<char> ovf_;
};

}  // namespace memtile::core::rtlref
