# SPDX-License-Identifier: BSD-3-Clause
"""Helpers shared by the lab 8 tests: traffic split per rx queue, the two
programs started with the course's EAL arguments, /lab8/stats read back
through dpdk-telemetry.py or one kept-open socket (Telemetry), and the src= lines
the secondaries print."""

import json
import os
import re
import socket
import struct
import subprocess
import time

import labtest

# DPDK's own leak in every secondary (see lsan.supp) must not fail the ASan build's runs.
_SUPP = os.path.join(os.path.dirname(os.path.abspath(__file__)), "lsan.supp")
os.environ["LSAN_OPTIONS"] = ":".join(
    filter(None, [os.environ.get("LSAN_OPTIONS", ""), f"suppressions={_SUPP}"]))

NB_QUEUES = 4
ROLES = {"enterprise": (0, 1), "mobility": (2, 3)}
TELEMETRY = "/usr/bin/dpdk-telemetry.py"
SRC_RE = re.compile(r"^(enterprise|mobility): src=(\S+)", re.M)


def gen_traffic(t, mix, seed, name="traffic", teid=None):
    """Writes a pcap with scripts/gen_traffic.py; returns (pcap, [(class, src)], total)."""
    pcap = os.path.join(t.workdir, f"{name}.pcap")
    srcs = os.path.join(t.workdir, f"{name}.src")
    counts = labtest.gen_traffic(t, ["--pcap", pcap, "--mix", mix, "--seed", str(seed),
                                     "--src-list", srcs] +
                                 (["--teid", str(teid)] if teid is not None else []), timeout=300)
    with open(srcs) as f:
        sent = [tuple(line.split()) for line in f if line.strip()]
    return pcap, sent, counts["total"]


def pcap_records(pcap):
    """(file header, [record header + frame bytes]) of a pcap file."""
    with open(pcap, "rb") as f:
        data = f.read()
    endian = "<" if data[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    records, pos = [], 24
    while pos + 16 <= len(data):
        incl_len = struct.unpack(endian + "I", data[pos + 8:pos + 12])[0]
        records.append(data[pos:pos + 16 + incl_len])
        pos += 16 + incl_len
    return data[:24], records


def replay(pcap, iface):
    """Sends the pcap's frames on iface through an AF_PACKET socket: what
    gen_traffic.py --iface does, without importing scapy (slow in the emulated
    server, where every CPU is busy with DPDK's pollers). Returns the count."""
    _, records = pcap_records(pcap)
    with socket.socket(socket.AF_PACKET, socket.SOCK_RAW) as s:
        s.bind((iface, 0))
        for rec in records:
            s.send(rec[16:])
    return len(records)


def split_pcap(t, pcap, nb_files=NB_QUEUES):
    """Packet i goes to file i % nb_files: one rx_pcap= file per rx queue of net_pcap."""
    header, records = pcap_records(pcap)
    outs = [bytearray(header) for _ in range(nb_files)]
    for index, rec in enumerate(records):
        outs[index % nb_files] += rec
    paths = []
    for q, out in enumerate(outs):
        path = f"{pcap[:-5]}.q{q}.pcap"
        with open(path, "wb") as f:
            f.write(out)
        paths.append(path)
    return paths


def pcap_vdev(paths, infinite=False):
    return "net_pcap0," + ",".join(f"rx_pcap={p}" for p in paths) + (
        ",infinite_rx=1" if infinite else "")


def per_queue(sent, nb_files=NB_QUEUES):
    """What each queue receives, as split_pcap() splits it."""
    queues = [[] for _ in range(nb_files)]
    for i, item in enumerate(sent):
        queues[i % nb_files].append(item)
    return queues


def primary(t, prefix, vdev, app=(), lcores="0"):
    return t.dpdk("lab8_primary", t.eal(lcores, prefix, proc_type="primary", vdevs=[vdev],
                                        extra=[labtest.BASE_VIRTADDR]), app=list(app))


def secondary(t, prefix, lcores, role, app=(), proc_type="secondary"):
    args = ["--role", role] if role else []
    return t.dpdk("lab8_secondary", t.eal(lcores, prefix, proc_type=proc_type),
                  app=args + list(app))


def started(t, proc, what, timeout=15.0):
    ok = proc.wait_for("Ctrl-C to stop", timeout)
    t.check(ok, f"{what} started", proc.output()[-1500:])
    return ok


def stats(prefix, timeout=10):
    """/lab8/stats as a dict, through DPDK's own client; None when it fails."""
    try:
        res = subprocess.run(["/usr/bin/python3", TELEMETRY, "-f", prefix], input="/lab8/stats\n",
                             capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return None
    for line in res.stdout.splitlines():
        line = line.strip()
        if line.startswith("{") and "/lab8/stats" in line:
            return json.loads(line)["/lab8/stats"]
    return None


def wait_stats(prefix, cond, timeout=10.0):
    """Polls /lab8/stats until cond(stats) holds; returns the last stats seen."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = stats(prefix)
        if last is not None and cond(last):
            return last
        time.sleep(0.2)
    return last


class Telemetry:
    """One connection to the primary's telemetry socket, as dpdk-telemetry.py
    makes it, kept open: a python start per query would cost more than a round."""

    def __init__(self, prefix):
        self.path = os.path.join(labtest.RUNTIME_DIR, prefix, "dpdk_telemetry.v2")
        self.sock = None

    def close(self):
        if self.sock is not None:
            self.sock.close()
            self.sock = None

    def stats(self):
        """/lab8/stats as a dict, or None."""
        try:
            if self.sock is None:
                self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
                self.sock.settimeout(5)
                self.sock.connect(self.path)
                json.loads(self.sock.recv(16384))  # the greeting: version, pid, max output
            self.sock.send(b"/lab8/stats")
            return json.loads(self.sock.recv(65536))["/lab8/stats"]
        except (OSError, ValueError, KeyError):
            self.close()
            return None

    def wait(self, cond, timeout):
        """Polls until cond(stats) holds; returns (stats, ok)."""
        deadline = time.monotonic() + timeout
        last = None
        while True:
            s = self.stats()
            if s is not None:
                last = s
                if cond(s):
                    return s, True
            if time.monotonic() > deadline:
                return last, False
            time.sleep(0.05)


def rule_queue_counters(output):
    """{queue: (role, packets)} from the primary's final counters with the
    rules on the CPU ('  rules' queue N -> ROLE   COUNT')."""
    return {int(q): (role, int(n)) for q, role, n in
            re.findall(r"^  rules' queue (\d+) -> (\w+) +(\d+)", output, re.M)}


def printed_sources(output):
    """[(role, src)] for every src= line a secondary printed."""
    return SRC_RE.findall(output)


def crashed(rc):
    """A signal death (negative rc from Popen) or a shell-style 128+N code."""
    return rc is None or rc < 0 or rc >= 128
