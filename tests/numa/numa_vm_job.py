# SPDX-License-Identifier: BSD-3-Clause
"""Runs INSIDE the emulated two-node machine (./scripts/labenv.sh numa-vm), started
by test_numa_vm.py: every check of the suite in one boot. It asserts nothing
itself; it prints one JSON document between markers with what it saw (sysfs,
mounts, each program's exit status and output), and the host side asserts.

    ./scripts/labenv.sh numa-vm -- /usr/bin/python3 tests/numa/numa_vm_job.py
"""

import glob
import json
import os
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import labtest  # noqa: E402

BEGIN = "=== numa_vm_job report begin ==="
END = "=== numa_vm_job report end ==="
NODE = "/sys/devices/system/node"
# The host side passes a tag unique to its run, to look for leaks by name.
TAG = os.environ.get("NUMA_VM_JOB_TAG") or f"nvm{os.getpid()}_"


def read(path):
    try:
        with open(path) as f:
            return f.read().strip()
    except OSError as e:
        return f"unreadable: {e}"


def facts():
    nodes = {}
    for d in sorted(glob.glob(os.path.join(NODE, "node[0-9]*"))):
        hp = os.path.join(d, "hugepages", "hugepages-2048kB")
        nodes[os.path.basename(d)] = {
            "cpulist": read(os.path.join(d, "cpulist")),
            "distance": read(os.path.join(d, "distance")),
            "nr_hugepages": read(os.path.join(hp, "nr_hugepages")),
            "free_hugepages": read(os.path.join(hp, "free_hugepages")),
        }
    with open("/proc/mounts") as f:
        mounts = [line.split()[:3] for line in f]
    return {
        "nodes": nodes,
        "nproc": os.cpu_count(),
        "uname": os.uname().release,
        "cwd": os.getcwd(),
        "mounts": mounts,
        "var_run": os.path.realpath("/var/run"),
        "dev_net_tun": os.path.exists("/dev/net/tun"),
        "hugepage_files_at_start": sorted(os.listdir("/dev/hugepages"))
        if os.path.isdir("/dev/hugepages") else None,
        "runtime_dirs_at_start": sorted(os.listdir(labtest.RUNTIME_DIR))
        if os.path.isdir(labtest.RUNTIME_DIR) else [],
    }


def prefix(name):
    return f"{TAG}{name}"


def finish(step, name, started):
    """Record what the process left in the guest's hugetlbfs, then free it."""
    p = prefix(name)
    step["hugepage_files"] = len(glob.glob(f"/dev/hugepages/{p}map_*"))
    step["seconds"] = round(time.monotonic() - started, 1)
    labtest.remove_prefix(p)
    return step


def run(name, argv, timeout=300, json_out=None):
    started = time.monotonic()
    step = {"argv": argv}
    try:
        res = subprocess.run(argv, capture_output=True, text=True, timeout=timeout,
                             stdin=subprocess.DEVNULL)
        step.update(rc=res.returncode, stdout=res.stdout, stderr=res.stderr)
    except subprocess.TimeoutExpired as e:
        step.update(rc="timeout", stdout=str(e.stdout), stderr=str(e.stderr))
    except OSError as e:
        step.update(rc="cannot start", stdout="", stderr=str(e))
    if json_out:
        try:
            with open(json_out) as f:
                step["json"] = json.load(f)
        except (OSError, ValueError) as e:
            step["json"] = None
            step["json_error"] = str(e)
    return finish(step, name, started)


def eal(lcores, name, vdevs=("net_null0",), extra=()):
    return (["--no-pci", f"--file-prefix={prefix(name)}", "-l", lcores] +
            [f"--vdev={v}" for v in vdevs] + list(extra))


def telemetry(prefix_name, commands, timeout=10.0):
    """Answers of the DPDK telemetry socket (v2) of a running process."""
    path = os.path.join(labtest.RUNTIME_DIR, prefix_name, "dpdk_telemetry.v2")
    deadline = time.monotonic() + timeout
    while not os.path.exists(path) and time.monotonic() < deadline:
        time.sleep(0.1)
    out = {}
    with socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET) as s:
        s.settimeout(timeout)
        s.connect(path)
        s.recv(16384)   # the greeting
        for cmd in commands:
            s.send(cmd.encode())
            out[cmd] = json.loads(s.recv(65536).decode())
    return out


def lab8_primary_step():
    """The lab 8 primary started from lcore 2 (socket 1): its port reports socket 1,
    so MBUF_POOL belongs on socket 1 — away from the default socket 0."""
    name = "lab8"
    started = time.monotonic()
    try:
        prog = labtest.program("lab8_primary")
    except FileNotFoundError as e:
        return {"rc": "not built", "stderr": str(e)}
    argv = [prog] + eal("2", name, extra=["--proc-type=primary"]) + \
        ["--", "--rxq", "1", "--no-status"]
    step = {"argv": argv}
    t = labtest.Test("numa_vm_lab8")   # the process harness only: the host asserts
    with labtest.DpdkProcess(t, argv) as primary:
        if primary.wait_for("Ctrl-C to stop", 180):
            try:
                step["telemetry"] = telemetry(prefix(name), [
                    "/ethdev/info,0", "/mempool/info,MBUF_POOL"])
            except (OSError, ValueError) as e:
                step["telemetry_error"] = str(e)
        step["rc"] = primary.stop(timeout=60)
        step["stdout"] = primary.output()
    return finish(step, name, started)


def main():
    report = {"facts": facts(), "steps": {}, "tag": TAG}
    steps = report["steps"]

    # DPDK itself: two NUMA nodes, memory on both sockets, a pool on each.
    steps["testpmd"] = run("testpmd", ["dpdk-testpmd"] + eal(
        "0-3", "testpmd", extra=["--socket-mem", "64,64"]) +
        ["--", "--total-num-mbufs=2048", "--stats-period", "0"])

    try:
        numa_check = labtest.program("numa_check")
    except FileNotFoundError as e:
        numa_check = None
        report["numa_check_missing"] = str(e)
    if numa_check:
        def check(name, app, timeout=300):
            out = os.path.join("/tmp", f"{prefix(name)}.json")
            step = run(name, [numa_check] + eal("0-3", name) + ["--", "--json", out] + app,
                       timeout, json_out=out)
            if os.path.exists(out):
                os.unlink(out)
            return step

        # net_null0 is probed from the main lcore 0: the port is on socket 0.
        steps["local"] = check("local", ["--pollers", "0:0-1", "--strict", "--latency",
                                         "--buffer-mib", "4", "--reps", "3",
                                         "--loads", "50000"])
        steps["remote"] = check("remote", ["--pollers", "0:2-3", "--strict"])
        steps["wrong"] = check("wrong", ["--pollers", "0:0-1", "--wrong-socket", "--strict"])

    steps["lab8"] = lab8_primary_step()
    report["runtime_dirs_at_end"] = sorted(os.listdir(labtest.RUNTIME_DIR)) \
        if os.path.isdir(labtest.RUNTIME_DIR) else []
    print(BEGIN)
    print(json.dumps(report, indent=1))
    print(END)
    return 0


if __name__ == "__main__":
    sys.exit(main())
