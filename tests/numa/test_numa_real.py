# SPDX-License-Identifier: BSD-3-Clause
"""numa_check on the machine it runs on: net_null, net_tap and net_pcap ports,
hugepages, the EAL's real topology. Everything expected is derived from sysfs,
so the same test holds on this one-node machine and inside the emulated
multi-node machine (./scripts/labenv.sh numa-vm)."""

import glob
import json
import os
import re
import struct

import labtest

NODE = "/sys/devices/system/node"


def read(path):
    with open(path) as f:
        return f.read().strip()


def parse_list(text):
    out = []
    for part in filter(None, text.split(",")):
        a, _, b = part.partition("-")
        out += range(int(a), int(b or a) + 1)
    return out


def sysfs_topology():
    """{node: [cpus]} for nodes with CPUs, as the EAL counts sockets."""
    nodes = {}
    for d in glob.glob(os.path.join(NODE, "node[0-9]*")):
        cpus = parse_list(read(os.path.join(d, "cpulist")))
        if cpus:
            nodes[int(d.rsplit("node", 1)[1])] = cpus
    return dict(sorted(nodes.items()))


def sysfs_distances(nodes):
    online = parse_list(read(os.path.join(NODE, "online")))
    rows = []
    for n in nodes:
        row = [int(v) for v in read(os.path.join(NODE, f"node{n}", "distance")).split()]
        rows.append([row[online.index(m)] for m in nodes])
    return rows


