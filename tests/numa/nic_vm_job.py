# SPDX-License-Identifier: BSD-3-Clause
"""Runs INSIDE the emulated server with its PCI NIC (labenv.sh numa-vm --nic
virtio), started by test_nic_vm.py: the environment labenv made, then
dpdk-testpmd on the NIC with UDP traffic replayed from LAB_TRAFFIC_IFACE.
It asserts nothing; it prints a JSON report (nic_vm.report) and the host
side asserts.

    nic_vm_job.py UDP_PCAP
"""

import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import labtest  # noqa: E402
import nic_vm  # noqa: E402

TAG = f"nicvm{os.getpid()}_"


def devbind_status():
    res = subprocess.run(["dpdk-devbind.py", "--status-dev", "net"], capture_output=True,
                         text=True, timeout=120)
    return res.stdout + res.stderr


def testpmd_rss(pcap):
    """testpmd on the NIC, 4 queues, UDP in the RSS hash: port info, then the
    per-queue counts of the replayed pcap."""
    prefix = f"{TAG}testpmd"
    queues = os.environ["LAB_NIC_QUEUES"]
    argv = ["dpdk-testpmd", "-l", "2-3", "-a", os.environ["LAB_NIC_PCI"],
            f"--file-prefix={prefix}", "--", "-i", f"--rxq={queues}", f"--txq={queues}",
            "--forward-mode=rxonly", "--rss-udp", "--nb-cores=1", "--total-num-mbufs=4096"]
    log = f"/tmp/{prefix}.log"
    step = {"argv": argv}
    with open(log, "w+") as out:
        proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=out, stderr=subprocess.STDOUT,
                                text=True)

        def until(text, timeout):
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline and proc.poll() is None:
                with open(log) as f:
                    if text in f.read():
                        return True
                time.sleep(0.2)
            return False

        def cmd(line, text, timeout=60):
            proc.stdin.write(line + "\n")
            proc.stdin.flush()
            return until(text, timeout)
        try:
            if until("testpmd>", 180):
                cmd("show port info 0", "Max possible RX queues")
                cmd("start", "Logical Core")
                step["sent"] = nic_vm.send_pcap(pcap)
                time.sleep(2)
                cmd("stop", "Done.")
                proc.stdin.write("quit\n")
                proc.stdin.flush()
            step["rc"] = proc.wait(timeout=60)
        except (subprocess.TimeoutExpired, OSError) as e:
            step["rc"] = f"failed: {e}"
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    with open(log) as f:
        step["stdout"] = f.read()
    os.unlink(log)
    labtest.remove_prefix(prefix)
    return step


def main():
    report = {"env": nic_vm.nic_env(), "devbind": devbind_status()}
    report["testpmd"] = testpmd_rss(sys.argv[1])
    nic_vm.report(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
