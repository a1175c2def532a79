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
  // Voltage for a signed integer u in [-qmax, qmax] (qmax = signed_qmax()).
  double signed_voltage(double u) const { return vread * u / signed_qmax(); }
  double signed_qmax() const { return sign_magnitude ? levels - 1 : std::max(1, (levels - 1) / 2); }
};

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
    const double c = round_even(x_over_fs * codes_per_full_scale());
    return std::min(static_cast<double>(highest_code()), std::max(static_cast<double>(lowest_code()), c));
  }
};

}  // namespace memtile::core
