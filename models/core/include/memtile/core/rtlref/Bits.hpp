// Bit-level helpers shared by the RTL reference models (rtl/, docs/rtl.md).
#pragma once
#include <cstdint>
#include <stdexcept>
#include <string>

namespace memtile::core::rtlref {

// The low `w` bits of v (w in 0..64).
inline std::uint64_t mask_bits(std::uint64_t v, int w) { return w >= 64 ? v : (v & ((1ULL << w) - 1)); }

// The low `w` bits of v read as a two's-complement number (w in 1..64).
inline std::int64_t sign_extend(std::uint64_t v, int w) {
  v = mask_bits(v, w);
  if (w < 64 && ((v >> (w - 1)) & 1ULL)) v |= ~((1ULL << w) - 1);
  return static_cast<std::int64_t>(v);
}

// Two's-complement encoding of v in `w` bits (what a Verilog port of width w carries).
inline std::uint64_t to_bits(std::int64_t v, int w) { return mask_bits(static_cast<std::uint64_t>(v), w); }

inline std::int64_t min_signed(int w) { return w >= 64 ? INT64_MIN : -(std::int64_t{1} << (w - 1)); }
inline std::int64_t max_signed(int w) { return w >= 64 ? INT64_MAX : (std::int64_t{1} << (w - 1)) - 1; }

// Saturating acc + t*2^shift into `acc_w` bits: the exact value clamped to the two's-complement
// range; *overflow tells whether it was clamped. Requires |t| <= 2^63 and acc in range.
// For t != 0 and shift >= acc_w the term's magnitude is >= 2^acc_w, beyond any in-range acc,
// so the result is the bound on t's side (the RTL clamps the shift to acc_w: same result).
inline std::int64_t saturating_shift_add(std::int64_t acc, __int128 t, unsigned shift, int acc_w, bool* overflow) {
  const __int128 lo = min_signed(acc_w), hi = max_signed(acc_w);
  if (t != 0 && shift >= static_cast<unsigned>(acc_w)) {
    *overflow = true;
    return static_cast<std::int64_t>(t < 0 ? lo : hi);
  }
  if (t == 0) shift = 0;
  const __int128 v = static_cast<__int128>(acc) + t * (static_cast<__int128>(1) << shift);  // |t*2^shift| <= 2^126
  *overflow = v < lo || v > hi;
  return static_cast<std::int64_t>(v < lo ? lo : (v > hi ? hi : v));
}

inline void require_param(bool ok, const std::string& what) {
  if (!ok) throw std::invalid_argument("rtlref: " + what);
}

}  // namespace memtile::core::rtlref
