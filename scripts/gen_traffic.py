#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Deterministic Scapy traffic generator for the DPDK labs.

Builds a mix of packet classes, shuffles them with a seed, and writes them to
a pcap or sends them on a live interface. Prints per-class counts to stdout so
tests can compare what was sent with what a DPDK program saw.

Classes: https http dns spoofed voip arp vxlan gtpu malformed blocked enterprise
(plus "edge" with --edge-addresses: 9.255.255.255 and 11.0.0.0, TCP dport 80).
"blocked" is TCP/80 from 1.2.3.4, the address lab 9's step-8 table drops.
"enterprise" is TCP/443 from the enterprise VPN subnet 172.16.0.0/16 (RFC 1918),
which lab 8's SASE-DP rules steer to the enterprise secondary; "gtpu" is the
5G user plane: outer IPv4/UDP 2152, GTP-U G-PDU header with --teid, inner IPv4.

Examples:
  gen_traffic.py --pcap /tmp/t.pcap
  gen_traffic.py --pcap /tmp/t.pcap --mix https=100,spoofed=20,malformed=8 \\
      --seed 7 --src-list /tmp/t.src --edge-addresses
  gen_traffic.py --pcap /tmp/v.pcap --mix vxlan=10,gtpu=10 --vni 42 --teid 99
  gen_traffic.py --pcap /tmp/s.pcap --mix enterprise=40,gtpu=40,https=40
  gen_traffic.py --iface dtap0 --mix voip=50 --vlan 10 --rate 1000

Stdout (nothing else is printed there), classes in the fixed order above:
  class=https count=100
  ...
  total=350
