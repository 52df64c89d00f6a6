#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""--csv and --json parse, follow the issue's schema, hold every layout and
every stride of --stride-sweep, and agree with each other."""

import csv
import json
import math
import os

import labtest
from fs_test import LAYOUTS, QUICK, STRIDES, require_two_cpus, run_bench

t = labtest.Test("fs_outputs")
require_two_cpus(t)
csv_path = os.path.join(t.workdir, "fs.csv")
json_path = os.path.join(t.workdir, "fs.json")

rc, out = run_bench(t, ["--op", "atomic", "--stride-sweep", "--csv", csv_path,
                        "--json", json_path] + QUICK)
t.check(rc == 0, "bench with --stride-sweep --csv --json exits 0", f"exit code {rc}")

results = []
try:
    with open(json_path) as f:
        doc = json.load(f)
    t.check(list(doc.keys()) == ["results"], "JSON has one key, results", str(doc.keys()))
    results = doc.get("results", [])
except (OSError, ValueError) as e:
    t.check(False, "JSON file parses", str(e))

keys = {"layout", "op", "lcores", "stride", "ns_per_op", "cycles_per_op", "mops",
        "slowdown_vs_padded"}
for r in results:
    name = f"{r.get('layout')}/{r.get('stride')}"
    t.check(set(r.keys()) == keys, f"JSON {name}: exactly the schema's keys",
            str(sorted(r.keys())))
    for k in ["ns_per_op", "cycles_per_op"]:
        s = r.get(k, {})
        t.check(set(s.keys()) == {"median", "min", "max"} and
                0 < s["min"] <= s["median"] <= s["max"] and math.isfinite(s["max"]),
                f"JSON {name}: {k} has 0 < min <= median <= max", str(s))
    t.check(r.get("lcores") == 2 and r.get("op") == "atomic",
            f"JSON {name}: 2 lcores, op atomic")
    t.check(r.get("mops", 0) > 0, f"JSON {name}: mops > 0")
    t.check(isinstance(r.get("slowdown_vs_padded"), float),
            f"JSON {name}: slowdown_vs_padded is a number (padded was measured)")

json_layouts = {r.get("layout") for r in results}
for layout in LAYOUTS:
    t.check(layout in json_layouts, f"JSON holds layout {layout}", str(json_layouts))
padded = [r for r in results if r.get("layout") == "padded"]
t.check(len(padded) == 1 and padded[0]["slowdown_vs_padded"] == 1.0,
        "padded's slowdown against itself is 1.0", str(padded))
sweep = sorted(r["stride"] for r in results if r.get("layout") == "stride")
t.check(sweep == STRIDES, f"stride sweep covers {STRIDES}", str(sweep))

try:
    with open(csv_path, newline="") as f:
        rows = list(csv.DictReader(f))
except OSError as e:
    rows = []
    t.check(False, "CSV file opens", str(e))
t.check(len(rows) == len(results) and len(rows) == len(LAYOUTS) + len(STRIDES),
        "CSV has one row per JSON result (5 layouts + 6 strides)",
        f"{len(rows)} CSV rows, {len(results)} JSON results")
for row, r in zip(rows, results):
    same = (row["layout"] == r["layout"] and int(row["stride"]) == r["stride"] and
            abs(float(row["ns_per_op_median"]) - r["ns_per_op"]["median"]) < 0.01)
    t.check(same, f"CSV row {row['layout']}/{row['stride']} matches JSON", str(row))
t.check({row["layout"] for row in rows} >= set(LAYOUTS), "CSV holds every layout")

t.done()
