// Operand quantisation and bit slicing (docs/model.md §3).
//  - integer: per-vector max-abs scaling to signed integers of `bits` bits (range +-(2^(bits-1)-1));
//  - floating point: per-vector block exponent e (max|x|/2^e in [1,2), e clipped to bw_e bits),
//    aligned values in two's-complement fixed point with two integer bits and F fraction bits;
//  - slicing: two's-complement integers cut into unsigned slices from the MSB. A 1-bit MSB
//    slice is the sign bit and carries weight -2^(n-1). A wider MSB slice keeps positive
//    weight and the sign bit is applied as one extra 1-bit slice of weight -2^n, which is
//    exact for any widths (mPimPy negates the whole MSB slice, which is only right for 1 bit).
#pragma once
#include <Eigen/Dense>
#include <vector>

namespace memtile::core {

struct Slice {
  int bits = 1;         // width; the slice holds 0 .. 2^bits-1
  int shift = 0;        // position of its LSB in the unsigned two's-complement word
  bool sign = false;    // the extra sign slice (value = 1 for negative numbers)
  double weight = 1.0;  // signed weight of one unit of this slice in the integer
  int levels_max() const { return (1 << bits) - 1; }
};

struct SlicePlan {
  int total_bits = 0;   // width of the two's-complement integer
  std::vector<Slice> slices;
  // Offset binary (biased) plans: the integer q is stored as q + offset (offset = 2^(n-1)), all
  // slices unsigned with positive weight; the product then carries offset x sum(x), which is
  // subtracted digitally (ProgrammedMatrix::finish_block). 0 for two's complement / magnitude.
  long long offset = 0;
};

// Slices of a two's-complement word with the given widths (MSB first).
SlicePlan make_slice_plan(const std::vector<int>& widths);
// Slices of the magnitude of a sign-magnitude word of sum(widths) bits: the sign bit is
// dropped from the MSB slice and every slice is unsigned with positive weight.
SlicePlan make_magnitude_plan(const std::vector<int>& widths);
// Slices of the offset-binary word q + 2^(n-1) of n = sum(widths) bits (ISAAC's biased
// encoding): every slice unsigned with positive weight, no sign slice.
SlicePlan make_offset_plan(const std::vector<int>& widths);

// Value of slice s of the two's-complement integer q (|q| < 2^(total_bits-1)).
inline double slice_value(double q, const SlicePlan& plan, const Slice& s) {
  const long long qi = static_cast<long long>(q);
  if (s.sign) return qi < 0 ? 1.0 : 0.0;
  const unsigned long long mask = plan.total_bits >= 64 ? ~0ULL : ((1ULL << plan.total_bits) - 1);
  const unsigned long long u = static_cast<unsigned long long>(qi + plan.offset) & mask;
  return static_cast<double>((u >> s.shift) & ((1ULL << s.bits) - 1));
}

// Integers of a block of vectors and the scale that maps them back: x ~= scale * q.
struct QuantisedBlock {
  Eigen::MatrixXd q;      // integers stored as double
  Eigen::VectorXd scale;  // one per vector (row or column, see `by_rows`)
};

// Symmetric integer quantisation, one scale per row (by_rows) or per column of `x`:
// q = round(x / s), s = max|x| / qmax, clamped to +-qmax. All-zero vectors get scale 0.
QuantisedBlock quantise_int(const Eigen::Ref<const Eigen::MatrixXd>& x, double qmax, bool by_rows);
// The same into the caller's buffers: q (x's shape, may be a block of a larger matrix) and
// scale (resized; no allocation when it has the size). The engine's encoding path uses it.
void quantise_int(const Eigen::Ref<const Eigen::MatrixXd>& x, double qmax, bool by_rows, Eigen::Ref<Eigen::MatrixXd> q,
                  Eigen::VectorXd& scale);

// Block floating point: per vector e = floor(log2 max|x|) clipped to [-2^(bw_e-1), 2^(bw_e-1)-1],
// q = round(x * 2^(F-e)) clamped to +-(2^(F+1)-1), scale = 2^(e-F).
QuantisedBlock quantise_fp(const Eigen::Ref<const Eigen::MatrixXd>& x, int fraction_bits, int bw_e,
                           bool by_rows);
void quantise_fp(const Eigen::Ref<const Eigen::MatrixXd>& x, int fraction_bits, int bw_e, bool by_rows,
                 Eigen::Ref<Eigen::MatrixXd> q, Eigen::VectorXd& scale);  // into the caller's buffers

// Round to nearest, ties to even: (x + 1.5*2^52) - 1.5*2^52 under the default rounding mode
// (exact for |x| < 2^51; not folded, as we never build with -ffast-math). Vectorisable; one
// home for the trick, for scalars and for Eigen array expressions alike.
constexpr double kRoundEvenMagic = 6755399441055744.0;  // 1.5 * 2^52
inline double round_even(double x) {
  const double t = x + kRoundEvenMagic;
  return t - kRoundEvenMagic;
}
template <typename Derived>
auto round_even(const Eigen::ArrayBase<Derived>& x) {
  return (x + kRoundEvenMagic) - kRoundEvenMagic;
}

}  // namespace memtile::core
