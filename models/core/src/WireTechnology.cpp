#include "memtile/core/WireTechnology.hpp"

#include <cmath>

#include "memtile/core/Errors.hpp"

namespace memtile::core {

namespace {
bool positive(double x) { return std::isfinite(x) && x > 0; }
}  // namespace

void WireTechnology::validate() const {
  require(positive(node_nm), "technology", "node_nm must be > 0");
  require(positive(width_factor), "technology", "width_factor must be > 0");
  require(positive(cell_length_factor), "technology", "cell_length_factor must be > 0");
  require(positive(cell_width_factor), "technology", "cell_width_factor must be > 0");
  require(positive(pair_spacing_factor), "technology", "pair_spacing_factor must be > 0");
  require(positive(metal_thickness_nm), "technology", "metal_thickness_nm must be > 0");
  require(positive(ild_height_nm), "technology", "ild_height_nm must be > 0");
  require(positive(resistivity_ohm_m), "technology", "resistivity_ohm_m must be > 0");
  require(positive(mean_free_path_nm), "technology", "mean_free_path_nm must be > 0");
  require(std::isfinite(specularity) && specularity >= 0 && specularity <= 1, "technology",
          "specularity must be in [0, 1]");
  require(std::isfinite(grain_reflection) && grain_reflection > 0 && grain_reflection < 1, "technology",
          "grain_reflection must be in (0, 1)");
  require(positive(relative_permittivity), "technology", "relative_permittivity must be > 0");
  require(cell_length_factor > width_factor, "technology", "cell length must exceed the metal width");
}

double effective_resistivity_ohm_m(const WireTechnology& t) {
  t.validate();
  const double w = t.metal_width_m(), lambda = t.mean_free_path_m(), R = t.grain_reflection;
  const double alpha = lambda * R / (w * (1 - R));
  const double surface = 0.75 * (1 - t.specularity) * lambda / w;
  const double grain =
      1.0 / (1 - 1.5 * alpha + 3 * alpha * alpha - 3 * alpha * alpha * alpha * std::log(1 + 1 / alpha));
  return t.resistivity_ohm_m * (surface + grain);
}

double row_segment_ohm(const WireTechnology& t) {
  return effective_resistivity_ohm_m(t) * t.cell_width_m() / (t.metal_width_m() * t.metal_thickness_m());
}

double col_segment_ohm(const WireTechnology& t) {
  return effective_resistivity_ohm_m(t) * t.cell_length_m() / (t.metal_width_m() * t.metal_thickness_m());
}

double line_capacitance_f_per_m(const WireTechnology& t, double spacing_m) {
  t.validate();
  require(positive(spacing_m), "technology", "line spacing must be > 0");
  const double wH = t.metal_width_m() / t.ild_height_m(), TH = t.metal_thickness_m() / t.ild_height_m();
  const double ground = 0.5 * (1.15 * wH + 2.8 * std::pow(TH, 0.222));
  const double coupling = (0.03 * wH + 0.83 * TH - 0.07 * std::pow(TH, 0.222)) *
                          std::pow(t.ild_height_m() / spacing_m, 1.34);
  return t.permittivity_f_per_m() * (ground + coupling);
}

double row_segment_capacitance_f(const WireTechnology& t) {
  return line_capacitance_f_per_m(t, t.cell_length_m() - t.metal_width_m()) * t.cell_width_m();
}

double col_segment_capacitance_f(const WireTechnology& t) {
  return line_capacitance_f_per_m(t, t.pair_spacing_m()) * t.cell_length_m();
}

WireParams wire_params(const WireTechnology& t, double driver_ohm, double sense_ohm, bool both_end_drive) {
  WireParams w;
  w.row_segment_ohm = row_segment_ohm(t);
  w.col_segment_ohm = col_segment_ohm(t);
  w.driver_ohm = driver_ohm;
  w.sense_ohm = sense_ohm;
  w.both_end_drive = both_end_drive;
  validate(w);
  return w;
}

double elmore_ladder_delay_s(int segments, double r_seg_ohm, double c_seg_f, double r_driver_ohm) {
  const double n = segments;
  return n * c_seg_f * r_driver_ohm + r_seg_ohm * c_seg_f * n * (n + 1) / 2;
}

ElmoreDelay elmore_delay(int rows, int cols, const WireParams& w, double row_segment_f, double col_segment_f) {
  validate(w);
  require(rows > 0 && cols > 0, "elmore", "array must have at least one row and column");
  require(std::isfinite(row_segment_f) && row_segment_f >= 0 && std::isfinite(col_segment_f) && col_segment_f >= 0,
          "elmore", "segment capacitances must be finite and >= 0");
  const int N = w.both_end_drive ? (cols + 1) / 2 : cols;
  ElmoreDelay d;
  d.row_s = elmore_ladder_delay_s(N, w.row_segment_ohm, row_segment_f, w.driver_ohm);
  d.col_s = elmore_ladder_delay_s(rows, w.col_segment_ohm, col_segment_f, w.sense_ohm);
  return d;
}

ElmoreDelay elmore_delay(int rows, int cols, const WireTechnology& t, double driver_ohm, double sense_ohm,
                         bool both_end_drive) {
  return elmore_delay(rows, cols, wire_params(t, driver_ohm, sense_ohm, both_end_drive), row_segment_capacitance_f(t),
                      col_segment_capacitance_f(t));
}

double settle_time_s(const ElmoreDelay& d, double accuracy) {
  require(std::isfinite(accuracy) && accuracy > 0 && accuracy < 1, "elmore", "accuracy must be in (0, 1)");
  return d.total_s() * std::log(1 / accuracy);
}

}  // namespace memtile::core
