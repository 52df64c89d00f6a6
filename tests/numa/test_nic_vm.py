# SPDX-License-Identifier: BSD-3-Clause
"""The emulated server's PCI NIC (./scripts/labenv.sh numa-vm --nic virtio
--nic-node 1 --nic-queues 4), one boot running nic_vm_job.py: the
environment labenv gives CMD (LAB_NIC_PCI, LAB_NIC_SOCKET, LAB_TRAFFIC_IFACE),
the binding, and dpdk-testpmd on the NIC: socket 1, 4 queues, UDP sent from
the kernel's interface spread by RSS over all of them, none lost; numa_check
-a $LAB_NIC_PCI: port 0 on socket 1 read from the device, MBUF_POOL and the
queues there (read back), pollers on socket 1 pass --strict, pollers on
socket 0 are cross-NUMA and fail it, the 2x2 latency matrix all measured;
lab 9's software fallback on the NIC (RSS and a RETA, no rte_flow): the NIC's
RETA keeps queue 0 free while the course's rules are in, the software rules
put HTTPS there, destroy gives the full RETA back, the report shows it."""

import os
import re
import sys

import labtest
import nic_vm
sys.path.insert(0, os.path.join(labtest.source_dir(), "tests", "lab9"))
import lab9util as u  # noqa: E402

JOB = os.path.join(os.path.dirname(os.path.abspath(__file__)), "nic_vm_job.py")
NODE, QUEUES = 1, 4


def check_env(t, env, devbind):
    t.check(re.fullmatch(r"0000:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]", env["pci"]),
            f"LAB_NIC_PCI is a PCI address ({env['pci']})", str(env))
    t.check(env["socket"] == str(NODE) and env["sysfs_numa_node"] == str(NODE),
            f"LAB_NIC_SOCKET {env['socket']} == sysfs numa_node == --nic-node {NODE}", str(env))
    t.check(env["sysfs_local_cpulist"] == "2-3", "the NIC's local CPUs are node 1's (2-3)",
            env["sysfs_local_cpulist"])
    t.check(env["queues"] == str(QUEUES), f"LAB_NIC_QUEUES {QUEUES}", str(env))
    t.check(env["driver"] == "uio_pci_generic", "the NIC is bound to uio_pci_generic",
            env["driver"])
    t.check(re.search(rf"^{re.escape(env['pci'])} .*drv=uio_pci_generic", devbind, re.M),
            "dpdk-devbind.py --status lists it under DPDK-compatible drivers", devbind)
    t.check(env["iface"] and env["iface_operstate"] == "up" and
            env["iface_disable_ipv6"] == "1" and env["iface_address"] == "02:00:00:00:00:02",
            f"LAB_TRAFFIC_IFACE {env['iface']}: up, IPv6 off, gen_traffic's --src-mac",
            str(env))


def check_testpmd(t, step, sent):
    text = step.get("stdout", "")
    t.check(step.get("rc") == 0, "dpdk-testpmd -a $LAB_NIC_PCI runs and quits with 0",
            f"rc={step.get('rc')}\n{text[-3000:]}")
    t.check("Configuring Port 0 (socket 1)" in text, "testpmd: port 0 on socket 1", text[-3000:])
    m = re.search(r"Max possible RX queues: (\d+)", text)
    t.check(m and int(m.group(1)) == QUEUES, f"the NIC has {QUEUES} rx queues",
            m.group(0) if m else text[-2000:])
    t.check(re.search(r"Driver name: net_virtio", text), "driven by net_virtio")
    per_queue = {int(q): int(n) for q, n in re.findall(
        r"RX Port= 0/Queue= *(\d+) -> TX Port= 0/Queue= *\d+ -+\n\s*RX-packets: (\d+)", text)}
    print(f"testpmd per rx queue: {per_queue}")
    t.check(step.get("sent") == sent, f"the job sent the {sent} frames of the pcap",
            str(step.get("sent")))
    t.check(sorted(per_queue) == list(range(QUEUES)) and all(per_queue.values()),
            f"RSS (UDP in the hash) spreads the UDP over all {QUEUES} queues", str(per_queue))
    t.check(sum(per_queue.values()) == sent, f"every frame received ({sum(per_queue.values())}"
            f" of {sent})", str(per_queue))


def check_numa_local(t, step):
    text, data = step.get("stdout", ""), step.get("json") or {}
    if not t.check(step.get("rc") == 0 and data, "numa_check -a $LAB_NIC_PCI, pollers 2-3 "
                   "(socket 1): --strict exits 0", f"rc={step.get('rc')}\n" +
                   (step.get("stdout", "") + step.get("stderr", ""))[-3000:]):
        return
    t.check(data["ports"] == [{"port": 0, "socket": 1}], "numa_check: port 0 on socket 1",
            str(data["ports"]))
    t.check(re.search(r"^port 0 \(0000:[0-9a-f:.]+\) -> socket 1$", text, re.M) and
            "is a virtual device" not in text,
            "the socket is the PCI device's (no virtual-device guess)", text[:1500])
    for obj in ("mbuf pool", "rx queues", "tx queues"):
        t.check(re.search(rf"^  {obj} +socket 1 \(NIC's\) +socket 1$", text, re.M),
                f"{obj}: on socket 1, the NIC's, read back", text[-3000:])
    t.check("result: 0 cross-NUMA finding(s)" in text, "no cross-NUMA finding", text[-1500:])
    lat = data.get("latency_ns") or []
    t.check(len(lat) == 2 and all(len(r) == 2 for r in lat) and
            all(isinstance(v, float) and v > 0 for r in lat for v in r),
            "latency matrix 2x2, every cell measured (emulated: the values mean nothing)",
            str(lat))


