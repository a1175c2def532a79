#include "memtile/core/rtlref/EngineMapping.hpp"

#include <cmath>

#include "memtile/core/Errors.hpp"

namespace memtile::core::rtlref {
namespace {

double input_lmax(const ProgrammedMatrix& pm, int i) {
  const EngineConfig& c = pm.config();
  return c.mode == EngineMode::DiffPair ? DacQuantiser{c.rdac, c.vread}.signed_qmax()
                                        : pm.input_plan().slices[i].levels_max();
}
double weight_lmax(const ProgrammedMatrix& pm, int j) {
  const EngineConfig& c = pm.config();
  return c.mode == EngineMode::DiffPair ? c.g_level - 1 : pm.weight_plan().slices[j].levels_max();
}
SliceControl control_of(const Slice& s) {
  SliceControl e;
  e.lmax = static_cast<std::uint32_t>(s.levels_max());
  e.shift = static_cast<std::uint32_t>(s.shift);
  e.neg = s.weight < 0;
  return e;
}

}  // namespace

double engine_code_value(const ProgrammedMatrix& pm, int kb, int j, int i, Eigen::Index col) {
  const EngineConfig& c = pm.config();
  const double fs = pm.block(kb).slices[j].fullscale_a(col);
  const double half = AdcQuantiser{c.radc}.half();
  // as ProgrammedMatrix::adc_scales
  return (fs / (half * (c.vread * (c.HGS - c.LGS)))) * (static_cast<double>(input_lmax(pm, i)) * weight_lmax(pm, j));
}

Eigen::MatrixXd adc_lsb_values(const ProgrammedMatrix& pm, int kb, int j, const Eigen::MatrixXd& I) {
  const double half = AdcQuantiser{pm.config().radc}.half();
  const Eigen::RowVectorXd inv_fs = (half / pm.block(kb).slices[j].fullscale_a.array()).matrix();
  return (I.array().rowwise() * inv_fs.array()).matrix();
}

IntegerForm integer_form(const ProgrammedMatrix& pm, int kb) {
  const EngineConfig& c = pm.config();
  require(!c.software, "rtl", "the software engine has no ADC codes to recombine");
  IntegerForm f;
  const bool diffpair = c.mode == EngineMode::DiffPair;
  if (diffpair) {
    f.x.push_back({static_cast<std::uint32_t>(input_lmax(pm, 0)), 0, false});
    f.w.push_back({static_cast<std::uint32_t>(weight_lmax(pm, 0)), 0, false});
  } else {
    for (const Slice& s : pm.input_plan().slices) f.x.push_back(control_of(s));
    for (const Slice& s : pm.weight_plan().slices) f.w.push_back(control_of(s));
  }
  const ProgrammedRowBlock& blk = pm.block(kb);
  const double fs = blk.slices.front().fullscale_a(0);
  f.applicable = true;
  for (const ProgrammedSlice& ps : blk.slices)
    if ((ps.fullscale_a.array() != fs).any()) f.applicable = false;
  if (!f.applicable) {
    f.reason = "the full scale differs between slices or columns (calibrated ADC): no common unit";
    return f;
  }
  const double half = AdcQuantiser{c.radc}.half();
  f.unit = fs / (half * (c.vread * (c.HGS - c.LGS)));
  int e = 0;
  f.unit_pow2 = std::frexp(f.unit, &e) == 0.5;
  f.code_values_exact = true;
  double sx = 0, sw = 0;
  for (std::size_t i = 0; i < f.x.size(); ++i) sx += f.x[i].lmax * std::ldexp(1.0, static_cast<int>(f.x[i].shift));
  for (std::size_t j = 0; j < f.w.size(); ++j) sw += f.w[j].lmax * std::ldexp(1.0, static_cast<int>(f.w[j].shift));
  for (std::size_t i = 0; i < f.x.size(); ++i)
    for (std::size_t j = 0; j < f.w.size(); ++j)
      if (engine_code_value(pm, kb, static_cast<int>(j), static_cast<int>(i), 0) !=
          f.unit * (static_cast<double>(f.x[i].lmax) * f.w[j].lmax))
        f.code_values_exact = false;
  f.max_abs_s = half * sx * sw;
  if (!f.unit_pow2) f.reason = "unit is not a power of two (e.g. circuit-solved worst-case full scale)";
  else if (!f.code_values_exact) f.reason = "the engine's code value fs/half/per_unit is not exactly unit*Lx*Lw";
  else if (!(f.max_abs_s < 9007199254740992.0)) f.reason = "|S| may reach 2^53";
  f.exact = f.reason.empty();
  return f;
}

}  // namespace memtile::core::rtlref
