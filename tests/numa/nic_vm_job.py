# SPDX-License-Identifier: BSD-3-Clause
"""Runs INSIDE the emulated server with its PCI NIC (labenv.sh numa-vm --nic
virtio), started by test_nic_vm.py: the environment labenv made, then
dpdk-testpmd on the NIC with UDP traffic replayed from LAB_TRAFFIC_IFACE,
numa_check -a $LAB_NIC_PCI with pollers on each socket, and lab 9's software
fallback on the NIC (RSS and a RETA, no rte_flow). It asserts nothing; it
prints a JSON report (nic_vm.report) and the host side asserts.

    nic_vm_job.py UDP_PCAP LAB9_PCAP_1=N1 LAB9_PCAP_2=N2 LAB9_PCAP_3=N3

(N: the packets the classifier should count: the spoofed ones are dropped
while the course's rules are in.)
"""

import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import labtest  # noqa: E402
import nic_vm  # noqa: E402
import numa_vm_job  # noqa: E402
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "lab9"))
import lab9util  # noqa: E402

TAG = f"nicvm{os.getpid()}_"


def devbind_status():
    res = subprocess.run(["dpdk-devbind.py", "--status-dev", "net"], capture_output=True,
                         text=True, timeout=120)
    return res.stdout + res.stderr


def testpmd_rss(pcap):
    """testpmd on the NIC, 4 queues, UDP in the RSS hash: port info, then the
    per-queue counts of the replayed pcap."""
    t = labtest.Test("testpmd_nic")   # the process harness only: the host asserts
    queues = os.environ["LAB_NIC_QUEUES"]
    argv = ["dpdk-testpmd", "-l", "2-3", "-a", os.environ["LAB_NIC_PCI"],
            f"--file-prefix={t.prefix()}", "--", "-i", f"--rxq={queues}", f"--txq={queues}",
            "--forward-mode=rxonly", "--rss-udp", "--nb-cores=1", "--total-num-mbufs=4096"]
    step = {"argv": argv}
    with labtest.DpdkProcess(t, argv, stdin=subprocess.PIPE) as pmd:
        if pmd.wait_for("testpmd>", 180):
            pmd.send("show port info 0", wait="Max possible RX queues", timeout=60)
            pmd.send("start", wait="Logical Core", timeout=60)
            step["sent"] = nic_vm.send_pcap(pcap)
            time.sleep(2)
            pmd.send("stop", wait="Done.", timeout=60)
            pmd.send("quit")
        rc = pmd.wait(60)
        step["rc"] = "timeout" if rc is None else rc
        step["stdout"] = pmd.output()
    t.cleanup()
    return step


def numa_check(name, app):
    """numa_check on the NIC, lcores 0-3 (0-1 socket 0, 2-3 socket 1)."""
    try:
        prog = labtest.program("numa_check")
    except FileNotFoundError as e:
        return {"rc": "not built", "stderr": str(e)}
    out = os.path.join("/tmp", f"{numa_vm_job.prefix(name)}.json")
    argv = [prog, "-a", os.environ["LAB_NIC_PCI"], f"--file-prefix={numa_vm_job.prefix(name)}",
            "-l", "0-3", "--", "--json", out] + app
    step = numa_vm_job.run(name, argv, 400, json_out=out)
    if os.path.exists(out):
        os.unlink(out)
    return step


def lab9_fallback(pcaps):
    """lab9_flow_classifier --fallback software on the NIC: the prompt's answers
    with no rule, with the course's two rules, after destroy; the report."""
    t = labtest.Test("lab9_nic")   # the process harness only: the host asserts
    path = os.path.join(t.workdir, "lab9_nic.json")
    eal = ["-a", os.environ["LAB_NIC_PCI"], f"--file-prefix={t.prefix()}", "-l", "2-3"]
    cl = lab9util.Classifier(t, eal, ["--fallback", "software", "--report", path])
    step = {"ready": cl.ready(180)}
    if step["ready"]:
        for name, pcap, before in (("none", pcaps[0], None),
                                   ("rules", pcaps[1], "course create"),
                                   ("destroyed", pcaps[2], "course destroy")):
            if before:
                step[f"{name}_cmd"] = cl.cmd(before, wait="lab9>", timeout=60)
            cl.cmd("reset", wait="zeroed", timeout=60)
            path_, expect = pcap.rsplit("=", 1)
            step[f"{name}_sent"] = nic_vm.send_pcap(path_)
            cl.wait_total(int(expect), timeout=60)
            step[f"{name}_matrix"] = cl.cmd("show matrix", wait="rx_total=", timeout=60)
        step["rc"] = cl.quit(60)
    step["output"] = cl.output()
    try:
        with open(path) as f:
            step["report"] = json.load(f)
    except (OSError, ValueError) as e:
        step["report"] = None
        step["report_error"] = str(e)
    cl.proc.kill()
    t.cleanup()
    return step


def main():
    report = {"env": nic_vm.nic_env(), "devbind": devbind_status()}
    report["testpmd"] = testpmd_rss(sys.argv[1])
    report["numa_local"] = numa_check("local", ["--pollers", "0:2-3", "--strict", "--latency",
                                                "--buffer-mib", "4", "--reps", "3",
                                                "--loads", "50000"])
    report["numa_remote"] = numa_check("remote", ["--pollers", "0:0-1", "--strict"])
    report["lab9"] = lab9_fallback(sys.argv[2:5])
    nic_vm.report(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
