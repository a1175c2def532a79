// The numerical in-memory-computing engine: a drop-in replacement for a matrix product
// (mPimPy's dot-product engines, with its defects fixed; docs/model.md §3).
//
//   MatrixEngine engine(cfg);                 // validates cfg, owns the seeded RNG
//   ProgrammedMatrix pm = engine.program(W);  // K x N weights onto crossbars, once
//   Eigen::MatrixXd Y = pm.multiply(X);       // B x K inputs, as often as wanted
//
// Tiling: K is cut into row blocks of array_rows, N into column blocks of array_cols, zero
// padded. Each (row block, column block, weight slice) is one crossbar. The padded columns
// are programmed and counted like the others, but only the out_features used columns are
// stored and computed (nobody observes the rest). Inputs are scaled per
// vector per row block, weights per column per row block; row-block partial sums are added
// digitally.
//
// The step functions (encode / read / convert / accumulate) are public so that the SystemC
// tile can sequence the very same arithmetic in time and stay bit-identical with multiply().
#pragma once
#include <Eigen/Dense>
#include <cstdint>
#include <memory>
#include <vector>

#include "memtile/core/Converters.hpp"
#include "memtile/core/CounterRng.hpp"
#include "memtile/core/CrossbarArray.hpp"
#include "memtile/core/EngineConfig.hpp"
#include "memtile/core/InputRows.hpp"
#include "memtile/core/LayerTiling.hpp"
#include "memtile/core/Quantiser.hpp"

namespace memtile::core {

// One weight slice of one row block, all column blocks side by side.
struct ProgrammedSlice {
  Eigen::MatrixXd diff_s;          // float64: rows x out_features, I = V * diff_s (S; reference or G- subtracted)
  Eigen::MatrixXf diff_f;          // float32: the same rounded to float (diff_s is then released); else empty
  Eigen::MatrixXd row_g_sum_s;     // rows x col_blocks: sum of all cell conductances on each row (energy)
  Eigen::RowVectorXd fullscale_a;  // out_features: ADC full-scale current of each column's array (A)
  Eigen::RowVectorXd flip_sign;    // biased_flipped: out_features, -1 where the column stores max - level, else +1
  // The ADC's scales (ProgrammedMatrix::adc_scales), fixed at programming: per column, codes per
  // ampere, and per input slice the value of one code (out_features each).
  Eigen::ArrayXd adc_inv_fs;
  std::vector<Eigen::ArrayXd> adc_code_value;
};

struct ProgrammedRowBlock {
  Eigen::VectorXd w_scale;         // out_features: weight scale of each column in this row block
  Eigen::MatrixXd w_int;           // rows x out_features integer weights (software form)
  std::vector<ProgrammedSlice> slices;  // one per weight slice (empty in the software form)
  Eigen::VectorXd row_g_sum_all_s; // rows: sum over the slices of row_g_sum_s over the column blocks (energy)
  // Biased encodings (hardware form): out_features, the digital correction per unit of the
  // input sum: finish_block adds sum_r q_r x this to the accumulator (-2^(n-1), plus
  // levels_max x weight of every flipped slice of the column). Empty otherwise.
  Eigen::RowVectorXd input_sum_weight;
};

// Input vectors of one row block, quantised and sliced.
struct EncodedInput {
  Eigen::VectorXd scale;           // B: per-vector input scale
  Eigen::MatrixXd q;               // B x rows integers (software form and reference)
  // Per input slice: B x used rows DAC voltages (hardware form); the padded rows of the last row
  // block are driven at 0 V and not stored.
  std::vector<Eigen::MatrixXd> volts;
  // multiply() and encode_accumulate() of float32 engines without read noise instead of volts:
  // per input slice the voltages rounded to float (what the reads take) and V^2 per row and
  // slice (used rows x slices; squared_drive_per_row's sums of the unrounded voltages).
  std::vector<Eigen::MatrixXf> volts_f;
  Eigen::MatrixXd v2;
};

// Drive statistics of one row block of a batch, summed per kVectorChunk vectors and then in
// chunk order (a fixed order whatever the thread count or where the batch is held).
struct DriveSums {
  std::vector<Eigen::VectorXd> v2_per_row;  // per input slice: used rows, sum over the batch of V^2 (V^2)
  double read_power_w = 0.0;                // sum over slice pairs of V^2 G (what count_reads adds)
};

// One row block's share of a batch as the SystemC tile holds it (its partition's data) when no
// one observes the currents: what finish_block and the energy accounting need, no voltages.
struct BlockBatch {
  EncodedInput in;      // encode_accumulate keeps scale, and q for the biased encodings (else 0 x rows), no volts
  DriveSums drive;      // the batch's drive sums
  Eigen::MatrixXd acc;  // B x out_features integer accumulator (shift-add output)
  // encode_accumulate's scratch: per group of chunks and input slice, V^2 per row (added in
  // group order into `drive`). Kept with the block's data: a tile's batches of one size reuse it.
  Eigen::MatrixXd v2_groups;
};

// Operation counts of the reads so far (the SystemC layer turns them into time and energy).
struct ReadCounters {
  std::uint64_t vectors = 0;
  std::uint64_t dac_conversions = 0;   // one per driven row per input slice per array row block
  std::uint64_t array_reads = 0;       // crossbar activations (one array, one input slice)
  std::uint64_t adc_conversions = 0;   // one per column per array read
  double read_energy_per_s_j = 0.0;    // sum over reads of V^2 * G (W); times read time = J
};

class ProgrammedMatrix {
 public:
  Eigen::MatrixXd multiply(const Eigen::MatrixXd& X);
  // multiply() of a B x in_features input never formed whole: each task has `rows` write its
  // kVectorChunk vectors into a per-thread block (a Conv's patches are then copied in cache,
  // where they are encoded). The same bits as multiply() of the matrix the rows make; each
  // block is checked finite.
  Eigen::MatrixXd multiply(Eigen::Index B, const InputRows& rows);

