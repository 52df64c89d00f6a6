#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Bad options are refused: non-zero exit, a message naming the option,
no crash, and no output file left behind."""

import os

import labtest
from fs_test import require_two_cpus, run_bench

t = labtest.Test("fs_bad_options")
require_two_cpus(t)
missing_dir = os.path.join(t.workdir, "no-such-dir", "out")

cases = [
    (["--layouts", "packed,bogus"], "--layouts", "bogus"),
    (["--layouts", ","], "--layouts", None),
    (["--iterations", "0"], "--iterations", "'0'"),
    (["--iterations", "abc"], "--iterations", "'abc'"),
    (["--iterations", "99999999999999999999"], "--iterations", None),
    (["--iterations", "1000000001"], "--iterations", None),
    (["--repeat", "0"], "--repeat", None),
    (["--repeat", "-3"], "--repeat", None),
    (["--op", "cas"], "--op", "cas"),
    (["--iterations", "9"], "--iterations", "'9'"),
    (["--max-spread", "0"], "--max-spread", "'0'"),
    (["--max-spread", "1001"], "--max-spread", None),
    (["--max-spread", "x"], "--max-spread", "'x'"),
    (["--csv", missing_dir + ".csv"], "--csv", "no-such-dir"),
    (["--json", missing_dir + ".json"], "--json", "no-such-dir"),
    (["--frobnicate"], "--frobnicate", None),
    (["--iterations"], "--iterations", "needs a value"),
    (["stray"], "stray", None),
]
for i, (app, option, detail) in enumerate(cases):
    rc, out = run_bench(t, app, tag=f"b{i}", timeout=30)
    what = " ".join(app)
    t.check(rc is not None and rc != 0, f"'{what}' refused with a non-zero exit",
            f"exit code {rc}")
    msg = [ln for ln in out.splitlines() if option in ln and "false_sharing_bench" in ln]
    t.check(len(msg) >= 1, f"'{what}': a message names {option}", out[-600:])
    if detail:
        t.check(any(detail in ln for ln in msg), f"'{what}': the message says {detail}")
    t.check("ns/op" not in out and "verdict" not in out,
            f"'{what}': nothing was measured")
    t.check("Segmentation" not in out and rc is not None and rc > 0,
            f"'{what}': no crash")

t.check(not os.path.exists(os.path.dirname(missing_dir)), "no output directory was created")

# A typo next to --csv/--json must not truncate the files they name.
keep_csv = os.path.join(t.workdir, "keep.csv")
keep_json = os.path.join(t.workdir, "keep.json")
for path in (keep_csv, keep_json):
    with open(path, "w") as f:
        f.write("precious\n")
rc, out = run_bench(t, ["--csv", keep_csv, "--json", keep_json, "--repeat", "x"], tag="keep")
t.check(rc is not None and rc != 0 and "--repeat" in out, "bad --repeat beside --csv refused")
for path in (keep_csv, keep_json):
    with open(path) as f:
        t.check(f.read() == "precious\n", f"{os.path.basename(path)} left untouched")

rc, out = run_bench(t, ["--help"], tag="help")
t.check(rc == 0 and "--stride-sweep" in out and "--iterations" in out and
        "--max-spread" in out,
        "--help prints the options and exits 0", f"exit code {rc}")

t.done()
