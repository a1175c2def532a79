// Numeric behaviour of the data converters. The SystemC Dac/Adc modules add time and energy
// around exactly these functions, so both layers give the same numbers.
#pragma once
#include <algorithm>

#include "memtile/core/Quantiser.hpp"

namespace memtile::core {

// DAC with `levels` uniformly spaced outputs over [0, vread] (unsigned slices) or over
// [-vread, vread] (signed inputs of the differential-pair engine). sign_magnitude: the signed
// input is a sign and a magnitude of `levels` levels (mPimPy's differential-pair inputs,
// +-(levels-1) steps) instead of `levels` outputs spread over both polarities.
struct DacQuantiser {
  int levels = 256;
  double vread = 0.1;
  bool sign_magnitude = false;
  // Voltage for slice value u of a slice whose full scale is levels_max (u in 0..levels_max).
  double unsigned_voltage(double u, double levels_max) const {
    const double steps = levels - 1;
    return vread * round_even(u / levels_max * steps) / steps;
  }
  // The same for every element of an array expression (the same operations: the same bits).
  template <typename Derived>
  auto unsigned_voltage(const Eigen::ArrayBase<Derived>& u, double levels_max) const {
    const double steps = levels - 1;
    return vread * round_even(u / levels_max * steps) / steps;
  }
  // Voltage for a signed integer u in [-qmax, qmax] (qmax = signed_qmax()).
  double signed_voltage(double u) const { return vread * u / signed_qmax(); }
  template <typename Derived>
  auto signed_voltage(const Eigen::ArrayBase<Derived>& u) const {
    return vread * u / static_cast<double>(signed_qmax());
  }
  double signed_qmax() const { return sign_magnitude ? levels - 1 : std::max(1, (levels - 1) / 2); }
};

// The ADC's transfer function, one home for every converter of the model (the engine's fused
// conversion loop, its adc_codes() that the SystemC Adc reports, AdcQuantiser): the input in
// LSBs rounded to the nearest code, ties to the EVEN code (round half to even, not half away
// from zero; the SAR logic model's HalfEven option reproduces it), then clipped to [lo, hi].
inline double adc_code(double x_lsb, double lo, double hi) { return std::min(hi, std::max(lo, round_even(x_lsb))); }
template <typename Derived>
auto adc_code(const Eigen::ArrayBase<Derived>& x_lsb, double lo, double hi) {
  return round_even(x_lsb).max(lo).min(hi);
}

// Signed mid-tread ADC with `levels` codes: code = round(x * half) clipped to
// [-half, levels-1-half], half = levels/2, where x = I / I_fullscale. Codes outside full
// scale clip, as the hardware does.
// sign_magnitude (mPimPy's converters): `levels` codes on the magnitude, levels-1 steps per
// full scale, plus a sign: code = round(x * (levels-1)) clipped to +-(levels-1); twice the
// resolution of the mid-tread ADC with the same `levels` (one more bit, the sign).
struct AdcQuantiser {
  int levels = 1024;
  bool sign_magnitude = false;
  int half() const { return levels / 2; }
  int codes_per_full_scale() const { return sign_magnitude ? levels - 1 : half(); }
  int lowest_code() const { return sign_magnitude ? -(levels - 1) : -half(); }
  int highest_code() const { return sign_magnitude ? levels - 1 : levels - 1 - half(); }
  double code(double x_over_fs) const {
    return adc_code(x_over_fs * codes_per_full_scale(), static_cast<double>(lowest_code()), static_cast<double>(highest_code()));
  }
};

}  // namespace memtile::core