  const EngineConfig& config() const { return cfg_; }
  Eigen::Index in_features() const { return k_; }
  Eigen::Index out_features() const { return n_; }
  int row_blocks() const { return static_cast<int>(blocks_.size()); }
  int col_blocks() const { return tiling_.col_blocks(); }
  // The layer's blocks as program() cut them (docs/mapping.md): packed row blocks of
  // array_rows, column blocks of array_cols.
  const LayerTiling& tiling() const { return tiling_; }
  const SlicePlan& input_plan() const { return x_plan_; }
  const SlicePlan& weight_plan() const { return w_plan_; }
  // Slices a vector is driven in and slices each weight is stored in: one each for differential
  // pairs, else the plans' counts.
  int input_slices() const { return cfg_.mode == EngineMode::DiffPair ? 1 : static_cast<int>(x_plan_.slices.size()); }
  int weight_slices() const { return cfg_.mode == EngineMode::DiffPair ? 1 : static_cast<int>(w_plan_.slices.size()); }
  const ProgrammedRowBlock& block(int kb) const { return blocks_[kb]; }
  std::uint64_t program_id() const { return program_id_; }
  bool differential() const { return differential_; }
  const ReadCounters& counters() const { return counters_; }
  std::size_t array_count() const;  // physical crossbars (differential pairs count twice)

