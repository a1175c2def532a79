#!/usr/bin/env python3
"""Soak: N images through `memtile run` (one platform) with the resident set size sampled from
/proc every 0.2 s. After warm-up (the first quarter of the run's samples: elaboration,
programming, first allocations) the RSS must stay within 5 % of its post-warm-up minimum.

  soak_rss.py MEMTILE PLATFORM [IMAGES]      PLATFORM: tiles | vp
Prints the samples' summary and 'N passed, N failed'.
"""
import os
import subprocess
import sys
import tempfile
import time

MEMTILE, PLATFORM = sys.argv[1], sys.argv[2]
IMAGES = sys.argv[3] if len(sys.argv) > 3 else "10000"


def rss_kib(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


with tempfile.TemporaryDirectory() as d:
    report = os.path.join(d, "r.json")
    t0 = time.time()
    proc = subprocess.Popen([MEMTILE, "run", "--quiet", "--limit", IMAGES, "--batch", "16", "--platform", PLATFORM,
                             "--report", report], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    samples = []
    while proc.poll() is None:
        r = rss_kib(proc.pid)
        if r:
            samples.append((time.time() - t0, r))
        time.sleep(0.2)
    out, err = proc.communicate()
    wall = time.time() - t0

ok_run = proc.returncode == 0
steady = samples[len(samples) // 4:]
lo = min(r for _, r in steady) if steady else 0
hi = max(r for _, r in steady) if steady else 0
growth = (hi - lo) / lo if lo else float("inf")
print(f"soak {PLATFORM}: {IMAGES} images in {wall:.1f} s, {len(samples)} RSS samples; "
      f"after warm-up min {lo / 1024:.1f} MiB, max {hi / 1024:.1f} MiB, spread {100 * growth:.2f} %; "
      f"peak {max((r for _, r in samples), default=0) / 1024:.1f} MiB")
checks = [(ok_run, f"run exit {proc.returncode}: {err.strip()[:300]}"),
          (len(steady) >= 10, f"too few samples ({len(samples)})"),
          (growth <= 0.05, f"RSS grows {100 * growth:.2f} % after warm-up (bound 5 %)")]
failed = [msg for ok, msg in checks if not ok]
for m in failed:
    print("FAIL:", m)
print(f"{len(checks) - len(failed)} passed, {len(failed)} failed")
sys.exit(1 if failed else 0)
