# SPDX-License-Identifier: BSD-3-Clause
"""numa_check --topology: 1-, 2- and 4-socket layouts, placed right and wrong.

For each layout the findings (severity and exact message) and the plan must
be exactly the expected ones, and --strict must fail exactly when a
cross-NUMA finding exists. No hugepages needed: the EAL runs with --no-huge.
"""

import json
import os

import labtest

HERE = os.path.dirname(os.path.abspath(__file__))
TOPO = os.path.join(HERE, "topologies")
X = " — cross-NUMA!"


def W(msg):
    return {"severity": "warning", "message": msg}


def I(msg):
    return {"severity": "info", "message": msg}


def plan(lcores, ports, main=0):
    """ports: {port: (socket, [lcore per queue], remote)}"""
    return {"lcores": lcores, "main_lcore": main,
            "ports": [{"port": p, "socket": s, "remote": r,
                       "queues": [{"queue": q, "lcore": l} for q, l in enumerate(ls)]}
                      for p, (s, ls, r) in ports.items()]}


ONE_SOCKET_INFO = I("one NUMA socket (0): every allocation is local, nothing here can be "
                    "cross-NUMA (see a multi-socket layout with --topology FILE or "
                    "./scripts/labenv.sh numa-vm)")
WRONG_ONE = I("--wrong-socket: this machine has one NUMA socket (0): there is no other "
              "socket to put the pool on, so it stays on socket 0")
ANY_NULL1 = I("port 1 (net_null0) reports SOCKET_ID_ANY (-1): a virtual device has no NIC "
              "socket, so its pool and queues belong on its pollers' socket, 1")
P1_SOCKET0 = [W(f"{what} of port 1 on socket 0, should be on socket 1 (its pollers' socket)" + X)
              for what in ("mbuf pool", "rx queues", "tx queues")]

CASES = [
    # (name, file, extra args, expected findings, expected plan, --strict exit code)
    ("one socket, default pollers", "one_socket.json", [],
     [ONE_SOCKET_INFO,
      I("port 1 (net_pcap0) reports SOCKET_ID_ANY (-1): a virtual device has no NIC socket, "
        "so its pool and queues belong on its pollers' socket, 0")],
     plan("0-3", {0: (0, [1, 2, 3], False), 1: (0, [1, 2, 3], False)}), 0),
    ("one socket, --wrong-socket cannot", "one_socket.json", ["--wrong-socket"],
     [WRONG_ONE, ONE_SOCKET_INFO,
      I("port 1 (net_pcap0) reports SOCKET_ID_ANY (-1): a virtual device has no NIC socket, "
        "so its pool and queues belong on its pollers' socket, 0")],
     plan("0-3", {0: (0, [1, 2, 3], False), 1: (0, [1, 2, 3], False)}), 0),
    ("one socket, --queues 1", "one_socket.json", ["--queues", "1"],
     [ONE_SOCKET_INFO,
      I("port 1 (net_pcap0) reports SOCKET_ID_ANY (-1): a virtual device has no NIC socket, "
        "so its pool and queues belong on its pollers' socket, 0")],
     plan("0-2", {0: (0, [1], False), 1: (0, [2], False)}), 0),
    ("two sockets, placed right", "two_socket_right.json", [], [],
     plan("0-3", {0: (0, [1], False), 1: (1, [2, 3], False)}), 0),
    ("two sockets, port 0 polled by lcores 2-3", "two_socket_right.json",
     ["--pollers", "0:2-3"],
     [W("lcore 2 on socket 1, NIC on socket 0" + X),
      W("lcore 3 on socket 1, NIC on socket 0" + X)],
     plan("0-3", {0: (0, [1, 1], False), 1: (1, [2, 3], False)}), 2),
    ("two sockets, --wrong-socket", "two_socket_right.json", ["--wrong-socket"],
     [I("--wrong-socket: port 0's pool deliberately created on socket 1 instead of 0"),
      I("--wrong-socket: port 1's pool deliberately created on socket 0 instead of 1"),
      W("mbuf pool of port 0 on socket 1, should be on socket 0 (the NIC's socket)" + X),
      W("mbuf pool of port 1 on socket 0, should be on socket 1 (the NIC's socket)" + X)],
     plan("0-3", {0: (0, [1], False), 1: (1, [2, 3], False)}), 2),
    ("two sockets, wrong lcore and SOCKET_ID_ANY vdev", "two_socket_wrong.json", [],
     [W("lcore 3 on socket 1, NIC on socket 0" + X), ANY_NULL1] + P1_SOCKET0,
     plan("0-3", {0: (0, [1, 1], False), 1: (1, [2, 3], False)}), 2),
    ("two sockets, wrong layout fixed by --pollers 0:1", "two_socket_wrong.json",
     ["--pollers", "0:1"],
     [ANY_NULL1] + P1_SOCKET0,
     plan("0-3", {0: (0, [1], False), 1: (1, [2, 3], False)}), 2),
    ("two sockets, vdev polled from both sockets", "two_socket_wrong.json",
     ["--pollers", "0:1", "--pollers", "1:1-2"],
     [I("port 1 (net_null0) reports SOCKET_ID_ANY (-1): a virtual device has no NIC socket, "
        "so its pool and queues belong on its pollers' socket, 0"),
      W("port 1 (net_null0) has no socket and is polled from several sockets: its pool and "
        "queues can be local to only one of them" + X)],
     plan("0-1", {0: (0, [1], False), 1: (0, [1, 1], False)}), 2),
    ("four sockets", "four_socket.json", [],
     [W("socket 1 has lcores but no hugepages: their objects would come from another socket" + X),
      W("lcore 1 on socket 0, NIC on socket 3" + X),
      W("mbuf pool of port 2 on socket 0, should be on socket 1 (the NIC's socket)" + X),
      W("ring of port 2 on socket 2, should be on socket 1 (its pollers' socket)" + X)],
     plan("0,2-5", {0: (2, [4, 5], False), 1: (3, [2], True), 2: (1, [3, 2], False)}), 2),
]


