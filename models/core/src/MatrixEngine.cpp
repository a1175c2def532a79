#include "memtile/core/MatrixEngine.hpp"

#include <atomic>
#include <cmath>
#include <type_traits>
#ifdef __AVX2__
#include <immintrin.h>
#endif

#include "memtile/core/Errors.hpp"
#include "memtile/core/Finite.hpp"
#include "memtile/core/FixedOrderProduct.hpp"
#include "memtile/core/LayerTiling.hpp"
#include "memtile/core/Parallel.hpp"

namespace memtile::core {
namespace {

// Per-thread scratch of row block kb, one per block: the blocks' buffers differ in size (their
// used rows), and one buffer shared by the blocks was reallocated at every change of block,
// each time from glibc's shared arena and its lock (memtile's CLI runs with one arena).
template <typename T>
T& block_scratch(std::vector<T>& per_block, int kb, int blocks) {
  if (per_block.size() < static_cast<std::size_t>(blocks)) per_block.resize(static_cast<std::size_t>(blocks));
  return per_block[static_cast<std::size_t>(kb)];
}

// Keys of the random streams (programming draws and read noise never share a key).
constexpr std::uint64_t kReadNoiseStream = 0x7265616400000000ULL;

std::uint64_t array_key(std::uint64_t program, int kb, int nb, int slice, int polarity) {
  return CounterRng::mix(program * 0x100000001b3ULL ^
                         (static_cast<std::uint64_t>(kb) << 40 | static_cast<std::uint64_t>(nb) << 16 |
                          static_cast<std::uint64_t>(slice) << 4 | static_cast<std::uint64_t>(polarity)));
}

// fp slices: sign (-2), one integer bit (1), then the fraction slices.
std::vector<int> fp_widths(const std::vector<int>& blk) {
  std::vector<int> widths{1, 1};
  widths.insert(widths.end(), blk.begin(), blk.end());
  return widths;
}

#ifdef __AVX2__
// AVX-512 (chosen at run time, like the product kernel): tables of up to 16 levels sit in two
// registers and one two-source permute looks up 8 values, several times cheaper than a gather
// (the same table entries, so the same bits). (GCC 12 warns inside its own headers:
// _mm512_undefined_*() initialises a register from itself on purpose.)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
// One slice's level table (up to 16 entries; masked loads: nothing read past it) and its
// lookup of 8 words q (integers held as double): table[(int32(q) >> shift) & mask], lanes
// outside `k` zero.
struct PermuteTable {
  __m512d lo, hi;
  __m128i count;
  __m256i m;
  __attribute__((target("avx512f"))) PermuteTable(const double* table, int shift, std::int32_t mask) {
    const int n = mask + 1;
    lo = _mm512_maskz_loadu_pd(static_cast<__mmask8>(n >= 8 ? 0xFF : (1u << n) - 1), table);
    hi = n > 8 ? _mm512_maskz_loadu_pd(static_cast<__mmask8>((1u << (n - 8)) - 1), table + 8) : _mm512_setzero_pd();
    count = _mm_cvtsi32_si128(shift);
    m = _mm256_set1_epi32(mask);
  }
  __attribute__((target("avx512f"))) __m512d lookup(__m512d q, __mmask8 k = 0xFF) const {
    const __m256i qi = _mm512_cvttpd_epi32(q);
    const __m512i idx = _mm512_cvtepi32_epi64(_mm256_and_si256(_mm256_sra_epi32(qi, count), m));
    return _mm512_maskz_permutex2var_pd(k, lo, idx, hi);
  }
};

// dac_table_lookup's AVX-512 part: returns the values done.
__attribute__((target("avx512f"))) Eigen::Index dac_table_permute(const double* q, Eigen::Index B, int shift,
                                                                 std::int32_t mask, const double* table, double* out) {
  if (mask > 15) return 0;
  const PermuteTable t(table, shift, mask);
  Eigen::Index b = 0;
  for (; b + 8 <= B; b += 8) _mm512_storeu_pd(out + b, t.lookup(_mm512_loadu_pd(q + b)));
  return b;
}
#pragma GCC diagnostic pop
#endif

// out[b] = table[(int32(q[b]) >> shift) & mask] for b < B: the DAC level of one input slice.
// GCC does not vectorise the lookup for x86-64-v3's generic tuning (no gathers), hence the
// permutes above or AVX2's gather by hand; q holds integers, so truncation is exact.
void dac_table_lookup(const double* q, Eigen::Index B, int shift, std::int32_t mask, const double* table, double* out) {
  Eigen::Index b = 0;
#ifdef __AVX2__
  if (cpu_has_avx512()) b = dac_table_permute(q, B, shift, mask, table, out);
  const __m128i count = _mm_cvtsi32_si128(shift);
  const __m128i m = _mm_set1_epi32(mask);
  const __m256d all = _mm256_castsi256_pd(_mm256_set1_epi64x(-1));
  if (mask == 1) {  // 0 or 1: the level of 1 times u (0 x level = +0, table[0]), no gather
    const __m256d one = _mm256_set1_pd(table[1]);
    for (; b + 4 <= B; b += 4) {
      const __m128i qi = _mm256_cvttpd_epi32(_mm256_loadu_pd(q + b));
      const __m256d u = _mm256_cvtepi32_pd(_mm_and_si128(_mm_sra_epi32(qi, count), m));
      _mm256_storeu_pd(out + b, _mm256_mul_pd(u, one));
    }
  }
  for (; b + 4 <= B; b += 4) {
    const __m128i qi = _mm256_cvttpd_epi32(_mm256_loadu_pd(q + b));
    const __m128i idx = _mm_and_si128(_mm_sra_epi32(qi, count), m);
    _mm256_storeu_pd(out + b, _mm256_mask_i32gather_pd(_mm256_setzero_pd(), table, idx, all, 8));
  }
#endif
  for (; b < B; ++b) out[b] = table[(static_cast<std::int32_t>(q[b]) >> shift) & mask];
}

#ifdef __AVX2__
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
// dac_lookup_float with dac_table_permute's lookup: every column at once, the sums kept in
// registers (lane = vector mod 8 as squared_drive_per_row adds them; multiply, then add: the
// build does not contract; a short tail adds +0 to the lanes past B, which changes no sum)
// and combined in its tree by in-register adds of the same pairs. False when the table does
// not fit (mask > 15).
__attribute__((target("avx512f"))) bool dac_permute_float(const double* q, Eigen::Index ldq, Eigen::Index B,
                                                         Eigen::Index cols, int shift, std::int32_t mask,
                                                         const double* table, float* out_f, Eigen::Index ldo,
                                                         double* v2) {
  if (mask > 15) return false;
  const PermuteTable t(table, shift, mask);
  const __mmask8 tail = static_cast<__mmask8>((1u << (B % 8)) - 1);
  for (Eigen::Index col = 0; col < cols; ++col) {
    const double* qc = q + col * ldq;
    float* oc = out_f + col * ldo;
    __m512d acc = _mm512_setzero_pd();
    Eigen::Index b = 0;
    for (; b + 8 <= B; b += 8) {
      const __m512d v = t.lookup(_mm512_loadu_pd(qc + b));
      acc = _mm512_add_pd(acc, _mm512_mul_pd(v, v));
      _mm256_storeu_ps(oc + b, _mm512_cvtpd_ps(v));
    }
    if (tail) {
      const __m512d v = t.lookup(_mm512_maskz_loadu_pd(tail, qc + b), tail);
      acc = _mm512_add_pd(acc, _mm512_mul_pd(v, v));
      _mm512_mask_storeu_ps(oc + b, static_cast<__mmask16>(tail), _mm512_castps256_ps512(_mm512_cvtpd_ps(v)));
    }
    // ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7)): adjacent lanes, then pairs, then halves.
    const __m512d s01 = _mm512_add_pd(acc, _mm512_permute_pd(acc, 0x55));
    const __m512d s0123 = _mm512_add_pd(s01, _mm512_permutex_pd(s01, 0x4E));
    v2[col] = _mm_cvtsd_f64(_mm_add_sd(_mm512_castpd512_pd128(s0123), _mm256_castpd256_pd128(_mm512_extractf64x4_pd(s0123, 1))));
  }
  return true;
}
#pragma GCC diagnostic pop
#endif

// For each of `cols` columns of q (B values, ldq apart): out_f[b] = float(table[(int32(q[b]) >>
// shift) & mask]) (the voltages the float32 reads take; columns ldo apart) and v2[col] = the
// sum of the squared levels, unrounded, with squared_drive_per_row's bits: one pass instead of
// the lookup, the squares and the cast.
void dac_lookup_float(const double* q, Eigen::Index ldq, Eigen::Index B, Eigen::Index cols, int shift,
                      std::int32_t mask, const double* table, float* out_f, Eigen::Index ldo, double* v2) {
#ifdef __AVX2__
  if (cpu_has_avx512() && dac_permute_float(q, ldq, B, cols, shift, mask, table, out_f, ldo, v2)) return;
#endif
  for (Eigen::Index col = 0; col < cols; ++col) {
    double s[kDriveLanes] = {0, 0, 0, 0, 0, 0, 0, 0};
    for (Eigen::Index b = 0; b < B; ++b) {
      const double v = table[(static_cast<std::int32_t>(q[col * ldq + b]) >> shift) & mask];
      s[b % kDriveLanes] += v * v;
      out_f[col * ldo + b] = static_cast<float>(v);
    }
    v2[col] = combine_drive_lanes(s);
  }
}

SlicePlan plan_for(const EngineConfig& cfg, const std::vector<int>& blk) {
  return make_slice_plan(cfg.mode == EngineMode::FloatingPoint ? fp_widths(blk) : blk);
}

// q (x's shape) and scale of x in the engine's mode, into the caller's buffers.
void quantise(const EngineConfig& cfg, const Eigen::Ref<const Eigen::MatrixXd>& x, const SlicePlan& plan,
              const std::vector<int>& blk, double diffpair_qmax, bool by_rows, Eigen::Ref<Eigen::MatrixXd> q,
              Eigen::VectorXd& scale) {
  switch (cfg.mode) {
    case EngineMode::DiffPair: return quantise_int(x, diffpair_qmax, by_rows, q, scale);
    case EngineMode::FloatingPoint: {
      int f = 0;
      for (int b : blk) f += b;
      return quantise_fp(x, f, cfg.bw_e, by_rows, q, scale);
    }
    case EngineMode::BitSlice: break;
  }
  quantise_int(x, std::ldexp(1.0, plan.total_bits - 1) - 1, by_rows, q, scale);
}

QuantisedBlock quantise(const EngineConfig& cfg, const Eigen::Ref<const Eigen::MatrixXd>& x, const SlicePlan& plan,
                        const std::vector<int>& blk, double diffpair_qmax, bool by_rows) {
  QuantisedBlock out;
  out.q.resize(x.rows(), x.cols());
  quantise(cfg, x, plan, blk, diffpair_qmax, by_rows, out.q, out.scale);
  return out;
}

}  // namespace

double relative_error(const Eigen::MatrixXd& y, const Eigen::MatrixXd& yhat) {
  require(y.rows() == yhat.rows() && y.cols() == yhat.cols(), "relative_error", "shape mismatch");
  const double n = y.norm();
  return n > 0 ? (y - yhat).norm() / n : (y - yhat).norm();
}

// ---------------------------------------------------------------- MatrixEngine

MatrixEngine::MatrixEngine(const EngineConfig& cfg) : cfg_(cfg), rng_(cfg.seed) {
  cfg_.validate();
  device_.HGS = cfg_.HGS;
  device_.LGS = cfg_.LGS;
  device_.var = cfg_.var;
  device_.stuck_at_lgs = cfg_.stuck_at_lgs;
  device_.stuck_at_hgs = cfg_.stuck_at_hgs;
  device_.drift_nu = cfg_.drift_nu;
  device_.drift_t_s = cfg_.drift_t_s;
  device_.drift_t0_s = cfg_.drift_t0_s;
  device_.row_segment_ohm = cfg_.wire_resistance;
  device_.col_segment_ohm = cfg_.wire_resistance;
}

double MatrixEngine::worst_case_fullscale(bool differential) {
  const int r = cfg_.array_rows;
  const double ideal = cfg_.vread * (cfg_.HGS - cfg_.LGS) * r;
  if (device_.ideal_wires()) return ideal;
  double& cached = worst_fs_cache_[differential ? 1 : 0];
  if (cached > 0) return cached;
  // mPimPy computes the ADC reference through the same circuit: every cell at HGS, every row
  // at vread, minus the reference (LGS) column or the G- array.
  DeviceParams nominal = device_;
  nominal.var = 0;
  nominal.stuck_at_lgs = nominal.stuck_at_hgs = 0;
  nominal.drift_nu = 0;
  const Eigen::MatrixXd hgs = Eigen::MatrixXd::Ones(r, cfg_.array_cols);
  Eigen::MatrixXd diff;
  if (differential) {
    const CrossbarArray pos(hgs, 1, nominal, rng_, 0, false);
    const CrossbarArray neg(Eigen::MatrixXd::Zero(r, cfg_.array_cols), 1, nominal, rng_, 0, false);
    diff = pos.effective(nominal) - neg.effective(nominal);
  } else {
    const CrossbarArray a(hgs, 1, nominal, rng_, 0, true);
    const Eigen::MatrixXd e = a.effective(nominal);
    diff = e.leftCols(cfg_.array_cols).colwise() - e.col(cfg_.array_cols);
  }
  cached = cfg_.vread * diff.colwise().sum().maxCoeff();
  return cached;
}

ProgrammedMatrix MatrixEngine::program(const Eigen::MatrixXd& W) {
  require(W.rows() >= 1 && W.cols() >= 1, "weights", "empty matrix");
  require(W.allFinite(), "weights", "contain NaN or Inf");
  ProgrammedMatrix pm;
  pm.cfg_ = cfg_;
  pm.rng_ = rng_;
  pm.program_id_ = programs_++;
  pm.k_ = W.rows();
  pm.n_ = W.cols();
  const int r = cfg_.array_rows, c = cfg_.array_cols;
  // The layer's arrays (docs/mapping.md): packed row blocks of r inputs, column blocks of c.
  pm.tiling_ = LayerTiling(pm.k_, pm.n_, r, c);
  const LayerTiling& tiling = pm.tiling_;
  const int kbs = tiling.row_blocks();
  const Eigen::Index npad = tiling.padded_cols();
  const bool diffpair = cfg_.mode == EngineMode::DiffPair;
  pm.differential_ = diffpair || cfg_.weight_encoding == WeightEncoding::Differential;
  pm.x_plan_ = plan_for(cfg_, cfg_.xblk);
  // Quantisation keeps the two's-complement range; differential arrays hold magnitudes.
  const SlicePlan quant_plan = plan_for(cfg_, cfg_.mblk);
  const bool flip = cfg_.weight_encoding == WeightEncoding::BiasedFlipped;
  const bool biased = flip || cfg_.weight_encoding == WeightEncoding::Biased;
  pm.w_plan_ = pm.differential_ && !diffpair
      ? make_magnitude_plan(cfg_.mode == EngineMode::FloatingPoint ? fp_widths(cfg_.mblk) : cfg_.mblk)
      : biased ? make_offset_plan(cfg_.mblk) : quant_plan;
  pm.dac_ = DacQuantiser{cfg_.rdac, cfg_.vread, cfg_.sign_magnitude_converters};
  pm.adc_ = AdcQuantiser{cfg_.radc, cfg_.sign_magnitude_converters};

  pm.blocks_.resize(kbs);
  // Row blocks are programmed in parallel: each writes only its own block, and every random
  // draw is keyed by its array (array_key), so the thread count changes no bit.
  const double worst = cfg_.software ? 0.0 : worst_case_fullscale(pm.differential_);
  parallel_for(resolve_threads(cfg_.threads), static_cast<std::size_t>(kbs), [&](std::size_t kb_task) {
    const int kb = static_cast<int>(kb_task);
    const BlockRange rows = tiling.rows_of(kb);
    Eigen::MatrixXd wb = Eigen::MatrixXd::Zero(r, npad);
    wb.topLeftCorner(rows.count, pm.n_) = W.middleRows(rows.first, rows.count);
    QuantisedBlock qw = quantise(cfg_, wb, quant_plan, cfg_.mblk, cfg_.g_level - 1, false);
    ProgrammedRowBlock& blk = pm.blocks_[kb];
    blk.w_scale = qw.scale;
    blk.w_int = std::move(qw.q);
    if (cfg_.software) return;

    const int nslices = diffpair ? 1 : static_cast<int>(pm.w_plan_.slices.size());
    blk.slices.resize(nslices);
    for (int j = 0; j < nslices; ++j) {
      ProgrammedSlice& ps = blk.slices[j];
      ps.diff_s.resize(r, npad);
      ps.row_g_sum_s.resize(r, tiling.col_blocks());
      ps.fullscale_a.resize(npad);
      if (flip) ps.flip_sign.resize(npad);
      const int lmax = diffpair ? cfg_.g_level - 1 : pm.w_plan_.slices[j].levels_max();
      for (int nb = 0; nb < tiling.col_blocks(); ++nb) {
        // The whole array of column block nb, its padded columns included.
        const Eigen::Index c0 = tiling.cols_of(nb).first;
        const auto wq = blk.w_int.middleCols(c0, c);
        Eigen::MatrixXd diff;
        if (pm.differential_) {
          Eigen::MatrixXd lp = wq.cwiseMax(0.0), ln = (-wq).cwiseMax(0.0);
          if (!diffpair) {
            const Slice& s = pm.w_plan_.slices[j];
            auto sv = [&](double q) { return slice_value(q, pm.w_plan_, s); };
            lp = lp.unaryExpr(sv).eval();
            ln = ln.unaryExpr(sv).eval();
          }
          const CrossbarArray pos(lp, lmax, device_, rng_, array_key(pm.program_id_, kb, nb, j, 0), false);
          const CrossbarArray neg(ln, lmax, device_, rng_, array_key(pm.program_id_, kb, nb, j, 1), false);
          diff = pos.effective(device_) - neg.effective(device_);
          ps.row_g_sum_s.col(nb) = pos.conductance().rowwise().sum() + neg.conductance().rowwise().sum();
        } else {
          const Slice& s = pm.w_plan_.slices[j];
          Eigen::MatrixXd levels = wq.unaryExpr([&](double q) { return slice_value(q, pm.w_plan_, s); });
          if (flip) {
            // ISAAC's flipped weights: a column whose levels sum to more than half of
            // rows x levels_max stores levels_max - level (the shift-add subtracts its product
            // and finish_block restores levels_max x sum(x)).
            const double half_sum = 0.5 * r * lmax;
            for (int col = 0; col < c; ++col) {
              const bool flipped = levels.col(col).sum() > half_sum;
              if (flipped) levels.col(col) = (lmax - levels.col(col).array()).matrix();
              ps.flip_sign(c0 + col) = flipped ? -1.0 : 1.0;
            }
          }
          const CrossbarArray arr(levels, lmax, device_, rng_, array_key(pm.program_id_, kb, nb, j, 0), true);
          const Eigen::MatrixXd e = arr.effective(device_);
          diff = e.leftCols(c).colwise() - e.col(c);
          ps.row_g_sum_s.col(nb) = arr.conductance().rowwise().sum();
        }
        double fs = worst;
        if (cfg_.adc_full_scale == AdcFullScale::Calibrated) {
          const double cal = cfg_.vread * diff.cwiseAbs().colwise().sum().maxCoeff();
          if (cal > 0) fs = cal;  // an all-zero array keeps the worst-case reference
        }
        ps.diff_s.middleCols(c0, c) = diff;
        ps.fullscale_a.segment(c0, c).setConstant(fs);
      }
      // Padded columns exist in the arrays (and in the energy counts) but their outputs are
      // never observed: keep only the used ones, so reads compute no discarded columns.
      ps.diff_s.conservativeResize(Eigen::NoChange, pm.n_);
      if (cfg_.precision == Precision::Float32) {  // the reads use the float copy only
        ps.diff_f = ps.diff_s.cast<float>();
        ps.diff_s.resize(0, 0);
      }
      ps.fullscale_a.conservativeResize(pm.n_);
      if (flip) ps.flip_sign.conservativeResize(pm.n_);
    }
    if (biased) {
      blk.input_sum_weight = Eigen::RowVectorXd::Constant(pm.n_, -static_cast<double>(pm.w_plan_.offset));
      if (flip)
        for (int j = 0; j < nslices; ++j) {
          const Slice& s = pm.w_plan_.slices[j];
          blk.input_sum_weight.array() +=
              (blk.slices[j].flip_sign.array() < 0).cast<double>() * (s.levels_max() * s.weight);
        }
    }
  });
  for (ProgrammedRowBlock& blk : pm.blocks_) {
    // Fixed at programming: the conductance on each row summed over every array of the row
    // block (all weight slices, column blocks and polarities), the G of the read power V^2 G.
    blk.row_g_sum_all_s = Eigen::VectorXd::Zero(r);
    for (const ProgrammedSlice& ps : blk.slices) blk.row_g_sum_all_s += ps.row_g_sum_s.rowwise().sum();
    blk.w_scale.conservativeResize(pm.n_);
    blk.w_int.conservativeResize(Eigen::NoChange, pm.n_);
  }
  // Fixed at programming, read by every conversion: the ADC scales of each slice pair and the
  // DAC level of each input slice value.
  const int nx = diffpair ? 1 : static_cast<int>(pm.x_plan_.slices.size());
  for (int kb = 0; kb < kbs; ++kb)
    for (int j = 0; j < static_cast<int>(pm.blocks_[kb].slices.size()); ++j) {
      ProgrammedSlice& ps = pm.blocks_[kb].slices[j];
      ps.adc_code_value.resize(nx);
      for (int i = 0; i < nx; ++i) pm.adc_scales(kb, j, i, ps.adc_inv_fs, ps.adc_code_value[i]);
    }
  if (!diffpair)
    for (const Slice& s : pm.x_plan_.slices) {
      std::vector<double> table;
      if (s.bits <= ProgrammedMatrix::kDacTableBits)
        for (int u = 0; u <= s.levels_max(); ++u) table.push_back(pm.dac_.unsigned_voltage(u, s.levels_max()));
      pm.dac_level_v_.push_back(std::move(table));
    }
  return pm;
}

Eigen::MatrixXd MatrixEngine::dot(const Eigen::MatrixXd& X, const Eigen::MatrixXd& W) {
  ProgrammedMatrix pm = program(W);
  return pm.multiply(X);
}

// ---------------------------------------------------------------- ProgrammedMatrix

std::size_t ProgrammedMatrix::array_count() const {
  if (cfg_.software) return 0;
  return blocks_.size() * static_cast<std::size_t>(col_blocks()) * static_cast<std::size_t>(weight_slices()) *
         (differential_ ? 2 : 1);
}

double ProgrammedMatrix::input_levels_max(int i) const {
  return cfg_.mode == EngineMode::DiffPair ? dac_.signed_qmax() : x_plan_.slices[i].levels_max();
}

double ProgrammedMatrix::weight_levels_max(int j) const {
  return cfg_.mode == EngineMode::DiffPair ? cfg_.g_level - 1 : w_plan_.slices[j].levels_max();
}

Eigen::Index ProgrammedMatrix::used_rows(int kb) const { return tiling_.rows_of(kb).count; }

EncodedInput ProgrammedMatrix::encode(const Eigen::Ref<const Eigen::MatrixXd>& X, int kb) const {
  EncodedInput in;
  encode_into(X, kb, in);
  return in;
}

void ProgrammedMatrix::quantise_into(const Eigen::Ref<const Eigen::MatrixXd>& X, int kb, EncodedInput& in) const {
  const int r = cfg_.array_rows;
  const Eigen::Index kr = used_rows(kb);
  // Padded rows hold q = 0 and are driven at exactly 0 V (every DAC maps 0 to 0 V): only the
  // used rows are quantised (their max |x| is the padded block's), sliced and stored.
  in.q.resize(X.rows(), r);
  quantise(cfg_, X.middleCols(static_cast<Eigen::Index>(kb) * r, kr), x_plan_, cfg_.xblk, dac_.signed_qmax(), true,
           in.q.leftCols(kr), in.scale);
  in.q.rightCols(r - kr).setZero();
}

bool ProgrammedMatrix::reads_take_float() const {
  if (cfg_.software || cfg_.mode == EngineMode::DiffPair || cfg_.precision != Precision::Float32 ||
      cfg_.vnoise != 0.0 || x_plan_.total_bits > 32)
    return false;
  for (const std::vector<double>& t : dac_level_v_)
    if (t.empty()) return false;
  return true;
}

void ProgrammedMatrix::encode_for_reads(const Eigen::Ref<const Eigen::MatrixXd>& X, int kb, EncodedInput& in) const {
  if (!reads_take_float()) return encode_into(X, kb, in);
  quantise_into(X, kb, in);
  in.volts.clear();
  const Eigen::Index B = X.rows(), kr = used_rows(kb);
  const Eigen::Index slices = static_cast<Eigen::Index>(x_plan_.slices.size());
  in.volts_f.resize(x_plan_.slices.size());
  in.v2.resize(kr, slices);
  for (Eigen::Index s = 0; s < slices; ++s) {
    const Slice& sl = x_plan_.slices[static_cast<std::size_t>(s)];
    Eigen::MatrixXf& vf = in.volts_f[static_cast<std::size_t>(s)];
    vf.resize(B, kr);
    const int shift = sl.sign ? x_plan_.total_bits - 1 : sl.shift;
    const auto mask = static_cast<std::int32_t>((std::int64_t{1} << sl.bits) - 1);
    dac_lookup_float(in.q.data(), in.q.outerStride(), B, kr, shift, mask, dac_level_v_[static_cast<std::size_t>(s)].data(),
                     vf.data(), vf.outerStride(), in.v2.col(s).data());
  }
}

void ProgrammedMatrix::encode_into(const Eigen::Ref<const Eigen::MatrixXd>& X, int kb, EncodedInput& in) const {
  const Eigen::Index B = X.rows();
  const Eigen::Index kr = used_rows(kb);
  quantise_into(X, kb, in);
  in.volts_f.clear();
  in.v2.resize(0, 0);
  const auto qx = in.q.leftCols(kr);
  if (cfg_.software) {
    in.volts.clear();
    return;
  }
  if (cfg_.mode == EngineMode::DiffPair) {
    in.volts.resize(1);
    in.volts[0] = dac_.signed_voltage(qx.array()).matrix();
    return;
  }
  // Slice u of each input from the bits of its two's-complement integer: u = (q >> shift) mod
  // 2^bits (arithmetic shift), the sign slice being bit n-1; then the DAC level of u, from the
  // slice's table (the formula's values) or, for wide slices, the formula. int32 when q fits
  // (the loops vectorise), else int64 (fp words of up to 34 bits).
  const int n = x_plan_.total_bits;
  in.volts.resize(x_plan_.slices.size());
  auto slice_all = [&](auto int_zero) {
    using Int = decltype(int_zero);
    for (std::size_t s = 0; s < x_plan_.slices.size(); ++s) {
      const Slice& sl = x_plan_.slices[s];
      Eigen::MatrixXd& v = in.volts[s];
      v.resize(B, kr);
      const int shift = sl.sign ? n - 1 : sl.shift;
      const Int mask = static_cast<Int>((std::int64_t{1} << sl.bits) - 1);
      const double* table = dac_level_v_[s].empty() ? nullptr : dac_level_v_[s].data();
      const double levels_max = sl.levels_max();
      for (Eigen::Index col = 0; col < kr; ++col) {
        const double* q = qx.col(col).data();
        double* out = v.col(col).data();
        if (table && std::is_same_v<Int, std::int32_t>)
          dac_table_lookup(q, B, shift, static_cast<std::int32_t>(mask), table, out);
        else if (table)
          for (Eigen::Index b = 0; b < B; ++b) out[b] = table[(static_cast<Int>(q[b]) >> shift) & mask];
        else
          for (Eigen::Index b = 0; b < B; ++b)
            out[b] = dac_.unsigned_voltage(static_cast<double>((static_cast<Int>(q[b]) >> shift) & mask), levels_max);
      }
    }
  };
  if (n <= 32) slice_all(std::int32_t{0});
  else slice_all(std::int64_t{0});
}

Eigen::MatrixXd ProgrammedMatrix::read(int kb, int j, int i, const Eigen::Ref<const Eigen::MatrixXd>& V,
                                       std::uint64_t first_vector) const {
  Eigen::MatrixXd out;
  read_into(kb, j, i, V, first_vector, out);
  return out;
}

template <typename Product>
void ProgrammedMatrix::noisy_reads(int kb, int j, int i, const Eigen::Ref<const Eigen::MatrixXd>& V,
                                   std::uint64_t first_vector, Product&& product) const {
  // Read noise: every array has its own row drivers, so each gets its own draw per read
  // (also on the padded rows, driven at 0 V, which then carry current). V holds the used rows
  // (or all of them).
  const int c = cfg_.array_cols;
  thread_local Eigen::MatrixXd vn;
  vn.resize(V.rows(), cfg_.array_rows);
  for (int nb = 0; nb < col_blocks(); ++nb) {
    const Eigen::Index c0 = static_cast<Eigen::Index>(nb) * c;
    const Eigen::Index width = std::min<Eigen::Index>(c, n_ - c0);
    const std::uint64_t key = kReadNoiseStream ^ CounterRng::mix(program_id_ * 0x9e3779b97f4a7c15ULL ^
        (static_cast<std::uint64_t>(kb) << 40 | static_cast<std::uint64_t>(nb) << 16 |
         static_cast<std::uint64_t>(j) << 8 | static_cast<std::uint64_t>(i)));
    for (Eigen::Index col = 0; col < vn.cols(); ++col) {
      // One draw per vector b of column col, keyed (key, first_vector + b, col).
      rng_.normals(key, first_vector, static_cast<std::size_t>(V.rows()), static_cast<std::uint64_t>(col),
                   0, vn.col(col).data());
      for (Eigen::Index b = 0; b < V.rows(); ++b)
        vn(b, col) = (col < V.cols() ? V(b, col) : 0.0) + cfg_.vnoise * vn(b, col);
    }
    product(vn, c0, width);
  }
}

template <typename Product>
void ProgrammedMatrix::each_read(int kb, int j, int i, const Eigen::Ref<const Eigen::MatrixXd>& V,
                                 const Eigen::MatrixXf* Vf, std::uint64_t first_vector, Product&& product) const {
  // Padded rows are driven at exactly 0 V: they add nothing, so they are not computed.
  const Eigen::Index used = used_rows(kb);
  if (cfg_.precision == Precision::Float32) {
    const Eigen::MatrixXf& d = blocks_[kb].slices[j].diff_f;
    if (cfg_.vnoise == 0.0) {
      if (Vf) {
        product(*Vf, d.topRows(used), 0, n_);
        return;
      }
      thread_local Eigen::MatrixXf v_f;
      v_f = V.leftCols(used).cast<float>();
      product(v_f, d.topRows(used), 0, n_);
      return;
    }
    thread_local Eigen::MatrixXf vn_f;
    noisy_reads(kb, j, i, V, first_vector, [&](const Eigen::MatrixXd& vn, Eigen::Index c0, Eigen::Index width) {
      vn_f = vn.cast<float>();
      product(vn_f, d.middleCols(c0, width), c0, width);
    });
    return;
  }
  const Eigen::MatrixXd& d = blocks_[kb].slices[j].diff_s;
  if (cfg_.vnoise == 0.0) {
    product(V.leftCols(used), d.topRows(used), 0, n_);
    return;
  }
  noisy_reads(kb, j, i, V, first_vector, [&](const Eigen::MatrixXd& vn, Eigen::Index c0, Eigen::Index width) {
    product(vn, d.middleCols(c0, width), c0, width);
  });
}

void ProgrammedMatrix::read_into(int kb, int j, int i, const Eigen::Ref<const Eigen::MatrixXd>& V,
                                 std::uint64_t first_vector, Eigen::MatrixXd& out) const {
  out.resize(V.rows(), n_);
  each_read(kb, j, i, V, nullptr, first_vector, [&](const auto& Vm, const auto& Dm, Eigen::Index c0, Eigen::Index width) {
    fixed_order_product(Vm, Dm, out.middleCols(c0, width));
  });
}

namespace {
// ADC code of every element (adc_code: round half to even, clip), times the value of one
// code: the same operations element by element as adc_codes() followed by the scaling.
// round_to_count (EngineConfig::round_slice_products): the digital back end rounds each
// converted slice product to the nearest integer count (half to even, as np.round).
// I: an array expression of the currents (A) in double.
template <typename Currents, typename Out>
void adc_convert(const Currents& I, const Eigen::ArrayXd& inv_fs, const Eigen::ArrayXd& code_value,
                 double lo, double hi, bool round_to_count, Out&& out) {
  const auto k = inv_fs.transpose();
  const auto u = code_value.transpose();
  const auto product = adc_code(I.rowwise() * k, lo, hi).rowwise() * u;
  if (round_to_count)
    out(round_even(product));
  else
    out(product);
}
}  // namespace

void ProgrammedMatrix::adc_code_limits(double& lo, double& hi) const {
  if (cfg_.adc_full_scale == AdcFullScale::Lossless) {
    lo = 0;
    hi = adc_.levels - 1;
    return;
  }
  lo = adc_.lowest_code();
  hi = adc_.highest_code();
}

Eigen::VectorXd ProgrammedMatrix::adc_codes(int kb, int j, int i, const Eigen::MatrixXd& I, Eigen::Index col) const {
  (void)i;  // the codes per ampere do not depend on the input slice
  const Eigen::ArrayXd& inv_fs = blocks_[kb].slices[j].adc_inv_fs;
  double lo = 0, hi = 0;
  adc_code_limits(lo, hi);
  return (I.col(col).array() * inv_fs(col)).unaryExpr([&](double v) { return adc_code(v, lo, hi); }).matrix();
}

void ProgrammedMatrix::adc_scales(int kb, int j, int i, Eigen::ArrayXd& inv_fs, Eigen::ArrayXd& code_value) const {
  const Eigen::RowVectorXd& fs = blocks_[kb].slices[j].fullscale_a;
  if (cfg_.adc_full_scale == AdcFullScale::Lossless) {
    // One code per unit of sum(u*v): vread*(HGS-LGS)/(Lx*Lw) amperes.
    const double unit_a = cfg_.vread * (cfg_.HGS - cfg_.LGS) / (input_levels_max(i) * weight_levels_max(j));
    inv_fs = Eigen::ArrayXd::Constant(fs.size(), 1.0 / unit_a);
    code_value = Eigen::ArrayXd::Ones(fs.size());
    apply_flip(kb, j, code_value);
    return;
  }
  // One code of the ADC is worth fs/half amperes; one unit of sum(u*v) is worth
  // vread*(HGS-LGS)/(Lx*Lw) amperes. The value is formed as unit * (Lx*Lw) with
  // unit = fs/(half*vread*(HGS-LGS)) so that, with a common power-of-two unit (worst-case
  // full scale, ideal wires), every code value is exact and the integer shift-add of the RTL
  // periphery reproduces this engine bit for bit (docs/rtl.md).
  const double lx_lw = input_levels_max(i) * weight_levels_max(j);
  const double half = adc_.codes_per_full_scale();
  inv_fs = (half / fs.array()).transpose();
  code_value = ((fs.array() / (half * (cfg_.vread * (cfg_.HGS - cfg_.LGS)))) * lx_lw).transpose();
  apply_flip(kb, j, code_value);
}

void ProgrammedMatrix::apply_flip(int kb, int j, Eigen::ArrayXd& code_value) const {
  // A flipped column read sum(u*(max - v)): its value enters the shift-add negated, and
  // finish_block adds max x sum(x) back (ProgrammedRowBlock::input_sum_weight).
  const Eigen::RowVectorXd& flip = blocks_[kb].slices[j].flip_sign;
  if (flip.size() > 0) code_value *= flip.transpose().array();
}

Eigen::MatrixXd ProgrammedMatrix::convert(int kb, int j, int i, const Eigen::MatrixXd& I) const {
  Eigen::MatrixXd P;
  convert_into(kb, j, i, I, P);
  return P;
}

void ProgrammedMatrix::convert_into(int kb, int j, int i, const Eigen::MatrixXd& I, Eigen::MatrixXd& P) const {
  const ProgrammedSlice& ps = blocks_[kb].slices[j];
  double lo = 0, hi = 0;
  adc_code_limits(lo, hi);
  P.resize(I.rows(), I.cols());
  adc_convert(I.array(), ps.adc_inv_fs, ps.adc_code_value[i], lo, hi, cfg_.round_slice_products, [&](auto&& e) { P.array() = e; });
}

double ProgrammedMatrix::slice_weight(int j, int i) const {
  const double wx = cfg_.mode == EngineMode::DiffPair ? 1.0 : x_plan_.slices[i].weight;
  const double ww = cfg_.mode == EngineMode::DiffPair ? 1.0 : w_plan_.slices[j].weight;
  return wx * ww;
}

void ProgrammedMatrix::shift_add(Eigen::MatrixXd& acc, int j, int i, const Eigen::MatrixXd& P) const {
  acc.array() += slice_weight(j, i) * P.array();
}

void ProgrammedMatrix::finish_block(Eigen::Ref<Eigen::MatrixXd> Y, int kb, const EncodedInput& in,
                                    const Eigen::MatrixXd& acc, Eigen::Index r0) const {
  const Eigen::Index len = Y.rows();
  const auto scale = in.scale.segment(r0, len);
  const auto a = acc.middleRows(r0, len);
  const Eigen::RowVectorXd& corr = blocks_[kb].input_sum_weight;
  if (corr.size() > 0) {
    // Biased encodings: the arrays computed sum(x (w + bias)) (and, flipped, -sum(x (max - v)));
    // the input sum times the per-column constant restores sum(x w), exactly, digitally.
    Y.noalias() += scale.asDiagonal() * (a + in.q.middleRows(r0, len).rowwise().sum() * corr) * blocks_[kb].w_scale.asDiagonal();
    return;
  }
  Y.noalias() += scale.asDiagonal() * a * blocks_[kb].w_scale.asDiagonal();
}

double ProgrammedMatrix::chunk_read_power_w(int kb, const EncodedInput& in, Eigen::Index b0, Eigen::Index len) const {
  double p = 0.0;
  if (in.v2.size() > 0) {  // encode_for_reads' sums (of one chunk: b0 = 0, len = all)
    for (Eigen::Index i = 0; i < in.v2.cols(); ++i) p += read_power_w(in.v2.col(i), blocks_[kb].row_g_sum_all_s);
    return p;
  }
  thread_local Eigen::VectorXd v2;  // reused: no allocation per chunk and slice
  for (const Eigen::MatrixXd& v : in.volts) {
    v2.resize(v.cols());
    squared_drive_per_row(v.middleRows(b0, len), v2);
    p += read_power_w(v2, blocks_[kb].row_g_sum_all_s);
  }
  return p;
}

double ProgrammedMatrix::chunk_drive(int kb, const EncodedInput& in, Eigen::Index b0, Eigen::Index len,
                                     Eigen::Ref<Eigen::MatrixXd> v2) const {
  // The same sum as chunk_read_power_w, keeping each slice's V^2 per row (for the tile's
  // per-slice crossbar energy): one pass over the voltages serves both.
  double p = 0.0;
  if (in.v2.size() > 0) {  // encode_for_reads' sums (of one chunk: b0 = 0, len = all)
    v2 = in.v2;
    for (Eigen::Index i = 0; i < in.v2.cols(); ++i) p += read_power_w(in.v2.col(i), blocks_[kb].row_g_sum_all_s);
    return p;
  }
  for (std::size_t i = 0; i < in.volts.size(); ++i) {
    auto col = v2.col(static_cast<Eigen::Index>(i));
    squared_drive_per_row(in.volts[i].middleRows(b0, len), col);
    p += read_power_w(col, blocks_[kb].row_g_sum_all_s);
  }
  return p;
}

std::size_t ProgrammedMatrix::drive_group_chunks(std::size_t chunks) {
  // At most about 64 groups: little scratch for a large batch (conv1 of 64 LeNet-5 images:
  // 1568 chunks), still enough tasks for both cores; a function of the batch alone, never of
  // the thread count.
  return std::max<std::size_t>(1, chunks / 64);
}

void ProgrammedMatrix::add_chunk_drive(std::size_t c, std::size_t group_chunks, const Eigen::MatrixXd& chunk_v2,
                                       Eigen::Ref<Eigen::MatrixXd> group_v2) {
  if (c % group_chunks == 0) group_v2 = chunk_v2;  // the group's first chunk
  else group_v2 += chunk_v2;
}

DriveSums ProgrammedMatrix::sum_drive(const Eigen::MatrixXd& v2, Eigen::Index slices, const std::vector<double>& power_w) const {
  DriveSums d;
  for (double p : power_w) d.read_power_w += p;
  for (Eigen::Index g = 0; slices > 0 && g < v2.cols() / slices; ++g)
    for (Eigen::Index i = 0; i < slices; ++i) {
      const auto col = v2.col(g * slices + i);
      if (g == 0) d.v2_per_row.push_back(col);
      else d.v2_per_row[static_cast<std::size_t>(i)] += col;
    }
  return d;
}

DriveSums ProgrammedMatrix::drive_sums(int kb, const EncodedInput& in) const {
  if (cfg_.software) return {};
  const Eigen::Index B = in.q.rows();
  const std::size_t chunks = static_cast<std::size_t>((B + kVectorChunk - 1) / kVectorChunk);
  const std::size_t group = drive_group_chunks(chunks);
  const Eigen::Index slices = static_cast<Eigen::Index>(in.volts.size());
  Eigen::MatrixXd v2(used_rows(kb), static_cast<Eigen::Index>((chunks + group - 1) / group) * slices);
  Eigen::MatrixXd chunk_v2(used_rows(kb), slices);
  std::vector<double> power(chunks, 0.0);
  for (std::size_t c = 0; c < chunks; ++c) {
    const Eigen::Index b0 = static_cast<Eigen::Index>(c) * kVectorChunk;
    power[c] = chunk_drive(kb, in, b0, std::min<Eigen::Index>(kVectorChunk, B - b0), chunk_v2);
    add_chunk_drive(c, group, chunk_v2, v2.middleCols(static_cast<Eigen::Index>(c / group) * slices, slices));
  }
  return sum_drive(v2, slices, power);
}

void ProgrammedMatrix::encode_accumulate(const Eigen::Ref<const Eigen::MatrixXd>& X, std::uint64_t first_vector,
                                         const std::vector<BlockBatch*>& out) const {
  require(X.cols() == k_, "inputs",
          "have " + std::to_string(X.cols()) + " columns but the programmed matrix has " + std::to_string(k_) + " rows");
  encode_accumulate_rows(X.rows(), [&](Eigen::Index b0, Eigen::Index len) { return X.middleRows(b0, len); },
                         first_vector, out);
}

bool ProgrammedMatrix::encode_accumulate(Eigen::Index B, const InputRows& rows, std::uint64_t first_vector,
                                         const std::vector<BlockBatch*>& out) const {
  require(B >= 0, "inputs", "a negative number of vectors");
  require(static_cast<bool>(rows), "inputs", "no row source");
  std::atomic<bool> finite{true};
  encode_accumulate_rows(B, [&](Eigen::Index b0, Eigen::Index len) -> const Eigen::MatrixXd& {
    bool ok = true;
    const Eigen::MatrixXd& X = rows_block(rows, b0, len, ok);
    if (!ok) finite = false;
    return X;
  }, first_vector, out);
  return finite;
}

template <typename Rows>
void ProgrammedMatrix::encode_accumulate_rows(Eigen::Index B, Rows&& rows, std::uint64_t first_vector,
                                              const std::vector<BlockBatch*>& out) const {
  require(static_cast<int>(out.size()) == row_blocks(), "encode_accumulate",
          "needs one entry per row block (" + std::to_string(row_blocks()) + "), has " + std::to_string(out.size()));
  const std::size_t chunks = static_cast<std::size_t>((B + kVectorChunk - 1) / kVectorChunk);
  const Eigen::Index slices = input_slices();
  const int kbs = row_blocks();
  // Per row block: V^2 per row and slice summed over each group of drive_group_chunks chunks
  // (BlockBatch::v2_groups; a task takes a group's chunks in order) and the read power of
  // every chunk, both added in order by sum_drive (drive_sums adds the same way).
  const std::size_t group = drive_group_chunks(chunks);
  const std::size_t groups = (chunks + group - 1) / group;
  std::vector<double> power(cfg_.software ? 0 : chunks * static_cast<std::size_t>(kbs), 0.0);
  for (int kb = 0; kb < kbs; ++kb) {
    BlockBatch* o = out[static_cast<std::size_t>(kb)];
    if (!o) continue;
    o->in.volts.clear();
    o->in.scale.resize(B);
    // finish_block reads q only for the biased encodings' input sums: otherwise it is not kept
    // (a batch's copy of it was most of this function's memory traffic).
    o->in.q.resize(blocks_[kb].input_sum_weight.size() > 0 ? B : 0, cfg_.array_rows);
    o->acc.resize(B, n_);
    if (!cfg_.software) o->v2_groups.resize(used_rows(kb), static_cast<Eigen::Index>(groups) * slices);
  }
  parallel_for(resolve_threads(cfg_.threads), groups, [&](std::size_t g) {
    // Per-vector scales and noise keyed by the vector's index: a chunk encodes to the same
    // bits as the whole batch (multiply() relies on the same).
    thread_local std::vector<EncodedInput> parts;        // per row block (block_scratch)
    thread_local std::vector<Eigen::MatrixXd> chunk_v2s;  // per row block
    thread_local Eigen::MatrixXd part_acc;  // contiguous: the batch's acc has columns B apart
    for (std::size_t c = g * group; c < std::min(chunks, (g + 1) * group); ++c) {
      const Eigen::Index b0 = static_cast<Eigen::Index>(c) * kVectorChunk;
      const Eigen::Index len = std::min<Eigen::Index>(kVectorChunk, B - b0);
      const auto& X = rows(b0, len);
      for (int kb = 0; kb < kbs; ++kb) {
        BlockBatch* o = out[static_cast<std::size_t>(kb)];
        if (!o) continue;
        EncodedInput& part = block_scratch(parts, kb, kbs);
        Eigen::MatrixXd& chunk_v2 = block_scratch(chunk_v2s, kb, kbs);
        encode_for_reads(X, kb, part);
        o->in.scale.segment(b0, len) = part.scale;
        if (o->in.q.rows() > 0) o->in.q.middleRows(b0, len) = part.q;
        part_acc.resize(len, n_);
        accumulate_vectors(kb, part, 0, len, first_vector + static_cast<std::uint64_t>(b0), part_acc);
        o->acc.middleRows(b0, len) = part_acc;
        if (cfg_.software) continue;
        chunk_v2.resize(used_rows(kb), slices);
        power[c * static_cast<std::size_t>(kbs) + static_cast<std::size_t>(kb)] = chunk_drive(kb, part, 0, len, chunk_v2);
        add_chunk_drive(c, group, chunk_v2, o->v2_groups.middleCols(static_cast<Eigen::Index>(g) * slices, slices));
      }
    }
  });
  for (int kb = 0; kb < kbs; ++kb) {
    BlockBatch* o = out[static_cast<std::size_t>(kb)];
    if (!o) continue;
    if (cfg_.software) {
      o->drive = {};
      continue;
    }
    std::vector<double> p(chunks);
    for (std::size_t c = 0; c < chunks; ++c) p[c] = power[c * static_cast<std::size_t>(kbs) + static_cast<std::size_t>(kb)];
    o->drive = sum_drive(o->v2_groups, slices, p);
  }
}

void ProgrammedMatrix::count_reads(int kb, Eigen::Index B, const DriveSums& drive) {
  if (cfg_.software) return;
  add_read_counts(kb, static_cast<std::uint64_t>(B), drive.read_power_w);
}

void ProgrammedMatrix::add_read_counts(int kb, std::uint64_t b, double read_power_w) {
  const std::uint64_t nx = static_cast<std::uint64_t>(input_slices());
  const std::uint64_t nw = blocks_[kb].slices.size();
  const std::uint64_t per_pair = differential_ ? 2 : 1;  // G+ and G- arrays
  const std::uint64_t ncb = static_cast<std::uint64_t>(col_blocks());
  counters_.dac_conversions += b * static_cast<std::uint64_t>(cfg_.array_rows) * nx * nw * ncb;
  counters_.array_reads += b * nx * nw * ncb * per_pair;
  counters_.adc_conversions += b * nx * nw * ncb * static_cast<std::uint64_t>(cfg_.array_cols);
  counters_.read_energy_per_s_j += read_power_w;
}

void ProgrammedMatrix::count_reads(int kb, const EncodedInput& in) {
  if (cfg_.software) return;
  const Eigen::Index B = in.q.rows();
  double p = 0.0;  // per kVectorChunk vectors, then in chunk order: multiply()'s sums exactly
  for (Eigen::Index b0 = 0; b0 < B; b0 += kVectorChunk)
    p += chunk_read_power_w(kb, in, b0, std::min<Eigen::Index>(kVectorChunk, B - b0));
  add_read_counts(kb, static_cast<std::uint64_t>(B), p);
}

void ProgrammedMatrix::accumulate_vectors(int kb, const EncodedInput& in, Eigen::Index b0, Eigen::Index len,
                                          std::uint64_t first_vector, Eigen::Ref<Eigen::MatrixXd> acc) const {
  if (cfg_.software) {
    acc.noalias() = in.q.middleRows(b0, len) * blocks_[kb].w_int;  // integers: exact in any order
    return;
  }
  // read, convert_into and shift_add fused (fixed_order_product_convert): each current is
  // converted in registers as it is summed, never written and read back; the same operations
  // per element as the tile's components make in three stages, so the same bits.
  AdcConversion cv;
  adc_code_limits(cv.lo, cv.hi);
  cv.round_to_count = cfg_.round_slice_products;
  thread_local Eigen::MatrixXf V_f;  // per-thread scratch, reused across calls
  const bool single = cfg_.precision == Precision::Float32;
  const std::uint64_t first = first_vector + static_cast<std::uint64_t>(b0);
  acc.setZero();
  const bool rounded = !in.volts_f.empty();  // encode_for_reads: the float voltages of the whole chunk
  require(!rounded || (b0 == 0 && len == in.volts_f[0].rows()), "accumulate_vectors",
          "float voltages are of one whole chunk");
  const int slices = static_cast<int>(rounded ? in.volts_f.size() : in.volts.size());
  for (int i = 0; i < slices; ++i) {
    const Eigen::MatrixXd none;  // each_read takes only the float voltages then
    const auto V = rounded ? none.middleRows(0, 0) : in.volts[i].middleRows(b0, len);
    const Eigen::MatrixXf* Vf = nullptr;
    if (rounded) Vf = &in.volts_f[i];
    else if (single && cfg_.vnoise == 0.0) {
      V_f = V.leftCols(used_rows(kb)).cast<float>();  // once for every weight slice
      Vf = &V_f;
    }
    for (int j = 0; j < static_cast<int>(blocks_[kb].slices.size()); ++j) {
      const ProgrammedSlice& ps = blocks_[kb].slices[j];
      cv.weight = slice_weight(j, i);
      each_read(kb, j, i, V, Vf, first,
                [&](const auto& Vm, const auto& Dm, Eigen::Index c0, Eigen::Index width) {
                  AdcConversion part = cv;  // the columns [c0, c0 + width)
                  part.inv_fs = ps.adc_inv_fs.data() + c0;
                  part.code_value = ps.adc_code_value[i].data() + c0;
                  fixed_order_product_convert(Vm, Dm, part, acc.middleCols(c0, width));
                });
    }
  }
}

Eigen::MatrixXd ProgrammedMatrix::multiply(const Eigen::MatrixXd& X) {
  require(X.cols() == k_, "inputs",
          "have " + std::to_string(X.cols()) + " columns but the programmed matrix has " +
              std::to_string(k_) + " rows");
  require(all_finite(X), "inputs", "contain NaN or Inf");
  return multiply_rows(X.rows(), [&](Eigen::Index b0, Eigen::Index len) { return X.middleRows(b0, len); });
}

Eigen::MatrixXd ProgrammedMatrix::multiply(Eigen::Index B, const InputRows& rows) {
  require(B >= 0, "inputs", "a negative number of vectors");
  require(static_cast<bool>(rows), "inputs", "no row source");
  return multiply_rows(B, [&](Eigen::Index b0, Eigen::Index len) -> const Eigen::MatrixXd& {
    bool finite = true;
    const Eigen::MatrixXd& X = rows_block(rows, b0, len, finite);
    require(finite, "inputs", "contain NaN or Inf");
    return X;
  });
}

const Eigen::MatrixXd& ProgrammedMatrix::rows_block(const InputRows& rows, Eigen::Index b0, Eigen::Index len,
                                                    bool& finite) const {
  thread_local Eigen::MatrixXd X;  // per-thread block, reused
  X.resize(len, k_);
  rows(b0, len, X);
  finite = all_finite(X);
  if (!finite) X.setZero();
  return X;
}

template <typename Rows>
Eigen::MatrixXd ProgrammedMatrix::multiply_rows(Eigen::Index B, Rows&& rows) {
  Eigen::MatrixXd Y(B, n_);  // every row is written by its task
  const int kbs = row_blocks();
  // Independent tasks of kVectorChunk vectors each, every row block of a task in turn (its
  // encoded inputs stay in cache): every vector's result depends only on its own inputs
  // (per-vector scales, noise keyed by the vector's index, fixed-order products), so the
  // split changes no bit; the read powers are summed per task and then in task order, as
  // count_reads() does for a whole batch.
  const std::size_t chunks = static_cast<std::size_t>((B + kVectorChunk - 1) / kVectorChunk);
  std::vector<double> power(chunks * static_cast<std::size_t>(kbs), 0.0);
  const std::uint64_t first = vectors_read_;
  parallel_for(resolve_threads(cfg_.threads), chunks, [&](std::size_t c) {
    const Eigen::Index b0 = static_cast<Eigen::Index>(c) * kVectorChunk;
    const Eigen::Index len = std::min<Eigen::Index>(kVectorChunk, B - b0);
    thread_local Eigen::MatrixXd Yc, acc;  // reused: no allocation per chunk once warm
    thread_local std::vector<EncodedInput> ins;  // per row block (block_scratch)
    const auto& X = rows(b0, len);
    Yc.setZero(len, n_);
    acc.resize(len, n_);
    for (int kb = 0; kb < kbs; ++kb) {
      EncodedInput& in = block_scratch(ins, kb, kbs);
      encode_for_reads(X, kb, in);
      accumulate_vectors(kb, in, 0, len, first + static_cast<std::uint64_t>(b0), acc);
      if (!cfg_.software)
        power[c * static_cast<std::size_t>(kbs) + static_cast<std::size_t>(kb)] = chunk_read_power_w(kb, in, 0, len);
      finish_block(Yc, kb, in, acc);
    }
    Y.middleRows(b0, len) = Yc;
  });
  if (!cfg_.software)
    for (int kb = 0; kb < kbs; ++kb) {
      double p = 0.0;
      for (std::size_t c = 0; c < chunks; ++c) p += power[c * static_cast<std::size_t>(kbs) + static_cast<std::size_t>(kb)];
      add_read_counts(kb, static_cast<std::uint64_t>(B), p);
    }
  end_batch(B);
  return Y;
}

void ProgrammedMatrix::end_batch(Eigen::Index B) {
  vectors_read_ += static_cast<std::uint64_t>(B);
  counters_.vectors += static_cast<std::uint64_t>(B);
}

}  // namespace memtile::core
