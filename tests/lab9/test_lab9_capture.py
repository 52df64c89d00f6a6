#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""DPDK's capture tools against lab 9's flow_classifier on net_tap (issue 13,
part 3). On the host TAP has no flow rules, so the HTTPS and drop rules run in
software, after rte_eth_rx_burst(). dpdk-pdump and then dpdk-dumpcap copy at
rte_eth_rx_burst(), before those rules: each capture holds every frame
scripts/gen_traffic.py sent, once, byte for byte, the spoofed frames the
software rule then drops included, while the classifier's matrix counts
what the rules let through."""

import os
import signal

import labtest
import lab9util as u

t = labtest.Test("lab9_capture")
t.require_root()
t.require_hugepages()
if not os.path.exists("/dev/net/tun"):
    t.skip("no /dev/net/tun: net_tap cannot work here")


def frames_of(seed):
    """The frames gen_traffic.py sends with this seed, written to a pcap before any
    DPDK process spins on the CPUs (Scapy is slow enough without that)."""
    pcap = os.path.join(t.workdir, f"sent{seed}.pcap")
    u.gen_traffic(t, ["--pcap", pcap], seed=seed)
    return labtest.read_frames(pcap)


SENT = {seed: frames_of(seed) for seed in (41, 42)}

iface = f"l9c{os.getpid() % 100000}"
p = t.prefix()
# The primary's memory at an address free in dpdk-pdump and dpdk-dumpcap too.
eal = t.eal("0-1", p, vdevs=[f"net_tap0,iface={iface}"], extra=[labtest.BASE_VIRTADDR])
cl = u.Classifier(t, eal, ["--fallback", "software", "--rule", u.HTTPS_RULE,
                           "--rule", u.DROP_RULE])
if not t.check(cl.ready(), "classifier ready on net_tap, rules in software"):
    t.done()
up = t.run([os.path.join(labtest.source_dir(), "scripts", "labenv.sh"), "tap-up", iface])
if up.returncode != 0:
    t.skip(f"cannot bring {iface} up: {up.stderr.strip()}")


def send(name, seed):
    """Sends the lab's mix into the tap; returns (frames, counts per class)."""
    cl.cmd("reset", wait="zeroed")
    sent = u.gen_traffic(t, ["--iface", iface], seed=seed)
    frames = SENT[seed]
    rows, total = cl.wait_total(sent["total"] - sent["spoofed"])
    t.check(total == sent["total"] - sent["spoofed"] and u.class_total(rows, "spoofed") == 0,
            f"{name}: the classifier let through all but the {sent['spoofed']} spoofed frames",
            f"total={total} rows={rows}")
    return frames, sent


def check_spoofed(what, frames, sent):
    from scapy.layers.inet import IP
    from scapy.layers.l2 import Ether
    pkts = [Ether(f) for f in frames]
    spoofed = sum(1 for pkt in pkts if IP in pkt and pkt[IP].src.startswith("10."))
    t.check(spoofed == sent["spoofed"], f"{what}: the {sent['spoofed']} spoofed frames the "
            f"software rule drops are in the capture ({spoofed})")


# dpdk-pdump: lcore 0 is the classifier's prompt; lcore 1 polls the queues.
pcap = labtest.pdump_file("lab9")
pd = labtest.pdump(t, t.eal("0", p), f"port=0,queue=*,rx-dev={pcap}")
if t.check(pd.wait_for("capture for", 30), "dpdk-pdump attaches", pd.output()[-800:]):
    frames, sent = send("pdump", 41)
    rc = pd.stop(signal.SIGINT, 15)
    t.check(rc == 0, "dpdk-pdump exits 0", f"rc={rc}\n" + pd.output()[-600:])
    got = labtest.read_frames(pcap)
    labtest.check_capture(t, "dpdk-pdump", frames, got)
    check_spoofed("dpdk-pdump", got, sent)

# dpdk-dumpcap on CPU 0, hence lcore 0: not the poller's lcore id (1).
cap = os.path.join(t.workdir, "lab9.pcapng")
dc = labtest.dumpcap(t, p, cap, cpu=0)
if t.check(dc.wait_for("Packets captured:", 30), "dpdk-dumpcap attaches",
           f"rc={dc.proc.poll()}\n" + dc.output()[-800:]):
    frames, sent = send("dumpcap", 42)
    rc = dc.stop(signal.SIGINT, 15)
    st = labtest.capture_stats(dc.output())
    t.check(rc == 0 and st is not None and st[1] == 0,
            "dpdk-dumpcap exits 0 and reports no packet dropped", f"rc={rc} stats={st}")
    got = labtest.read_frames(cap)
    labtest.check_capture(t, "dpdk-dumpcap", frames, got)
    check_spoofed("dpdk-dumpcap", got, sent)

rc = cl.quit()
t.check(rc == 0, "classifier quits with status 0",
        ("still running 15 s after 'quit'" if rc is None else f"rc={rc}") + "\n" +
        cl.output()[-600:])
t.done()
