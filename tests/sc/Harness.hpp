// Test bench for SystemC tests: independent tiles, each with its own source and sink, all
// elaborated before the first sc_start (one elaboration per process). Also: the rule that
// SystemC warnings fail a test.
#pragma once
#include <boost/test/unit_test.hpp>
#include <deque>
#include <map>
#include <memory>
#include <systemc>

#include "../common/NoSystemCWarnings.hpp"
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>

#include "memtile/sc/tile/Tile.hpp"

namespace memtile::test {

struct HostSink : sc_core::sc_module {
  tlm_utils::simple_target_socket<HostSink> socket;
  std::map<std::uint64_t, std::shared_ptr<Eigen::MatrixXd>> results;
  std::map<std::uint64_t, sc_core::sc_time> arrival;
  explicit HostSink(sc_core::sc_module_name n) : sc_core::sc_module(n), socket("socket") {
    socket.register_b_transport(this, &HostSink::b_transport);
  }
  void b_transport(tlm::tlm_generic_payload& tx, sc_core::sc_time&) {
    auto* job = tx.get_extension<sc::JobExtension>();
    results[job->job] = job->data;
    arrival[job->job] = sc_core::sc_time_stamp();
    tx.set_response_status(tlm::TLM_OK_RESPONSE);
  }
};

struct HostSource : sc_core::sc_module {
  tlm_utils::simple_initiator_socket<HostSource> socket;
  explicit HostSource(sc_core::sc_module_name n) : sc_core::sc_module(n), socket("socket") {}
  void send(const Eigen::MatrixXd& x, std::uint64_t id) {
    sc::JobExtension job;
    job.data = std::make_shared<Eigen::MatrixXd>(x);
    job.job = id;
    tlm::tlm_generic_payload tx;
    tx.set_command(tlm::TLM_WRITE_COMMAND);
    tx.set_extension(&job);
    sc_core::sc_time d = sc_core::SC_ZERO_TIME;
    socket->b_transport(tx, d);
    tx.clear_extension(&job);
    BOOST_REQUIRE(tx.get_response_status() == tlm::TLM_OK_RESPONSE);
  }
};

class Bench {
 public:
  int add(const std::string& name, core::ProgrammedMatrix pm, const core::TileConfig& tc = {},
          const core::NeuronConfig& nc = {}, const core::EnergyTable& et = {}, sc::TraceHub* trace = nullptr) {
    energies_.push_back(et);
    const int k = static_cast<int>(tiles_.size());
    tiles_.push_back(std::make_unique<sc::Tile>(name.c_str(), std::make_shared<core::ProgrammedMatrix>(std::move(pm)),
                                                tc, nc, energies_.back(), trace));
    sources_.push_back(std::make_unique<HostSource>((name + "_src").c_str()));
    sinks_.push_back(std::make_unique<HostSink>((name + "_sink").c_str()));
    sources_.back()->socket.bind(tiles_.back()->in);
    tiles_.back()->out.bind(sinks_.back()->socket);
    return k;
  }
  // Programs all tiles (first call) and runs batch X through tile k; returns output and the
  // simulated time from injection to output.
  Eigen::MatrixXd run(int k, const Eigen::MatrixXd& X, sc_core::sc_time* took = nullptr) {
    if (!started_) {
      sc_core::sc_start();
      started_ = true;
    }
    const sc_core::sc_time t0 = sc_core::sc_time_stamp();
    const std::uint64_t id = next_++;
    sources_[k]->send(X, id);
    sc_core::sc_start();
    auto it = sinks_[k]->results.find(id);
    BOOST_REQUIRE(it != sinks_[k]->results.end());
    if (took) *took = sinks_[k]->arrival[id] - t0;
    return *it->second;
  }
  sc::Tile& tile(int k) { return *tiles_[k]; }

 private:
  std::deque<core::EnergyTable> energies_;
  std::vector<std::unique_ptr<sc::Tile>> tiles_;
  std::vector<std::unique_ptr<HostSource>> sources_;
  std::vector<std::unique_ptr<HostSink>> sinks_;
  bool started_ = false;
  std::uint64_t next_ = 0;
};


inline Eigen::MatrixXd random_matrix(Eigen::Index r, Eigen::Index c, unsigned seed) {
  std::srand(seed);
  return Eigen::MatrixXd::Random(r, c);
}

}  // namespace memtile::test

// Boost.Test owns main() here (docs/model.md §8); libsystemc still references sc_main, which is
// never called. Each test executable includes this header exactly once.
int sc_main(int, char*[]) { return 0; }
