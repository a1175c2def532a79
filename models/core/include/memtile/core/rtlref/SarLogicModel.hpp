// Bit-exact reference model of rtl/memtile_sar_logic.v and the comparator of the analog model
// (docs/rtl.md). Pure C++, no SystemC.
//
// Registers sar, mask (one-hot trial bit), busy, done, code_u. dac_code = sar | mask. Per clock:
//   idle:  start -> busy, sar = 0, mask = 1 << (nbits_eff - 1)
//   busy:  keep = cmp && dac_code < levels; sar = keep ? dac_code : sar; mask >>= 1;
//          when the old mask was bit 0: busy = 0, done = 1 (one clock), code_u = new sar.
// code_s = (code_u - levels/2) mod 2^nmax. nbits_eff = clamp(nbits, 1, nmax).
#pragma once
#include <cmath>
#include <cstdint>

#include "memtile/core/rtlref/Bits.hpp"

namespace memtile::core::rtlref {

struct SarParams {  // Verilog parameters of memtile_sar_logic
  int nmax = 16, nb_w = 5;
  void validate() const {
    require_param(nmax >= 1 && nmax <= 31, "sar: nmax must be in 1..31");
    require_param(nb_w >= 1 && nb_w < 32 && (1LL << nb_w) > nmax, "sar: nb_w must hold nmax");
  }
};

// How the comparator resolves an input exactly on a threshold.
enum class TieRule {
  AtOrAbove,  // cmp = t >= threshold: ties round half up (a plain comparator)
  HalfEven,   // ties go to the even code: reproduces AdcQuantiser (round_even) exactly
};

// Comparator of the analog model: is the held input t (in LSB units, t = I/I_fs * levels/2)
// at or above the threshold of trial code dac_code, (dac_code - levels/2 - 0.5)? Thresholds
// are exact in double for levels < 2^52.
inline bool sar_comparator(double t_lsb, std::uint64_t dac_code, std::uint64_t levels, TieRule rule) {
  const std::int64_t code = static_cast<std::int64_t>(dac_code) - static_cast<std::int64_t>(levels / 2);
  const double threshold = static_cast<double>(code) - 0.5;
  if (t_lsb != threshold) return t_lsb > threshold;
  return rule == TieRule::AtOrAbove || (code % 2 == 0);  // the code above the tie is even
}

class SarLogicModel {
 public:
  struct Inputs {
    bool rst_n = true, start = false, cmp = false;
    std::uint64_t levels = 1024, nbits = 10;  // raw port bits
  };

  explicit SarLogicModel(const SarParams& p = {}) : p_(p) { p_.validate(); }
  const SarParams& params() const { return p_; }

  // Outputs (dac_code and code_s are combinational in the RTL).
  std::uint64_t dac_code() const { return sar_ | mask_; }
  bool busy() const { return busy_; }
  bool done() const { return done_; }
  std::uint64_t code_u() const { return code_u_; }
  std::uint64_t code_s_bits(std::uint64_t levels) const {
    const std::uint64_t half = mask_bits(levels, p_.nmax + 1) >> 1;
    return mask_bits(code_u_ - half, p_.nmax);
  }
  std::int64_t code_s(std::uint64_t levels) const { return sign_extend(code_s_bits(levels), p_.nmax); }

  void clock(const Inputs& in) {
    if (!in.rst_n) {
      busy_ = done_ = false;
      sar_ = mask_ = code_u_ = 0;
      return;
    }
    const std::uint64_t levels = mask_bits(in.levels, p_.nmax + 1);
    done_ = false;
    if (!busy_) {
      if (in.start) {
        std::uint64_t nb = mask_bits(in.nbits, p_.nb_w);
        if (nb == 0) nb = 1;
        if (nb > static_cast<std::uint64_t>(p_.nmax)) nb = static_cast<std::uint64_t>(p_.nmax);
        busy_ = true;
        sar_ = 0;
        mask_ = 1ULL << (nb - 1);
      }
      return;
    }
    const bool keep = in.cmp && dac_code() < levels;
    const std::uint64_t next = keep ? dac_code() : sar_;
    const bool last = (mask_ & 1ULL) != 0;
    sar_ = next;
    mask_ >>= 1;
    if (last) {
      busy_ = false;
      done_ = true;
      code_u_ = next;
    }
  }

  // A whole conversion of input t through the comparator; returns the signed code and the
  // clocks from start to done (nbits_eff + 1).
  std::int64_t convert(double t_lsb, std::uint64_t levels, std::uint64_t nbits, TieRule rule, int* clocks = nullptr) {
    Inputs in;
    in.levels = levels;
    in.nbits = nbits;
    in.start = true;
    int n = 0;
    do {
      in.cmp = sar_comparator(t_lsb, dac_code(), levels, rule);
      clock(in);
      in.start = false;
      ++n;
    } while (!done_);
    if (clocks) *clocks = n;
    return code_s(levels);
  }

  // Bits a SAR needs for `levels` codes: ceil(log2(levels)).
  static std::uint64_t bits_for(std::uint64_t levels) {
    std::uint64_t b = 0;
    while ((1ULL << b) < levels) ++b;
    return b == 0 ? 1 : b;
  }

 private:
  SarParams p_;
  bool busy_ = false, done_ = false;
  std::uint64_t sar_ = 0, mask_ = 0, code_u_ = 0;
};

}  // namespace memtile::core::rtlref
