#!/usr/bin/env python3
"""Independent checks of the tile traces.

usage: check_traces.py <vcd file> <perfetto json> <summary json> <expectations json>

The VCD is parsed by the small reader below (no SystemC code involved); the Perfetto file with
Python's json module. The expectations file (written by test_sc_traces) lists, per tile, the
operations performed in the traced window. Exit status 0 = all checks passed.
"""
import json
import sys
from collections import defaultdict


def read_vcd(path):
    """Returns (timescale, {full_name: (kind, width)}, {full_name: [(time, value), ...]})."""
    ids, vars_, changes = {}, {}, defaultdict(list)
    scope, timescale, t = [], None, 0
    with open(path) as f:
        tokens = f.read().split()
    i, n = 0, len(tokens)
    while i < n:
        tok = tokens[i]
        if tok == "$timescale":
            j = tokens.index("$end", i)
            timescale = "".join(tokens[i + 1:j])
            i = j + 1
        elif tok == "$scope":
            scope.append(tokens[i + 2])
            i = tokens.index("$end", i) + 1
        elif tok == "$upscope":
            scope.pop()
            i = tokens.index("$end", i) + 1
        elif tok == "$var":
            kind, width, code, name = tokens[i + 1], int(tokens[i + 2]), tokens[i + 3], tokens[i + 4]
            full = ".".join(scope + [name])
            ids.setdefault(code, []).append(full)
            vars_[full] = (kind, width)
            i = tokens.index("$end", i) + 1
        elif tok.startswith("$"):
            # $date, $version, $comment, $enddefinitions, $dumpvars ... $end blocks
            if tok in ("$dumpvars", "$end"):
                i += 1
            else:
                i = tokens.index("$end", i) + 1
        elif tok.startswith("#"):
            t = int(tok[1:])
            i += 1
        elif tok[0] in "bBrR":
            value, code = tok[1:], tokens[i + 1]
            v = float(value) if tok[0] in "rR" else (int(value, 2) if set(value) <= {"0", "1"} else None)
            for name in ids.get(code, []):
                changes[name].append((t, v))
            i += 2
        elif tok[0] in "01xXzZ":
            code = tok[1:]
            v = int(tok[0]) if tok[0] in "01" else None
            for name in ids.get(code, []):
                changes[name].append((t, v))
            i += 1
        else:
            raise ValueError(f"unexpected VCD token {tok!r}")
    return timescale, vars_, changes


def fail(msg):
    print("FAIL:", msg)
    sys.exit(1)


def find(vars_, suffix):
    hits = [v for v in vars_ if v.endswith(suffix)]
    if len(hits) != 1:
        fail(f"expected one VCD variable ending in {suffix!r}, found {hits}")
    return hits[0]


