# SPDX-License-Identifier: BSD-3-Clause
"""labenv.sh numa-vm itself: bad options, a four-node machine (layout, DPDK on
four sockets, the caller's folder and environment, stdout and stderr apart,
the exit status), the timeout, and no qemu left behind when the caller is
stopped with SIGTERM or killed with SIGKILL."""

import atexit
import os
import re
import signal
import subprocess
import time

import labtest
import numa_vm_util

HERE = os.path.dirname(os.path.abspath(__file__))

# Runs inside the 4-node machine.
FOUR_NODES = r"""
for n in 0 1 2 3; do
	d=/sys/devices/system/node/node$n
	echo "node$n cpus=$(cat $d/cpulist) distance=$(cat $d/distance)" \
		"hugepages=$(cat $d/hugepages/hugepages-2048kB/nr_hugepages)"
done
echo "pwd=$(pwd)"
echo "var=$NUMA_VM_TEST_VAR"
dpdk-testpmd --no-pci -l 0-3 --file-prefix="$PREFIX" --vdev=net_null0 \
	--socket-mem 16,16,16,16 -- --total-num-mbufs=2048 --stats-period 0 \
	</dev/null >/tmp/"$PREFIX".log 2>&1
echo "testpmd=$?"
grep -E "Detected NUMA nodes|create a new mbuf pool" /tmp/"$PREFIX".log
rm -f /tmp/"$PREFIX".log
echo "to stderr" >&2
exit 7
"""


def bad_options(t):
    for opts, what in ((["--nodes", "0", "--", "true"], "--nodes: 0 is out of range"),
                       (["--cpus-per-node", "x", "--", "true"], "--cpus-per-node: 'x' is not"),
                       (["--bogus", "--", "true"], "unknown option --bogus"),
                       (["--nic", "e1000", "--", "true"], "--nic: 'e1000' is not virtio"),
                       (["--nodes", "1", "--nic", "virtio", "--nic-node", "1", "--", "true"],
                        "--nic-node 1: the machine has nodes 0-0"),
                       (["--nic-queues", "9", "--", "true"], "--nic-queues: 9 is out of range"),
                       (["--nodes", "2"], "no command given")):
        res = subprocess.run([numa_vm_util.LABENV, "numa-vm"] + opts, capture_output=True,
                             text=True, timeout=30, env=numa_vm_util.vm_env())
        t.check(res.returncode == 2 and what in res.stderr,
                f"numa-vm {' '.join(opts)}: exit 2, says '{what}'",
                f"rc={res.returncode} {res.stderr}")


def four_nodes(t):
    prefix = f"nvmcli{os.getpid()}"
    vm = numa_vm_util.VmRun(["--nodes", "4", "--cpus-per-node", "1", "--mem-per-node", "384",
                             "--hugepages", "32", "--timeout", "500"],
                            ["sh", "-c", FOUR_NODES], cwd=HERE,
                            env={"NUMA_VM_TEST_VAR": "a b 'c' $d", "PREFIX": prefix})
    atexit.register(vm.kill_all)
    rc, out, err = vm.finish(560)
    print(f"4-node run: {vm.seconds:.0f} s\n{err.strip()}")
    t.check(rc == 7, "4 nodes: CMD's exit status 7 comes back", f"rc={rc}\n{out}\n{err[-2000:]}")
    for n in range(4):
        dist = " ".join("10" if m == n else "21" for m in range(4))
        t.check(f"node{n} cpus={n} distance={dist} hugepages=32" in out,
                f"node {n}: CPU {n}, distances {dist}, 32 hugepages", out)
    t.check(f"pwd={HERE}" in out, "CMD ran in the caller's folder", out)
    t.check("var=a b 'c' $d" in out, "the caller's environment, quoting intact", out)
    t.check("testpmd=0" in out and "EAL: Detected NUMA nodes: 4" in out,
            "dpdk-testpmd sees 4 NUMA nodes", out)
    pools = sorted(int(s) for s in re.findall(r"mbuf pool <mb_pool_\d>: .*socket=(\d)", out))
    t.check(pools == [0, 1, 2, 3], "an mbuf pool on each of the 4 sockets", str(pools))
    t.check("to stderr" in err and "to stderr" not in out, "stderr stays stderr")
    t.check(numa_vm_util.gone_within(vm.qemu, 5), "no qemu left", str(vm.qemu))


def timeout(t):
    vm = numa_vm_util.VmRun(["--timeout", "3", "-q"], ["sleep", "600"])
    atexit.register(vm.kill_all)
    saw = vm.wait_for_qemu(30)
    rc, _, err = vm.finish(60)
    t.check(saw and rc == 124 and "timed out after 3 s" in err,
            "--timeout 3: exit 124 with a message", f"rc={rc} qemu={vm.qemu} {err[-1500:]}")
    t.check(vm.seconds < 30, "--timeout 3: over in seconds", f"{vm.seconds:.1f} s")
    t.check(numa_vm_util.gone_within(vm.qemu, 5), "--timeout: qemu killed", str(vm.qemu))


def stopped(t, sig, expect_rc):
    vm = numa_vm_util.VmRun(["-q", "--timeout", "300"], ["sleep", "600"])
    atexit.register(vm.kill_all)
    if not t.check(vm.wait_for_qemu(30), f"{sig.name}: qemu started"):
        return
    time.sleep(1)
    vm.proc.send_signal(sig)   # only to labenv.sh, not to its process group
    try:
        rc = vm.proc.wait(15)
    except subprocess.TimeoutExpired:
        rc = None
    t.check(rc == expect_rc, f"{sig.name} to numa-vm: it exits {expect_rc}", str(rc))
    t.check(numa_vm_util.gone_within(vm.qemu, 5), f"{sig.name} to numa-vm: its qemu dies too",
            str(vm.qemu))


def main():
    t = labtest.Test("numa_vm_cli")
    numa_vm_util.require_vm(t)
    bad_options(t)
    four_nodes(t)
    timeout(t)
    stopped(t, signal.SIGTERM, 143)
    stopped(t, signal.SIGKILL, -9)
    t.done()


if __name__ == "__main__":
    main()
