#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Lab 8 direct-queue mode on net_tap: the enterprise secondary asks for
queues 0-1 through its slot in the info block, the primary stops polling them
and grants; traffic sent into the tap then reaches each source exactly once,
queues 0-1 through the secondary's own rx_burst, 2-3 through the ring. Taken
or out-of-range queues are refused; the primary polls 0-1 again after the
secondary leaves."""

import collections
import os
import re
import signal
import subprocess

import labtest
import lab8common as l8

t = labtest.Test("lab8_direct")
t.require_root()
t.require_hugepages()
if not os.path.exists("/dev/net/tun"):
    t.skip("no /dev/net/tun: net_tap cannot work here")

iface = f"l8d{os.getpid() % 100000}"
p = t.prefix()
prim = l8.primary(t, p, f"net_tap0,iface={iface}", app=["--no-status"])
if not l8.started(t, prim, "primary on net_tap"):
    t.done()
up = subprocess.run([os.path.join(labtest.source_dir(), "scripts", "labenv.sh"), "tap-up", iface],
                    capture_output=True, text=True, timeout=30)
if up.returncode != 0:
    t.skip(f"cannot bring {iface} up: {up.stderr.strip()}")

ent = l8.secondary(t, p, "1", "enterprise", ["--queues", "0-1"])
l8.started(t, ent, "enterprise secondary in direct-queue mode")
t.check(prim.wait_for("queues 0-1 handed to enterprise", 5), "primary hands queues 0-1 over",
        prim.output()[-800:])
mob = l8.secondary(t, p, "2@1", "mobility")
l8.started(t, mob, "mobility secondary on its ring")
other = l8.secondary(t, p, "3@1", "enterprise", ["--queues", "1-2", "--quiet"])
rc = other.wait(15)
t.check(rc not in (None, 0) and not l8.crashed(rc) and "the primary refused" in other.output(),
        "a second secondary asking for queue 1 is refused", f"rc={rc}\n{other.output()[-600:]}")

srcs = os.path.join(t.workdir, "sent.src")
labtest.gen_traffic(t, ["--iface", iface, "--mix", "https=80,http=80,dns=80", "--seed", "11",
                        "--src-list", srcs])
with open(srcs) as f:
    sent = [line.split()[1] for line in f if line.strip()]
sent_set = set(sent)
# Until every packet sent is processed. Packets the kernel sent when the port came up
# (before tap-up turned IPv6 off) may have reached queue 0 or 1 before the hand-over
# and wait in RX_TO_ENTERPRISE, which no secondary reads in this test.
s = l8.wait_stats(p, lambda s: s["enterprise_packets"] + s["mobility_packets"] >= len(sent))
t.check(s is not None and s["enterprise_packets"] > 0 and s["mobility_packets"] > 0,
        "both the direct-queue and the ring secondary got traffic", s)

rc_e = ent.stop(signal.SIGINT)
rc_m = mob.stop(signal.SIGINT)
t.check(rc_e == 0 and rc_m == 0, "secondaries exit 0", f"{rc_e} {rc_m}")
counts = collections.Counter(src for _, src in l8.printed_sources(ent.output() + mob.output())
                             if src in sent_set)
t.check(len(counts) == len(sent_set) and all(n == 1 for n in counts.values()),
        f"each of the {len(sent_set)} sources printed exactly once",
        f"{len(counts)} seen, dupes {[k for k, n in counts.items() if n > 1][:5]}")
t.check(prim.wait_for("polling queues 0-1 again", 5), "primary polls queues 0-1 again")
t.check(prim.stop(signal.SIGINT) == 0, "primary exits 0")

# The primary's final counters, per queue and per ring.
final = dict(re.findall(r"^  (rx queue \d+|enqueued \S+|\S+ +packets) +(\d+)", prim.output(), re.M))
final = {" ".join(k.split()): int(v) for k, v in final.items()}
t.check(final.get("enqueued RX_TO_MOBILITY") == final.get("rx queue 2", -1) +
        final.get("rx queue 3", -1) == final.get("mobility packets"),
        "what queues 2-3 received went through the ring, every packet processed", final)
t.check(final.get("enqueued RX_TO_ENTERPRISE") == final.get("rx queue 0", -1) +
        final.get("rx queue 1", -1) < 5,
        "the primary took from queues 0-1 only before the hand-over (a few kernel packets)",
        final)
t.done()
