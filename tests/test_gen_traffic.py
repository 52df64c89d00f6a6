#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Self-test for scripts/gen_traffic.py (plain script, no pytest).

Generates small pcaps in a temporary directory, reads them back with scapy and
checks per-class counts, ports, address ranges, unique sources, the src list,
VLAN/VNI/TEID options, CLI errors and determinism with --seed.

Exit status: 0 pass, 1 failure, 77 skipped (scapy missing).
Run: /usr/bin/python3 tests/test_gen_traffic.py
"""
import ipaddress
import os
import socket
import struct
import subprocess
import sys
import tempfile

try:
    from scapy.all import DNS, IP, TCP, UDP, rdpcap
    from scapy.utils import checksum
    from scapy.layers.vxlan import VXLAN
    import scapy.contrib.gtp as gtp
except ImportError as e:
    print(f"SKIP: scapy not importable with {sys.executable}: {e} "
          "(install python3-scapy, run with /usr/bin/python3)")
    sys.exit(77)

GEN = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                   "..", "scripts", "gen_traffic.py")
ORDER = ["https", "http", "dns", "spoofed", "voip", "arp", "vxlan", "gtpu",
         "malformed", "enterprise", "edge"]
TEN = ipaddress.ip_network("10.0.0.0/8")
VPN = ipaddress.ip_network("172.16.0.0/16")   # the enterprise VPN subnet
EDGE = {"9.255.255.255", "11.0.0.0"}
FULL_MIX = ("https=12,http=10,dns=6,spoofed=9,voip=5,arp=3,vxlan=4,gtpu=4,"
            "malformed=8,enterprise=7")
failures = []


def check(cond, msg):
    if not cond:
        failures.append(msg)
        print(f"FAIL: {msg}")


def start(*args):
    return subprocess.Popen([sys.executable, GEN, *args], text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def finish(proc):
    out, err = proc.communicate(timeout=60)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def run(*args):
    return finish(start(*args))


def parse_counts(stdout):
    counts, total = {}, None
    for line in stdout.splitlines():
        if line.startswith("class="):
            name, count = line.split()
            counts[name[6:]] = int(count[6:])
        elif line.startswith("total="):
            total = int(line[6:])
        else:
            raise AssertionError(f"unexpected stdout line {line!r}")
    return counts, total


def classify(frame):
    """(class, src_ip or None, malformed kind or None, vlan) from raw bytes."""
    etype, off, vlan = struct.unpack_from("!H", frame, 12)[0], 14, None
    if etype == 0x8100:
        vlan = struct.unpack_from("!H", frame, 14)[0] & 0xFFF
        etype, off = struct.unpack_from("!H", frame, 16)[0], 18
    if etype == 0x0806:
        return "arp", None, None, vlan
    assert etype == 0x0800, f"ethertype {etype:#x}"
    ipb = frame[off:]
    if len(ipb) < 20:
        return "malformed", None, "short-ip", vlan
    ihl, tot = ipb[0] & 0xF, struct.unpack_from("!H", ipb, 2)[0]
    src = socket.inet_ntoa(ipb[12:16])
    if ihl < 5:
        return "malformed", src, "ihl", vlan
    if tot > len(ipb):
        return "malformed", src, "totlen", vlan
    proto, l4 = ipb[9], ipb[ihl * 4:tot]
    if proto == 6 and len(l4) < 20:
        return "malformed", src, "short-tcp", vlan
    dport = struct.unpack_from("!H", l4, 2)[0]
    if proto == 6:
        if ipaddress.ip_address(src) in TEN:
            return ("spoofed" if dport == 443 else "?"), src, None, vlan
        if ipaddress.ip_address(src) in VPN:
            return ("enterprise" if dport == 443 else "?"), src, None, vlan
        if src in EDGE:
            return ("edge" if dport == 80 else "?"), src, None, vlan
        return {443: "https", 80: "http"}.get(dport, "?"), src, None, vlan
    if proto == 17:
        cls = {53: "dns", 5060: "voip", 4789: "vxlan", 2152: "gtpu"}
        return cls.get(dport, "?"), src, None, vlan
    return "?", src, None, vlan


def test_full_mix(tmp):
    pcap, srcs = os.path.join(tmp, "full.pcap"), os.path.join(tmp, "full.src")
    r = run("--pcap", pcap, "--mix", FULL_MIX, "--seed", "3",
            "--edge-addresses", "--src-list", srcs)
    check(r.returncode == 0, f"full mix rc={r.returncode} {r.stderr}")
    counts, total = parse_counts(r.stdout)
    want = dict(item.split("=") for item in FULL_MIX.split(","))
    want = {k: int(v) for k, v in want.items()}
    want["edge"] = 2
    check(counts == want, f"stdout counts {counts} != {want}")
    check(list(counts) == [c for c in ORDER if c in counts],
          f"stdout class order {list(counts)}")
    check(total == sum(want.values()), f"total={total}")

    pkts = rdpcap(pcap)
    check(len(pkts) == total, f"pcap has {len(pkts)} packets, want {total}")
    lines = [line.split() for line in open(srcs).read().splitlines()]
    check(len(lines) == len(pkts), "src list length != packet count")
    seen, kinds, sports = {}, set(), set()
    for n, (p, (lcls, lsrc)) in enumerate(zip(pkts, lines)):
        frame = bytes(p)
        cls, src, kind, _ = classify(frame)
        seen[cls] = seen.get(cls, 0) + 1
        check(cls == lcls, f"pkt {n}: pcap class {cls} != src list {lcls}")
        check(frame[:6] == bytes.fromhex("020000000001") or cls == "arp",
              f"pkt {n}: dst mac {frame[:6].hex()}")
        if cls == "arp":
            check(lsrc == "-", f"pkt {n}: arp src list entry {lsrc}")
        elif src is not None:
            check(src == lsrc, f"pkt {n}: src {src} != src list {lsrc}")
        if cls == "malformed":
            kinds.add(kind)
            check(len(frame) >= 14, f"pkt {n}: malformed shorter than 14")
            check(kind == "short-ip" or checksum(frame[14:34]) == 0,
                  f"pkt {n}: malformed ({kind}) has a bad IPv4 checksum")
            continue
        check(len(frame) >= 60, f"pkt {n}: {cls} frame only {len(frame)} B")
        if cls != "arp":
            inside = ipaddress.ip_address(src) in TEN
            check(inside == (cls == "spoofed"), f"pkt {n}: {cls} src {src}")
            vpn = ipaddress.ip_address(src) in VPN
            check(vpn == (cls == "enterprise"), f"pkt {n}: {cls} src {src} (VPN subnet)")
            sports.add(p[IP].payload.sport)
        if cls == "dns":
            check(p.haslayer(DNS) and p[DNS].qr == 0 and p[DNS].qdcount == 1
                  and p[DNS].qd.qname.endswith(b"example.com."),
                  f"pkt {n}: not a DNS query")
        if cls == "vxlan":
            check(p.haslayer(VXLAN) and p[VXLAN].vni == 100 and
                  p[VXLAN].payload.haslayer(TCP), f"pkt {n}: bad VXLAN")
        if cls == "gtpu":
            g = gtp.GTP_U_Header(bytes(p[UDP].payload))
            check(p[UDP].dport == 2152 and g.teid == 1234 and g.gtp_type == 255 and
                  g.haslayer(IP), f"pkt {n}: bad GTP-U (outer UDP/2152, G-PDU, TEID, "
                  "inner IPv4)")
    check(seen == want, f"pcap class counts {seen} != {want}")
    check(kinds == {"short-ip", "ihl", "totlen", "short-tcp"},
          f"malformed kinds {kinds}")
    ips = [s for _, s in lines if s != "-"]
    check(len(ips) == len(set(ips)), "source IPs in src list not unique")
    check(EDGE <= set(ips), "edge addresses missing")
    check(len(sports) > total // 2, f"only {len(sports)} distinct sports")
    return open(pcap, "rb").read()


def test_determinism(tmp, ref):
    a, b = os.path.join(tmp, "a.pcap"), os.path.join(tmp, "b.pcap")
    pa = start("--pcap", a, "--mix", FULL_MIX, "--seed", "3",
               "--edge-addresses")
    pb = start("--pcap", b, "--mix", FULL_MIX, "--seed", "4",
               "--edge-addresses")
    ra, rb = finish(pa), finish(pb)
    check(ra.returncode == 0 and rb.returncode == 0, "determinism runs failed")
    check(open(a, "rb").read() == ref, "same seed gave different pcap bytes")
    check(open(b, "rb").read() != ref, "different seed gave identical pcap")
    check(ra.stdout == rb.stdout, "stdout depends on seed")


def test_options(tmp):
    pcap = os.path.join(tmp, "opt.pcap")
    r = run("--pcap", pcap, "--mix", "gtpu=3,arp=2,vxlan=3,https=2",
            "--vni", "42", "--teid", "99", "--vlan", "10", "--no-shuffle")
    check(r.returncode == 0, f"options run rc={r.returncode} {r.stderr}")
    pkts = rdpcap(pcap)
    classes = []
    for p in pkts:
        cls, _, _, vlan = classify(bytes(p))
        classes.append(cls)
        check(vlan == (None if cls == "arp" else 10), f"{cls}: vlan {vlan}")
        if cls == "vxlan":
            check(p[VXLAN].vni == 42, f"vni {p[VXLAN].vni}")
        if cls == "gtpu":
            check(gtp.GTP_U_Header(bytes(p[UDP].payload)).teid == 99, "teid")
    want = ["https"] * 2 + ["arp"] * 2 + ["vxlan"] * 3 + ["gtpu"] * 3
    check(classes == want, f"--no-shuffle order {classes}")
    check(r.stdout.splitlines()[-1] == "total=10", "options total")


def test_default_and_errors(tmp):
    # Independent runs: start them all at once to keep the test fast.
    bad = ("bogus=3", "https=x", "http=-1", "dns")
    procs = [start("--pcap", os.path.join(tmp, "def.pcap")),
             start("--mix", "https=1")]
    procs += [start("--pcap", os.path.join(tmp, "err.pcap"), "--mix",
                    f"https=1,{item}") for item in bad]
    r, noout, *errs = [finish(p) for p in procs]
    want = ("class=https count=100\nclass=http count=100\n"
            "class=dns count=100\nclass=spoofed count=50\ntotal=350\n")
    check(r.returncode == 0 and r.stdout == want,
          f"default mix stdout {r.stdout!r}")
    check(noout.returncode == 2, "missing --pcap/--iface accepted")
    for item, r in zip(bad, errs):
        check(r.returncode == 2, f"--mix {item}: rc {r.returncode}")
        check(r.stdout == "" and len(r.stderr.splitlines()) == 1
              and item in r.stderr, f"--mix {item}: stderr {r.stderr!r}")


def main():
    with tempfile.TemporaryDirectory(prefix="gen_traffic_test.") as tmp:
        ref = test_full_mix(tmp)
        test_determinism(tmp, ref)
        test_options(tmp)
        test_default_and_errors(tmp)
    if failures:
        print(f"{len(failures)} check(s) failed")
        return 1
    print("PASS: gen_traffic.py")
    return 0


if __name__ == "__main__":
    sys.exit(main())
