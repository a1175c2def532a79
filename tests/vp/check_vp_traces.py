#!/usr/bin/env python3
"""memtile_vp's traces read back and checked against its counters and against the job's shape.

usage: check_vp_traces.py <memtile_vp> <output folder>

Runs the example virtual platform on small layers with --vcd and --trace, parses the VCD (the
reader of tests/sc/check_traces.py, no SystemC code) and the Perfetto JSON, and checks them
against the counters of memtile_vp's --json object (the model's own counters) and against numbers
derived here by hand from the layer shape and the default accelerator (4 tiles of 64 x 64
weights on 32 x 32 arrays, input slices xblk = {1, 1, 2, 4}, weight slices mblk = {1, 1, 2, 4},
10-bit ADCs, 1 GHz control clock, 256-byte DMA bursts):
  - one job: one busy pulse of accel.busy, ending LAST_JOB_CYCLES clocks after the job's start
    (which lies within a quantum of the START write), the driver's START -> IRQ latency the
    same; accel.irq and the platform's irq rise once, when the job ends, and are cleared;
  - every tile operation traced lies inside that pulse (after the tiles' own programming at
    elaboration);
  - the blocks land on the tiles the mapping says (block b of a round on tile b - first): per
    tile and partition, the VCD op counters and the Perfetto events count input slices x
    vectors per block;
  - ADC and DAC conversions (counters) = traced ADC / DAC events x the conversions each stands
    for, and = the hand formula; the ADC energy in the trace = conversions x 6.25 pJ (ISAAC
    2 mW / 1.28 GS/s at 8 bits, x 4 at 10 bits);
  - the tiles' traced energies + the programming energy + the top's reduction = the job energy
    (ENERGY counter); the VCD energy variables end at the Perfetto counter's values;
  - DMA bytes and bursts from the descriptor size and the layer shape; MVMs = vectors.
Exit status 0 = all checks passed.
"""
import json
import math
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "sc"))
from check_traces import read_vcd  # noqa: E402  (the independent VCD reader of the tile tests)

TILES, TILE_IN, TILE_OUT, ROWS, COLS = 4, 64, 64, 32, 32
S_IN, S_W = 4, 4            # input and weight slices
HPAR, VPAR = TILE_OUT // COLS, TILE_IN // ROWS  # column and row array blocks of a tile
CLOCK_PS = 1000             # 1 GHz
QUANTUM_PS = 1000 * 1000    # memtile_vp's default global quantum, 1000 ns
BURST = 256
ADC_PJ = 2e-3 / 1.28e9 * 1e12 * 2 ** (10 - 8)  # 6.25 pJ per 10-bit conversion
SHIFT_ADD_PJ = 0.2e-3 / 10.24e9 * 1e12         # per add (the top's reduction of row blocks)
NEURON_PJ = SHIFT_ADD_PJ                       # per activation (the table's digital neuron)

failures = []
checks = 0


def check(cond, what):
    global checks
    checks += 1
    if not cond:
        failures.append(what)
        print("FAIL:", what)


def rises(changes):
    return [t for (_, a), (t, b) in zip(changes, changes[1:]) if a == 0 and b == 1]


def falls(changes):
    return [t for (_, a), (t, b) in zip(changes, changes[1:]) if a == 1 and b == 0]