def main():
    vcd_path, perfetto_path, summary_path, expect_path = sys.argv[1:5]
    expect = json.load(open(expect_path))
    summary = json.load(open(summary_path))
    timescale, vars_, changes = read_vcd(vcd_path)
    if timescale not in ("1ps", "1 ps"):
        fail(f"timescale {timescale}")
    checks = 0
    for tile in expect["tiles"]:
        name, S, hpar, traced = tile["name"], tile["input_slices"], tile["hpar"], tile["traced_vectors"]
        for p in range(hpar):
            for comp in ("dac", "crossbar", "adc", "shift_add"):
                var = find(vars_, f"{name}.p{p}.{comp}_ops")
                vals = [v for _, v in changes[var] if v is not None]
                # dumpvars gives the initial 0, then one change per operation started.
                if vals != list(range(0, traced * S + 1)):
                    fail(f"{var}: {len(vals) - 1} operations, expected {traced * S}")
                busy = find(vars_, f"{name}.p{p}.{comp}_busy")
                rises = sum(1 for a, b in zip(changes[busy], changes[busy][1:]) if a[1] == 0 and b[1] == 1)
                if not 1 <= rises <= traced * S:
                    fail(f"{busy}: {rises} busy periods for {traced * S} operations")
                checks += 2
        for comp, key in (("reduce_ops", "traced_vectors"), ("neuron_ops", "neuron_ops")):
            var = find(vars_, f"{name}.{comp}")
            final = changes[var][-1][1]
            if final != tile[key]:
                fail(f"{var}: final {final}, expected {tile[key]}")
            checks += 1
        layer = next(l for l in summary["layers"] if l["name"] == name)
        for comp, skey in (("dac", "dac"), ("crossbar", "crossbar"), ("shift_add", "shift_add"), ("program", "program")):
            var = find(vars_, f"{name}.energy_{comp}_pj")
            final = changes[var][-1][1]
            want = layer["energy_pj"][skey]
            if abs(final - want) > 1e-6 * max(1.0, abs(want)):
                fail(f"{var}: final {final}, summary {want}")
            checks += 1
        # One batch counter step per batch; busy periods merge when a batch starts in the same
        # time step as the previous one ends (VCD records one value per time step).
        var = find(vars_, f"{name}.batches")
        vals = [v for _, v in changes[var]]
        if vals != list(range(0, tile["batches"] + 1)):
            fail(f"{var}: {vals}, expected 0..{tile['batches']}")
        busy = find(vars_, f"{name}.busy")
        rises = sum(1 for a, b in zip(changes[busy], changes[busy][1:]) if a[1] == 0 and b[1] == 1) + \
            (1 if changes[busy] and changes[busy][0][1] == 1 else 0)
        if not 1 <= rises <= tile["batches"] + 1 or changes[busy][-1][1] != 0:
            fail(f"{busy}: {rises} busy periods for {tile['batches']} batches + programming")
        checks += 2
        codes = [v for _, v in changes[find(vars_, f"{name}.adc_code")]]
        if tile["adc_codes"] and len(codes) < 2:
            fail(f"{name}.adc_code never changed")

    doc = json.load(open(perfetto_path))
    if doc.get("displayTimeUnit") != "ns":
        fail("displayTimeUnit")
    events = doc["traceEvents"]
    tids = {e["tid"]: e["args"]["name"] for e in events if e["ph"] == "M" and e["name"] == "thread_name"}
    if not any(e["ph"] == "M" and e["name"] == "process_name" for e in events):
        fail("no process_name M event")
    xs = [e for e in events if e["ph"] == "X"]
    for e in xs:
        if e["tid"] not in tids or e["pid"] != 1 or e["dur"] < 0 or e["ts"] < 0:
            fail(f"bad X event {e}")
    count = defaultdict(int)
    for e in xs:
        count[(tids[e["tid"]].split(" ")[0].split(".")[0], e["name"])] += 1
    for tile in expect["tiles"]:
        name, S, hpar, traced = tile["name"], tile["input_slices"], tile["hpar"], tile["traced_vectors"]
        want = {"dac slice": hpar * S * traced, "crossbar read": hpar * S * traced, "adc batch": hpar * S * traced,
                "shift-add": hpar * S * traced, "reduce": traced, "neuron": tile["neuron_ops"], "program": 1}
        for ev, n in want.items():
            if count[(name, ev)] != n:
                fail(f"{name} {ev}: {count[(name, ev)]} X events, expected {n}")
            checks += 1
        lat = tile["stage_latency_ns"]
        for e in xs:
            if tids[e["tid"]].startswith(name + ".") and e["name"] == "adc batch":
                if abs(e["dur"] * 1e3 - lat["adc_batch"]) > 1e-3:
                    fail(f"adc batch dur {e['dur']} us, expected {lat['adc_batch']} ns")
        counters = [e for e in events if e["ph"] == "C" and e["name"].startswith(name + " ")]
        if not any(e["name"].endswith("energy_pj") for e in counters) or not any(e["name"].endswith("power_mw") for e in counters):
            fail(f"{name}: missing energy/power counters")
        checks += 1
    print(f"OK: {checks} checks, {len(xs)} X events, {len(vars_)} VCD variables")


if __name__ == "__main__":
    main()
