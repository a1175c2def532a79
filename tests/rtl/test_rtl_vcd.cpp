// Verilated tracing: a short closed-loop SAR run writes the RTL's own VCD (VerilatedVcdSc)
// next to a SystemC VCD of the same bench; both files carry the same events at the same
// absolute times (one time base).
#define BOOST_TEST_MODULE memtile rtl vcd
#include "RtlBench.hpp"

#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

// The Verilated model header first: it brings in systemc.h the way the Verilator runtime expects.
#include "Vmemtile_sar_logic.h"
#include <verilated.h>
#include <verilated_vcd_sc.h>
#include "memtile/core/rtlref/SarLogicModel.hpp"

using namespace memtile;
using sc_core::sc_signal;
using memtile::test::NoSystemCWarnings;
BOOST_TEST_GLOBAL_FIXTURE(NoSystemCWarnings);

namespace {

// Times (in seconds) at which the first scalar signal called `name` becomes 1.
std::vector<double> rising_times(const std::string& path, const std::string& name) {
  std::ifstream f(path);
  BOOST_REQUIRE_MESSAGE(f, "cannot open " << path);
  std::string tok, id;
  double unit = 0;
  std::vector<std::string> toks;
  while (f >> tok) toks.push_back(tok);
  for (std::size_t k = 0; k < toks.size(); ++k) {
    if (toks[k] == "$timescale") {
      std::string ts = toks[k + 1];
      std::size_t n = 0;
      const double mag = std::stod(ts, &n);
      std::string u = ts.substr(n);
      if (u.empty()) u = toks[k + 2];
      const std::map<std::string, double> units{{"s", 1}, {"ms", 1e-3}, {"us", 1e-6}, {"ns", 1e-9}, {"ps", 1e-12}, {"fs", 1e-15}};
      BOOST_REQUIRE(units.count(u));
      unit = mag * units.at(u);
    }
    if (toks[k] == "$var" && id.empty() && k + 4 < toks.size() && toks[k + 2] == "1" && toks[k + 4] == name) id = toks[k + 3];
  }
  BOOST_REQUIRE_MESSAGE(unit > 0 && !id.empty(), path << ": no timescale or no signal " << name);
  std::vector<double> out;
  double now = 0;
  bool in_defs = true;
  for (const std::string& t : toks) {
    if (t == "$enddefinitions") in_defs = false;
    if (in_defs) continue;
    if (t[0] == '#') now = std::stod(t.substr(1)) * unit;
    else if (t == "1" + id) out.push_back(now);
  }
  return out;
}

}  // namespace

BOOST_AUTO_TEST_CASE(verilated_vcd_shares_the_systemc_time_base) {
  Verilated::traceEverOn(true);  // before the model is built
  test::ManualClock ck;
  Vmemtile_sar_logic dut("sar");
  sc_signal<bool> rst_n{"rst_n", false}, start{"start", false}, cmp{"cmp", false}, busy{"busy", false},
      done{"done", false};
  sc_signal<std::uint32_t> levels{"levels", 1024}, nbits{"nbits", 10}, dac{"dac", 0}, code_u{"code_u", 0},
      code_s{"code_s", 0};
  dut.clk(ck.clk);
  dut.rst_n(rst_n);
  dut.cfg_levels(levels);
  dut.cfg_nbits(nbits);
  dut.start(start);
  dut.cmp(cmp);
  dut.dac_code(dac);
  dut.busy(busy);
  dut.done(done);
  dut.code_u(code_u);
  dut.code_s(code_s);

  sc_core::sc_trace_file* stf = sc_core::sc_create_vcd_trace_file("rtl_vcd_systemc");
  stf->set_time_unit(1, sc_core::SC_PS);
  sc_core::sc_trace(stf, ck.clk, "clk");
  sc_core::sc_trace(stf, done, "done");
  sc_core::sc_trace(stf, dac, "dac_code");
  sc_core::sc_start(sc_core::SC_ZERO_TIME);
  auto* tfp = new VerilatedVcdSc;  // after sc_start(SC_ZERO_TIME) and every sc_trace call
  dut.trace(tfp, 99);
  tfp->open("rtl_vcd_verilated.vcd");

  std::vector<double> done_at;
  const double inputs[] = {123.4, -511.7, 37.2};
  auto clock = [&](double t) {
    sc_core::sc_start(4, sc_core::SC_NS);
    cmp.write(core::rtlref::sar_comparator(t, dac.read(), 1024, core::rtlref::TieRule::HalfEven));
    sc_core::sc_start(1, sc_core::SC_NS);
    ck.rise();
  };
  clock(0);  // reset cycle
  rst_n.write(true);
  std::vector<std::int64_t> codes;
  for (double t : inputs) {
    start.write(true);
    clock(t);
    start.write(false);
    while (!done.read()) clock(t);
    done_at.push_back(sc_core::sc_time_stamp().to_seconds());  // done seen after this edge
    codes.push_back(core::rtlref::sign_extend(code_s.read(), 16));
    clock(t);
  }
  tfp->close();
  sc_core::sc_close_vcd_trace_file(stf);
  sc_core::sc_start(1, sc_core::SC_NS);

  BOOST_TEST(codes == (std::vector<std::int64_t>{123, -512, 37}), boost::test_tools::per_element());
  const std::vector<double> rtl = rising_times("rtl_vcd_verilated.vcd", "done");
  const std::vector<double> sc = rising_times("rtl_vcd_systemc.vcd", "done");
  BOOST_REQUIRE_EQUAL(rtl.size(), 3u);
  BOOST_REQUIRE_EQUAL(sc.size(), 3u);
  for (std::size_t k = 0; k < 3; ++k) {
    BOOST_TEST(rtl[k] == sc[k], boost::test_tools::tolerance(1e-15));
    // The edge that raises done is one half period before the time the bench saw it.
    BOOST_TEST(rtl[k] == done_at[k] - test::kHalfPeriodNs * 1e-9, boost::test_tools::tolerance(1e-9));
  }
  // The first conversion: start edge at 15 ns, then 10 bit clocks: done rises at 115 ns.
  BOOST_TEST(rtl[0] == 115e-9, boost::test_tools::tolerance(1e-9));
  delete tfp;
}
