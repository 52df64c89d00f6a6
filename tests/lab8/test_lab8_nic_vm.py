# SPDX-License-Identifier: BSD-3-Clause
"""Lab 8 on a real PCI port: one boot of the emulated server with its NIC
(./scripts/labenv.sh numa-vm --nic virtio, node 1, 4 queues) runs
lab8_nic_job.py, a test of its own, inside; its checks are printed here and
its exit status is this test's. Traffic: three pcaps from gen_traffic.py,
and a fourth for SASE-DP (the VPN subnet, GTP-U with a TEID, HTTPS and DNS
beside them), written here and replayed inside on LAB_TRAFFIC_IFACE."""

import os
import sys

import labtest
import lab8common as l8
import nic_vm

JOB = os.path.join(os.path.dirname(os.path.abspath(__file__)), "lab8_nic_job.py")
SASE_MIX = "enterprise=40,gtpu=40,https=20,dns=20"
TEID = 2727


def main():
    t = labtest.Test("lab8_nic_vm")
    t.require_unsanitized("the guest runs the programs of this build without ASan's runtime")
    nic_vm.require_nic_vm(t)
    args = []
    for n, seed in enumerate((21, 22, 23)):
        pcap, _, _ = nic_vm.traffic(t, f"lab8_{n}", "https=40,http=40,dns=40", seed)
        args += [pcap, pcap[:-5] + ".src"]
    pcap, _, _ = l8.gen_traffic(t, SASE_MIX, seed=24, name="lab8_sase", teid=TEID)
    args += [pcap, pcap[:-5] + ".src", str(TEID)]
    rc, _, out, err = nic_vm.run_job(t, JOB, args, queues=4, node=1, timeout=1500)
    print(out)
    if rc != 0:
        print(err[-4000:])
    t.check(rc == 0, "lab 8 on the PCI NIC: every check inside passed", f"rc={rc}")
    t.done()


if __name__ == "__main__":
    sys.exit(main())
