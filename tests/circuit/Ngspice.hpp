// Runs ngspice in batch mode on a netlist from SpiceWriter (or a test's own) and reads the
// "name = value" lines it prints after each "memtile_vector <k>" marker. Shared by the circuit
// and analog tests; MEMTILE_NGSPICE (CMake find_program) names the binary.
#pragma once
#include <boost/test/unit_test.hpp>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <regex>
#include <string>
#include <unistd.h>
#include <vector>

namespace memtile::test {

inline std::string ngspice_binary() {
#ifdef MEMTILE_NGSPICE
  return MEMTILE_NGSPICE;
#else
  return "ngspice";
#endif
}

// Runs ngspice in batch mode; returns, per input vector, the printed "name = value" pairs.
inline std::vector<std::map<std::string, double>> run_ngspice(const std::string& netlist, const std::string& tag) {
  const char* bin_dir = std::getenv("MEMTILE_BINARY_DIR");
  const std::string dir = bin_dir ? std::string(bin_dir) : std::string("/tmp");
  const std::string base = dir + "/test_circuit_" + tag + "_" + std::to_string(::getpid());
  {
    std::ofstream f(base + ".cir");
    f << netlist;
  }
  const std::string cmd = ngspice_binary() + " -b " + base + ".cir > " + base + ".log 2>&1";
  const int rc = std::system(cmd.c_str());
  BOOST_REQUIRE_MESSAGE(rc == 0, "ngspice failed (" << rc << "): " << cmd << "; netlist and log kept");
  std::ifstream log(base + ".log");
  std::vector<std::map<std::string, double>> out;
  const std::regex marker(R"(^memtile_vector (\d+)\s*$)");
  const std::regex value(R"(^(\S+) = ([-+0-9.eE]+)\s*$)");
  std::string line;
  std::smatch m;
  while (std::getline(log, line)) {
    if (std::regex_match(line, m, marker)) {
      out.emplace_back();
    } else if (!out.empty() && std::regex_match(line, m, value)) {
      out.back()[m[1].str()] = std::stod(m[2].str());
    }
  }
  std::remove((base + ".cir").c_str());
  std::remove((base + ".log").c_str());
  return out;
}

}  // namespace memtile::test
