#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Every layout runs with both ops on 2 lcores and its counters add up.

The bench checks after every run that each writer's counter holds exactly
its increments (the shared one: all of them) and exits non-zero otherwise;
here we check it ran every layout, said so, and ended with the verdict.
"""

import labtest
from fs_test import LAYOUTS, QUICK, last_line, require_two_cpus, run_bench, table_rows

t = labtest.Test("fs_layouts")
require_two_cpus(t)

for op in ["rmw", "atomic"]:
    rc, out = run_bench(t, ["--op", op, "--layouts", ",".join(LAYOUTS)] + QUICK, tag=op)
    t.check(rc == 0, f"op {op}: bench exits 0 (every run's counters added up)",
            f"exit code {rc}")
    t.check("counters added up" in out, f"op {op}: bench reports the counter check")
    rows = table_rows(out)
    labels = [r["layout"] for r in rows]
    for layout in LAYOUTS:
        t.check(layout in labels, f"op {op}: table has a {layout} row", f"rows: {labels}")
    for r in rows:
        want = "atomic" if r["layout"] == "shared" else op
        if r["layout"] == "padded" and r["op"] != op:
            want = "atomic"     # shared's baseline under --op rmw
        t.check(r["op"] == want, f"op {op}: {r['layout']} ran with op {want}",
                f"row says {r['op']}")
        t.check(r["lcores"] == 2, f"op {op}: {r['layout']} ran on 2 lcores")
    t.check(last_line(out).startswith("verdict:") and "10-100x" in last_line(out),
            f"op {op}: table ends with the verdict on the course's claim",
            last_line(out))

# One lcore: no second writer, but the bench still runs and says so.
rc, out = run_bench(t, QUICK, lcores="0", tag="one")
t.check(rc == 0, "1 lcore: bench exits 0", f"exit code {rc}")
t.check(len(table_rows(out)) == len(LAYOUTS) + 1,
        "1 lcore: every layout (and shared's atomic baseline) measured",
        str(table_rows(out)))
t.check("no contention" in out, "1 lcore: output says there is no contention")

t.done()
