"""memtile's Python API: np.dot semantics, dtypes and memory orders, programming once and reading
many times, determinism, the GIL, and bad input (docs/python.md)."""
import sys
import threading
import time

import numpy as np

import memtile

failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


def raises(exc, words, fn, *a, **k):
    try:
        fn(*a, **k)
    except exc as e:
        msg = str(e)
        return all(w in msg for w in words), msg
    except Exception as e:  # wrong type
        return False, f"{type(e).__name__}: {e}"
    return False, "no exception"


rng = np.random.default_rng(1)
a = rng.standard_normal((7, 45))
b = rng.standard_normal((45, 38))
exact = a @ b

# --- results: close to np.dot, software form equals the quantised product closely
c = memtile.dot(a, b, seed=1)
check(c.shape == (7, 38) and c.dtype == np.float64, "dot: 2-D x 2-D shape and dtype")
re = np.linalg.norm(c - exact) / np.linalg.norm(exact)
check(0 < re < 0.2, f"dot: bit-slice hardware RE {re:.3g} in (0, 0.2)")
fp = memtile.dot(a, b, mode="fp", software=True, xblk=[1] * 23, mblk=[1] * 23)
re_fp = np.linalg.norm(fp - exact) / np.linalg.norm(exact)
check(re_fp < 1e-6, f"dot: fp software 23-bit RE {re_fp:.3g} < 1e-6")

# --- np.dot semantics for 1-D operands
v, w = a[0], b[:, 0]
check(memtile.dot(v, b).shape == (38,), "dot: 1-D x 2-D -> 1-D")
check(memtile.dot(a, w).shape == (7,), "dot: 2-D x 1-D -> 1-D")
s = memtile.dot(v, w, mode="fp", software=True, xblk=[1] * 23, mblk=[1] * 23)
check(np.ndim(s) == 0 and abs(float(s) - v @ w) < 1e-5 * abs(v @ w) + 1e-9, "dot: 1-D x 1-D -> scalar")

# --- dtypes and memory orders give the same numbers (the engine works in float64)
base = memtile.dot(a, b, seed=4)
check(np.array_equal(base, memtile.dot(np.asfortranarray(a), np.asfortranarray(b), seed=4)), "Fortran order = C order")
big_a = np.zeros((14, 90))
big_a[::2, ::2] = a
big_b = np.zeros((90, 76))
big_b[::2, ::2] = b
check(np.array_equal(base, memtile.dot(big_a[::2, ::2], big_b[::2, ::2], seed=4)), "strided views = contiguous")
bt = b.T.copy()
check(np.array_equal(base, memtile.dot(a, bt.T, seed=4)), "a transposed view = the matrix")
a32, b32 = a.astype(np.float32), b.astype(np.float32)
check(np.array_equal(memtile.dot(a32, b32, seed=4), memtile.dot(a32.astype(np.float64), b32.astype(np.float64), seed=4)),
      "float32 = the same values in float64")

# --- determinism: same seed, same arrays; another seed, other variation
check(np.array_equal(memtile.dot(a, b, seed=9), memtile.dot(a, b, seed=9)), "same seed -> identical arrays")
check(not np.array_equal(memtile.dot(a, b, seed=9), memtile.dot(a, b, seed=10)), "other seed -> other variation")

# --- Engine: program once, read many; variation persists; counters; effective config
eng = memtile.Engine(seed=3, var=0.1, xblk=[1] * 8, mblk=[1] * 8)
pm = eng.program(b)
y1 = pm.multiply(a)
y2 = pm.multiply(a)
check(np.array_equal(y1, y2), "programmed once: the same inputs read the same (variation kept, no read noise)")
rows = np.vstack([pm.multiply(a[i]) for i in range(a.shape[0])])
check(np.array_equal(rows, y1), "vector by vector = the whole batch")
cnt = pm.counters
check(cnt["vectors"] == 2 * 7 + 7 and cnt["array_reads"] > 0 and cnt["adc_conversions"] > 0, f"counters {cnt}")
cfg = pm.config
check(cfg["var"] == 0.1 and cfg["xblk"] == [1] * 8 and cfg["seed"] == 3 and cfg["mode"] == "bitslice",
      "effective config as dict")
