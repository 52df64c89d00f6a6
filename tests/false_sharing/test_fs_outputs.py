#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""--csv and --json parse, follow the schema, hold every layout and every
stride of --stride-sweep, and agree with each other and with the table;
each row's spread, status and run counts follow the rules the bench
states (spread from its runs, ok only within --max-spread, another pass
while a row is not ok). No figure is asserted to be fast or tight."""

import csv
import json
import math
import os

import labtest
from fs_test import LAYOUTS, QUICK, STRIDES, require_two_cpus, run_bench, table_rows

t = labtest.Test("fs_outputs")
require_two_cpus(t)
csv_path = os.path.join(t.workdir, "fs.csv")
json_path = os.path.join(t.workdir, "fs.json")

REPEAT = int(QUICK[QUICK.index("--repeat") + 1])
TOP_KEYS = ["results", "max_spread_pct", "spread_trim_pct", "line_move_ns", "vcpu_moves",
            "passes", "kept_pass", "disturbed"]
MAX_PASSES = 3

rc, out = run_bench(t, ["--op", "atomic", "--stride-sweep", "--csv", csv_path,
                        "--json", json_path] + QUICK)
t.check(rc == 0, "bench with --stride-sweep --csv --json exits 0", f"exit code {rc}")


def load_json(path, what):
    try:
        with open(path) as f:
            doc = json.load(f)
    except (OSError, ValueError) as e:
        t.check(False, f"{what}: JSON file parses", str(e))
        return {"results": []}
    t.check(list(doc.keys()) == TOP_KEYS, f"{what}: JSON has the keys {TOP_KEYS}",
            str(list(doc.keys())))
    return doc


def check_passes(doc, what):
    """Another pass while a row is not stable (spread above the limit, or runs
    lacking slices) and most runs were clean, up to 3; the kept one is one of them."""
    rows = doc.get("results", [])
    passes, kept = doc.get("passes"), doc.get("kept_pass")
    t.check(isinstance(passes, int) and 1 <= passes <= MAX_PASSES and
            isinstance(kept, int) and 1 <= kept <= passes,
            f"{what}: 1 <= kept_pass <= passes <= {MAX_PASSES}", f"{passes} {kept}")
    busy = sum(r.get("clean_runs", 0) for r in rows) * 2 <= sum(r.get("runs", 0) for r in rows)
    if any(not r.get("stable") for r in rows):
        t.check(passes == MAX_PASSES or busy, f"{what}: a row not stable, so all {MAX_PASSES} "
                "passes were made, unless most runs shown were disturbed", f"passes {passes}")
    else:
        t.check(kept == passes, f"{what}: every row stable, so no pass after the kept one",
                f"passes {passes}, kept {kept}")


def check_spread(r, name, limit, trim_pct):
    """spread_pct is (max - min) / median of the runs left after trimming: with
    fewer than 10 runs none are trimmed, so it is the whole range."""
    cyc, spread, runs = r.get("cycles_per_op", {}), r.get("spread_pct"), r.get("runs")
    t.check(isinstance(runs, int) and 1 <= runs <= REPEAT and
            0 <= r.get("clean_runs", -1) <= runs, f"{name}: 0 <= clean_runs <= runs <= "
            f"{REPEAT}", f"runs {runs}, clean {r.get('clean_runs')}")
    t.check(r.get("status") == "MOVED" or runs == REPEAT,
            f"{name}: all {REPEAT} runs kept unless MOVED", str(r.get("status")))
    if not isinstance(spread, float) or not cyc.get("median"):
        t.check(False, f"{name}: spread_pct is a number", str(spread))
        return
    whole = (cyc["max"] - cyc["min"]) / cyc["median"] * 100
    if runs * trim_pct // 100 == 0:
        t.check(abs(spread - whole) < 0.2 + whole * 0.01,
                f"{name}: spread_pct {spread} is (max - min) / median = {whole:.1f}")
    else:
        t.check(0 <= spread <= whole + 0.2, f"{name}: trimmed spread {spread} within the "
                f"whole range {whole:.1f}")
    ok = spread <= limit and r.get("status") != "MOVED"
    t.check(r.get("stable") is ok, f"{name}: stable is {ok} (spread {spread}, "
            f"limit {limit}, status {r.get('status')})", str(r.get("stable")))
    busy = r.get("clean_runs", 0) * 2 <= runs
    want = ("MOVED" if r.get("status") == "MOVED" else "BUSY" if busy else
            "ok" if ok else "NOISY")
    t.check(r.get("status") == want, f"{name}: status {want}", str(r.get("status")))


doc = load_json(json_path, "atomic sweep")
results = doc.get("results", [])
t.check(doc.get("max_spread_pct") == 1000.0 and doc.get("spread_trim_pct") == 10,
        "JSON: max_spread_pct is --max-spread, trim 10%", str(doc))
t.check(isinstance(doc.get("line_move_ns"), float) and doc["line_move_ns"] > 0,
        "JSON: line_move_ns measured (2 lcores)", str(doc.get("line_move_ns")))
t.check(set(doc.get("disturbed", {}).keys()) == {"preempted", "stalled", "steal", "overlap"},
        "JSON: disturbed counts each reason", str(doc.get("disturbed")))
check_passes(doc, "atomic sweep")

keys = {"layout", "op", "lcores", "stride", "ns_per_op", "cycles_per_op", "mops",
        "slowdown_vs_padded", "runs", "clean_runs", "spread_pct", "stable", "status"}
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
    check_spread(r, f"JSON {name}", 1000.0, 10)

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
            abs(float(row["ns_per_op_median"]) - r["ns_per_op"]["median"]) < 0.01 and
            int(row["runs"]) == r["runs"] and int(row["clean_runs"]) == r["clean_runs"] and
            abs(float(row["spread_pct"]) - r["spread_pct"]) < 0.06 and
            row["status"] == r["status"])
    t.check(same, f"CSV row {row['layout']}/{row['stride']} matches JSON", str(row))
t.check({row["layout"] for row in rows} >= set(LAYOUTS), "CSV holds every layout")

table = table_rows(out)
t.check(len(table) == len(results) and
        all(x["status"] == r["status"] and x["spread"].endswith("%") and
            abs(float(x["spread"][:-1]) - r["spread_pct"]) <= 0.55
            for x, r in zip(table, results)),
        "the table's spread and status columns match the JSON",
        f"{[(x['status'], x['spread']) for x in table]}")
t.check("# spread:" in out and "# status:" in out and "# clean:" in out,
        "the table says how spread, status and clean are defined")

# 10 runs: the fastest and slowest run are left out of the spread.
ten = os.path.join(t.workdir, "ten.json")
REPEAT = 10
rc, out = run_bench(t, ["--layouts", "padded", "--iterations", "20000", "--repeat", "10",
                        "--max-spread", "1000", "--json", ten], tag="ten")
t.check(rc == 0, "--repeat 10 exits 0", f"exit code {rc}")
doc = load_json(ten, "ten")
for r in doc.get("results", []):
    check_spread(r, f"ten {r.get('layout')}", 1000.0, 10)
check_passes(doc, "ten")

# Without --max-spread the limit is 20%; one run has no spread, so one pass.
one = os.path.join(t.workdir, "one.json")
REPEAT = 1
rc, out = run_bench(t, ["--layouts", "padded", "--iterations", "20000", "--repeat", "1",
                        "--json", one], tag="one")
t.check(rc == 0, "--repeat 1 exits 0", f"exit code {rc}")
doc = load_json(one, "one")
t.check(doc.get("max_spread_pct") == 20.0, "JSON: default --max-spread is 20",
        str(doc.get("max_spread_pct")))
for r in doc.get("results", []):
    check_spread(r, f"one {r.get('layout')}", 20.0, 10)
check_passes(doc, "one")

t.done()
