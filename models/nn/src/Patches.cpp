// The im2col layout (Ops.hpp, copy_patches). Built with -fno-tree-loop-distribute-patterns (GCC):
// the patches' short runs and zero paddings (5-28 elements for LeNet-5) stay inline vector
// loops instead of becoming memcpy/memset calls, whose call overhead was a third of the copy.
#include <algorithm>
#include <vector>

#include "Ops.hpp"

namespace memtile::nn::detail {

void copy_patches(const Window& win, const Tensor& x, std::int64_t group, std::int64_t Cg, std::int64_t first,
                  std::int64_t count, double* out, std::int64_t ld) {
  const std::int64_t C = x.dim(1), P = win.out_size(), isz = win.in_size();
  const std::int64_t n2 = win.out[2], plane = win.out[1] * n2, s2 = win.s[2];
  // Per column (channel c of the group, k0, k1, k2), computed once per call: the offset of the
  // element output 0 of a row reads (output o reads base + offset + o * s2, base below), its
  // offsets along axes 0 and 1 (for the padding checks) and the outputs [lo, hi) of a row that
  // read inside the input along the last axis (output o reads element i2_0 + o * s2 of the
  // input row), the rest padding.
  struct Column {
    std::int64_t offset, dk0, dk1, lo, hi;
  };
  // Per-thread, reused: this runs once per 32-row task of the engine (1700 times a LeNet-5
  // batch), and an allocation per call went to glibc's shared arena (conv2's 150 columns are
  // past its per-thread cache), whose lock the threads then contended for.
  thread_local std::vector<Column> cols;
  cols.clear();
  cols.reserve(static_cast<std::size_t>(Cg * win.k_size()));
  // A run whose outputs o2 lie in [lo_max, hi_min) reads inside the input along the last axis
  // in every column.
  std::int64_t lo_max = 0, hi_min = n2;
  for (std::int64_t c = 0; c < Cg; ++c)
    for (std::int64_t k0 = 0; k0 < win.k[0]; ++k0)
      for (std::int64_t k1 = 0; k1 < win.k[1]; ++k1)
        for (std::int64_t k2 = 0; k2 < win.k[2]; ++k2) {
          const std::int64_t dk0 = k0 * win.d[0], dk1 = k1 * win.d[1], i2_0 = -win.pb[2] + k2 * win.d[2];
          const std::int64_t lo = std::min(n2, i2_0 >= 0 ? 0 : (-i2_0 + s2 - 1) / s2);
          const std::int64_t hi = std::max(lo, std::min(n2, win.in[2] - i2_0 <= 0 ? 0 : (win.in[2] - i2_0 + s2 - 1) / s2));
          cols.push_back({c * isz + (dk0 * win.in[1] + dk1) * win.in[2] + i2_0, dk0, dk1, lo, hi});
          lo_max = std::max(lo_max, lo);
          hi_min = std::min(hi_min, hi);
        }
  // A run whose outputs read inside the input in every column (no padding: all of LeNet-5's
  // second convolution, the inner rows of the first) takes the short loop below: one contiguous
  // or strided copy per column, no bounds.
  const std::int64_t dk0_max = (win.k[0] - 1) * win.d[0], dk1_max = (win.k[1] - 1) * win.d[1];
  // Runs of consecutive rows along the last output axis (at most one output row each); for each
  // run, every column of the patch matrix.
  for (std::int64_t v = first, end = first + count; v < end;) {
    const std::int64_t b = v / P, p = v % P;
    const std::int64_t o0 = p / plane, o1 = (p % plane) / n2, o2 = p % n2;
    const std::int64_t run = std::min(n2 - o2, end - v), o_end = o2 + run;
    const std::int64_t i0b = o0 * win.s[0] - win.pb[0], i1b = o1 * win.s[1] - win.pb[1];
    // Index of the input element output o reads in a column: base + column offset + o * s2.
    const std::int64_t base = (b * C + group * Cg) * isz + (i0b * win.in[1] + i1b) * win.in[2];
    double* dst = out + (v - first);
    if (i0b >= 0 && i0b + dk0_max < win.in[0] && i1b >= 0 && i1b + dk1_max < win.in[1] && o2 >= lo_max &&
        o_end <= hi_min) {
      const double* xb = x.data.data() + base + o2 * s2;
      for (const Column& col : cols) {
        const double* s = xb + col.offset;
        if (s2 == 1)
          for (std::int64_t o = 0; o < run; ++o) dst[o] = s[o];
        else
          for (std::int64_t o = 0; o < run; ++o) dst[o] = s[o * s2];
        dst += ld;
      }
      v += run;
      continue;
    }
    for (const Column& col : cols) {
      double* d = dst;
      dst += ld;
      const std::int64_t i0 = i0b + col.dk0, i1 = i1b + col.dk1;
      if (i0 < 0 || i0 >= win.in[0] || i1 < 0 || i1 >= win.in[1]) {
        for (std::int64_t o = 0; o < run; ++o) d[o] = 0.0;
        continue;
      }
      // [o2, o_end): inside the row over [r0, r1), padding around it.
      const std::int64_t r0 = std::min(std::max(col.lo, o2), o_end), r1 = std::max(r0, std::min(col.hi, o_end));
      for (std::int64_t o = 0; o < r0 - o2; ++o) d[o] = 0.0;
      const double* s = x.data.data() + (base + col.offset + r0 * s2);  // output r0's element
      double* dr = d + (r0 - o2);
      if (s2 == 1)
        for (std::int64_t o = 0; o < r1 - r0; ++o) dr[o] = s[o];
      else
        for (std::int64_t o = 0; o < r1 - r0; ++o) dr[o] = s[o * s2];
      for (std::int64_t o = r1 - o2; o < run; ++o) d[o] = 0.0;
    }
    v += run;
  }
}

}  // namespace memtile::nn::detail