def main():
    t = labtest.Test("numa_real")
    t.require_root()
    t.require_hugepages(64)
    nodes = sysfs_topology()
    cpu_node = {c: n for n, cpus in nodes.items() for c in cpus}
    lcores = sorted(os.sched_getaffinity(0))[:8]
    main_lcore = lcores[0]
    main_socket = cpu_node[main_lcore]
    lcore_list = ",".join(map(str, lcores))
    vdevs = ["net_null0"]
    if os.path.exists("/dev/net/tun"):
        vdevs.append(f"net_tap0,iface=ntnuma{os.getpid() % 100000}")
    # net_pcap reports SOCKET_ID_ANY; an empty capture file needs no interface.
    pcap = os.path.join(t.workdir, "empty.pcap")
    with open(pcap, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
    vdevs.append(f"net_pcap0,rx_pcap={pcap},tx_pcap={pcap}.out")
    port_of = {v.split(",")[0]: i for i, v in enumerate(vdevs)}
    # Pollers on the main lcore's socket: a correct set-up whatever the machine.
    local = [lc for lc in lcores if cpu_node[lc] == main_socket and lc != main_lcore] or \
        [main_lcore]
    local_list = ",".join(map(str, local))
    pollers = []
    for p in range(len(vdevs)):
        pollers += ["--pollers", f"{p}:{local_list}"]

    def numa_check(tag, app, timeout=120, eal_extra=()):
        out = os.path.join(t.workdir, f"{tag}.json")
        eal = t.eal(lcore_list, t.prefix(tag), vdevs=vdevs, extra=eal_extra)
        res = t.run([labtest.program("numa_check")] + eal + ["--", "--json", out] + app,
                    timeout=timeout)
        data = None
        if os.path.exists(out):
            with open(out) as f:
                data = json.load(f)
        return res, data

    # 1. Topology report and a clean audit.
    res, data = numa_check("report", pollers + ["--strict"])
    if not t.check(res.returncode == 0 and data, "report: exit 0 with --strict, --json written",
                   res.stdout[-2000:] + res.stderr[-2000:]):
        t.done()
    t.check(data["sockets"] == len(nodes), f"sockets: {len(nodes)} as in sysfs",
            str(data["sockets"]))
    t.check(data["lcores"] == [{"lcore": lc, "socket": cpu_node[lc]} for lc in lcores],
            "each lcore on its sysfs node", str(data["lcores"]))
    t.check(data["distances"] == sysfs_distances(list(nodes)), "distances = sysfs matrix",
            str(data["distances"]))
    ports = {p["port"]: p["socket"] for p in data["ports"]}
    t.check(len(ports) == len(vdevs), f"{len(vdevs)} ports", str(data["ports"]))
    t.check(ports.get(port_of["net_null0"]) == main_socket,
            f"net_null0 reports the socket it was probed from ({main_socket})", str(ports))
    if "net_pcap0" in port_of:
        p = port_of["net_pcap0"]
        t.check(ports.get(p) == -1, "net_pcap0 reports SOCKET_ID_ANY (-1)", str(ports))
        t.check(f"port {p} (net_pcap0) -> socket -1 = SOCKET_ID_ANY" in res.stdout,
                "SOCKET_ID_ANY shown and explained in the report")
        t.check(any("reports SOCKET_ID_ANY (-1)" in f["message"] for f in data["findings"]),
                "SOCKET_ID_ANY explained in the findings")
    t.check([f for f in data["findings"] if f["severity"] == "warning"] == [],
            "local pollers: no warning", json.dumps(data["findings"], ensure_ascii=False))
    t.check(res.stdout.count("is on (read back from the object)") == len(vdevs),
            "every port's placement read back from the objects")
    for n in nodes:
        t.check(re.search(rf"^hugepages socket {n}: \d+ MiB reserved", res.stdout, re.M),
                f"hugepage memory of socket {n} reported")
    rows = re.findall(r"^  (mbuf pool|rx queues|tx queues|ring|lookup table) +socket (\d+) "
                      r"\(\S+\) +socket (\d+)$", res.stdout, re.M)
    t.check(len(rows) == 5 * len(vdevs) and all(a == b for _, a, b in rows),
            "every object is where it should be", str(rows))
    for p in range(len(vdevs)):
        t.check(data["plan"]["ports"][p]["queues"] and
                all(cpu_node[q["lcore"]] == (ports[p] if ports[p] >= 0 else main_socket)
                    for q in data["plan"]["ports"][p]["queues"]),
                f"plan keeps port {p}'s pollers on its socket", str(data["plan"]))

    # 2. --wrong-socket.
    res, data = numa_check("wrong", pollers + ["--wrong-socket", "--strict"])
    if len(nodes) == 1:
        t.check(res.returncode == 0 and data and any(
            f"--wrong-socket: this machine has one NUMA socket ({main_socket})" in f["message"]
            for f in data["findings"]), "--wrong-socket on one socket says it cannot, exit 0",
            res.stdout[-1500:] + res.stderr[-1500:])
    else:
        other = [n for n in nodes if n != main_socket][0]
        t.check(res.returncode == 2, "--wrong-socket: --strict exits 2", str(res.returncode))
        t.check(data and any(f["message"] == f"mbuf pool of port 0 on socket {other}, should be "
                             f"on socket {main_socket} (the NIC's socket) — cross-NUMA!"
                             for f in data["findings"]),
                "--wrong-socket: pool read back on the other socket and caught",
                res.stdout[-2000:])

    # 3. Pollers on another socket (only a multi-node machine has one).
    remote = [lc for lc in lcores if cpu_node[lc] != main_socket]
    if remote:
        res, data = numa_check("remote", ["--pollers", "0:" + ",".join(map(str, remote)),
                                          "--strict"])
        t.check(res.returncode == 2, "remote pollers: --strict exits 2", str(res.returncode))
        for lc in remote:
            line = (f"WARNING: lcore {lc} on socket {cpu_node[lc]}, NIC on socket "
                    f"{main_socket} — cross-NUMA!")
            t.check(line in res.stdout, f"course warning for lcore {lc}", res.stdout[-2000:])

    # 4. Latency matrix (short) and a short sweep.
    res, data = numa_check("latency", pollers + ["--latency", "--buffer-mib", "8", "--reps",
                                                 "3", "--loads", "100000"], timeout=240)
    if t.check(res.returncode == 0 and data, "--latency: exit 0",
               res.stdout[-2000:] + res.stderr[-2000:]):
        lat = data["latency_ns"]
        t.check(len(lat) == len(nodes) and all(len(r) == len(nodes) for r in lat) and
                all(isinstance(v, float) and v > 0 for r in lat for v in r),
                f"latency matrix {len(nodes)}x{len(nodes)}, every cell measured", str(lat))
        for r in nodes:
            for c in nodes:
                t.check(re.search(rf"cell \[{r}\]\[{c}\]: chased on lcore (\d+) "
                                  rf"\(rte_socket_id\(\) {r}\) over memory on socket {c} ",
                                  res.stdout), f"cell [{r}][{c}] measured on socket {r} "
                        f"over memory of socket {c}", res.stdout[-2000:])
        t.check("# DPDK version" in res.stdout and "# NUMA nodes" in res.stdout,
                "platform banner printed with the figures")
        t.check("course: ~60 ns local, ~120 ns remote" in res.stdout, "course figures beside")
        if len(nodes) == 1:
            t.check("one socket: the matrix is 1x1" in res.stdout, "1x1 matrix says so")
        else:
            t.check("remote/local" in res.stdout and "measured" in res.stdout,
                    "remote/local ratio printed")
    # 4b. Fewer hugepages than the chase wants: it still measures, and says what that means.
    limit = ",".join(["64"] * (max(nodes) + 1))
    res, data = numa_check("short", pollers + ["--latency", "--buffer-mib", "256", "--reps",
                                               "3", "--loads", "100000"], timeout=240,
                           eal_extra=[f"--socket-limit={limit}"])
    if t.check(res.returncode == 0 and data, "--latency under --socket-limit=64: exit 0",
               res.stdout[-2000:] + res.stderr[-2000:]):
        bufs = data["latency_buffers"]
        t.check(len(bufs) == len(nodes) and all(0 < b["buffer_mib"] < 64 for b in bufs),
                "each socket's buffer is what the limit left, not the 256 MiB asked", str(bufs))
        t.check(all(b["note"] and "of the 256 MiB wanted could be had" in b["note"]
                    for b in bufs), "each buffer's note says it is short", str(bufs))
        t.check(all(isinstance(v, float) and v > 0 for r in data["latency_ns"] for v in r),
                "every cell still measured", str(data["latency_ns"]))
        t.check(res.stdout.count("of the 256 MiB wanted could be had") == len(nodes),
                "the text report marks each short buffer", res.stdout[-2000:])
    res, _ = numa_check("sweep", pollers + ["--sweep", "--buffer-mib", "1", "--reps", "3",
                                            "--loads", "20000"], timeout=240)
    sizes = re.findall(r"^\s+(\d+) KiB  (L1|L2|L3|DRAM) ", res.stdout, re.M)
    t.check(res.returncode == 0 and [int(s) for s, _ in sizes] == [16, 32, 64, 128, 256, 512,
                                                                    1024],
            "--sweep: 16 KiB to 1 MiB, each labelled with its cache level", res.stdout[-1500:])

    # 5. The chase cycle's self-test in hugepage memory.
    res = t.run([labtest.program("numa_check")] + t.eal(lcore_list, t.prefix("self")) +
                ["--", "--self-test", "--buffer-mib", "4"], timeout=120)
    t.check(res.returncode == 0 and res.stdout.count("every line visited exactly once") == 10
            and "deliberately broken cycle is detected: ok" in res.stdout,
            "--self-test: every cycle covers each line once, a broken one is caught",
            res.stdout[-1500:] + res.stderr[-1000:])
    t.done()


if __name__ == "__main__":
    main()
