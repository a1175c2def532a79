// Cycle-approximate schedule of one batch through a tile (what is modelled, in time order):
//   an item is (vector b, input slice i), b-major; per item three stages
//     A  DAC settle + crossbar settle + S&H sample   (all weight-slice and column-block arrays
//                                                     of all row partitions in parallel)
//     B  ADC batch: adc_mux serial conversions       (every ADC of every array in parallel)
//     C  shift-add of the weight slices' outputs
//   then per vector: R reduce across row partitions + scaling, N neuron.
// Pipelined (TileConfig::pipeline): every stage is its own pipeline step,
//   sA(m) = max(eA(m-1), eB(m-1) - LA)   (one S&H per column: item m may only sample once the
//                                          ADCs have finished converting item m-1)
//   sB(m) = max(eA(m), eB(m-1)),  sC(m) = max(eB(m), eC(m-1)),
//   sR(b) = max(eC(last item of b), eR(b-1)),  sN(b) = max(eR(b), eN(b-1)).
// With constant latencies one vector takes LA + LB + LC + (S-1) max(LA, LB, LC) + LR + LN.
// Not pipelined: every step starts when the previous one ended, and a vector starts after the
// previous vector's neuron: one vector takes S (LA + LB + LC) + LR + LN.
// All row partitions have the same shape and latencies, so one schedule serves them all.
#pragma once
#include <algorithm>
#include <cstdint>
#include <systemc>

namespace memtile::sc {

struct StageLatencies {
  sc_core::sc_time dac, read;         // A = dac + read (read = crossbar settle + sample)
  sc_core::sc_time adc, shift_add;    // B, C
  sc_core::sc_time reduce, neuron;    // R, N (per vector)
  sc_core::sc_time stage_a() const { return dac + read; }
};

struct ItemTimes {  // relative to the batch start
  sc_core::sc_time a_start, a_end, b_start, b_end, c_start, c_end;
};
struct VectorTimes {
  sc_core::sc_time r_start, r_end, n_start, n_end;
};

class PipelineSchedule {
 public:
  PipelineSchedule(const StageLatencies& lat, bool pipelined) : lat_(lat), pipelined_(pipelined) {}

  ItemTimes next_item() {
    using sc_core::sc_time;
    const sc_time la = lat_.stage_a();
    ItemTimes t;
    if (pipelined_) {
      t.a_start = first_ ? sc_core::SC_ZERO_TIME : std::max(prev_.a_end, prev_.b_end > la ? prev_.b_end - la : sc_core::SC_ZERO_TIME);
      t.a_start = std::max(t.a_start, vector_start_);
    } else {
      t.a_start = first_ ? vector_start_ : std::max(prev_.c_end, vector_start_);
    }
    t.a_end = t.a_start + la;
    t.b_start = pipelined_ && !first_ ? std::max(t.a_end, prev_.b_end) : t.a_end;
    t.b_end = t.b_start + lat_.adc;
    t.c_start = pipelined_ && !first_ ? std::max(t.b_end, prev_.c_end) : t.b_end;
    t.c_end = t.c_start + lat_.shift_add;
    prev_ = t;
    first_ = false;
    return t;
  }

  // Call after the last item of a vector.
  VectorTimes finish_vector() {
    VectorTimes v;
    v.r_start = std::max(prev_.c_end, prev_vec_.r_end);
    v.r_end = v.r_start + lat_.reduce;
    v.n_start = std::max(v.r_end, prev_vec_.n_end);
    v.n_end = v.n_start + lat_.neuron;
    prev_vec_ = v;
    if (!pipelined_) vector_start_ = v.n_end;
    return v;
  }

  // n more vectors of S items each: the times next_item() x S and finish_vector() per vector
  // would leave, without stepping through all of them. The recurrence only adds latencies and
  // takes maxima, so it commutes with shifting every time by d: once a vector leaves the
  // state of the vector before shifted by d (the clamps of the first items no longer
  // binding), every later vector shifts it by d again, and the rest is one exact jump
  // (integer time). A batch of conv1 patches is 50176 vectors of 8 items.
  void run_vectors(std::int64_t n, int S) {
    using sc_core::sc_time;
    while (n > 0) {
      const ItemTimes p0 = prev_;
      const VectorTimes v0 = prev_vec_;
      const sc_time start0 = vector_start_;
      const bool steady = !first_ && p0.b_end >= lat_.stage_a();
      for (int i = 0; i < S; ++i) next_item();
      finish_vector();
      --n;
      if (!steady || n == 0 || prev_.a_start < p0.a_start) continue;
      const sc_time d = prev_.a_start - p0.a_start;
      const bool shifted = prev_.a_end == p0.a_end + d && prev_.b_start == p0.b_start + d &&
                           prev_.b_end == p0.b_end + d && prev_.c_start == p0.c_start + d &&
                           prev_.c_end == p0.c_end + d && prev_vec_.r_start == v0.r_start + d &&
                           prev_vec_.r_end == v0.r_end + d && prev_vec_.n_start == v0.n_start + d &&
                           prev_vec_.n_end == v0.n_end + d && (pipelined_ || vector_start_ == start0 + d);
      if (!shifted) continue;
      const sc_time jump = sc_time::from_value(d.value() * static_cast<sc_core::sc_time::value_type>(n));
      for (sc_time* t : {&prev_.a_start, &prev_.a_end, &prev_.b_start, &prev_.b_end, &prev_.c_start, &prev_.c_end,
                         &prev_vec_.r_start, &prev_vec_.r_end, &prev_vec_.n_start, &prev_vec_.n_end})
        *t += jump;
      if (!pipelined_) vector_start_ += jump;
      return;
    }
  }

  sc_core::sc_time items_end() const { return prev_.c_end; }
  sc_core::sc_time vectors_end() const { return prev_vec_.n_end; }

 private:
  StageLatencies lat_;
  bool pipelined_;
  bool first_ = true;
  ItemTimes prev_{};
  VectorTimes prev_vec_{};
  sc_core::sc_time vector_start_ = sc_core::SC_ZERO_TIME;
};

}  // namespace memtile::sc
