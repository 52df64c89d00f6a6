#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Lab 8 telemetry: /lab8/stats through dpdk-telemetry.py -f PREFIX returns
exactly the keys the lab documents, counters that move, and dpdk-proc-info
--stats (another secondary) works beside the lab's processes.

dpdk-proc-info 22.11 forces -c1 (lcore 0) and rejects -l/--lcores, so it
shares the primary's lcore id 0; it only reads port statistics, which use no
mempool cache. net_null is used: 22.11's net_pcap crashes a secondary's
rte_eal_cleanup (dpdk-proc-info exits 139 after printing)."""

import signal
import subprocess

import labtest
import lab8common as l8

KEYS = {"rx_packets", "enqueued", "ring_full_drops", "pool_in_use", "pool_available",
        "enterprise_packets", "mobility_packets", "secondaries_attached",
        "policy_allow", "policy_deny", "policy_miss", "gtpu_packets", "rule_drops"}

t = labtest.Test("lab8_telemetry")
t.require_root()
t.require_hugepages()

p = t.prefix()
prim = l8.primary(t, p, "net_null0", app=["--no-status", "--mbufs", "15000"])
if not l8.started(t, prim, "primary"):
    t.done()
sec = l8.secondary(t, p, "1", "mobility", ["--quiet"])
l8.started(t, sec, "mobility secondary")

s1 = l8.wait_stats(p, lambda s: s["mobility_packets"] > 0)
t.check(s1 is not None and set(s1) == KEYS, "/lab8/stats has exactly the documented keys",
        f"{sorted(s1) if s1 else None}")
t.check(s1 is not None and s1["pool_in_use"] + s1["pool_available"] == 15000,
        "pool_in_use + pool_available = --mbufs", s1)
t.check(s1 is not None and s1["secondaries_attached"] == 1, "one secondary attached", s1)
t.check(s1 is not None and s1["ring_full_drops"] > 0,
        "enterprise ring fills (nobody consumes it): ring_full_drops counts", s1)

res = t.run(["dpdk-proc-info", f"--file-prefix={p}", "--no-pci", "--", "--stats"], timeout=60)
t.check(res.returncode == 0 and "NIC statistics for port 0" in res.stdout,
        "dpdk-proc-info --stats works beside the lab", f"rc={res.returncode}\n{res.stdout[-600:]}"
        f"\n{res.stderr[-600:]}")
s2 = l8.stats(p)
s3 = l8.wait_stats(p, lambda s: s2 is not None and s["mobility_packets"] > s2["mobility_packets"])
t.check(s2 is not None and s3 is not None and s3["mobility_packets"] > s2["mobility_packets"] and
        s3["rx_packets"] > s2["rx_packets"], "primary and secondary carry on after proc-info",
        f"{s2} {s3}")
help_out = subprocess.run(["/usr/bin/python3", l8.TELEMETRY, "-f", p], input="/\n",
                          capture_output=True, text=True, timeout=10).stdout
t.check("/lab8/stats" in help_out, "/lab8/stats is listed by the telemetry socket")

t.check(sec.stop(signal.SIGINT) == 0, "secondary exits 0")
t.check(prim.stop(signal.SIGINT) == 0, "primary exits 0")
t.done()
