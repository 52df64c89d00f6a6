#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Lab 8 output options: --sample N prints one packet in N, --quiet none;
both still process (and count) every packet."""

import signal

import labtest
import lab8common as l8

t = labtest.Test("lab8_sample")
t.require_root()
t.require_hugepages()

pcap, sent, total = l8.gen_traffic(t, "https=50,http=50,dns=50,spoofed=50", seed=21)
queues = l8.per_queue(sent)
files = l8.split_pcap(t, pcap)
n_ent = len(queues[0]) + len(queues[1])
n_mob = len(queues[2]) + len(queues[3])

p = t.prefix()
prim = l8.primary(t, p, l8.pcap_vdev(files), app=["--no-status"])
if not l8.started(t, prim, "primary"):
    t.done()
ent = l8.secondary(t, p, "1", "enterprise", ["--sample", "10"])
mob = l8.secondary(t, p, "2@1", "mobility", ["--quiet"])
l8.started(t, ent, "enterprise --sample 10")
l8.started(t, mob, "mobility --quiet")
s = l8.wait_stats(p, lambda s: s["enterprise_packets"] + s["mobility_packets"] >= total)
t.check(s is not None and s["enterprise_packets"] == n_ent and s["mobility_packets"] == n_mob,
        f"every packet processed ({n_ent} + {n_mob})", s)
t.check(ent.stop(signal.SIGINT) == 0 and mob.stop(signal.SIGINT) == 0, "both exit 0")
printed = l8.printed_sources(ent.output() + mob.output())
ent_lines = [src for role, src in printed if role == "enterprise"]
t.check(len(ent_lines) == n_ent // 10, f"--sample 10 printed {n_ent // 10} of {n_ent}",
        f"{len(ent_lines)} lines")
ent_sent = {src for _, src in queues[0] + queues[1]}
t.check(all(src in ent_sent for src in ent_lines), "the sampled lines are enterprise packets")
t.check(not any(role == "mobility" for role, _ in printed), "--quiet printed no packet")
t.check(f"{n_mob} packets" in mob.output(), "--quiet still counted every packet at exit",
        mob.output()[-400:])
t.check(prim.stop(signal.SIGINT) == 0, "primary exits 0")
t.done()
