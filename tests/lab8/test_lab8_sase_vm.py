#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Lab 8, SASE-DP, the production pattern in the emulated server: one boot
of ./scripts/labenv.sh numa-vm (qemu, Debian's kernel with tc flower) runs
tests/lab8/sase_hw_job.py with DPDK 24.11 (labenv.sh dpdk24 run, the binaries
of build-dpdk24, built first if needed): net_tap with 8 queues, the rules in the kernel, the
secondaries polling queues 0-3 and 4-7 themselves. The job checks; this side
passes its lines on and checks that it passed and left no qemu. Skips (77)
when the machine or the 24.11 root is missing."""

import atexit
import os
import subprocess
import sys

import labtest

sys.path.insert(0, os.path.join(labtest.source_dir(), "tests", "numa"))
import numa_vm_util  # noqa: E402

t = labtest.Test("lab8_sase_vm")
numa_vm_util.require_vm(t)
src = labtest.source_dir()
labenv = os.path.join(src, "scripts", "labenv.sh")
d24 = subprocess.run([labenv, "dpdk24", "check"], capture_output=True, text=True, timeout=120)
if d24.returncode != 0:
    t.skip("no DPDK 24.11 root (22.11's TAP cannot share 8 queue pairs with secondaries): "
           + (d24.stdout + d24.stderr).strip()[-300:])
build24 = os.path.join(src, "build-dpdk24")
# The 24.11 binaries of this source (as test.sh makes them; ninja is quick when they are).
mk = subprocess.run([labenv, "dpdk24", "run", "--", "/bin/bash", "-c",
                     "[ -f build-dpdk24/build.ninja ] || meson setup build-dpdk24; "
                     "ninja -C build-dpdk24"], cwd=src, capture_output=True, text=True,
                    timeout=900)
if not t.check(mk.returncode == 0, "build-dpdk24 is built (DPDK 24.11, -Werror)",
               (mk.stdout + mk.stderr)[-1500:]):
    t.done()

vm = numa_vm_util.VmRun(["--nodes", "2", "--cpus-per-node", "1", "--timeout", "800"],
                        [labenv, "dpdk24", "run", "--", "env", f"LAB_BUILD_DIR={build24}",
                         f"PYTHONPATH={src}/tests:{src}/tests/lab8", "/usr/bin/python3",
                         os.path.join(src, "tests", "lab8", "sase_hw_job.py")], cwd=src)
atexit.register(vm.kill_all)
rc, stdout, stderr = vm.finish(860)
print(stdout.strip())
print(stderr.strip()[-1500:])
print(f"numa-vm run: {vm.seconds:.0f} s")
t.check(rc == 0 and "\nok " in "\n" + stdout and "FAIL" not in stdout,
        "the SASE-DP production pattern passed in the emulated server (its lines above)",
        f"rc={rc}")
t.check(numa_vm_util.gone_within(vm.qemu, 5), "no qemu left after the run", str(vm.qemu))
t.done()
