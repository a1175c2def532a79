#include "SweepSpec.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "Commands.hpp"
#include "memtile/core/CounterRng.hpp"
#include "memtile/core/EngineConfig.hpp"
#include "memtile/core/Errors.hpp"
#include "memtile/core/JsonField.hpp"
#include "memtile/core/Npy.hpp"
#include "memtile/nn/Dataset.hpp"
#include "memtile/nn/Graph.hpp"

#ifndef MEMTILE_PRESETS_DIR
#define MEMTILE_PRESETS_DIR "configs/presets"
#endif

namespace memtile::cli::sweep {

using core::InputError;
using core::require;
using nlohmann::json;
using ojson = nlohmann::ordered_json;
namespace fs = std::filesystem;

namespace {

// The spec keeps its key order (axis order of `points`); the loaders take plain json.
json plain(const ojson& j) { return json::parse(j.dump()); }

std::string quote(const std::string& s) { return "'" + s + "'"; }

std::string resolve_path(const std::string& p, const fs::path& spec_dir) {
  const fs::path path(p);
  return path.is_absolute() ? p : (spec_dir / path).lexically_normal().string();
}

// The base configuration: a preset name (configs/presets/<name>.json) or a file path,
// relative to the spec's folder.
json load_base(const std::string& base, const fs::path& spec_dir, const std::string& field) {
  std::string path;
  if (base.find('/') == std::string::npos && (base.size() < 5 || base.substr(base.size() - 5) != ".json")) {
    path = data_file_path("presets", base + ".json", MEMTILE_PRESETS_DIR);  // next to an installed binary first
    require(fs::exists(path), field, quote(base) + " is not a preset (configs/presets) nor a .json path");
  } else {
    path = resolve_path(base, spec_dir);
  }
  return core::read_json_file(path);
}

// Sets the dotted field `name` (engine.radc, tile.mapping.layer_pipeline) in `cfg`.
void set_dotted(json& cfg, const std::string& name, const json& value, const std::string& field) {
  json* node = &cfg;
  std::size_t start = 0;
  while (true) {
    const std::size_t dot = name.find('.', start);
    const std::string part = name.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    require(!part.empty(), field, quote(name) + " is not a dotted field name such as engine.radc");
    if (!node->is_object()) throw InputError(field + ": " + quote(name) + " goes inside a field that is not an object");
    if (dot == std::string::npos) {
      (*node)[part] = value;
      return;
    }
    node = &(*node)[part];
    if (node->is_null()) *node = json::object();
    start = dot + 1;
  }
}

void check_axis_name(const std::string& name, Workload kind, const std::string& field) {
  const auto dot = name.find('.');
  require(dot != std::string::npos && dot > 0 && dot + 1 < name.size(), field,
          quote(name) + " is not a dotted configuration field such as engine.radc or tile.adc_kind");
  const std::string group = name.substr(0, dot);
  if (kind == Workload::Dot)
    require(group == "engine", field, quote(name) + ": the dot workload has engine fields only (engine.*)");
  else
    require(group == "engine" || group == "tile" || group == "energy" || group == "analog", field,
            quote(name) + ": the group must be engine, tile, energy or analog");
  require(name != "engine.seed" && name != "analog.seed", field,
          quote(name) + " is set by the spec's seeds (Monte Carlo), not an axis");
}

// Validates a full point configuration the way its child will load it; the messages start
// with `origin` (some loaders name only the field).
void validate_config(const json& cfg, Workload kind, const std::string& origin) {
  try {
    if (kind == Workload::Run) {
      validate_run_config(cfg, origin);
    } else {
      core::EngineConfig e;
      core::apply_json(e, cfg, origin);
      e.validate();
    }
  } catch (const InputError& err) {
    const std::string what = err.what();
    if (what.rfind(origin, 0) == 0) throw;
    throw InputError(origin + ": " + what);
  }
}

// The message of validate_config, or "" when the configuration is valid.
std::string config_error(const json& cfg, Workload kind) {
  try {
    validate_config(cfg, kind, "");
  } catch (const InputError& err) {
    const std::string what = err.what();
    return what.rfind(": ", 0) == 0 ? what : ": " + what;
  }
  return {};
}

std::string value_text(const json& v) { return v.is_string() ? v.get<std::string>() : v.dump(); }

std::vector<json> number_list(const ojson& v, const std::string& field, bool log) {
  require(v.is_array() && v.size() == 3, field, "must be [from, to, count]");
  const double a = core::json_finite(plain(v[0]), field + "[0]"), b = core::json_finite(plain(v[1]), field + "[1]");
  const int n = core::json_integer<int>(plain(v[2]), field + "[2]");
  require(n >= 1 && n <= 1000000, field, "count must be 1..1000000");
  if (log) require(a > 0 && b > 0, field, "logspace needs from > 0 and to > 0");
  std::vector<json> out;
  for (int i = 0; i < n; ++i) {
    const double t = n == 1 ? 0.0 : static_cast<double>(i) / (n - 1);
    out.push_back(log ? std::exp(std::log(a) + t * (std::log(b) - std::log(a))) : a + t * (b - a));
  }
  if (n > 1) out.back() = b;  // the end point exactly as written
  return out;
}

// Grid axis: values, linspace, logspace or range (integers).
std::vector<json> grid_values(const ojson& axis, const std::string& field) {
  std::vector<json> out;
  int kinds = 0;
  for (auto it = axis.begin(); it != axis.end(); ++it) {
    const std::string& k = it.key();
    const std::string f = field + "." + k;
    if (k == "name") continue;
    ++kinds;
    if (k == "values") {
      require(it.value().is_array() && !it.value().empty(), f, "must be a non-empty array");
      for (const auto& v : it.value()) {
        require(!v.is_null(), f, "null is not a value");
        out.push_back(plain(v));
      }
    } else if (k == "linspace" || k == "logspace") {
      out = number_list(it.value(), f, k == "logspace");
    } else if (k == "range") {
      const auto& r = it.value();
      require(r.is_array() && (r.size() == 2 || r.size() == 3), f, "must be [start, stop] or [start, stop, step] (integers, stop excluded)");
      const auto a = core::json_integer<std::int64_t>(plain(r[0]), f + "[0]");
      const auto b = core::json_integer<std::int64_t>(plain(r[1]), f + "[1]");
      const auto step = r.size() == 3 ? core::json_integer<std::int64_t>(plain(r[2]), f + "[2]") : 1;
      require(step != 0, f, "step must not be 0");
      require((b - a) / step <= 1000000, f, "more than 1000000 values");
      for (std::int64_t x = a; step > 0 ? x < b : x > b; x += step) out.push_back(x);
      require(!out.empty(), f, "is empty");
    } else {
      throw InputError(field + ": unknown key " + quote(k) + " (expected name and one of values, linspace, logspace, range)");
    }
  }
  require(kinds == 1, field, "needs exactly one of values, linspace, logspace, range");
  return out;
}

// Random axis: uniform, log_uniform, int_uniform [lo, hi] or choice [..]; draw i of axis a.
struct RandomAxis {
  std::string kind;
  double lo = 0, hi = 0;
  std::int64_t ilo = 0, ihi = 0;
  std::vector<json> choices;
  json draw(const core::CounterRng& rng, std::uint64_t axis, std::uint64_t sample) const {
    const double u = rng.uniform(0x5eed, axis, sample);
    if (kind == "uniform") return lo + u * (hi - lo);
    if (kind == "log_uniform") return std::exp(std::log(lo) + u * (std::log(hi) - std::log(lo)));
    const std::uint64_t bits = rng.bits(0x5eed, axis, sample, 1);
    if (kind == "int_uniform") return ilo + static_cast<std::int64_t>(bits % static_cast<std::uint64_t>(ihi - ilo + 1));
    return choices[bits % choices.size()];
  }
};

RandomAxis random_axis(const ojson& axis, const std::string& field) {
  RandomAxis r;
  for (auto it = axis.begin(); it != axis.end(); ++it) {
    const std::string& k = it.key();
    const std::string f = field + "." + k;
    if (k == "name") continue;
    require(r.kind.empty(), field, "needs exactly one of uniform, log_uniform, int_uniform, choice");
    r.kind = k;
    const auto& v = it.value();
    if (k == "uniform" || k == "log_uniform") {
      require(v.is_array() && v.size() == 2, f, "must be [low, high]");
      r.lo = core::json_finite(plain(v[0]), f + "[0]");
      r.hi = core::json_finite(plain(v[1]), f + "[1]");
      require(r.lo <= r.hi, f, "low must be <= high");
      if (k == "log_uniform") require(r.lo > 0, f, "log_uniform needs low > 0");
    } else if (k == "int_uniform") {
      require(v.is_array() && v.size() == 2, f, "must be [low, high] (both included)");
      r.ilo = core::json_integer<std::int64_t>(plain(v[0]), f + "[0]");
      r.ihi = core::json_integer<std::int64_t>(plain(v[1]), f + "[1]");
      require(r.ilo <= r.ihi && r.ihi - r.ilo < (std::int64_t{1} << 62), f, "low must be <= high");
    } else if (k == "choice") {
      require(v.is_array() && !v.empty(), f, "must be a non-empty array");
      for (const auto& c : v) {
        require(!c.is_null(), f, "null is not a value");
        r.choices.push_back(plain(c));
      }
    } else {
      throw InputError(field + ": unknown key " + quote(k) + " (expected name and one of uniform, log_uniform, int_uniform, choice)");
    }
  }
  require(!r.kind.empty(), field, "needs one of uniform, log_uniform, int_uniform, choice");
  return r;
}

std::string axis_name(const ojson& axis, const std::string& field) {
  require(axis.is_object(), field, "must be an object {\"name\": ..., ...}");
  require(axis.contains("name") && axis["name"].is_string(), field, "needs \"name\": a dotted configuration field");
  return axis["name"].get<std::string>();
}

json operand_spec(const ojson& o, const std::string& field, const fs::path& spec_dir) {
  require(o.is_object(), field, "must be an object {shape, distribution, ...} or {npy: file}");
  if (o.contains("npy")) {
    require(o.size() == 1, field, "an npy operand takes no other keys");
    require(o["npy"].is_string(), field + ".npy", "must be a .npy file name");
    const std::string path = fs::absolute(resolve_path(o["npy"].get<std::string>(), spec_dir)).string();
    const core::NpyArray a = core::read_npy(path);
    require(a.ndim == 2, field + ".npy", path + " must be a 2-D array");
    return {{"npy", path}, {"shape", {a.data.rows(), a.data.cols()}}};
  }
  json out{{"distribution", "uniform"}, {"low", -1.0}, {"high", 1.0}, {"mean", 0.0}, {"std", 1.0}};
  for (auto it = o.begin(); it != o.end(); ++it) {
    const std::string& k = it.key();
    const std::string f = field + "." + k;
    if (k == "shape") {
      require(it.value().is_array() && it.value().size() == 2, f, "must be [rows, cols]");
      const int r = core::json_integer<int>(plain(it.value()[0]), f + "[0]");
      const int c = core::json_integer<int>(plain(it.value()[1]), f + "[1]");
      require(r >= 1 && c >= 1 && static_cast<std::int64_t>(r) * c <= (std::int64_t{1} << 26), f,
              "rows and cols must be >= 1 with at most 2^26 elements");
      out["shape"] = {r, c};
    } else if (k == "distribution") {
      require(it.value().is_string() && (it.value() == "uniform" || it.value() == "normal"), f, "must be \"uniform\" or \"normal\"");
      out[k] = it.value().get<std::string>();
    } else if (k == "low" || k == "high" || k == "mean" || k == "std") {
      out[k] = core::json_finite(plain(it.value()), f);
    } else {
      throw InputError(field + ": unknown key " + quote(k) + " (expected shape, distribution, low, high, mean, std, or npy alone)");
    }
  }
  require(out.contains("shape"), field, "needs \"shape\": [rows, cols]");
  if (out["distribution"] == "uniform") require(out["low"].get<double>() <= out["high"].get<double>(), field + ".low", "must be <= high");
  if (out["distribution"] == "normal") require(out["std"].get<double>() >= 0, field + ".std", "must be >= 0");
  return out;
}

}  // namespace

Plan load_plan(const std::string& spec_path) {
  std::ifstream in(spec_path);
  require(in.good(), spec_path, "cannot open the sweep spec");
  ojson spec;
  try {
    in >> spec;
  } catch (const ojson::exception& e) {
    throw InputError(spec_path + ": invalid JSON: " + e.what());
  }
  require(spec.is_object(), spec_path, "the sweep spec must be a JSON object");
  const fs::path spec_dir = fs::path(spec_path).has_parent_path() ? fs::path(spec_path).parent_path() : fs::path(".");
  const auto field = [&](const std::string& k) { return spec_path + ": " + k; };

  Plan plan;
  plan.kind = spec.contains("dot") ? Workload::Dot : Workload::Run;
  json run{{"model", default_model_path()},
           {"dataset", "fashion-mnist"}, {"images", 100}, {"batch", 16}, {"platform", "tiles"}};
  std::string base = "default";
  json overlay = json::object();
  std::uint64_t seed = 0;
  const ojson* grid = nullptr;
  const ojson* random = nullptr;
  const ojson* points = nullptr;
  const ojson* seeds = nullptr;
  const ojson* dot = nullptr;
  for (auto it = spec.begin(); it != spec.end(); ++it) {
    const std::string& k = it.key();
    const ojson& v = it.value();
    const std::string f = field(k);
    const bool run_key = k == "model" || k == "dataset" || k == "images" || k == "batch" || k == "platform";
    if (run_key && plan.kind == Workload::Dot)
      throw InputError(f + ": a dot workload has no " + k + " (model, dataset, images, batch, platform are for networks)");
    if (k == "description") {
      require(v.is_string(), f, "must be a string");
    } else if (k == "model" || k == "dataset") {
      require(v.is_string() && !v.get<std::string>().empty(), f, "must be a non-empty string");
      std::string s = v.get<std::string>();
      // A dataset name (fashion-mnist) stays; paths are relative to the spec's folder.
      if (k == "model" || s.find('/') != std::string::npos || fs::exists(spec_dir / s)) s = resolve_path(s, spec_dir);
      run[k] = s;
    } else if (k == "images" || k == "batch") {
      const auto n = core::json_integer<std::int64_t>(plain(v), f);
      require(n >= 1, f, "must be >= 1");
      run[k] = n;
    } else if (k == "platform") {
      require(v.is_string(), f, "must be a string");
      const std::string p = v.get<std::string>();
      require(p == "tiles" || p == "vp" || p == "analog" || p == "engine_only", f,
              quote(p) + " is not one of tiles, vp, analog, engine_only");
      run[k] = p;
    } else if (k == "dot") {
      dot = &v;
    } else if (k == "base") {
      require(v.is_string() && !v.get<std::string>().empty(), f, "must be a preset name or a configuration file");
      base = v.get<std::string>();
    } else if (k == "config") {
      require(v.is_object(), f, "must be an object (overlaid on the base configuration)");
      overlay = plain(v);
    } else if (k == "grid") {
      require(v.is_array(), f, "must be an array of axes [{\"name\": ..., \"values\": [...]}, ...]");
      grid = &v;
    } else if (k == "random") {
      require(v.is_object(), f, "must be {\"samples\": N, \"axes\": [...]}");
      random = &v;
    } else if (k == "points") {
      require(v.is_array() && !v.empty(), f, "must be a non-empty array of {\"axis.name\": value, ...}");
      points = &v;
    } else if (k == "seeds") {
      seeds = &v;
    } else if (k == "seed") {
      seed = core::json_integer<std::uint64_t>(plain(v), f);
    } else {
      throw InputError(f + ": unknown key (expected description, model, dataset, images, batch, platform, dot, base, config, grid, random, points, seeds, seed)");
    }
  }
  require((grid != nullptr) + (random != nullptr) + (points != nullptr) <= 1, spec_path,
          "give at most one of grid, random, points");

  // Seeds (Monte Carlo): a count (seed, seed+1, ...) or an explicit list; the same for every point.
  if (!seeds) {
    plan.seeds = {seed};
  } else if (seeds->is_array()) {
    require(!seeds->empty(), field("seeds"), "must not be empty");
    std::set<std::uint64_t> seen;
    for (std::size_t i = 0; i < seeds->size(); ++i) {
      const auto s = core::json_integer<std::uint64_t>(plain((*seeds)[i]), field("seeds[" + std::to_string(i) + "]"));
      require(seen.insert(s).second, field("seeds[" + std::to_string(i) + "]"), "repeats seed " + std::to_string(s));
      plan.seeds.push_back(s);
    }
  } else {
    const int n = core::json_integer<int>(plain(*seeds), field("seeds"));
    require(n >= 1 && n <= 100000, field("seeds"), "must be a count 1..100000 or a list of seeds");
    for (int i = 0; i < n; ++i) plan.seeds.push_back(seed + static_cast<std::uint64_t>(i));
  }

  // Workload.
  if (plan.kind == Workload::Dot) {
    require(dot->is_object(), field("dot"), "must be {\"a\": {shape, distribution}, \"b\": {...}}");
    json w{{"seed", seed}};
    for (auto it = dot->begin(); it != dot->end(); ++it) {
      if (it.key() == "a" || it.key() == "b") w[it.key()] = operand_spec(it.value(), field("dot." + it.key()), spec_dir);
      else throw InputError(field("dot." + it.key()) + ": unknown key (expected a, b)");
    }
    require(w.contains("a") && w.contains("b"), field("dot"), "needs both operands a and b");
    require(w["a"]["shape"][1] == w["b"]["shape"][0], field("dot"),
            "shapes do not align: a is " + w["a"]["shape"].dump() + ", b is " + w["b"]["shape"].dump());
    plan.workload = w;
  } else {
    // Refuse a missing model or dataset now, not in every child.
    try {
      (void)nn::load_onnx(run["model"].get<std::string>());
    } catch (const InputError& e) {
      throw InputError(field("model") + ": " + e.what());
    }
    try {
      (void)nn::open_dataset(run["dataset"].get<std::string>());
    } catch (const InputError& e) {
      throw InputError(field("dataset") + ": " + e.what());
    }
    plan.workload = run;
  }

  // Base configuration, then the spec's overlay, then the axes.
  json base_cfg = load_base(base, spec_dir, field("base"));
  require(base_cfg.is_object(), field("base"), "the base configuration must be a JSON object");
  base_cfg.erase("description");
  if (plan.kind == Workload::Dot) {
    // The dot engine takes the base's engine group alone (a preset's tile or energy group
    // describes periphery the dot command does not model).
    base_cfg = json{{"engine", base_cfg.value("engine", json::object())}};
    for (auto it = overlay.begin(); it != overlay.end(); ++it)
      require(it.key() == "engine", field("config"), "a dot workload uses the engine group only, got " + quote(it.key()));
  }
  base_cfg.merge_patch(overlay);
  validate_config(plan.kind == Workload::Dot ? base_cfg.value("engine", json::object()) : base_cfg, plan.kind,
                  field("base") + " + config");

  // Axes and their values per point.
  std::vector<std::vector<json>> values;  // [point][axis]
  std::vector<std::string> fields;         // the spec field of each axis, for messages
  if (grid) {
    std::vector<std::vector<json>> axis_values;
    for (std::size_t a = 0; a < grid->size(); ++a) {
      const std::string f = field("grid[" + std::to_string(a) + "]");
      plan.axis_names.push_back(axis_name((*grid)[a], f));
      fields.push_back(f);
      axis_values.push_back(grid_values((*grid)[a], f));
    }
    std::size_t total = 1;
    for (const auto& v : axis_values) {
      require(total * v.size() <= 10000000, field("grid"), "more than 10^7 points");
      total *= v.size();
    }
    // Cartesian product, the last axis varying fastest.
    for (std::size_t p = 0; p < total; ++p) {
      std::vector<json> row(axis_values.size());
      std::size_t rest = p;
      for (std::size_t a = axis_values.size(); a-- > 0;) {
        row[a] = axis_values[a][rest % axis_values[a].size()];
        rest /= axis_values[a].size();
      }
      values.push_back(std::move(row));
    }
  } else if (random) {
    int samples = 0;
    const ojson* axes = nullptr;
    for (auto it = random->begin(); it != random->end(); ++it) {
      if (it.key() == "samples") samples = core::json_integer<int>(plain(it.value()), field("random.samples"));
      else if (it.key() == "axes") axes = &it.value();
      else throw InputError(field("random." + it.key()) + ": unknown key (expected samples, axes)");
    }
    require(samples >= 1 && samples <= 10000000, field("random.samples"), "must be 1..10^7");
    require(axes && axes->is_array() && !axes->empty(), field("random.axes"), "must be a non-empty array of axes");
    std::vector<RandomAxis> dists;
    for (std::size_t a = 0; a < axes->size(); ++a) {
      const std::string f = field("random.axes[" + std::to_string(a) + "]");
      plan.axis_names.push_back(axis_name((*axes)[a], f));
      fields.push_back(f);
      dists.push_back(random_axis((*axes)[a], f));
    }
    const core::CounterRng rng(seed);  // the samples are a function of the spec's seed
    for (int s = 0; s < samples; ++s) {
      std::vector<json> row;
      for (std::size_t a = 0; a < dists.size(); ++a) row.push_back(dists[a].draw(rng, a, static_cast<std::uint64_t>(s)));
      values.push_back(std::move(row));
    }
  } else if (points) {
    for (std::size_t p = 0; p < points->size(); ++p) {
      const std::string f = field("points[" + std::to_string(p) + "]");
      const ojson& pt = (*points)[p];
      require(pt.is_object() && !pt.empty(), f, "must be a non-empty object {\"axis.name\": value, ...}");
      if (p == 0)
        for (auto it = pt.begin(); it != pt.end(); ++it) {
          plan.axis_names.push_back(it.key());
          fields.push_back(f);
        }
      std::vector<json> row;
      for (const auto& name : plan.axis_names) {
        require(pt.contains(name), f, "lacks axis " + quote(name) + " (every point names the same axes as points[0])");
        require(!pt[name].is_null(), f + "." + name, "null is not a value");
        row.push_back(plain(pt[name]));
      }
      require(row.size() == pt.size(), f, "has an axis points[0] lacks (every point names the same axes)");
      values.push_back(std::move(row));
    }
  } else {
    values.push_back({});  // one point: the base configuration itself
  }
  {
    std::set<std::string> seen;
    for (std::size_t a = 0; a < plan.axis_names.size(); ++a) {
      check_axis_name(plan.axis_names[a], plan.kind, fields[a]);
      require(seen.insert(plan.axis_names[a]).second, fields[a], "axis " + quote(plan.axis_names[a]) + " appears twice");
    }
  }

  // Every point whole, as its child will load it. The first invalid point is reported; when the
  // axis value alone on the base gives the same error and no valid point has that value, the
  // value is to blame (an unknown field, a bad value) and the message names the axis and value,
  // otherwise it names the point and all its values (a bad combination).
  const auto select = [&](const json& cfg) { return plan.kind == Workload::Dot ? cfg.value("engine", json::object()) : cfg; };
  std::set<std::pair<std::size_t, std::string>> valid_values;  // (axis, value) in a valid point
  std::size_t bad_point = values.size();
  std::string bad_error;
  for (std::size_t p = 0; p < values.size(); ++p) {
    json cfg = base_cfg;
    for (std::size_t a = 0; a < plan.axis_names.size(); ++a) set_dotted(cfg, plan.axis_names[a], values[p][a], fields[a]);
    cfg = select(cfg);
    const std::string err = config_error(cfg, plan.kind);
    if (err.empty()) {
      for (std::size_t a = 0; a < plan.axis_names.size(); ++a) valid_values.insert({a, values[p][a].dump()});
    } else if (bad_point == values.size()) {
      bad_point = p;
      bad_error = err;
    }
    plan.point_configs.push_back(std::move(cfg));
  }
  if (bad_point < values.size()) {
    const auto& row = values[bad_point];
    for (std::size_t a = 0; a < plan.axis_names.size() && points == nullptr; ++a) {
      json alone = base_cfg;
      set_dotted(alone, plan.axis_names[a], row[a], fields[a]);
      if (!valid_values.count({a, row[a].dump()}) && config_error(select(alone), plan.kind) == bad_error)
        throw InputError(fields[a] + " " + quote(plan.axis_names[a]) + " = " + row[a].dump() + bad_error);
    }
    std::string desc;
    for (std::size_t a = 0; a < plan.axis_names.size(); ++a)
      desc += (a ? ", " : "") + plan.axis_names[a] + "=" + value_text(row[a]);
    const std::string where = field((points ? "points[" : "point ") + std::to_string(bad_point) + (points ? "]" : ""));
    throw InputError(where + " (" + desc + ")" + bad_error);
  }
  plan.point_values = std::move(values);
  return plan;
}

std::string Plan::task_key(std::size_t task) const {
  return json{{"workload", workload}, {"config", point_configs[point_of(task)]}, {"seed", seeds[seed_index_of(task)]}}.dump();
}

std::vector<std::string> Plan::child_args(std::size_t task, const std::string& dir) const {
  const std::string seed = std::to_string(seeds[seed_index_of(task)]);
  const std::string cfg = dir + "/config.json", report = dir + "/report.json";
  if (kind == Workload::Dot)
    return {"dot", "--a", dir + "/a.npy", "--b", dir + "/b.npy", "--out", dir + "/c.npy", "--config", cfg, "--seed", seed,
            "--json"};
  std::vector<std::string> args{"run", "--model", workload["model"].get<std::string>(), "--dataset",
                                workload["dataset"].get<std::string>(), "--limit",
                                std::to_string(workload["images"].get<std::int64_t>()), "--batch",
                                std::to_string(workload["batch"].get<std::int64_t>()), "--config", cfg, "--seed", seed,
                                "--report", report, "--quiet"};
  const std::string platform = workload["platform"].get<std::string>();
  if (platform == "engine_only") args.push_back("--engine-only");
  else if (platform != "tiles") args.insert(args.end(), {"--platform", platform});
  return args;
}

std::string Plan::describe(std::size_t task) const {
  const std::size_t p = point_of(task);
  std::string s = "point " + std::to_string(p) + " (";
  for (std::size_t a = 0; a < axis_names.size(); ++a) s += (a ? ", " : "") + axis_names[a] + "=" + value_text(point_values[p][a]);
  return s + ") seed " + std::to_string(seeds[seed_index_of(task)]);
}

json Plan::to_json() const {
  return {{"kind", kind == Workload::Dot ? "dot" : "run"}, {"workload", workload}, {"axis_names", axis_names},
          {"point_values", point_values}, {"point_configs", point_configs}, {"seeds", seeds}};
}

Plan Plan::from_json(const json& j) {
  Plan p;
  p.kind = j.at("kind") == "dot" ? Workload::Dot : Workload::Run;
  p.workload = j.at("workload");
  p.axis_names = j.at("axis_names").get<std::vector<std::string>>();
  p.point_values = j.at("point_values").get<std::vector<std::vector<json>>>();
  p.point_configs = j.at("point_configs").get<std::vector<json>>();
  p.seeds = j.at("seeds").get<std::vector<std::uint64_t>>();
  return p;
}

void write_dot_operands(const Plan& plan, const std::string& dir) {
  const core::CounterRng rng(plan.workload.at("seed").get<std::uint64_t>());
  std::uint64_t id = 0;
  for (const char* name : {"a", "b"}) {
    const json& o = plan.workload.at(name);
    if (o.contains("npy")) {  // the user's file, as it is
      fs::create_symlink(o["npy"].get<std::string>(), dir + "/" + name + ".npy");
      ++id;
      continue;
    }
    const int rows = o["shape"][0], cols = o["shape"][1];
    Eigen::MatrixXd m(rows, cols);
    const bool normal = o["distribution"] == "normal";
    const double lo = o["low"], hi = o["high"], mean = o["mean"], sd = o["std"];
    for (int r = 0; r < rows; ++r)
      for (int c = 0; c < cols; ++c) {
        const auto k = static_cast<std::uint64_t>(r) * static_cast<std::uint64_t>(cols) + static_cast<std::uint64_t>(c);
        m(r, c) = normal ? mean + sd * rng.normal(0x0d07, id, k) : lo + (hi - lo) * rng.uniform(0x0d07, id, k);
      }
    core::write_npy(dir + "/" + name + ".npy", m, 2);
    ++id;
  }
}

std::vector<std::string> metric_names(Workload kind) {
  if (kind == Workload::Dot) return {"relative_error", "arrays", "dac_conversions", "array_reads", "adc_conversions"};
  return {"accuracy", "float_accuracy", "argmax_agreement_with_float", "energy_pj_per_image", "latency_ns_per_image",
          "simulated_ns_per_image", "power_mw", "area_um2", "tops_per_w", "hardware_images_per_s", "programming_energy_pj"};
}

namespace {

const json* metric(const json& report, const std::string& name) {
  const json* v = nullptr;
  if (report.contains(name)) v = &report[name];
  else if (report.contains("counters") && report["counters"].contains(name)) v = &report["counters"][name];
  return v && v->is_number() ? v : nullptr;
}

std::string csv_cell(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

// Doubles in the shortest text that reads back to the same value (nlohmann's), so the tables
// are exact and their bytes a function of the numbers alone.
std::string number(double x) { return json(x).dump(); }

std::string header(const Plan& plan, bool with_seed) {
  std::string h = "point";
  for (const auto& a : plan.axis_names) h += "," + csv_cell(a);
  if (with_seed) h += ",seed";
  return h;
}

std::string point_cells(const Plan& plan, std::size_t p) {
  std::string s = std::to_string(p);
  for (const auto& v : plan.point_values[p]) s += "," + csv_cell(value_text(v));
  return s;
}

}  // namespace

std::string results_csv(const Plan& plan, const std::vector<json>& reports) {
  const auto metrics = metric_names(plan.kind);
  std::ostringstream out;
  out << header(plan, true);
  for (const auto& m : metrics) out << "," << m;
  out << "\n";
  for (std::size_t t = 0; t < plan.tasks(); ++t) {
    out << point_cells(plan, plan.point_of(t)) << "," << plan.seeds[plan.seed_index_of(t)];
    for (const auto& m : metrics) {
      const json* v = metric(reports[t], m);
      out << "," << (v ? (v->is_number_float() ? number(v->get<double>()) : v->dump()) : "");
    }
    out << "\n";
  }
  return out.str();
}

double student_t975(int df) {
  // t_{0.975, df} for df = 1..100 (scipy.stats.t.ppf(0.975, df)).
  static const double table[] = {
      12.706204736432095, 4.302652729911275, 3.182446305284263, 2.7764451051977987,
      2.5705818366147395, 2.4469118487916806, 2.3646242510102993, 2.3060041350333704,
      2.2621571627409915, 2.2281388519649385, 2.200985160082949, 2.1788128296634177,
      2.1603686564610127, 2.1447866879169273, 2.131449545559323, 2.1199052992210112,
      2.1098155778331806, 2.10092204024096, 2.093024054408263, 2.0859634472658364,
      2.079613844727662, 2.0738730679040147, 2.0686576104190406, 2.0638985616280205,
      2.059538552753294, 2.055529438642871, 2.0518305164802833, 2.048407141795244,
      2.045229642132703, 2.0422724563012373, 2.0395134463964077, 2.036933343460101,
      2.0345152974493383, 2.032244509317718, 2.0301079282503425, 2.0280940009804502,
      2.0261924630291093, 2.024394164575136, 2.022690911734728, 2.0210753829953374,
      2.0195409639828936, 2.018081697095881, 2.0166921941428133, 2.015367569912941,
      2.0141033848332923, 2.0128955952945886, 2.0117405104757546, 2.0106347546964454,
      2.009575234489209, 2.008559109715206, 2.007583768155882, 2.0066468031022113,
      2.0057459935369497, 2.004879286566523, 2.004044781810181, 2.0032407174966975,
      2.0024654580545986, 2.0017174830120923, 2.00099537704821, 2.0002978210582616,
      1.9996235841149779, 1.9989715162223112, 1.9983405417721956, 1.9977296536259734,
      1.9971379077520122, 1.9965644183594744, 1.9960083534755055, 1.9954689309194018,
      1.9949454146328136, 1.9944371113297727, 1.993943367434504, 1.9934635662785827,
      1.9929971255321663, 1.99254349484682, 1.9921021536898653, 1.9916726093523487,
      1.9912543951146038, 1.990847068555052, 1.9904502099893602, 1.990063421028384,
      1.9896863232444828, 1.9893185569368186, 1.988959779987179, 1.9886096667986732,
      1.9882679073103775, 1.9879342060816718, 1.9876082814405769, 1.9872898646909385,
      1.9869786993737677, 1.9866745405784678, 1.9863771543000648, 1.9860863168388934,
      1.9858018142395026, 1.9855234417658298, 1.9852510034099262, 1.984984311431769,
      1.984723185927883, 1.984467454426692, 1.9842169515086827, 1.9839715184496334};
  if (df <= 100) return table[std::max(df, 1) - 1];
  // Cornish-Fisher expansion of the t quantile around the normal one (error < 2e-8 for df > 100).
  const double z = 1.959963984540054, n = df;
  const double z3 = z * z * z, z5 = z3 * z * z, z7 = z5 * z * z;
  return z + (z3 + z) / (4 * n) + (5 * z5 + 16 * z3 + 3 * z) / (96 * n * n) +
         (3 * z7 + 19 * z5 + 17 * z3 - 15 * z) / (384 * n * n * n);
}

std::string summary_csv(const Plan& plan, const std::vector<json>& reports) {
  const auto metrics = metric_names(plan.kind);
  std::ostringstream out;
  out << header(plan, false) << ",seeds";
  for (const auto& m : metrics) out << "," << m << "_mean," << m << "_std," << m << "_ci95_low," << m << "_ci95_high";
  out << "\n";
  const std::size_t ns = plan.seeds.size();
  for (std::size_t p = 0; p < plan.point_configs.size(); ++p) {
    out << point_cells(plan, p) << "," << ns;
    for (const auto& m : metrics) {
      std::vector<double> x;
      for (std::size_t s = 0; s < ns; ++s)
        if (const json* v = metric(reports[p * ns + s], m)) x.push_back(v->get<double>());
      if (x.size() != ns) {  // a metric this workload does not report
        out << ",,,,";
        continue;
      }
      double sum = 0;
      for (double v : x) sum += v;  // seed order: a fixed order, so fixed bytes
      const double mean = sum / static_cast<double>(ns);
      if (ns < 2) {
        out << "," << number(mean) << ",,,";
        continue;
      }
      double ss = 0;
      for (double v : x) ss += (v - mean) * (v - mean);
      const double sd = std::sqrt(ss / static_cast<double>(ns - 1));
      const double half = student_t975(static_cast<int>(ns - 1)) * sd / std::sqrt(static_cast<double>(ns));
      out << "," << number(mean) << "," << number(sd) << "," << number(mean - half) << "," << number(mean + half);
    }
    out << "\n";
  }
  return out.str();
}

std::string timing_csv(const Plan& plan, const std::vector<double>& wall_seconds) {
  std::ostringstream out;
  out << "point,seed,wall_seconds\n";
  for (std::size_t t = 0; t < plan.tasks(); ++t)
    out << plan.point_of(t) << "," << plan.seeds[plan.seed_index_of(t)] << "," << number(wall_seconds[t]) << "\n";
  return out.str();
}

}  // namespace memtile::cli::sweep
