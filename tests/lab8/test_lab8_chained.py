#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Lab 8 freeing: the primary puts plain mbufs straight back into MBUF_POOL
(rte_mempool_put_bulk, headers untouched) and must free every other one in
full. net_pcap chains a jumbo frame over several mbufs: with a 64-entry
ring, the frames the ring cannot take are freed by the primary's own check,
the rest come back marked by the secondary. Every mbuf must be back in the
pool at the end, and every frame counted once."""

import os
import re
import signal

from scapy.all import IP, UDP, Ether, Raw, wrpcap

import labtest
import lab8common as l8

FRAMES = 300
PAYLOAD = 5000          # over two 2048-byte mbufs: three segments each

t = labtest.Test("lab8_chained")
t.require_root()
t.require_hugepages()

pcap = os.path.join(t.workdir, "jumbo.pcap")
wrpcap(pcap, [Ether() / IP(src=f"10.0.0.{i % 250 + 1}", dst="10.0.1.1") / UDP() /
              Raw(b"x" * PAYLOAD) for i in range(FRAMES)])

p = t.prefix()
prim = l8.primary(t, p, l8.pcap_vdev([pcap]), app=["--rxq", "1", "--ring-size", "64",
                                                   "--no-status"])
if not l8.started(t, prim, "primary"):
    t.done()
sec = l8.secondary(t, p, "1", "enterprise", ["--quiet"])
l8.started(t, sec, "secondary")
s = l8.wait_stats(p, lambda s: s["rx_packets"] == FRAMES and
                  s["enterprise_packets"] + s["ring_full_drops"] == FRAMES)
t.check(s is not None and s["rx_packets"] == FRAMES, f"primary received the {FRAMES} frames", s)
t.check(s is not None and s["ring_full_drops"] > 0 and s["enterprise_packets"] > 0,
        "some frames dropped at the full ring, some handed back", s)
t.check(sec.stop(signal.SIGINT) == 0, "secondary exits 0 on SIGINT")
t.check(prim.stop(signal.SIGINT) == 0, "primary exits 0")
m = re.search(r"pool in use (\d+), available (\d+) of (\d+)", prim.output())
t.check(m is not None and m.group(1) == "0" and m.group(2) == m.group(3),
        "every segment of every chained mbuf is back in MBUF_POOL",
        m.group(0) if m else prim.output()[-800:])
t.done()
