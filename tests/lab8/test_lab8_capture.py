#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""DPDK's capture tools against lab 8 (issue 13, part 3). The primary owns a
net_tap port and calls rte_pdump_init(); both secondaries run on their rings.
dpdk-dumpcap --file-prefix=P -i 0 -w FILE.pcapng, then dpdk-pdump with
rx-dev=FILE.pcap, each capture what the primary receives while traffic from
scripts/gen_traffic.py goes in: every frame sent, once, byte for byte (read
back with Scapy), nothing dropped, and the secondaries still print each source."""

import os
import signal
import subprocess

import labtest
import lab8common as l8

t = labtest.Test("lab8_capture")
t.require_root()
t.require_hugepages()
if not os.path.exists("/dev/net/tun"):
    t.skip("no /dev/net/tun: net_tap cannot work here")

MIX = ["--mix", "https=40,http=40,dns=40,spoofed=20"]


def frames_of(seed):
    """The frames gen_traffic.py sends with this seed, written to a pcap before any
    DPDK process spins on the CPUs (Scapy is slow enough without that)."""
    pcap = os.path.join(t.workdir, f"sent{seed}.pcap")
    labtest.gen_traffic(t, MIX + ["--seed", str(seed), "--pcap", pcap])
    return labtest.read_frames(pcap)


SENT = {seed: frames_of(seed) for seed in (31, 32)}

iface = f"l8c{os.getpid() % 100000}"
p = t.prefix()
prim = l8.primary(t, p, f"net_tap0,iface={iface}", app=["--no-status"])
if not l8.started(t, prim, "primary on net_tap"):
    t.done()
t.check(f"dpdk-dumpcap --file-prefix={p} -i 0" in prim.output(),
        "the primary says it serves the capture tools")
up = subprocess.run([os.path.join(labtest.source_dir(), "scripts", "labenv.sh"), "tap-up", iface],
                    capture_output=True, text=True, timeout=30)
if up.returncode != 0:
    t.skip(f"cannot bring {iface} up: {up.stderr.strip()}")
ent = l8.secondary(t, p, "1", "enterprise")
l8.started(t, ent, "enterprise secondary")
mob = l8.secondary(t, p, "2@1", "mobility")
l8.started(t, mob, "mobility secondary")



def send(name, seed):
    """Sends a mix into the tap; returns the frames sent."""
    before = l8.stats(p) or {}
    done = before.get("enterprise_packets", 0) + before.get("mobility_packets", 0)
    labtest.gen_traffic(t, MIX + ["--seed", str(seed), "--iface", iface])
    frames = SENT[seed]
    s = l8.wait_stats(p, lambda s: s["enterprise_packets"] + s["mobility_packets"] >=
                      done + len(frames))
    t.check(s is not None and s["enterprise_packets"] + s["mobility_packets"] >=
            done + len(frames), f"{name}: the secondaries processed all {len(frames)} frames",
            str(s))
    return frames


# dpdk-dumpcap: on CPU 1, so its lcore id is not the primary's poller's (0).
cap = os.path.join(t.workdir, "lab8.pcapng")
dc = labtest.dumpcap(t, p, cap, cpu=1)
if t.check(dc.wait_for("Packets captured:", 30), "dpdk-dumpcap attaches", dc.output()[-800:]):
    sent = send("dumpcap", 31)
    rc = dc.stop(signal.SIGINT, 15)
    st = labtest.capture_stats(dc.output())
    t.check(rc == 0 and st is not None and st[1] == 0,
            "dpdk-dumpcap exits 0 and reports no packet dropped", f"rc={rc} stats={st}\n"
            + dc.output()[-600:])
    frames = labtest.read_frames(cap)
    t.check(st is not None and st[0] == len(frames), "its count matches the pcapng file",
            f"stats={st}, file={len(frames)}")
    labtest.check_capture(t, "dpdk-dumpcap", sent, frames)

# dpdk-pdump: its own EAL arguments; lcore 1 polls nothing of the primary's port.
pcap = labtest.pdump_file("lab8")
pd = labtest.pdump(t, t.eal("1", p), f"port=0,queue=*,rx-dev={pcap}")
if t.check(pd.wait_for("capture for", 30), "dpdk-pdump attaches",
           pd.output()[-800:]):
    sent = send("pdump", 32)
    rc = pd.stop(signal.SIGINT, 15)
    t.check(rc == 0, "dpdk-pdump exits 0", f"rc={rc}\n" + pd.output()[-600:])
    labtest.check_capture(t, "dpdk-pdump", sent, labtest.read_frames(pcap))

t.check(ent.stop() == 0 and mob.stop() == 0, "both secondaries exit 0")
t.check(prim.stop(timeout=15) == 0, "the primary exits 0", prim.output()[-600:])
t.done()
