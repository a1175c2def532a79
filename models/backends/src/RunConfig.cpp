#include "memtile/backends/RunConfig.hpp"

#include <sstream>

#include "memtile/core/Errors.hpp"
#include "memtile/core/JsonField.hpp"

namespace memtile::backends {
namespace {

// A group with its own table and loader: apply_json(T&, json, group) validates it on load.
template <class M>
RunConfigGroup section_group(std::string name, std::string doc, M m, bool selects_analog = false) {
  RunConfigGroup g;
  g.name = name;
  g.type = "object";
  g.section = std::move(name);
  g.doc = std::move(doc);
  g.selects_analog = selects_analog;
  g.apply = [m](RunConfig& rc, const nlohmann::json& v, const std::string& group) { apply_json(rc.*m, v, group); };
  return g;
}

}  // namespace

const std::vector<RunConfigGroup>& run_config_groups() {
  static const std::vector<RunConfigGroup> table = [] {
    std::vector<RunConfigGroup> t;
    t.push_back(section_group("engine", "The numerical engine of every tile (mPimPy's names)", &RunConfig::engine));
    t.push_back(section_group("tile", "Timing and structure of every tile", &RunConfig::tile));
    t.push_back(section_group("energy", "Energy and area figures", &RunConfig::energy));
    t.push_back(section_group("trace", "What the traces record (the files are chosen by `--vcd` and `--trace`)",
                              &RunConfig::trace));
    t.push_back(section_group("analog", "The fully analog IMAC-style network", &RunConfig::analog, true));
    RunConfigGroup d;
    d.name = "description";
    d.type = "string";
    d.doc = "Free text (presets describe themselves here); not read by the model";
    d.apply = [](RunConfig& rc, const nlohmann::json& v, const std::string& group) {
      core::require(v.is_string(), group, "must be a string (free text)");
      rc.description = v.get<std::string>();
    };
    t.push_back(std::move(d));
    return t;
  }();
  return table;
}

RunConfig load_run_config(const nlohmann::json& j, const std::string& source) {
  RunConfig rc;
  core::require(j.is_object(), source, "a run configuration must be a JSON object");
  const auto& groups = run_config_groups();
  for (auto it = j.begin(); it != j.end(); ++it) {
    // ": engine" without a source: the sweep prefixes its own (validate_run_config's origin).
    const std::string group = source + ": " + it.key();
    const RunConfigGroup* g = nullptr;
    for (const RunConfigGroup& q : groups)
      if (q.name == it.key()) g = &q;
    if (!g) {
      std::string known;
      for (const RunConfigGroup& q : groups) known += (known.empty() ? "" : ", ") + q.name;
      throw core::InputError(group + ": unknown key (known: " + known + ")");
    }
    g->apply(rc, it.value(), group);
    if (g->selects_analog) rc.has_analog = true;
  }
  return rc;
}

RunConfig load_run_config_file(const std::string& path) {
  if (path.empty()) return RunConfig{};
  return load_run_config(core::read_json_file(path), path);
}

void RunConfig::validate(const std::string& source) const {
  const std::string pre = source.empty() ? "" : source + ": ";  // the checks between fields name the file too
  engine.validate(source.empty() ? "" : pre + "engine");
  tile.validate(engine, pre + "tile");
  energy.validate(pre + "energy");
  trace.validate(pre + "trace");
  if (has_analog) analog.validate(pre + "analog");
}

std::string run_config_markdown() {
  std::ostringstream o;
  o << "| key | value | meaning |\n|---|---|---|\n";
  for (const RunConfigGroup& g : run_config_groups()) {
    o << "| `" << g.name << "` | " << g.type;
    if (!g.section.empty()) o << ", see [" << g.section << "](#" << g.section << ")";
    o << " | " << g.doc;
    if (g.selects_analog) o << "; present (even `{}`), it selects the fully analog mode (`--platform analog`)";
    o << " |\n";
  }
  return o.str();
}

}  // namespace memtile::backends