"""
import argparse
import ipaddress
import random
import sys

try:
    from scapy.all import (ARP, DNS, DNSQR, IP, TCP, UDP, Dot1Q, Ether,
                           Padding, PcapWriter, Raw, conf, sendp)
    from scapy.utils import checksum
    from scapy.layers.vxlan import VXLAN
except ImportError as e:
    sys.exit(f"gen_traffic.py: scapy is required ({e}); "
             "run with /usr/bin/python3 and install python3-scapy")
try:
    from scapy.contrib.gtp import GTP_U_Header
except Exception:  # pragma: no cover - old scapy without contrib.gtp
    GTP_U_Header = None

CLASS_ORDER = ["https", "http", "dns", "spoofed", "voip", "arp", "vxlan",
               "gtpu", "malformed", "blocked", "enterprise", "edge"]
DEFAULT_MIX = "https=100,http=100,dns=100,spoofed=50"
EDGE_SOURCES = ["9.255.255.255", "11.0.0.0"]
BLOCKED_SOURCE = "1.2.3.4"     # lab9_rte_flow/course_patterns.rules drops it
NORMAL_POOL = ipaddress.ip_network("100.64.0.0/10")  # outside 10.0.0.0/8
SPOOF_POOL = ipaddress.ip_network("10.0.0.0/8")
# lab8_multiprocess/sase.rules steers it to queue 0 (the enterprise secondary).
ENTERPRISE_POOL = ipaddress.ip_network("172.16.0.0/16")
BASE_TIME = 1700000000
MIN_FRAME = 60


def l2(g):
    """Ethernet header (+ optional 802.1Q tag) for an IPv4 frame."""
    eth = Ether(dst=g.args.dst_mac, src=g.args.src_mac)
    if g.args.vlan is not None:
        return eth / Dot1Q(vlan=g.args.vlan, type=0x0800)
    eth.type = 0x0800
    return eth


def ip(g, src):
    return IP(src=src, dst=f"198.51.100.{g.rng.randint(1, 254)}",
              id=g.rng.randint(0, 0xFFFF))


def sport(g):
    return g.rng.randint(1024, 65535)


def tcp_syn(g, src, dport):
    return l2(g) / ip(g, src) / TCP(sport=sport(g), dport=dport, flags="S",
                                    seq=g.rng.getrandbits(32))


def build_https(g, src, i):
    return tcp_syn(g, src, 443)


def build_http(g, src, i):
    return tcp_syn(g, src, 80)


def build_spoofed(g, src, i):
    return tcp_syn(g, src, 443)


def build_edge(g, src, i):
    return tcp_syn(g, src, 80)


def build_blocked(g, src, i):
    return tcp_syn(g, src, 80)


def build_enterprise(g, src, i):
    return tcp_syn(g, src, 443)


def build_dns(g, src, i):
    query = DNS(id=g.rng.randint(0, 0xFFFF), rd=1,
                qd=DNSQR(qname=f"host{i}.example.com", qtype="A"))
    return l2(g) / ip(g, src) / UDP(sport=sport(g), dport=53) / query


def build_voip(g, src, i):
    sip = (f"OPTIONS sip:lab@198.51.100.1 SIP/2.0\r\n"
           f"Call-ID: {g.rng.getrandbits(64):016x}\r\n\r\n").encode()
    return l2(g) / ip(g, src) / UDP(sport=sport(g), dport=5060) / Raw(sip)


def build_arp(g, src, i):
    return (Ether(dst="ff:ff:ff:ff:ff:ff", src=g.args.src_mac) /
            ARP(op=1, hwsrc=g.args.src_mac, psrc=f"192.0.2.{i % 254 + 1}",
                pdst=f"198.51.100.{g.rng.randint(1, 254)}"))


def build_vxlan(g, src, i):
    # Inner source equals the outer one, so the src list holds either view.
    inner = (Ether(dst="02:00:00:00:01:01", src="02:00:00:00:01:02") /
             IP(src=src, dst="198.51.100.200") /
             TCP(sport=sport(g), dport=443, flags="S"))
    return (l2(g) / ip(g, src) / UDP(sport=sport(g), dport=4789) /
            VXLAN(flags=0x08, vni=g.args.vni) / inner)


def build_gtpu(g, src, i):
    inner = IP(src=src, dst="198.51.100.201") / UDP(sport=sport(g), dport=80)
    if GTP_U_Header is not None:
        gtp = GTP_U_Header(teid=g.args.teid, gtp_type=255) / inner
    else:  # version 1, PT=1, type G-PDU, length, TEID
        body = bytes(inner)
        gtp = Raw(bytes([0x30, 0xFF]) + len(body).to_bytes(2, "big") +
                  g.args.teid.to_bytes(4, "big") + body)
    return l2(g) / ip(g, src) / UDP(sport=sport(g), dport=2152) / gtp


def build_malformed(g, src, i):
    """Rotate among four IPv4 defects; frames are NOT padded."""
    full = bytes(ip(g, src) / TCP(sport=sport(g), dport=443, flags="S"))
    hdr, seg = bytearray(full[:20]), full[20:]  # valid IPv4 header + TCP
    kind = i % 4
    if kind == 0:    # truncated IP header (12 bytes: no addresses)
        payload = bytes(hdr[:12])
    elif kind == 1:  # IHL < 5
        hdr[0] = 0x44
        payload = bytes(hdr) + seg
    elif kind == 2:  # total length larger than the frame
        hdr[2:4] = (1000).to_bytes(2, "big")
        payload = bytes(hdr) + seg
    else:            # truncated TCP header (10 of 20 bytes)
        hdr[2:4] = (30).to_bytes(2, "big")
        payload = bytes(hdr) + seg[:10]
    if kind != 0:  # keep the IPv4 checksum valid: only one defect each
        hdr = payload[:10] + b"\0\0" + payload[12:20]
        payload = hdr[:10] + checksum(hdr).to_bytes(2, "big") + payload[12:]
    return l2(g) / Raw(payload)


BUILDERS = {
    "https": build_https, "http": build_http, "dns": build_dns,
    "spoofed": build_spoofed, "voip": build_voip, "arp": build_arp,
    "vxlan": build_vxlan, "gtpu": build_gtpu, "malformed": build_malformed,
    "blocked": build_blocked, "enterprise": build_enterprise,
    "edge": build_edge,
}


def fail(msg):
    print(f"gen_traffic.py: error: {msg}", file=sys.stderr)
    sys.exit(2)


def parse_mix(text):
    mix = {}
    for item in text.split(","):
        item = item.strip()
        if not item:
            continue
        name, sep, count = item.partition("=")
        if not sep or name not in BUILDERS or name == "edge":
            fail(f"unknown class in --mix item '{item}' "
                 f"(known: {', '.join(CLASS_ORDER[:-1])})")
        if not count.isdigit():
            fail(f"bad count in --mix item '{item}' (want a number >= 0)")
        if name in mix:
            fail(f"duplicate class in --mix item '{item}'")
        mix[name] = int(count)
    if not mix:
        fail(f"empty --mix '{text}'")
    return mix


def sample_pool(rng, net, n):
    """n distinct host addresses of net (repeats only if n exceeds its size)."""
    size = net.num_addresses - 2
    if n > size:
        print(f"gen_traffic.py: warning: {n} packets > {size} addresses "
              f"in {net}; source IPs repeat", file=sys.stderr)
        offs = [k % size + 1 for k in range(n)]
    else:
        offs = rng.sample(range(1, size + 1), n)
    base = int(net.network_address)
    return [str(ipaddress.IPv4Address(base + o)) for o in offs]


def generate(args, mix):
    g = argparse.Namespace(args=args, rng=random.Random(args.seed))
    n_spoof = mix.get("spoofed", 0)
    n_norm = sum(c for k, c in mix.items()
                 if k not in ("spoofed", "arp", "edge", "blocked", "enterprise"))
    pools = {"spoofed": iter(sample_pool(g.rng, SPOOF_POOL, n_spoof)),
             "normal": iter(sample_pool(g.rng, NORMAL_POOL, n_norm)),
             "edge": iter(EDGE_SOURCES),
             "blocked": iter([BLOCKED_SOURCE] * mix.get("blocked", 0)),
             # Drawn last: the other classes' addresses stay those of earlier versions.
             "enterprise": iter(sample_pool(g.rng, ENTERPRISE_POOL,
                                            mix.get("enterprise", 0)))}
    out = []
    for cls in CLASS_ORDER:
        for i in range(mix.get(cls, 0)):
            pool = pools.get(cls, pools["normal"])
            src = None if cls == "arp" else next(pool)
            pkt = BUILDERS[cls](g, src, i)
            if cls != "malformed" and len(pkt) < MIN_FRAME:
                pkt = pkt / Padding(b"\0" * (MIN_FRAME - len(pkt)))
            out.append((cls, src or "-", pkt))
    if not args.no_shuffle:
        g.rng.shuffle(out)
    for n, (_, _, pkt) in enumerate(out):
        pkt.time = BASE_TIME + n / 1e6
    return out


def main():
    ap = argparse.ArgumentParser(
        description="Deterministic Scapy traffic generator (see module doc).")
    dest = ap.add_mutually_exclusive_group(required=True)
    dest.add_argument("--pcap", metavar="FILE", help="write a pcap file")
    dest.add_argument("--iface", metavar="IFACE", help="send with sendp")
    ap.add_argument("--mix", default=DEFAULT_MIX,
                    help=f"class=count,... (default {DEFAULT_MIX})")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--no-shuffle", action="store_true",
                    help="keep packets grouped in class order")
    ap.add_argument("--vlan", type=int, metavar="VID",
                    help="add an 802.1Q tag to every IPv4 frame")
    ap.add_argument("--vni", type=int, default=100)
    ap.add_argument("--teid", type=int, default=1234)
    ap.add_argument("--edge-addresses", action="store_true",
                    help="add class 'edge': 9.255.255.255 and 11.0.0.0")
    ap.add_argument("--src-list", metavar="FILE",
                    help="write 'class src_ip' per packet ('-' for arp)")
    ap.add_argument("--dst-mac", default="02:00:00:00:00:01")
    ap.add_argument("--src-mac", default="02:00:00:00:00:02")
    ap.add_argument("--rate", type=float, metavar="PPS",
                    help="--iface only: packets per second (default: max)")
    ap.add_argument("--count-loops", type=int, default=1, metavar="N",
                    help="--iface only: send the whole set N times")
    args = ap.parse_args()

    mix = parse_mix(args.mix)
    if args.vlan is not None and not 0 <= args.vlan <= 4095:
        fail(f"--vlan {args.vlan} out of range 0..4095")
    if not 0 <= args.vni < 1 << 24:
        fail(f"--vni {args.vni} out of range 0..16777215")
    if not 0 <= args.teid < 1 << 32:
        fail(f"--teid {args.teid} out of range 0..4294967295")
    if args.count_loops < 1 or (args.rate is not None and args.rate <= 0):
        fail("--count-loops and --rate must be positive")
    if args.edge_addresses:
        mix["edge"] = len(EDGE_SOURCES)

    pkts = generate(args, mix)
    if args.src_list:
        with open(args.src_list, "w") as f:
            f.writelines(f"{cls} {src}\n" for cls, src, _ in pkts)
    frames = [p for _, _, p in pkts]
    loops = 1
    if args.pcap:
        w = PcapWriter(args.pcap, linktype=1, sync=False)  # DLT_EN10MB
        w.write(frames)
        w.close()
    else:
        conf.verb = 0
        loops = args.count_loops
        inter = 1.0 / args.rate if args.rate else 0
        for _ in range(loops):
            sendp(frames, iface=args.iface, inter=inter, verbose=False)

    for cls in CLASS_ORDER:
        if cls in mix:
            print(f"class={cls} count={mix[cls] * loops}")
    print(f"total={len(frames) * loops}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
