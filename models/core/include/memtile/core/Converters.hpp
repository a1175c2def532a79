// Numeric behaviour of the data converters. The SystemC Dac/Adc modules add time and energy
// around exactly these functions, so both layers give the same numbers.
#pragma once
#include <algorithm>

#include "memtile/core/Quantiser.hpp"

namespace memtile::core {

// DAC with `levels` uniformly spaced outputs over [0, vread] (unsigned slices) or over
// [-vread, vread] (signed inputs of the differential-pair engine).
struct DacQuantiser {
  int levels = 256;
  double vread = 0.1;
  // Voltage for slice value u of a slice whose full scale is levels_max (u in 0..levels_max).
  double unsigned_voltage(double u, double levels_max) const {
    const double steps = levels - 1;
    return vread * round_even(u / levels_max * steps) / steps;
  }
  // Voltage for a signed integer u in [-qmax, qmax] (qmax = signed_qmax()).
  double signed_voltage(double u) const { return vread * u / signed_qmax(); }
  double signed_qmax() const { return std::max(1, (levels - 1) / 2); }
};

// Signed mid-tread ADC with `levels` codes: code = round(x * half) clipped to
// [-half, levels-1-half], half = levels/2, where x = I / I_fullscale. Codes outside full
// scale clip, as the hardware does.
struct AdcQuantiser {
  int levels = 1024;
  int half() const { return levels / 2; }
  double code(double x_over_fs) const {
    const double c = round_even(x_over_fs * half());
    return std::min(static_cast<double>(levels - 1 - half()), std::max(-static_cast<double>(half()), c));
  }
};

}  // namespace memtile::core