def run(t, name, topo_file, extra, tag):
    out = os.path.join(t.workdir, f"{tag}.json")
    eal = t.eal("0", t.prefix(tag), extra=["--no-huge", "-m", "64"])
    argv = [labtest.program("numa_check")] + eal + ["--", "--topology", topo_file,
                                                      "--json", out] + extra
    res = t.run(argv, timeout=60)
    data = None
    if os.path.exists(out):
        with open(out) as f:
            data = json.load(f)
    return res, data


def main():
    t = labtest.Test("numa_topology")
    for i, (name, fname, extra, findings, want_plan, strict_rc) in enumerate(CASES):
        path = os.path.join(TOPO, fname)
        res, data = run(t, name, path, extra, f"c{i}")
        ok = t.check(res.returncode == 0 and data is not None, f"{name}: runs, writes --json",
                     res.stdout[-1500:] + res.stderr[-1500:])
        if not ok:
            continue
        t.check(data["findings"] == findings, f"{name}: exactly the expected findings",
                json.dumps(data["findings"], indent=1, ensure_ascii=False))
        t.check(data["plan"] == want_plan, f"{name}: exactly the expected plan",
                json.dumps(data["plan"]))
        warnings = [f["message"] for f in findings if f["severity"] == "warning"]
        # Every warning is printed as a line of its own, in the course's form.
        for w in warnings:
            t.check(f"WARNING: {w}\n" in res.stdout, f"{name}: prints 'WARNING: {w[:40]}...'")
        t.check(f"result: {len(warnings)} cross-NUMA finding(s)" in res.stdout,
                f"{name}: result line counts {len(warnings)}")
        res, _ = run(t, name, path, extra + ["--strict"], f"s{i}")
        t.check(res.returncode == strict_rc, f"{name}: --strict exits {strict_rc}",
                f"exit {res.returncode}")

    # The JSON schema: exactly the keys, lcores/ports as {lcore,socket}/{port,socket}.
    res, data = run(t, "schema", os.path.join(TOPO, "four_socket.json"), [], "schema")
    if t.check(data is not None, "four sockets: --json written"):
        t.check(list(data) == ["sockets", "lcores", "ports", "findings", "plan", "latency_ns",
                               "distances", "latency_buffers"],
                "--json has exactly the issues' keys", str(list(data)))
        t.check(data["sockets"] == 4, "sockets: 4")
        t.check(data["lcores"] == [{"lcore": i, "socket": i // 2} for i in range(6)],
                "lcores with their sockets", str(data["lcores"]))
        t.check(data["ports"] == [{"port": 0, "socket": 2}, {"port": 1, "socket": 3},
                                  {"port": 2, "socket": 1}], "ports with their sockets")
        t.check(data["distances"][3] == [22, 12, 16, 10], "distances copied")
        t.check(data["latency_ns"] == [] and data["latency_buffers"] == [],
                "latency_ns and latency_buffers empty when not measured")
        # --json output is accepted back as --topology.
        back = os.path.join(t.workdir, "schema.json")
        res2, data2 = run(t, "round trip", back, [], "roundtrip")
        t.check(res2.returncode == 0 and data2 is not None and
                all(data2[k] == data[k] for k in ("sockets", "lcores", "ports", "distances")),
                "--json output reads back as --topology", res2.stderr[-800:])
    t.done()


if __name__ == "__main__":
    main()
