#!/usr/bin/env python3
"""Checks a tile's Verilated VCD against the SystemC VCD of the same run.

usage: check_rtl_vcd.py <systemc vcd> <verilated vcd> <tile name> <clock edges> <controller ops> <period ps>

* both files parse (the reader of check_traces.py, no SystemC or Verilator code involved);
* the Verilated file has the four blocks' scopes and exactly <clock edges> rising clock edges
  (the tile's RTL cycles while the file was open) and <controller ops> rising edges of the
  controller's `done` (one per operation);
* same time base: every rising edge of the Verilated clock is at the same absolute time as a
  rising edge of <tile>.rtl_clk in the SystemC VCD (the same list), one period apart
  inside a run of cycles, as many in both files (the SystemC rtl_clk follows the clock only while
  the Verilated file is open); `done` rises on a clock edge.
Exit status 0 = all checks passed.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from check_traces import read_vcd  # noqa: E402

UNITS = {"s": 1.0, "ms": 1e-3, "us": 1e-6, "ns": 1e-9, "ps": 1e-12, "fs": 1e-15}


def seconds_per_tick(timescale):
    for u in sorted(UNITS, key=len, reverse=True):
        if timescale.endswith(u):
            return float(timescale[: -len(u)] or 1) * UNITS[u]
    raise ValueError("bad timescale " + timescale)


def rising(changes, unit):
    out, last = [], 0
    for t, v in changes:
        if v == 1 and last != 1:
            out.append(round(t * unit * 1e12))  # integer picoseconds
        last = v
    return out


def main():
    sc_path, v_path, tile, n_edges, n_ops, period = sys.argv[1:7]
    n_edges, n_ops, period = int(n_edges), int(n_ops), int(period)
    errors = []
    sc_ts, sc_vars, sc_ch = read_vcd(sc_path)
    v_ts, v_vars, v_ch = read_vcd(v_path)
    sc_unit, v_unit = seconds_per_tick(sc_ts), seconds_per_tick(v_ts)
    clk_sc = [n for n in sc_vars if n.endswith(tile + ".rtl_clk")]
    if len(clk_sc) != 1:
        errors.append("SystemC VCD: no single %s.rtl_clk (%s)" % (tile, clk_sc))
    # Scopes: "<tile>.rtl.<block>" (the SystemC instance name), then the Verilog module.
    for block in ("ctrl", "sar", "shift_add", "accumulator"):
        if not any(n.startswith(tile + ".rtl." + block + ".") for n in v_vars):
            errors.append("Verilated VCD: no scope for block " + block)
    ctrl = tile + ".rtl.ctrl."
    clk_v = sorted((n for n in v_vars if n.startswith(ctrl) and n.endswith(".clk")), key=len)
    done_v = sorted((n for n in v_vars if n.startswith(ctrl) and n.endswith(".done")), key=len)
    if not clk_v or not done_v:
        errors.append("Verilated VCD: no ctrl.clk / ctrl.done (%d variables)" % len(v_vars))
    if errors:
        print("\n".join(errors))
        return 1
    edges_v = rising(v_ch[clk_v[0]], v_unit)
    edges_sc = rising(sc_ch[clk_sc[0]], sc_unit)
    done = rising(v_ch[done_v[0]], v_unit)
    if len(edges_v) != n_edges:
        errors.append("Verilated clock: %d rising edges, expected %d" % (len(edges_v), n_edges))
    if edges_sc[: len(edges_v)] != edges_v:
        bad = next(k for k in range(min(len(edges_v), len(edges_sc)) + 1)
                   if k >= len(edges_v) or k >= len(edges_sc) or edges_v[k] != edges_sc[k])
        errors.append("time bases differ at edge %d: verilated %s ps, systemc %s ps" % (
            bad, edges_v[bad] if bad < len(edges_v) else None, edges_sc[bad] if bad < len(edges_sc) else None))
    if len(edges_sc) != len(edges_v):
        errors.append("SystemC VCD has %d RTL clock edges, the Verilated one %d" % (len(edges_sc), len(edges_v)))
    steps = {b - a for a, b in zip(edges_v, edges_v[1:])}
    if period not in steps or min(steps) != period:
        errors.append("clock period: edges %s ps apart, expected %d" % (sorted(steps)[:3], period))
    if len(done) != n_ops:
        errors.append("controller done: %d rising edges, expected %d operations" % (len(done), n_ops))
    edge_set = set(edges_v)
    if any(t not in edge_set for t in done):
        errors.append("controller done rises off a clock edge")
    if errors:
        print("\n".join(errors))
        return 1
    print("ok: %d clock edges, %d operations, timescales %s / %s" % (len(edges_v), len(done), sc_ts, v_ts))
    return 0


if __name__ == "__main__":
    sys.exit(main())