def run_case(vp, out, k, n, batch, relu):
    tag = f"k{k}_n{n}_b{batch}{'_relu' if relu else ''}"
    base = os.path.join(out, "vp_trace_" + tag)
    args = [vp, "-k", str(k), "-n", str(n), "--batch", str(batch), "--vcd", base, "--trace", base + ".json", "--json"]
    if relu:
        args.append("--relu")
    r = subprocess.run(args, capture_output=True, text=True)
    print(f"== {tag}: memtile_vp exit {r.returncode}")
    check(r.returncode == 0, f"{tag}: memtile_vp exits 0 ({r.returncode}): {r.stderr}")
    try:
        result = json.loads(r.stdout)  # --json: one object, the model's counters in it
    except json.JSONDecodeError as e:
        check(False, f"{tag}: memtile_vp --json prints one JSON object ({e}): {r.stdout!r}")
        return
    ctr = result["counters"]
    check(result["passed"] and result["vcd"] == base + ".vcd" and result["trace"] == base + ".json",
          f"{tag}: checks passed, trace files named: {result}")
    check(result["latency_cycles"] == ctr["last_job_cycles"], f"{tag}: LAST_JOB_CYCLES register = counter")

    # ---- the job's shape, by hand
    rb, cb = math.ceil(k / TILE_IN), math.ceil(n / TILE_OUT)
    blocks = rb * cb
    per_tile = [0] * TILES  # blocks each tile runs: block b of round r on tile b - r * TILES
    for b in range(blocks):
        per_tile[b % TILES] += 1
    check(ctr["jobs"] == 1 and ctr["mvms"] == batch, f"{tag}: jobs {ctr['jobs']}, MVMs {ctr['mvms']} (1, {batch})")
    check(ctr["dma_read_bytes"] == 56 + 4 * k * n + 4 * batch * k, f"{tag}: DMA read bytes {ctr['dma_read_bytes']}")
    check(ctr["dma_written_bytes"] == 4 * batch * n, f"{tag}: DMA written bytes {ctr['dma_written_bytes']}")
    bursts = sum(math.ceil(x / BURST) for x in (56, 4 * k * n, 4 * batch * k, 4 * batch * n))
    check(ctr["dma_bursts"] == bursts, f"{tag}: DMA bursts {ctr['dma_bursts']}, expected {bursts}")
    reads = blocks * batch * S_IN * S_W * HPAR * VPAR  # array reads (every array of a used tile)
    check(ctr["adc_conversions"] == reads * COLS, f"{tag}: ADC conversions {ctr['adc_conversions']}, expected {reads * COLS}")
    check(ctr["dac_conversions"] == reads * ROWS, f"{tag}: DAC conversions {ctr['dac_conversions']}, expected {reads * ROWS}")

    # ---- VCD
    timescale, vars_, ch = read_vcd(base + ".vcd")
    check(timescale in ("1ps", "1 ps"), f"{tag}: timescale {timescale}")
    busy, irq = ch["SystemC.accel.busy"], ch["SystemC.accel.irq"]
    b_up, b_down = rises(busy), falls(busy)
    check(len(b_up) == 1 and len(b_down) == 1 and busy[-1][1] == 0, f"{tag}: one busy pulse per job: {busy}")
    if len(b_up) != 1 or len(b_down) != 1:
        return
    t0, t1 = b_up[0], b_down[0]
    # BUSY is set when the CPU writes START; the job starts at the CPU's local time of that
    # write (temporal decoupling, at most one quantum later) and LAST_JOB_CYCLES counts from
    # there to the end, whole clocks.
    cycles = ctr["last_job_cycles"]
    start = t1 - cycles * CLOCK_PS
    check(t0 <= start < t0 + QUANTUM_PS + CLOCK_PS,
          f"{tag}: busy from {t0} ps, the job's {cycles} cycles from {start} ps: not within a quantum")
    check(abs(result["latency_ns"] - cycles) <= 1.0, f"{tag}: driver latency {result['latency_ns']} ns, LAST_JOB_CYCLES {cycles}")
    for name in ("SystemC.accel.irq", "SystemC.irq"):
        up, down = rises(ch[name]), falls(ch[name])
        check(len(up) == 1 and up[0] == t1 and len(down) == 1 and down[0] > up[0],
              f"{tag}: {name} rises once, when the job ends, and is cleared ({ch[name]}, end {t1})")
    t0 = start - CLOCK_PS  # the job's window: tile work starts after the decode of START
    for t in range(TILES):
        tile = f"SystemC.accel.tile{t}"
        for p in range(HPAR):
            for comp in ("dac", "crossbar", "adc", "shift_add"):
                vals = [v for _, v in ch[f"{tile}.p{p}.{comp}_ops"]]
                want = per_tile[t] * batch * S_IN
                check(vals == list(range(want + 1)), f"{tag}: {tile}.p{p}.{comp}_ops counts {vals[-1]}, expected {want}")
                times = [tt for tt, _ in ch[f"{tile}.p{p}.{comp}_ops"][1:]]
                check(all(t0 <= tt <= t1 for tt in times), f"{tag}: {tile}.p{p}.{comp} works outside the busy pulse")
        codes = ch[f"{tile}.adc_code"]
        check((len(codes) > 1) == (per_tile[t] > 0), f"{tag}: {tile}.adc_code changes {len(codes) - 1} times")
        check(all(t0 <= tt <= t1 for tt, _ in codes[1:]), f"{tag}: {tile}.adc_code changes outside the busy pulse")

    # ---- Perfetto
    doc = json.load(open(base + ".json"))
    events = doc["traceEvents"]
    tids = {e["tid"]: e["args"]["name"] for e in events if e["ph"] == "M" and e["name"] == "thread_name"}
    xs = [e for e in events if e["ph"] == "X"]
    count = {}
    for e in xs:
        key = (tids[e["tid"]].split(" ")[0].split(".")[1], e["name"])  # ("tile0", "adc batch")
        count[key] = count.get(key, 0) + 1
    for t in range(TILES):
        for ev in ("dac slice", "crossbar read", "adc batch", "shift-add"):
            want = per_tile[t] * batch * S_IN * HPAR
            check(count.get((f"tile{t}", ev), 0) == want, f"{tag}: tile{t} {ev}: {count.get((f'tile{t}', ev), 0)} events, expected {want}")
        check(count.get((f"tile{t}", "program"), 0) == 1, f"{tag}: tile{t}: one programming at elaboration")
    for e in xs:
        if e["name"] != "program":
            ts_ps, end_ps = round(e["ts"] * 1e6), round((e["ts"] + e["dur"]) * 1e6)
            check(t0 <= ts_ps and end_ps <= t1, f"{tag}: {tids[e['tid']]} {e['name']} at {e['ts']} us outside the job")
    adc_events = sum(v for (t, ev), v in count.items() if ev == "adc batch")
    dac_events = sum(v for (t, ev), v in count.items() if ev == "dac slice")
    # One ADC batch converts every column of the partition's arrays (row blocks x weight slices).
    check(adc_events * VPAR * S_W * COLS == ctr["adc_conversions"], f"{tag}: {adc_events} ADC events vs counter")
    check(dac_events * VPAR * S_W * ROWS == ctr["dac_conversions"], f"{tag}: {dac_events} DAC events vs counter")
    # Energy: the last counter event of each tile holds its running totals.
    tiles_pj, adc_pj = 0.0, 0.0
    for t in range(TILES):
        cs = [e for e in events if e["ph"] == "C" and e["name"] == f"accel.tile{t} energy_pj"]
        if per_tile[t] == 0:
            continue
        check(len(cs) > 0, f"{tag}: tile{t} energy counter")
        if not cs:
            continue
        last = max(cs, key=lambda e: e["ts"])["args"]
        tiles_pj += sum(last.values())
        adc_pj += last["adc"]
        for comp in ("dac", "crossbar", "adc", "shift_add"):
            final = ch[f"SystemC.accel.tile{t}.energy_{comp}_pj"][-1][1]
            want = last[comp] + (last["sample_hold"] if comp == "adc" else 0.0)  # the VCD's adc includes the S&H
            check(abs(final - want) <= 1e-9 * max(1.0, abs(final)), f"{tag}: tile{t} VCD {comp} {final} vs Perfetto {want}")
    check(abs(adc_pj - ctr["adc_conversions"] * ADC_PJ) <= 1e-9 * adc_pj, f"{tag}: ADC energy {adc_pj} pJ, expected {ctr['adc_conversions'] * ADC_PJ}")
    top_pj = batch * n * (rb - 1) * SHIFT_ADD_PJ + (batch * n * NEURON_PJ if relu else 0.0)
    total = tiles_pj + ctr["program_pj"] + top_pj
    check(abs(total - ctr["energy_pj"]) <= 1e-6 * ctr["energy_pj"],
          f"{tag}: traced tiles {tiles_pj} + programming {ctr['program_pj']} + top {top_pj} pJ != job energy {ctr['energy_pj']} pJ")


def main():
    vp, out = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    run_case(vp, out, 40, 20, 2, False)     # one block on tile 0
    run_case(vp, out, 150, 70, 3, True)     # 3 x 2 blocks: rounds of 4 and 2 tiles, reduction, ReLU
    print(f"{checks} checks, {len(failures)} failed")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
