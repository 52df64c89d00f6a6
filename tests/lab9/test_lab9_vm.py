#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Lab 9's hardware path with hugepages (issue 13, part 2): one boot of the
emulated server (./scripts/labenv.sh numa-vm, Debian's kernel, which has tc
flower) runs hw_scenarios.py --vm inside. There lab9_flow_classifier runs on
net_tap with hugepages, the HTTPS and drop rules go into the kernel, and
step 5 is checked twice: by the classifier's per-queue matrix, and by
dpdk-pdump capturing rx queue 0 alone while the rules are in. The frames
scenario 2 sends are written here first, where Scapy is fast: inside, under
qemu TCG, gen_traffic.py takes most of a minute."""

import atexit
import os
import sys

import hw_scenarios
import labtest

sys.path.insert(0, os.path.join(labtest.source_dir(), "tests", "numa"))
import numa_vm_util  # noqa: E402

SCEN = hw_scenarios.__file__

t = labtest.Test("lab9_vm")
numa_vm_util.require_vm(t)
sent = os.path.join(t.workdir, "sent.pcap")
hw_scenarios.write_step5_pcap(t, sent)
vm = numa_vm_util.VmRun(["--timeout", "500"],
                        ["/usr/bin/python3", SCEN, "--vm", "--sent", sent],
                        cwd=labtest.source_dir())
atexit.register(vm.kill_all)
rc, out, err = vm.finish(560)
print(out + err)
print(f"emulated server: {vm.seconds:.0f} s, boot included")
if rc == labtest.SKIP:
    t.skip("hw_scenarios.py --vm skipped inside the emulated server (see above)")
t.check(rc == 0, f"hw_scenarios.py --vm passes inside the emulated server (rc={rc})")
# The capture's checks ran, not only the matrix's.
t.check("ok   dpdk-pdump, rx queue 0: no other frame in the capture" in out,
        "dpdk-pdump's capture of rx queue 0 was checked")
t.check(numa_vm_util.gone_within(vm.qemu, 5), "no qemu left", str(vm.qemu))
t.done()
