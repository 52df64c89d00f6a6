#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Draws false_sharing_bench's results as one PNG: the layouts (median ns
per increment, min..max as error bars, slowdown against padded written on
each bar) and, when the file has one, the stride sweep (ns per increment
against the distance between two writers' counters, cache line marked).

    false_sharing_bench -l 0-1 --no-pci --no-huge -m 64 -- --stride-sweep --json fs.json
    /usr/bin/python3 scripts/plot_false_sharing.py fs.json -o fs.png

Reads the bench's --json or --csv output (chosen by the file's extension).
Needs Debian's python3-matplotlib: run it with /usr/bin/python3.
"""

import argparse
import csv
import json
import sys


def load(path):
    """The bench's rows as dicts shaped like its JSON results."""
    if path.endswith(".csv"):
        rows = []
        with open(path, newline="") as f:
            for r in csv.DictReader(f):
                rows.append({
                    "layout": r["layout"], "op": r["op"], "lcores": int(r["lcores"]),
                    "stride": int(r["stride"]),
                    "ns_per_op": {k: float(r[f"ns_per_op_{k}"])
                                  for k in ("median", "min", "max")},
                    "mops": float(r["mops"]),
                    "slowdown_vs_padded": (float(r["slowdown_vs_padded"])
                                           if r["slowdown_vs_padded"] else None),
                })
        return rows
    with open(path) as f:
        return json.load(f)["results"]


def error_bars(rows):
    med = [r["ns_per_op"]["median"] for r in rows]
    low = [m - r["ns_per_op"]["min"] for m, r in zip(med, rows)]
    high = [r["ns_per_op"]["max"] - m for m, r in zip(med, rows)]
    return med, [low, high]


def plot_layouts(ax, rows):
    labels = [f"{r['layout']}\n{r['op']}" for r in rows]
    med, err = error_bars(rows)
    colours = ["tab:red" if r["layout"] == "packed" else
               "tab:purple" if r["layout"] == "shared" else "tab:green" for r in rows]
    bars = ax.bar(range(len(rows)), med, yerr=err, capsize=4, color=colours)
    for bar, r in zip(bars, rows):
        s = r["slowdown_vs_padded"]
        if s is not None:
            # Above the error bar's top, so the label never sits on it.
            ax.annotate(f"{s:.1f}x", (bar.get_x() + bar.get_width() / 2,
                                      r["ns_per_op"]["max"]),
                        xytext=(0, 4), textcoords="offset points", ha="center",
                        fontsize=10, fontweight="bold")
    ax.set_xticks(range(len(rows)))
    ax.set_xticklabels(labels, fontsize=9)
    ax.set_ylabel("ns per increment (median, min..max)")
    ax.set_title("Layouts (label: slowdown vs padded, same op)")
    ax.margins(y=0.15)


def plot_sweep(ax, rows):
    rows = sorted(rows, key=lambda r: r["stride"])
    strides = [r["stride"] for r in rows]
    med, err = error_bars(rows)
    ax.errorbar(strides, med, yerr=err, marker="o", capsize=4, color="tab:blue")
    ax.set_xscale("log", base=2)
    ax.set_xticks(strides)
    ax.set_xticklabels([str(s) for s in strides])
    ax.axvline(64, color="grey", linestyle="--")
    ax.text(64, ax.get_ylim()[1], " 64 B cache line", va="top", fontsize=9, color="grey")
    ax.set_xlabel("bytes between two writers' counters")
    ax.set_ylabel("ns per increment (median, min..max)")
    ax.set_title(f"Stride sweep (op {rows[0]['op']})")
    ax.set_ylim(bottom=0)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("results", help="false_sharing_bench --json or --csv file")
    ap.add_argument("-o", "--output", default="false_sharing.png", help="PNG to write")
    args = ap.parse_args()

    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        sys.exit("plot_false_sharing: matplotlib missing: run with /usr/bin/python3 "
                 "(./scripts/labenv.sh deps installs python3-matplotlib)")
    try:
        rows = load(args.results)
    except (OSError, ValueError, KeyError) as e:
        sys.exit(f"plot_false_sharing: cannot read {args.results}: {e}")

    layouts = [r for r in rows if r["layout"] != "stride"]
    sweep = [r for r in rows if r["layout"] == "stride"]
    panels = [p for p in ((plot_layouts, layouts), (plot_sweep, sweep)) if p[1]]
    if not panels:
        sys.exit(f"plot_false_sharing: {args.results} holds no results")
    fig, axes = plt.subplots(1, len(panels), figsize=(7 * len(panels), 5), squeeze=False)
    for ax, (draw, subset) in zip(axes[0], panels):
        draw(ax, subset)
    fig.suptitle(f"false_sharing_bench: {rows[0]['lcores']} lcores writing at once")
    fig.tight_layout()
    fig.savefig(args.output, dpi=100)
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
