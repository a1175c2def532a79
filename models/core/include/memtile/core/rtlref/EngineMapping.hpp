// How the bit-sliced engine's digital recombination maps onto the RTL shift-add (docs/rtl.md).
//
// For one row block kb, every (input slice i, weight slice j) read yields ADC codes c_ij and the
// engine adds  weight_i * weight_j * c_ij * cv_ij  with cv_ij = fs/half / (vread*(HGS-LGS)/(Lx_i*Lw_j)).
// When all slices and columns share one full scale fs, cv_ij = unit * Lx_i*Lw_j with
// unit = fs / (half * vread*(HGS-LGS)), and the engine's accumulator is unit times the integer
//   S = sum_ij (neg_ij ? -1 : 1) * c_ij * (Lx_i*Lw_j) << (shift_i + shift_j)
// that memtile_shift_add computes. IntegerForm gives the controller's slice table and tells
// whether the double-precision engine equals unit * S bit for bit.
#pragma once
#include <Eigen/Dense>
#include <cstdint>
#include <string>
#include <vector>

#include "memtile/core/MatrixEngine.hpp"

namespace memtile::core::rtlref {

struct SliceControl {  // one entry of the tile controller's slice table
  std::uint32_t lmax = 0;   // levels_max: Lx_i or Lw_j
  std::uint32_t shift = 0;  // bit position: |weight| = 2^shift
  bool neg = false;         // weight < 0
};

struct IntegerForm {
  std::vector<SliceControl> x, w;  // input and weight slices, in the engine's order
  bool applicable = false;  // one common full scale: engine acc = unit * S up to rounding
  double unit = 0.0;        // value of one unit of S in the engine's accumulator
  bool unit_pow2 = false;   // unit is a power of two
  bool code_values_exact = false;  // every engine code value cv_ij == unit * Lx_i*Lw_j exactly
  double max_abs_s = 0.0;   // bound on |S| (all codes at -half)
  // applicable && unit_pow2 && code_values_exact && max_abs_s < 2^53: the engine's double
  // accumulator equals unit * S bit for bit, in any summation order.
  bool exact = false;
  std::string reason;       // why not exact (empty when exact)
};

// The integer form of row block kb (bit-sliced, fp and diff-pair hardware modes).
IntegerForm integer_form(const ProgrammedMatrix& pm, int kb);

// The engine's code value cv_ij of (row block kb, weight slice j, input slice i) for column
// `col`, computed with the same operations as ProgrammedMatrix::convert().
double engine_code_value(const ProgrammedMatrix& pm, int kb, int j, int i, Eigen::Index col);

// The comparator input of every column: t = I * (half / fs), in ADC LSBs (B x padded_cols).
Eigen::MatrixXd adc_lsb_values(const ProgrammedMatrix& pm, int kb, int j, const Eigen::MatrixXd& I);

}  // namespace memtile::core::rtlref
