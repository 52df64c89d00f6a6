#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Lab 8 hot restart: SIGKILL the secondary under traffic (net_null never
stops). The primary stays up, keeps counting, reports what the dead process
stranded (at most one burst in flight plus its lcore's cache); the same
command started again attaches and gets traffic."""

import re
import signal
import time

import labtest
import lab8common as l8

BURST = 32
CACHE_MAX = 256 * 3 // 2  # LAB_MBUF_CACHE and the mempool's flush threshold

t = labtest.Test("lab8_restart")
t.require_root()
t.require_hugepages()

p = t.prefix()
prim = l8.primary(t, p, "net_null0")
if not l8.started(t, prim, "primary"):
    t.done()
sec = l8.secondary(t, p, "1", "enterprise", ["--quiet"])
l8.started(t, sec, "secondary")
before = l8.wait_stats(p, lambda s: s["enterprise_packets"] > 10000)
t.check(before is not None and before["enterprise_packets"] > 10000, "secondary gets traffic",
        before)

sec.kill()
t.check(prim.wait_for("died without detaching", 5), "primary notices the SIGKILLed secondary",
        prim.output()[-800:])
m = re.search(r"stranded (\d+) mbufs in flight .* left (\d+) in lcore 1's", prim.output())
t.check(m is not None and int(m.group(1)) <= BURST and int(m.group(2)) <= CACHE_MAX,
        f"stranded mbufs reported, bounded by one burst ({BURST}) + lcore cache ({CACHE_MAX})",
        m.group(0) if m else prim.output()[-800:])
s1 = l8.stats(p)
# Polls rather than sleeps: the primary's CPU may be shared with a busy task.
s2 = l8.wait_stats(p, lambda s: s1 is not None and s["rx_packets"] > s1["rx_packets"])
t.check(prim.proc.poll() is None and s1 and s2 and s2["rx_packets"] > s1["rx_packets"],
        "primary stays up and keeps counting", f"{s1} {s2}")
t.check(s2 is not None and s2["secondaries_attached"] == 0, "no secondary attached", s2)

again = l8.secondary(t, p, "1", "enterprise", ["--quiet"])
l8.started(t, again, "restarted secondary (same arguments)")
s3 = l8.wait_stats(p, lambda s: s["enterprise_packets"] > s2["enterprise_packets"] + 10000)
t.check(s3 is not None and s3["enterprise_packets"] > s2["enterprise_packets"] + 10000 and
        s3["secondaries_attached"] == 1, "restarted secondary gets traffic again", s3)
deadline = time.monotonic() + 10
while prim.output().count("secondary attached: enterprise") < 2 and time.monotonic() < deadline:
    time.sleep(0.1)
t.check(prim.output().count("secondary attached: enterprise") == 2,
        "primary announced both attachments")
t.check(again.stop(signal.SIGINT) == 0, "restarted secondary exits 0 on SIGINT")
t.check(prim.stop(signal.SIGINT) == 0, "primary exits 0")
t.done()
