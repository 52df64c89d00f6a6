# SPDX-License-Identifier: BSD-3-Clause
"""The emulated server's PCI NIC (./scripts/labenv.sh numa-vm --nic virtio
--nic-node 1 --nic-queues 4), one boot running nic_vm_job.py: the
environment labenv gives CMD (LAB_NIC_PCI, LAB_NIC_SOCKET, LAB_TRAFFIC_IFACE),
the binding, and dpdk-testpmd on the NIC: socket 1, 4 queues, UDP sent from
the kernel's interface spread by RSS over all of them, none lost."""

import os
import re

import labtest
import nic_vm

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


def main():
    t = labtest.Test("nic_vm")
    nic_vm.require_nic_vm(t)
    pcap, _, counts = nic_vm.traffic(t, "udp", "dns=200", seed=13)
    rc, report, out, err = nic_vm.run_job(t, JOB, [pcap], queues=QUEUES, node=NODE)
    if not t.check(rc == 0 and report, "the job ran in the machine and reported",
                   f"rc={rc}\n{out[-2000:]}\n{err[-3000:]}"):
        t.done()
    check_env(t, report["env"], report["devbind"])
    check_testpmd(t, report["testpmd"], counts["total"])
    t.done()


if __name__ == "__main__":
    main()
