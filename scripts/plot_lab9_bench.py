#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Draws bench-lab9.sh --curve's points as one PNG: rule matching cycles per
packet (the median burst's, which preemption on a shared host cannot
inflate) against the number of rules, the linear matcher and rte_acl, both
axes logarithmic, with the issue's targets (40 cycles at 4 rules, 80 at
1,024) marked, and the platform the figures come from.

    ./scripts/bench-lab9.sh --curve docs/lab9_rules.png --json docs/lab9_rules.json
    /usr/bin/python3 scripts/plot_lab9_bench.py POINTS -o OUT.png [--json OUT.json]

POINTS holds one JSON object per line, as bench-lab9.sh --json writes.
Needs Debian's python3-matplotlib: run it with /usr/bin/python3.
"""

import argparse
import json
import sys


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("points")
    ap.add_argument("-o", "--output", required=True)
    ap.add_argument("--json", help="also write the points as one JSON document")
    ap.add_argument("--title", default="")
    args = ap.parse_args()
    with open(args.points) as f:
        points = [json.loads(line) for line in f if line.strip()]
    if not points:
        sys.exit("plot_lab9_bench: no points in " + args.points)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"points": points}, f, indent=1)
            f.write("\n")
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        sys.exit("plot_lab9_bench: python3-matplotlib missing (./scripts/labenv.sh deps)")
    fig, ax = plt.subplots(figsize=(7.5, 4.8))
    for matcher, style in (("linear", "o-"), ("acl", "s-")):
        pts = sorted((p for p in points if p["matcher"] == matcher), key=lambda p: p["rules"])
        if not pts:
            continue
        xs = [p["rules"] for p in pts]
        ys = [p["match_cycles_per_packet_median"] for p in pts]
        label = "linear (rule by rule)" if matcher == "linear" else pts[0]["method"]
        ax.plot(xs, ys, style, label=label)
        for x, y in zip(xs, ys):
            ax.annotate(f"{y:.0f}", (x, y), textcoords="offset points", xytext=(4, 6),
                        fontsize=8)
    ax.plot([4, 1024], [40, 80], "kx", markersize=9, label="targets: 40 at 4 rules, 80 at 1,024")
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xticks([4, 64, 256, 1024])
    ax.set_xticklabels(["4", "64", "256", "1024"])
    ax.set_xlabel("rules (the course's 4 + generated 5-tuple rules no packet matches)")
    ax.set_ylabel("rule matching, cycles per packet (median burst)")
    p = points[0]
    ax.set_title(f"lab 9 software fallback: {p['dpdk']}, {p['cpu']}, lcores {p['lcores']}, "
                 f"{p['numa_nodes']} NUMA node(s)\n{args.title}", fontsize=9)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(args.output, dpi=110)
    print(f"plot_lab9_bench: wrote {args.output}")


if __name__ == "__main__":
    main()
