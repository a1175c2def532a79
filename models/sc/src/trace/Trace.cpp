#include "memtile/sc/trace/Trace.hpp"

#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <nlohmann/json.hpp>

#include "memtile/core/Errors.hpp"

namespace memtile::sc {
namespace {

// SystemC stamps the VCD header with the wall-clock time ("$date ... $end"), so two identical
// runs give different files. With SOURCE_DATE_EPOCH set (the reproducible-builds convention,
// seconds since 1970) the stamp becomes that instant in UTC, overwritten in place: the
// header block keeps its length (padded with spaces, which VCD ignores), the rest of the file
// is untouched. Unset or unparsable: the file is left as SystemC wrote it.
void fix_vcd_date(const std::string& path) {
  const char* epoch = std::getenv("SOURCE_DATE_EPOCH");
  if (!epoch || !*epoch) return;
  char* end = nullptr;
  const long long secs = std::strtoll(epoch, &end, 10);
  if (!end || *end != '\0' || secs < 0) return;
  const std::time_t t = static_cast<std::time_t>(secs);
  std::tm tm{};
  if (!::gmtime_r(&t, &tm)) return;
  char date[64];
  if (std::strftime(date, sizeof date, "%Y-%m-%d %H:%M:%S UTC", &tm) == 0) return;
  std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
  if (!f) return;
  std::string head(4096, '\0');
  f.read(head.data(), static_cast<std::streamsize>(head.size()));
  head.resize(static_cast<std::size_t>(f.gcount()));
  f.clear();
  const std::size_t a = head.find("$date");
  if (a == std::string::npos) return;
  const std::size_t body = a + 5, b = head.find("$end", body);
  if (b == std::string::npos) return;
  std::string text = std::string("\n     ") + date + "\n";
  if (text.size() > b - body) text = " " + std::string(date).substr(0, b - body > 2 ? b - body - 2 : 0) + " ";
  text.resize(b - body, ' ');
  f.seekp(static_cast<std::streamoff>(body));
  f.write(text.data(), static_cast<std::streamsize>(text.size()));
}

}  // namespace

TraceHub::TraceHub(const core::TraceConfig& cfg) : cfg_(cfg) {
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
    fix_vcd_date(cfg_.vcd_path + ".vcd");
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