  // --- the steps of multiply(), in order ---
  // Quantise and slice X's columns [kb*rows, ...) (B x K input) into DAC voltages.
  EncodedInput encode(const Eigen::Ref<const Eigen::MatrixXd>& X, int kb) const;
  // The same into `in`, reusing its buffers (no allocation when the shapes repeat).
  void encode_into(const Eigen::Ref<const Eigen::MatrixXd>& X, int kb, EncodedInput& in) const;
  // Column currents of weight slice j for input-slice voltages V (B x used rows, or B x rows); read noise keyed
  // by (input slice i, first_vector + row of V). Returns B x out_features.
  Eigen::MatrixXd read(int kb, int j, int i, const Eigen::Ref<const Eigen::MatrixXd>& V, std::uint64_t first_vector) const;
  // The same into a caller's buffer (no allocation when out already has the shape).
  void read_into(int kb, int j, int i, const Eigen::Ref<const Eigen::MatrixXd>& V, std::uint64_t first_vector,
                 Eigen::MatrixXd& out) const;
  // ADC: currents -> integer slice products (sum of u_i * v_j per column), B x out_features
  // (a flipped column of biased_flipped: minus its product sum(u_i * (max - v_j))).
  Eigen::MatrixXd convert(int kb, int j, int i, const Eigen::MatrixXd& I) const;
  // The same into a caller's buffer (no allocation when P already has the shape).
  void convert_into(int kb, int j, int i, const Eigen::MatrixXd& I, Eigen::MatrixXd& P) const;
  // ADC codes of column `col` for every vector (what the converter outputs), from currents I.
  Eigen::VectorXd adc_codes(int kb, int j, int i, const Eigen::MatrixXd& I, Eigen::Index col) const;
  // read, convert and shift_add of every slice pair (i outer, j inner) of vectors
  // [b0, b0+len) of `in` in one pass, into acc (len x out_features; software form: q * w_int).
  // first_vector is that of the batch's vector 0. multiply() is built on it.
  void accumulate_vectors(int kb, const EncodedInput& in, Eigen::Index b0, Eigen::Index len,
                          std::uint64_t first_vector, Eigen::Ref<Eigen::MatrixXd> acc) const;
  // The SystemC tile's numbers of batch X (B x K) for each row block kb whose out[kb] is not
  // null, without holding the batch's DAC voltages: in parallel tasks of consecutive
  // kVectorChunk-vector chunks (drive_group_chunks of them), each chunk's vectors taken once
  // and, for each of those blocks, encode, accumulate_vectors and the drive sums: the very
  // operations of multiply() (same bits).
  void encode_accumulate(const Eigen::Ref<const Eigen::MatrixXd>& X, std::uint64_t first_vector,
                         const std::vector<BlockBatch*>& out) const;
  // The same for B vectors that `rows` writes, a task's block at a time, into a per-thread
  // block (a Conv's patches are copied in cache, never formed whole). The rows must be finite
  // (InputRows' callers check their source); a block that is not is encoded as zeros and the
  // call returns false, so a caller inside a simulation can finish the batch and then fail.
  bool encode_accumulate(Eigen::Index B, const InputRows& rows, std::uint64_t first_vector,
                         const std::vector<BlockBatch*>& out) const;
  // The drive sums of an already encoded batch (the same sums encode_accumulate gives).
  DriveSums drive_sums(int kb, const EncodedInput& in) const;
  // Shift-add: acc += weight(i) * weight(j) * P.
  void shift_add(Eigen::MatrixXd& acc, int j, int i, const Eigen::MatrixXd& P) const;
  // Scale the block's integer accumulator back and add it to Y (B x out_features): rows
  // [r0, r0 + Y.rows()) of `in` and `acc` into Y's rows. Elementwise, so a batch cut in row
  // ranges (the SystemC reducer's parallel tasks) gets the bits of the whole.
  void finish_block(Eigen::Ref<Eigen::MatrixXd> Y, int kb, const EncodedInput& in, const Eigen::MatrixXd& acc,
                    Eigen::Index r0 = 0) const;
  // Count the reads of one row block of a batch (the SystemC tile calls it; multiply() counts
  // the same, with the read power summed per kVectorChunk vectors and then in chunk order).
  void count_reads(int kb, const EncodedInput& in);
  // The same from the batch's drive sums (B vectors): no pass over the voltages.
  void count_reads(int kb, Eigen::Index B, const DriveSums& drive);
  // Vectors per parallel task of multiply(); fixed, so no sum depends on the thread count.
  static constexpr Eigen::Index kVectorChunk = 32;
  // Close a batch of B vectors: the next batch's read noise continues the vector count.
  void end_batch(Eigen::Index B);
  // Vectors read so far: pass it as first_vector to read() for the current batch.
  std::uint64_t vectors_read() const { return vectors_read_; }

