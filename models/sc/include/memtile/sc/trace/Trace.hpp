// Trace outputs shared by all tiles of a model (docs/model.md §10).
//  * VCD through sc_trace: the file is created here, each Tile registers its variables during
//    elaboration; time unit 1 ps.
//  * Chrome/Perfetto JSON {"traceEvents":[...],"displayTimeUnit":"ns"}: ts/dur in microseconds,
//    pid 1 = the accelerator, one tid a track (tile phase, or partition x component), M events
//    name them, X events are unit operations, C events energy/power counters.
// Events are buffered and written by close(); the tiles only emit them for the first
// TraceConfig::trace_vectors vectors, so the buffer stays bounded on long runs.
#pragma once
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <systemc>

#include "memtile/core/config/TraceConfig.hpp"

namespace memtile::sc {

class TraceHub {
 public:
  explicit TraceHub(const core::TraceConfig& cfg);  // creates the VCD file (must be before sc_start)
  ~TraceHub();
  TraceHub(const TraceHub&) = delete;
  TraceHub& operator=(const TraceHub&) = delete;

  const core::TraceConfig& config() const { return cfg_; }
  sc_core::sc_trace_file* vcd() const { return vcd_; }
  bool perfetto() const { return !cfg_.perfetto_path.empty(); }
  bool any() const { return vcd_ || perfetto(); }

  int track(const std::string& name);  // a new tid with its M event
  // X event; args: vector index in the layer's stream, input slice (-1: none), row partition.
  void complete(const char* name, int tid, sc_core::sc_time start, sc_core::sc_time dur,
                std::int64_t vector, int slice, int partition);
  void counter(const std::string& name, sc_core::sc_time ts, std::vector<std::pair<std::string, double>> values);
  std::size_t events() const { return x_.size() + c_.size(); }

  // Writes the Perfetto JSON and closes the VCD. Idempotent. Closing the VCD advances the
  // simulated time by 1 ps (SystemC writes a time step only when time moves past it).
  void close();

 private:
  struct X {
    const char* name;
    int tid, slice, partition;
    std::int64_t vector;
    std::uint64_t ts_ps, dur_ps;
  };
  struct C {
    std::string name;
    std::uint64_t ts_ps;
    std::vector<std::pair<std::string, double>> values;
  };
  core::TraceConfig cfg_;
  sc_core::sc_trace_file* vcd_ = nullptr;
  std::vector<std::string> tracks_;
  std::vector<X> x_;
  std::vector<C> c_;
  bool closed_ = false;
};

}  // namespace memtile::sc
