#include "memtile/core/config/TraceConfig.hpp"

#include <limits>
#include <nlohmann/json.hpp>

#include "memtile/core/ParamTable.hpp"

namespace memtile::core {

const std::vector<core::Param<TraceConfig>>& trace_params() {
  static const std::vector<core::Param<TraceConfig>> table = [] {
    using C = TraceConfig;
    std::vector<core::Param<C>> t;
    t.push_back(core::int_param<C>("trace_vectors", "--trace-vectors", &C::trace_vectors, "vectors", 0,
                                   18446744073709551615.0L, "0 .. 2^64-1",
                                   "Input vectors per tile that produce per-operation VCD changes and Perfetto "
                                   "events (bounds memory and file size on long runs)"));
    t.push_back(core::int_param<C>("adc_trace_column", "", &C::adc_trace_column, "column", 0,
                                   std::numeric_limits<int>::max(), ">= 0",
                                   "Output column whose ADC codes are traced (row partition 0, weight slice 0); "
                                   "columns beyond a layer's outputs trace nothing"));
    return t;
  }();
  return table;
}

void TraceConfig::validate(const std::string& group) const { core::check_group(trace_params(), *this, group); }

void apply_json(TraceConfig& t, const nlohmann::json& j, const std::string& source) {
  const bool named = source.size() >= 5 && source.compare(source.size() - 5, 5, "trace") == 0;
  const std::string group = source.empty() ? "trace" : named ? source : source + ": trace";
  core::apply_group(trace_params(), t, j, group);
  t.validate(group);
}

nlohmann::json to_json(const TraceConfig& t) { return core::params_to_json(trace_params(), t); }

std::string trace_config_markdown() { return core::params_markdown(trace_params()); }

std::string vcd_base_path(const std::string& flag_value) {
  const std::string ext = ".vcd";
  if (flag_value.size() > ext.size() && flag_value.compare(flag_value.size() - ext.size(), ext.size(), ext) == 0)
    return flag_value.substr(0, flag_value.size() - ext.size());
  return flag_value;
}

}  // namespace memtile::core
