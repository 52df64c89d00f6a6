#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Lab 8 primary death: with the watch on (default) a secondary exits with
code 3 within 1 s of the primary's SIGKILL or SIGINT; a secondary started
after the primary was SIGKILLed (its files are still there) is refused; with
--no-watch the secondary neither crashes nor notices, as DPDK 22.11 behaves."""

import signal
import time

import labtest
import lab8common as l8

t = labtest.Test("lab8_death")
t.require_root()
t.require_hugepages()


def pair(tag, watch=True):
    p = t.prefix(tag)
    prim = l8.primary(t, p, "net_null0", app=["--no-status"])
    l8.started(t, prim, f"primary ({tag})")
    sec = l8.secondary(t, p, "1", "enterprise", ["--quiet"] + ([] if watch else ["--no-watch"]))
    l8.started(t, sec, f"secondary ({tag})")
    return p, prim, sec


for sig in (signal.SIGKILL, signal.SIGINT):
    name = signal.Signals(sig).name
    p, prim, sec = pair(name.lower())
    time.sleep(0.3)
    prim.signal(sig)
    # The primary must run to act on a signal, even SIGKILL (the exit path releases its
    # lock): on a shared machine that can take a while (a real-time task on its CPU).
    # So the clock starts when it has stopped (SIGINT) or is gone (SIGKILL).
    if sig == signal.SIGINT:
        t.check(prim.wait_for("stopping: secondaries are told", 10), "primary handles SIGINT")
    else:
        t.check(prim.wait(10) is not None, "primary is dead")
    start = time.monotonic()
    rc = sec.wait(1.0)
    took = time.monotonic() - start
    t.check(rc == 3, f"primary {name}: secondary exits with code 3 within 1 s",
            f"rc={rc} after {took:.2f} s\n{sec.output()[-800:]}")
    t.check("the primary is" in sec.output(), f"primary {name}: secondary says why")
    prim.wait(5)
    if sig == signal.SIGKILL:
        # The killed primary's runtime and hugepage files are still there.
        late = l8.secondary(t, p, "1", "enterprise", ["--quiet"])
        rc = late.wait(30)
        t.check(rc is not None and rc != 0 and not l8.crashed(rc) and
                "is not running" in late.output(),
                "secondary started after the primary's SIGKILL is refused",
                f"rc={rc}\n{late.output()[-800:]}")
    else:
        t.check(prim.proc.returncode == 0, "primary exits 0 on SIGINT")

# --no-watch: the raw DPDK 22.11 behaviour the docs describe.
p, prim, sec = pair("nowatch", watch=False)
prim.signal(signal.SIGKILL)
prim.wait(5)
time.sleep(1.5)
t.check(sec.proc.poll() is None,
        "--no-watch: the secondary keeps running on the stale mapping (no segfault)",
        f"rc={sec.proc.returncode}\n{sec.output()[-800:]}")
rc = sec.stop(signal.SIGINT, timeout=10)
t.check(rc == 0, "--no-watch: it still exits cleanly on SIGINT (rte_eal_cleanup does not hang)",
        f"rc={rc}")
t.done()