 private:
  friend class MatrixEngine;
  ProgrammedMatrix() = default;
  double input_levels_max(int i) const;
  double slice_weight(int j, int i) const;  // weight(i) * weight(j) of the shift-add
  void adc_scales(int kb, int j, int i, Eigen::ArrayXd& inv_fs, Eigen::ArrayXd& code_value) const;
  void adc_code_limits(double& lo, double& hi) const;  // signed mid-tread, or 0 .. radc-1 (lossless)
  // The crossbar reads of weight slice j for input slice i: calls product(V, D, c0, width)
  // with the drive voltages (B x used rows; float32 precision: rounded to float, Vf when
  // given being V's used rows already rounded: one cast serves every weight slice) and the
  // conductance differences of output columns [c0, c0 + width), once (ideal reads) or per
  // column block (read noise, V plus that read's draws).
  template <typename Product>
  void each_read(int kb, int j, int i, const Eigen::Ref<const Eigen::MatrixXd>& V, const Eigen::MatrixXf* Vf,
                 std::uint64_t first_vector, Product&& product) const;
  Eigen::Index used_rows(int kb) const;
  // encode_into's quantisation: q (padded rows 0) and the per-vector scales.
  void quantise_into(const Eigen::Ref<const Eigen::MatrixXd>& X, int kb, EncodedInput& in) const;
  // Whether encode_for_reads gives volts_f (float32, no read noise, DAC tables, int32 words).
  bool reads_take_float() const;
  // encode_into for the reads and drive sums alone, one task's chunk: when reads_take_float(),
  // volts_f and v2 in one pass per slice and column (the bits of volts rounded to float and of
  // squared_drive_per_row of volts), no volts; else encode_into.
  void encode_for_reads(const Eigen::Ref<const Eigen::MatrixXd>& X, int kb, EncodedInput& in) const;
  // Read noise: calls product(V plus this read's noise, first column, width) per column block.
  template <typename Product>
  void noisy_reads(int kb, int j, int i, const Eigen::Ref<const Eigen::MatrixXd>& V, std::uint64_t first_vector,
                   Product&& product) const;  // rows of row block kb that hold inputs (the rest are padding)
  void apply_flip(int kb, int j, Eigen::ArrayXd& code_value) const;
  double weight_levels_max(int j) const;
  // Read power (sum of V^2 G, W) of vectors [b0, b0+len) of one row block, all slice pairs.
  double chunk_read_power_w(int kb, const EncodedInput& in, Eigen::Index b0, Eigen::Index len) const;
  // Per input slice i, squared_drive_per_row of vectors [b0, b0+len) into column i of v2 (rows x
  // input slices); returns their read power.
  double chunk_drive(int kb, const EncodedInput& in, Eigen::Index b0, Eigen::Index len,
                     Eigen::Ref<Eigen::MatrixXd> v2) const;
  // The drive sums of a batch, in a fixed order whatever the threads: V^2 per row and slice is
  // summed over groups of drive_group_chunks(chunks) consecutive chunks, in chunk order within
  // a group (add_chunk_drive: group g's slices are columns [g * slices, (g + 1) * slices) of
  // its matrix), then over the groups in order (sum_drive); the read power over chunks in
  // order. A few groups instead of a column block per chunk: conv1 of 64 LeNet-5 images kept
  // 2.5 MB of per-chunk sums, written and faulted in per batch.
  static std::size_t drive_group_chunks(std::size_t chunks);
  static void add_chunk_drive(std::size_t c, std::size_t group_chunks, const Eigen::MatrixXd& chunk_v2,
                              Eigen::Ref<Eigen::MatrixXd> group_v2);
  DriveSums sum_drive(const Eigen::MatrixXd& v2, Eigen::Index slices, const std::vector<double>& power_w) const;
  void add_read_counts(int kb, std::uint64_t vectors, double read_power_w);
  // Both multiply()s: rows(b0, len) gives vectors [b0, b0 + len) as a matrix (defined and used
  // in MatrixEngine.cpp only).
  template <typename Rows>
  Eigen::MatrixXd multiply_rows(Eigen::Index B, Rows&& rows);
  // Both encode_accumulate()s, rows(b0, len) as for multiply_rows.
  template <typename Rows>
  void encode_accumulate_rows(Eigen::Index B, Rows&& rows, std::uint64_t first_vector,
                              const std::vector<BlockBatch*>& out) const;
  // rows [b0, b0 + len) of `rows` in the calling thread's block; a block that is not finite
  // is returned as zeros with finite = false.
  const Eigen::MatrixXd& rows_block(const InputRows& rows, Eigen::Index b0, Eigen::Index len, bool& finite) const;

  EngineConfig cfg_;
  CounterRng rng_;
  bool differential_ = false;  // G+/G- array pairs (diffpair mode or differential encoding)
  std::uint64_t program_id_ = 0;
  Eigen::Index k_ = 0, n_ = 0;
  LayerTiling tiling_;  // set by program(); used_rows and the column blocks come from it
  SlicePlan x_plan_, w_plan_;
  DacQuantiser dac_;
  // Per input slice of up to kDacTableBits bits: the DAC voltage of every slice value u
  // (dac_.unsigned_voltage(u, levels_max), the formula's own bits); empty for wider slices.
  static constexpr int kDacTableBits = 8;
  std::vector<std::vector<double>> dac_level_v_;
  AdcQuantiser adc_;
  std::vector<ProgrammedRowBlock> blocks_;
  std::uint64_t vectors_read_ = 0;
  ReadCounters counters_;
};

class MatrixEngine {
 public:
  explicit MatrixEngine(const EngineConfig& cfg);  // throws InputError on an invalid config
  const EngineConfig& config() const { return cfg_; }

  // W is K x N (inputs x outputs). Each call programs fresh arrays with fresh variation.
  ProgrammedMatrix program(const Eigen::MatrixXd& W);
  // np.dot replacement: program(W).multiply(X).
  Eigen::MatrixXd dot(const Eigen::MatrixXd& X, const Eigen::MatrixXd& W);

 private:
  double worst_case_fullscale(bool differential);
  EngineConfig cfg_;
  CounterRng rng_;
  DeviceParams device_;
  std::uint64_t programs_ = 0;
  double worst_fs_cache_[2] = {-1.0, -1.0};  // with circuit: solved once per engine
};

// Relative error ||y - yhat||_2 / ||y||_2 (Frobenius for matrices).
double relative_error(const Eigen::MatrixXd& y, const Eigen::MatrixXd& yhat);

}  // namespace memtile::core