check(eng.config["round_slice_products"] is False and memtile.default_config()["radc"] == 1024, "defaults reported")
pm2 = eng.program(b)
check(not np.array_equal(pm2.multiply(a), y1), "programming again draws fresh variation")
mp = memtile.Engine(preset="mpimpy").config
check(mp["round_slice_products"] is True and mp["sign_magnitude_converters"] is True and mp["xblk"] == [1] * 8,
      "preset mpimpy loads")

# --- read noise continues between reads (a read is a read)
noisy = memtile.Engine(seed=2, vnoise=0.002).program(b)
check(not np.array_equal(noisy.multiply(a), noisy.multiply(a)), "vnoise: every read draws new noise")

# --- the GIL is released while computing: a Python thread keeps running
big = rng.standard_normal((256, 512))
pm_big = memtile.Engine(seed=1, xblk=[1] * 8, mblk=[1] * 8).program(rng.standard_normal((512, 256)))
ticks = [0]
done = threading.Event()


def spin():
    while not done.is_set():
        ticks[0] += 1


t = threading.Thread(target=spin)
t.start()
time.sleep(0.05)
t0 = ticks[0]
start = time.perf_counter()
pm_big.multiply(big)
dt = time.perf_counter() - start
t1 = ticks[0]
done.set()
t.join()
check(t1 - t0 > 1000, f"GIL released: another thread ran {t1 - t0} iterations during a {dt:.3f} s multiply")

# --- bad input: exceptions name the argument
cases = [
    (TypeError, ["W", "dtype"], lambda: memtile.Engine().program(np.arange(6).reshape(2, 3))),
    (TypeError, ["X", "dtype"], lambda: pm.multiply(np.ones((2, 45), dtype=np.int32))),
    (TypeError, ["X", "numpy array"], lambda: pm.multiply([[1.0] * 45])),
    (ValueError, ["X", "NaN"], lambda: pm.multiply(np.full((1, 45), np.nan))),
    (ValueError, ["W", "NaN"], lambda: memtile.dot(a, np.full((45, 3), np.inf))),
    (ValueError, ["X", "shapes do not align", "45"], lambda: pm.multiply(np.ones((3, 44)))),
    (ValueError, ["X", "3 dimensions"], lambda: pm.multiply(np.ones((2, 2, 45)))),
    (ValueError, ["W", "empty"], lambda: memtile.Engine().program(np.ones((0, 3)))),
    (ValueError, ["unknown", "varr"], lambda: memtile.Engine(varr=0.1)),
    (ValueError, ["var"], lambda: memtile.Engine(var=-1.0)),
    (ValueError, ["var:", "number"], lambda: memtile.Engine(var="big")),
    (ValueError, ["mode", "'analogue'"], lambda: memtile.dot(a, b, mode="analogue")),
    (ValueError, ["mblk"], lambda: memtile.Engine(mblk=[1, 8])),
    (ValueError, ["array_size"], lambda: memtile.Engine(array_size=[32])),
    (TypeError, ["g_level", "unsupported type"], lambda: memtile.Engine(g_level=object())),
    (ValueError, ["preset", "nope"], lambda: memtile.Engine(preset="nope")),
]
for exc, words, fn in cases:
    good, msg = raises(exc, words, fn)
    check(good, f"{exc.__name__} naming {words}: {msg}")

# --- the CLI's flags for the mPimPy-mode options give the package's numbers
if len(sys.argv) > 1:
    import os
    import subprocess
    import tempfile
    with tempfile.TemporaryDirectory() as tmp:
        pa, pb, pc = (os.path.join(tmp, f) for f in ("a.npy", "b.npy", "c.npy"))
        np.save(pa, a)
        np.save(pb, b)
        r = subprocess.run([sys.argv[1], "dot", "--a", pa, "--b", pb, "--out", pc, "--seed", "6", "--xblk", "1,1,2,4",
                            "--round-slice-products", "--sign-magnitude-converters"], capture_output=True, text=True)
        same = r.returncode == 0 and np.array_equal(
            np.load(pc), memtile.dot(a, b, seed=6, round_slice_products=True, sign_magnitude_converters=True))
        check(same, f"memtile dot --round-slice-products --sign-magnitude-converters = memtile.dot {r.stderr.strip()}")

print(f"\n{len(failures)} failure(s)")
sys.exit(1 if failures else 0)
