#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""A primary whose clean-up cannot finish leaves anyway, saying why. A
secondary (lab8_lock_and_die) takes DPDK's shared memory lock and is killed
holding it, as a dpdk-dumpcap that fails to attach is on 22.11. The primary,
stopped with SIGINT, waits for that lock in its clean-up; after 10 s
(lab_cleanup_deadline(), common/lab_eal.c) it prints what happened and what to
do, and exits 1: no hang, no crash."""

import os
import signal
import time

import labtest
import lab8common as l8

t = labtest.Test("lab8_stuck_lock")
t.require_root()
t.require_hugepages()
helper = os.path.join(labtest.build_dir(), "tests", "lab8", "lab8_lock_and_die")

p = t.prefix()
prim = l8.primary(t, p, "net_null0", app=["--no-status"])
if not l8.started(t, prim, "primary"):
    t.done()
dead = labtest.DpdkProcess(t, [helper] + t.eal("1", p, proc_type="secondary"))
rc = dead.wait(30)
t.check(rc == -signal.SIGKILL and "holding the shared memory lock" in dead.output(),
        "lab8_lock_and_die took the lock and was killed holding it",
        f"rc={rc}\n" + dead.output()[-600:])

start = time.monotonic()
rc = prim.stop(signal.SIGINT, 40)
took = time.monotonic() - start
out = prim.output()
t.check(rc == 1, "the primary exits 1 (not 0, not killed by the test)", f"rc={rc}")
t.check(9 <= took <= 30, f"it leaves about 10 s after its clean-up began ({took:.1f} s)")
t.check("clean-up still blocked after 10 s" in out and "died holding DPDK's shared memory "
        "lock" in out and f"labenv.sh clean {p}" in out,
        "it says why, and what to do (labenv.sh clean with its prefix)", out[-800:])
t.done()
