#!/usr/bin/python3
"""Plots of a `memtile sweep` output folder (its summary.csv: mean and 95 % interval over seeds).

  plot_sweep.py line    DIR --x engine.var --metric accuracy [--group engine.radc] [--where AXIS=VALUE ...] --out fig.png
  plot_sweep.py heatmap DIR --x engine.radc --y engine.var --metric accuracy [--where AXIS=VALUE ...] --out fig.png

line: the metric's mean against one axis, error bars = the Student-t 95 % interval over the
seeds, one line per value of --group. heatmap: the mean over two axes. Every other axis of the
sweep must be pinned with --where (or have a single value), so each mark is one point.
"""
import argparse
import csv
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def as_number(text):
    try:
        return float(text)
    except ValueError:
        return None


def sort_key(text):
    n = as_number(text)
    return (0, n, "") if n is not None else (1, 0.0, text)


def load(folder, metric, wanted, where):
    path = os.path.join(folder, "summary.csv")
    with open(path) as f:
        rows = list(csv.DictReader(f))
    if not rows:
        sys.exit(f"plot_sweep.py: {path}: no points")
    columns = list(rows[0].keys())
    axes = columns[1:columns.index("seeds")]
    for a in wanted + list(where):
        if a not in axes:
            sys.exit(f"plot_sweep.py: --x/--y/--group/--where: {a!r} is not an axis of this sweep ({', '.join(axes)})")
    if metric + "_mean" not in columns:
        metrics = [c[:-5] for c in columns if c.endswith("_mean")]
        sys.exit(f"plot_sweep.py: --metric: {metric!r} is not in {path} ({', '.join(metrics)})")
    rows = [r for r in rows if all(r[a] == v for a, v in where.items())]
    free = [a for a in axes if a not in wanted and a not in where and len({r[a] for r in rows}) > 1]
    if free:
        sys.exit(f"plot_sweep.py: axes {', '.join(free)} take several values: pin them with --where AXIS=VALUE")
    if not rows:
        sys.exit("plot_sweep.py: --where leaves no point")
    return rows


def line(a):
    wanted = [a.x] + ([a.group] if a.group else [])
    rows = load(a.dir, a.metric, wanted, a.where)
    groups = sorted({r[a.group] for r in rows}, key=sort_key) if a.group else [None]
    fig, ax = plt.subplots(figsize=(6, 4))
    for g in groups:
        pts = sorted((r for r in rows if g is None or r[a.group] == g), key=lambda r: sort_key(r[a.x]))
        xs = [r[a.x] for r in pts]
        numeric = all(as_number(x) is not None for x in xs)
        x = [float(v) for v in xs] if numeric else list(range(len(xs)))
        y = [float(r[a.metric + "_mean"]) for r in pts]
        lo = [r[a.metric + "_ci95_low"] for r in pts]
        if all(v != "" for v in lo):
            err = [[m - float(l) for m, l in zip(y, lo)], [float(h) - m for m, h in zip(y, (r[a.metric + "_ci95_high"] for r in pts))]]
        else:
            err = None  # one seed: no interval
        ax.errorbar(x, y, yerr=err, marker="o", capsize=3, label=f"{a.group} = {g}" if g is not None else None)
        if not numeric:
            ax.set_xticks(x, xs)
    if a.logx:
        ax.set_xscale("log")
    ax.set_xlabel(a.x)
    ax.set_ylabel(a.metric + " (mean, 95 % interval over seeds)")
    seeds = rows[0]["seeds"]
    ax.set_title(a.title or f"{a.metric} vs {a.x} ({seeds} seeds per point)")
    if a.group:
        ax.legend()
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(a.out, dpi=a.dpi)


def heatmap(a):
    rows = load(a.dir, a.metric, [a.x, a.y], a.where)
    xs = sorted({r[a.x] for r in rows}, key=sort_key)
    ys = sorted({r[a.y] for r in rows}, key=sort_key)
    grid = [[float("nan")] * len(xs) for _ in ys]
    for r in rows:
        grid[ys.index(r[a.y])][xs.index(r[a.x])] = float(r[a.metric + "_mean"])
    fig, ax = plt.subplots(figsize=(1.2 * len(xs) + 3, 0.7 * len(ys) + 2))
    im = ax.imshow(grid, origin="lower", aspect="auto", cmap="viridis")
    ax.set_xticks(range(len(xs)), xs)
    ax.set_yticks(range(len(ys)), ys)
    ax.set_xlabel(a.x)
    ax.set_ylabel(a.y)
    for i in range(len(ys)):
        for j in range(len(xs)):
            if grid[i][j] == grid[i][j]:
                ax.text(j, i, f"{grid[i][j]:.3g}", ha="center", va="center", color="w", fontsize=8)
    fig.colorbar(im, ax=ax, label=a.metric + " (mean over seeds)")
    ax.set_title(a.title or f"{a.metric}: {a.y} x {a.x}")
    fig.tight_layout()
    fig.savefig(a.out, dpi=a.dpi)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("kind", choices=["line", "heatmap"])
    ap.add_argument("dir", help="a memtile sweep --out folder")
    ap.add_argument("--x", required=True)
    ap.add_argument("--y", help="heatmap: the second axis")
    ap.add_argument("--group", help="line: one line per value of this axis")
    ap.add_argument("--metric", default="accuracy")
    ap.add_argument("--where", action="append", default=[], metavar="AXIS=VALUE")
    ap.add_argument("--logx", action="store_true")
    ap.add_argument("--title")
    ap.add_argument("--dpi", type=int, default=90)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    where = {}
    for w in a.where:
        if "=" not in w:
            ap.error(f"--where {w!r}: expected AXIS=VALUE")
        k, v = w.split("=", 1)
        where[k] = v
    a.where = where
    if a.kind == "heatmap":
        if not a.y:
            ap.error("heatmap needs --y")
        heatmap(a)
    else:
        line(a)


if __name__ == "__main__":
    main()
