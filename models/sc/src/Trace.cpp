#include "memtile/sc/Trace.hpp"

#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>

#include "memtile/core/Errors.hpp"

namespace memtile::sc {

TraceHub::TraceHub(const TraceConfig& cfg) : cfg_(cfg) {
  cfg_.validate();
  if (!cfg_.vcd_path.empty()) {
    vcd_ = sc_core::sc_create_vcd_trace_file(cfg_.vcd_path.c_str());
    core::require(vcd_ != nullptr, "trace.vcd_path", "cannot create " + cfg_.vcd_path + ".vcd");
    vcd_->set_time_unit(1, sc_core::SC_PS);
  }
  if (perfetto()) {
    std::ofstream probe(cfg_.perfetto_path);  // fail at elaboration, not at the end of a run
    core::require(static_cast<bool>(probe), "trace.perfetto_path", "cannot write " + cfg_.perfetto_path);
  }
}

TraceHub::~TraceHub() {
  try {
    close();
  } catch (...) {  // a destructor must not throw; close() reports errors when called directly
  }
}

int TraceHub::track(const std::string& name) {
  tracks_.push_back(name);
  return static_cast<int>(tracks_.size());
}

void TraceHub::complete(const char* name, int tid, sc_core::sc_time start, sc_core::sc_time dur,
                        std::int64_t vector, int slice, int partition) {
  if (!perfetto()) return;
  x_.push_back(X{name, tid, slice, partition, vector, start.value(), dur.value()});
}

void TraceHub::counter(const std::string& name, sc_core::sc_time ts, std::vector<std::pair<std::string, double>> values) {
  if (!perfetto()) return;
  c_.push_back(C{name, ts.value(), std::move(values)});
}

void TraceHub::close() {
  if (closed_) return;
  closed_ = true;
  if (vcd_) {
    // SystemC 2.3 writes a time step's values only once time moves past it: advance 1 ps so
    // the last step of the run (final energies, busy = 0) reaches the file.
    if (sc_core::sc_get_status() == sc_core::SC_PAUSED) sc_core::sc_start(sc_core::sc_time(1, sc_core::SC_PS));
    sc_core::sc_close_vcd_trace_file(vcd_);
    vcd_ = nullptr;
  }
  if (!perfetto()) return;
  // Time values are integer picoseconds (the SystemC resolution); ts/dur are microseconds.
  const double ps_per_us = 1e6;
  std::ofstream f(cfg_.perfetto_path);
  core::require(static_cast<bool>(f), "trace.perfetto_path", "cannot write " + cfg_.perfetto_path);
  f << "{\"displayTimeUnit\":\"ns\",\"traceEvents\":[\n";
  f << R"({"name":"process_name","ph":"M","pid":1,"args":{"name":"memtile accelerator"}})";
  for (std::size_t t = 0; t < tracks_.size(); ++t)
    f << ",\n" << nlohmann::json{{"name", "thread_name"}, {"ph", "M"}, {"pid", 1}, {"tid", t + 1},
                                  {"args", {{"name", tracks_[t]}}}}.dump();
  char buf[512];
  for (const X& x : x_) {
    std::snprintf(buf, sizeof buf,
                  ",\n{\"name\":\"%s\",\"ph\":\"X\",\"pid\":1,\"tid\":%d,\"ts\":%.6f,\"dur\":%.6f,"
                  "\"args\":{\"vector\":%lld,\"slice\":%d,\"partition\":%d}}",
                  x.name, x.tid, x.ts_ps / ps_per_us, x.dur_ps / ps_per_us, static_cast<long long>(x.vector),
                  x.slice, x.partition);
    f << buf;
  }
  for (const C& c : c_) {
    nlohmann::json args = nlohmann::json::object();
    for (const auto& [k, v] : c.values) args[k] = v;
    f << ",\n" << nlohmann::json{{"name", c.name}, {"ph", "C"}, {"pid", 1}, {"ts", c.ts_ps / ps_per_us}, {"args", args}}.dump();
  }
  f << "\n]}\n";
  core::require(static_cast<bool>(f), "trace.perfetto_path", "write failed for " + cfg_.perfetto_path);
}

}  // namespace memtile::sc
