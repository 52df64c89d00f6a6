#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Lab 8 refusals: a secondary with no primary or a wrong --file-prefix, a
second primary on a live prefix, a secondary on an lcore id already in use,
a second consumer of a role's ring, and bad options. Each must give a clear
one-line reason, exit non-zero and never crash; the running primary must carry on."""

import signal

import labtest
import lab8common as l8

t = labtest.Test("lab8_errors")
t.require_root()
t.require_hugepages()


def refused(proc, what, text, timeout=30):
    rc = proc.wait(timeout)
    out = proc.output()
    t.check(rc is not None and rc != 0 and not l8.crashed(rc) and text in out,
            f"{what}: refused with '{text}'", f"rc={rc}\n{out[-1200:]}")


# No primary at all on this prefix.
nobody = t.prefix("none")
refused(l8.secondary(t, nobody, "1", "enterprise"), "secondary with no primary",
        "Is lab8_primary running with the same --file-prefix")
refused(l8.secondary(t, nobody, "1", "enterprise", proc_type="auto"),
        "secondary --proc-type=auto with no primary", "start lab8_primary first")

p = t.prefix()
prim = l8.primary(t, p, "net_null0", app=["--no-status"])
if not l8.started(t, prim, "primary"):
    t.done()

# A wrong prefix finds no primary, even while one runs elsewhere.
refused(l8.secondary(t, t.prefix("wrong"), "1", "enterprise"), "secondary with a wrong prefix",
        "Is lab8_primary running with the same --file-prefix")

# One primary per prefix: the EAL's lock on <runtime dir>/config refuses the second.
refused(t.dpdk("lab8_primary", t.eal("1", p, proc_type="primary", vdevs=["net_null1"],
                                      extra=[labtest.BASE_VIRTADDR]),
               app=["--no-status"]), "second primary on the same prefix", "one primary per prefix")
refused(t.dpdk("lab8_primary", t.eal("1", p, proc_type="auto"), app=["--no-status"]),
        "second primary with --proc-type=auto", "one primary per prefix")
s1 = l8.stats(p)
s2 = l8.wait_stats(p, lambda s: s1 is not None and s["rx_packets"] > s1["rx_packets"])
t.check(prim.proc.poll() is None and s1 is not None and s2["rx_packets"] > s1["rx_packets"],
        "the first primary keeps running and counting", f"{s1} {s2}")

# lcore ids: the primary's, then an attached secondary's.
refused(l8.secondary(t, p, "0", "enterprise", ["--quiet"]), "secondary on the primary's lcore id",
        "already used by the primary")
t.check("--lcores=" in t.procs[-1].output(),
        "the refusal shows how to pick another (--lcores=N@CPU)")
ent = l8.secondary(t, p, "1", "enterprise", ["--quiet"])
l8.started(t, ent, "enterprise secondary on lcore 1")
refused(l8.secondary(t, p, "1", "mobility", ["--quiet"]),
        "secondary on an attached secondary's lcore id", "already used by the enterprise secondary")
mob = l8.secondary(t, p, "2@1", "mobility", ["--quiet"])
t.check(mob.wait_for("Ctrl-C to stop", 15), "--lcores=2@1 (fresh id on a busy CPU) is accepted",
        mob.output()[-800:])

# One consumer per ring: a second ring-mode secondary of a role is refused.
refused(l8.secondary(t, p, "3@1", "mobility", ["--quiet"]),
        "a second mobility secondary on RX_TO_MOBILITY", "already reads ring RX_TO_MOBILITY")
t.check(mob.stop(signal.SIGINT) == 0, "mobility secondary exits 0 on SIGINT")

auto = l8.secondary(t, p, "3@1", "mobility", ["--quiet"], proc_type="auto")
t.check(auto.wait_for("Ctrl-C to stop", 15) and "secondary process" in auto.output(),
        "--proc-type=auto with a live primary attaches as a secondary", auto.output()[-800:])
t.check(auto.stop(signal.SIGINT) == 0, "it exits 0 on SIGINT")

# Bad options: one line naming the option, non-zero exit.
bad = [
    (["--role", "finance"], "--role: 'finance'"),
    ([], "--role is missing"),
    (["--role", "enterprise", "--sample", "0"], "--sample: '0'"),
    (["--role", "enterprise", "--sample", "x"], "--sample: 'x'"),
    (["--role", "enterprise", "--queues", "3-4"], "port 0 has 4 rx queues (0-3)"),
    (["--role", "enterprise", "--queues", "2-1"], "--queues: '2-1'"),
    (["--role", "enterprise", "--bogus"], "unknown option '--bogus'"),
]
for app, text in bad:
    refused(t.dpdk("lab8_secondary", t.eal("3@1", p, proc_type="secondary"), app=app),
            f"secondary {' '.join(app) or '(no options)'}", text)
for app, text in [(["--rxq", "0"], "--rxq: '0'"), (["--port", "3"], "port 3 does not exist"),
                  (["--ring-size", "big"], "--ring-size: 'big'"), (["--frobnicate"], "unknown"),
                  (["--port"], "--port needs a value"),
                  (["--mbufs", "9000"], "--mbufs 9000 is too small")]:
    refused(t.dpdk("lab8_primary", t.eal("0", t.prefix("bad"), proc_type="primary",
                                          vdevs=["net_null0"]), app=app),
            f"primary {' '.join(app)}", text)

t.check(ent.stop(signal.SIGINT) == 0, "enterprise secondary exits 0 on SIGINT")
t.check(prim.stop(signal.SIGINT) == 0, "primary exits 0 on SIGINT")
t.done()
