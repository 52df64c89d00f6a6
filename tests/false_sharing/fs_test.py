# SPDX-License-Identifier: BSD-3-Clause
"""What the false_sharing suite's tests share: running the bench briefly.

The bench needs no memory shared between processes, so --no-huge keeps the
tests independent of hugepages; each run still gets its own --file-prefix.
"""

import os

LAYOUTS = ["packed", "padded", "guard128", "per_lcore", "shared"]
STRIDES = [8, 16, 32, 64, 128, 256]
# Short runs: the tests check counting and output, never speed. Runs this
# short always spread widely; a --max-spread that wide keeps them to one pass.
QUICK = ["--iterations", "20000", "--repeat", "2", "--max-spread", "1000"]


def require_two_cpus(t):
    """-l 0-1 needs CPUs 0 and 1; a smaller machine cannot run these tests."""
    cpus = os.sched_getaffinity(0)
    if not {0, 1} <= cpus:
        t.skip(f"needs CPUs 0 and 1 for -l 0-1; this process may use {sorted(cpus)}")


def run_bench(t, app, lcores="0-1", tag="", timeout=60):
    """Runs false_sharing_bench to completion; returns (exit code, output)."""
    eal = t.eal(lcores, t.prefix(tag), extra=["--no-huge", "-m", "64",
                                              "--log-level=lib.eal:warning"])
    proc = t.dpdk("false_sharing_bench", eal, app=app)
    rc = proc.wait(timeout)
    if rc is None:
        proc.kill()
    return rc, proc.output()


def table_rows(output):
    """The table's rows as dicts: layout label, op, lcores, stride, spread, status."""
    rows, in_table = [], False
    for line in output.splitlines():
        if line.startswith("layout "):
            in_table = True
            continue
        if in_table:
            if not line.strip():
                break
            f = line.split()
            rows.append({"layout": f[0], "op": f[1], "lcores": int(f[2]),
                         "stride": int(f[3]), "spread": f[-2], "status": f[-1]})
    return rows


def last_line(output):
    lines = [ln for ln in output.splitlines() if ln.strip()]
    return lines[-1] if lines else ""