def check_numa_remote(t, step):
    text, data = step.get("stdout", ""), step.get("json") or {}
    t.check(step.get("rc") == 2, "numa_check, pollers 0-1 on socket 0: --strict exits 2",
            f"rc={step.get('rc')}\n" + (text + step.get("stderr", ""))[-2000:])
    expected = [f"lcore {lc} on socket 0, NIC on socket 1 — cross-NUMA!" for lc in (0, 1)]
    got = [f["message"] for f in data.get("findings", []) if f["severity"] == "warning"]
    t.check(all(e in got for e in expected), "cross-NUMA warnings for lcores 0 and 1",
            str(got))


def port_line(text):
    """({queue: packets} where the NIC put them, RETA queues read back) of a matrix."""
    m = re.search(r"^port rx queues \(where the NIC's RSS put each packet\):(.*)$", text, re.M)
    r = re.search(r"^NIC RETA \(read back from the port\): queues (\S+)$", text, re.M)
    rx = {int(q): int(n) for q, n in re.findall(r"(\d+)=(\d+)", m.group(1))} if m else {}
    return rx, r.group(1) if r else None


def check_lab9(t, step, sent):
    out = step.get("output", "")
    if not t.check(step.get("ready"), "lab9_flow_classifier -a $LAB_NIC_PCI --fallback "
                   "software is ready", out[-3000:]):
        return
    t.check("flow mode: software" in out and "net_virtio" in out,
            "virtio has no rte_flow: the rules run in software", out[-3000:])
    t.check("the NIC's RSS redirection table (RETA) lists queues 1-3 only" in out,
            "queue 0 is kept free by the NIC's own RETA", out[-3000:])
    rows, total = u.parse_matrix(step.get("none_matrix", ""))
    u.check_no_rules(t, "virtio no rules", rows, total, sent[0])
    rx, reta = port_line(step.get("none_matrix", ""))
    t.check(reta == "0,1,2,3" and len(rx) == 4 and all(rx.values()),
            "no rule: the full RETA (0-3), the NIC spreads over every queue",
            f"{rx} RETA {reta}")

    t.check("queue 0 reserved for classified traffic" in step.get("rules_cmd", ""),
            "course create: queue 0 reserved", step.get("rules_cmd", ""))
    text = step.get("rules_matrix", "")
    rows, total = u.parse_matrix(text)
    u.check_rules(t, "virtio course rules", rows, sent[1])
    t.check("FAIL" not in text and text.count("PASS") == 3, "the matrix's three checks PASS",
            text)
    rx, reta = port_line(text)
    t.check(reta == "1,2,3" and rx.get(0) == 0 and sum(rx.values()) == sent[1]["total"],
            "rules in: RETA read back lists 1-3, the NIC put nothing on queue 0 (all "
            f"{sent[1]['total']} on 1-3)", f"{rx} RETA {reta}")

    t.check("back in the plain RSS spread" in step.get("destroyed_cmd", ""),
            "course destroy: reservation removed", step.get("destroyed_cmd", ""))
    text = step.get("destroyed_matrix", "")
    rows, total = u.parse_matrix(text)
    u.check_no_rules(t, "virtio after destroy", rows, total, sent[2])
    rx, reta = port_line(text)
    t.check(reta == "0,1,2,3" and rx.get(0, 0) > 0,
            "after destroy: the full RETA again, queue 0 gets traffic from the NIC",
            f"{rx} RETA {reta}")
    t.check(step.get("rc") == 0, "quit exits 0", f"rc={step.get('rc')}")
    rep = step.get("report") or {}
    t.check(rep.get("flow_mode") == "software" and rep.get("reta_queues") == [0, 1, 2, 3] and
            "RETA" in rep.get("reserve", "") and len(rep.get("port_rx_queues", [])) == 4,
            "the report: software mode, the NIC's RETA (full at the end), per rx queue counts",
            str(rep)[:1500])


def main():
    t = labtest.Test("nic_vm")
    nic_vm.require_nic_vm(t)
    pcap, _, counts = nic_vm.traffic(t, "udp", "dns=200", seed=13)
    args, lab9_sent = [pcap], []
    for n, seed in enumerate((31, 32, 33)):
        p9, _, c9 = nic_vm.traffic(t, f"lab9_{n}", u.MIX, seed)
        # While the course's rules are in (the second pcap) the spoofed ones are dropped.
        args.append(f"{p9}={c9['total'] - (c9['spoofed'] if n == 1 else 0)}")
        lab9_sent.append(c9)
    rc, report, out, err = nic_vm.run_job(t, JOB, args, queues=QUEUES, node=NODE)
    if not t.check(rc == 0 and report, "the job ran in the machine and reported",
                   f"rc={rc}\n{out[-2000:]}\n{err[-3000:]}"):
        t.done()
    # What the docs quote (docs/numa.md, docs/lab9.md).
    print("--- numa_check, pollers 2-3:\n" + report["numa_local"].get("stdout", "")[:4000])
    print("--- lab 9 with the course's rules:\n" + report["lab9"].get("rules_cmd", "") +
          report["lab9"].get("rules_matrix", ""))
    print("--- after course destroy:\n" + report["lab9"].get("destroyed_cmd", "") +
          report["lab9"].get("destroyed_matrix", ""))
    check_env(t, report["env"], report["devbind"])
    check_testpmd(t, report["testpmd"], counts["total"])
    check_numa_local(t, report["numa_local"])
    check_numa_remote(t, report["numa_remote"])
    check_lab9(t, report["lab9"], lab9_sent)
    t.done()


if __name__ == "__main__":
    main()
