#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Lab 8 end to end on net_pcap: one rx_pcap file per rx queue (0-1 go to
RX_TO_ENTERPRISE, 2-3 to RX_TO_MOBILITY), delivered once. Every source address
gen_traffic.py sent must be printed exactly once, by the secondary of the right
role; /lab8/stats must agree with what was sent; the pool's in-use count must
fall back to the idle port's baseline after the secondaries leave cleanly."""

import collections
import signal

import labtest
import lab8common as l8

t = labtest.Test("lab8_flow")
t.require_root()
t.require_hugepages()

pcap, sent, total = l8.gen_traffic(t, "https=60,http=60,dns=60,spoofed=30,arp=10", seed=8)
queues = l8.per_queue(sent)
files = l8.split_pcap(t, pcap)
expect = {role: [item for q in qs for item in queues[q]] for role, qs in l8.ROLES.items()}

p = t.prefix()
prim = l8.primary(t, p, l8.pcap_vdev(files), app=["--no-status"])
if not l8.started(t, prim, "primary"):
    t.done()

# Nobody consumes yet: every packet waits in a ring, each holding one mbuf.
s0 = l8.wait_stats(p, lambda s: s["rx_packets"] >= total)
t.check(s0 is not None and s0["rx_packets"] == total and s0["enqueued"] == total,
        f"primary received and enqueued all {total} packets before any secondary", s0)
t.check(s0 is not None and s0["pool_in_use"] == total,
        f"pool in use = {total} packets waiting in the rings", s0)

ent = l8.secondary(t, p, "1", "enterprise")
mob = l8.secondary(t, p, "2@1", "mobility")
l8.started(t, ent, "enterprise secondary")
l8.started(t, mob, "mobility secondary")
s1 = l8.wait_stats(p, lambda s: s["enterprise_packets"] + s["mobility_packets"] >= total)
t.check(s1 is not None and s1["secondaries_attached"] == 2, "two secondaries attached", s1)
t.check(s1 is not None and s1["enterprise_packets"] == len(expect["enterprise"]),
        f"enterprise_packets = {len(expect['enterprise'])} (queues 0-1)", s1)
t.check(s1 is not None and s1["mobility_packets"] == len(expect["mobility"]),
        f"mobility_packets = {len(expect['mobility'])} (queues 2-3)", s1)
t.check(s1 is not None and s1["rx_packets"] == total and s1["enqueued"] == total and
        s1["ring_full_drops"] == 0, "rx = enqueued = sent, no ring-full drops", s1)
t.check(s1 is not None and s1["pool_in_use"] == 0,
        "pool in use back to 0 once the secondaries consumed everything", s1)

rc_ent = ent.stop(signal.SIGINT)
rc_mob = mob.stop(signal.SIGINT)
t.check(rc_ent == 0 and rc_mob == 0, "both secondaries exit 0 on SIGINT", f"{rc_ent} {rc_mob}")

printed = l8.printed_sources(ent.output() + mob.output())
counts = collections.Counter(src for _, src in printed)
sent_ipv4 = [src for cls, src in sent if src != "-"]
dupes = [src for src, n in counts.items() if src != "-" and n > 1]
missing = [src for src in sent_ipv4 if counts[src] == 0]
extra = [src for src in counts if src != "-" and src not in set(sent_ipv4)]
t.check(not dupes and not missing and not extra,
        f"each of the {len(sent_ipv4)} IPv4 sources printed exactly once",
        f"dupes {dupes[:5]} missing {missing[:5]} extra {extra[:5]}")
t.check(counts["-"] == sum(1 for _, src in sent if src == "-"),
        "every non-IPv4 packet printed as src=-", f"{counts['-']}")
for role in l8.ROLES:
    mine = sorted(src for r, src in printed if r == role)
    t.check(mine == sorted(src for _, src in expect[role]),
            f"{role} printed exactly the sources of its queues")

s2 = l8.wait_stats(p, lambda s: s["secondaries_attached"] == 0)
t.check(s2 is not None and s2["secondaries_attached"] == 0 and s2["pool_in_use"] == 0,
        "after clean exits: no secondary attached, pool in use at its idle baseline (0)", s2)
t.check(s2 is not None and s2["enterprise_packets"] + s2["mobility_packets"] == total,
        "role counters kept after the secondaries left", s2)
t.check(prim.wait_for("secondary left: enterprise", 3) and
        prim.wait_for("secondary left: mobility", 3), "primary noticed both leaving")
t.check("secondary attached: mobility" in prim.output(), "primary noticed attaching")

rc = prim.stop(signal.SIGINT)
t.check(rc == 0 and "final counters" in prim.output(), "primary exits 0 with final counters",
        f"rc={rc}")
t.done()
