# SPDX-License-Identifier: BSD-3-Clause
"""DPDK on a real two-socket topology: one boot of the emulated machine
(./scripts/labenv.sh numa-vm, 2 nodes x 2 CPUs, 128 hugepages each) runs
numa_vm_job.py inside; this side asserts on its report what the issue asks:
the machine's layout, DPDK seeing it, numa_check's report, cross-NUMA
warnings and --strict, --wrong-socket, the 2x2 latency matrix, lab 8's
MBUF_POOL on its port's socket, and no DPDK file reaching the host."""

import atexit
import glob
import json
import os
import re

import labtest
import numa_vm_util

JOB = os.path.join(os.path.dirname(os.path.abspath(__file__)), "numa_vm_job.py")
SOCKET_OF = {0: 0, 1: 0, 2: 1, 3: 1}   # the machine: lcores 0-1 on node 0, 2-3 on node 1
HUGEPAGES = 128


def report_of(stdout):
    try:
        body = stdout.split("=== numa_vm_job report begin ===\n", 1)[1]
        return json.loads(body.split("=== numa_vm_job report end ===", 1)[0])
    except (IndexError, ValueError):
        return None


def out(step):
    return step.get("stdout", "") + step.get("stderr", "")


def check_machine(t, facts):
    nodes = facts["nodes"]
    t.check(sorted(nodes) == ["node0", "node1"], "two NUMA nodes in the guest's sysfs",
            str(sorted(nodes)))
    t.check(nodes.get("node0", {}).get("cpulist") == "0-1" and
            nodes.get("node1", {}).get("cpulist") == "2-3",
            "CPUs 0-1 on node 0, 2-3 on node 1", json.dumps(nodes))
    t.check(nodes.get("node0", {}).get("distance") == "10 21" and
            nodes.get("node1", {}).get("distance") == "21 10",
            "firmware distances 10/21", json.dumps(nodes))
    t.check(all(n.get("nr_hugepages") == str(HUGEPAGES) and
                n.get("free_hugepages") == str(HUGEPAGES) for n in nodes.values()),
            f"{HUGEPAGES} free 2 MiB hugepages reserved on each node", json.dumps(nodes))
    mounts = facts["mounts"]
    huge = [m for m in mounts if m[2] == "hugetlbfs"]
    t.check(huge == [["hugetlbfs", "/dev/hugepages", "hugetlbfs"]],
            "one hugetlbfs, the guest's own, on /dev/hugepages", str(huge))
    t.check(["tmpfs", "/run", "tmpfs"] in mounts and facts["var_run"] == "/run",
            "/var/run is a fresh tmpfs of the guest", str(mounts))
    t.check(facts["hugepage_files_at_start"] == [] and facts["runtime_dirs_at_start"] == [],
            "no host hugepage file or DPDK runtime dir visible inside",
            f"{facts['hugepage_files_at_start']} {facts['runtime_dirs_at_start']}")
    t.check(facts["dev_net_tun"], "/dev/net/tun for net_tap (tun loaded by the host's modprobe)")
    t.check(facts["cwd"] == labtest.source_dir(), "CMD ran in the caller's folder",
            facts["cwd"])


def check_testpmd(t, step):
    text = out(step)
    t.check(step["rc"] == 0, "dpdk-testpmd --socket-mem 64,64 exits 0", text[-2000:])
    t.check("EAL: Detected NUMA nodes: 2" in text, "EAL: Detected NUMA nodes: 2")
    for s in (0, 1):
        t.check(f"create a new mbuf pool <mb_pool_{s}>: n=2048, size=2176, socket={s}" in text,
                f"testpmd's mbuf pool on socket {s}", text[-2000:])
    t.check(step["hugepage_files"] > 0, "its hugepage files were in the guest's hugetlbfs",
            str(step["hugepage_files"]))


def check_local(t, step):
    text, data = step["stdout"], step.get("json")
    if not t.check(step["rc"] == 0 and data, "numa_check, pollers 0-1: --strict exits 0, "
                   "--json written", out(step)[-3000:]):
        return
    t.check(data["sockets"] == 2, "numa_check reports 2 sockets", str(data["sockets"]))
    t.check(data["lcores"] == [{"lcore": lc, "socket": s} for lc, s in SOCKET_OF.items()],
            "lcores 0-1 on socket 0, 2-3 on socket 1", str(data["lcores"]))
    t.check(data["distances"] == [[10, 21], [21, 10]], "distances 10/21 in the report",
            str(data["distances"]))
    t.check(data["ports"] == [{"port": 0, "socket": 0}],
            "net_null0 probed from lcore 0 is on socket 0", str(data["ports"]))
    for s in (0, 1):
        m = re.search(rf"^hugepages socket {s}: (\d+) MiB reserved", text, re.M)
        t.check(m and int(m.group(1)) == 2 * HUGEPAGES,
                f"hugepage memory on socket {s}: {2 * HUGEPAGES} MiB", text[:1500])
    warnings = [f for f in data["findings"] if f["severity"] == "warning"]
    t.check(warnings == [] and "result: 0 cross-NUMA finding(s)" in text,
            "pollers on the NIC's socket: no warning", json.dumps(data["findings"]))
    # Only a multi-socket machine tells a CPU number from a core id within its socket.
    t.check("# lcores used  : 4 (0@cpu0,1@cpu1,2@cpu2,3@cpu3)" in text,
            "platform banner: each lcore on its own CPU (not its core id)",
            "\n".join(line for line in text.splitlines() if line.startswith("# lcores")))
    lat = data["latency_ns"]
    t.check(len(lat) == 2 and all(len(r) == 2 for r in lat) and
            all(isinstance(v, float) and v > 0 for r in lat for v in r),
            "latency matrix 2x2, every cell measured", str(lat))
    for r in (0, 1):
        for c in (0, 1):
            m = re.search(rf"cell \[{r}\]\[{c}\]: chased on lcore (\d+) \(rte_socket_id\(\) "
                          rf"(\d+)\) over memory on socket {c} \(read back", text)
            t.check(m and SOCKET_OF.get(int(m.group(1))) == r and int(m.group(2)) == r,
                    f"cell [{r}][{c}]: an lcore of socket {r} over memory of socket {c}",
                    text[-2500:])


def check_remote(t, step):
    text, data = step["stdout"], step.get("json")
    t.check(step["rc"] == 2, "numa_check, pollers 2-3 on socket 1: --strict exits 2",
            f"rc={step['rc']}\n" + out(step)[-2000:])
    expected = [f"lcore {lc} on socket 1, NIC on socket 0 — cross-NUMA!" for lc in (2, 3)]
    for line in expected:
        t.check(f"WARNING: {line}" in text, f"warning printed: {line}", text[-2000:])
    got = [f["message"] for f in (data or {}).get("findings", []) if f["severity"] == "warning"]
    t.check(got == expected, "exactly the warnings for lcores 2 and 3 in the JSON", str(got))


def check_wrong(t, step):
    text, data = step["stdout"], step.get("json")
    t.check(step["rc"] == 2, "--wrong-socket --strict exits 2",
            f"rc={step['rc']}\n" + out(step)[-2000:])
    t.check("mbuf pool NUMA_POOL_P0: " in step["stderr"] and
            re.search(r"mbuf pool NUMA_POOL_P0: \d+ mbufs on socket 1", step["stderr"]),
            "--wrong-socket: the pool was created on socket 1", step["stderr"][-1500:])
    t.check(re.search(r"^  mbuf pool +socket 0 \(NIC's\) +socket 1  <-- cross-NUMA$", text,
                      re.M), "audit reads the pool back on socket 1 and flags it", text[-2500:])
    msg = ("mbuf pool of port 0 on socket 1, should be on socket 0 (the NIC's socket) "
           "— cross-NUMA!")
    t.check(any(f["severity"] == "warning" and f["message"] == msg
                for f in (data or {}).get("findings", [])),
            "the audit's finding for the pool", json.dumps((data or {}).get("findings")))


def check_lab8(t, step):
    if step.get("rc") == "not built":
        t.check(False, "lab8_primary is built", step.get("stderr", ""))
        return
    text = step.get("stdout", "")
    t.check(step["rc"] == 0, "lab8_primary on lcore 2 runs and stops on SIGINT with 0",
            f"rc={step['rc']}\n{text[-2000:]}")
    t.check(re.search(r"MBUF_POOL of \d+ mbufs on socket 1, lcores 2;", text),
            "lab8_primary: MBUF_POOL on socket 1, its port's socket", text[-2000:])
    tel = step.get("telemetry") or {}
    port = tel.get("/ethdev/info,0", {}).get("/ethdev/info", {})
    pool = tel.get("/mempool/info,MBUF_POOL", {}).get("/mempool/info", {})
    t.check(port.get("numa_node") == 1, "telemetry: port 0 on socket 1",
            step.get("telemetry_error", str(port)))
    t.check(pool.get("socket_id") == 1 and pool.get("mz_socket_id") == 1,
            "telemetry: MBUF_POOL and its memzone on socket 1, as the port",
            step.get("telemetry_error", str(pool)))


def main():
    t = labtest.Test("numa_vm")
    numa_vm_util.require_vm(t)
    tag = f"nvm{os.getpid()}_"
    vm = numa_vm_util.VmRun(["--nodes", "2", "--cpus-per-node", "2", "--hugepages",
                             str(HUGEPAGES), "--timeout", "700"],
                            ["/usr/bin/python3", JOB], cwd=labtest.source_dir(),
                            env={"NUMA_VM_JOB_TAG": tag, "LAB_BUILD_DIR": labtest.build_dir()})
    atexit.register(vm.kill_all)
    rc, stdout, stderr = vm.finish(760)
    print(stderr.strip())
    print(f"numa-vm run: {vm.seconds:.0f} s")
    report = report_of(stdout)
    if not t.check(rc == 0 and report, "the job ran in the machine and reported",
                   f"rc={rc}\n{stdout[-2000:]}\n{stderr[-3000:]}"):
        t.done()
    t.check(numa_vm_util.gone_within(vm.qemu, 5), "no qemu left after the run", str(vm.qemu))
    for name, step in report["steps"].items():
        print(f"  {name}: exit {step.get('rc')} in {step.get('seconds')} s")

    check_machine(t, report["facts"])
    check_testpmd(t, report["steps"]["testpmd"])
    steps = report["steps"]
    if t.check("local" in steps, "numa_check is built and ran",
               report.get("numa_check_missing", "")):
        check_local(t, steps["local"])
        check_remote(t, steps["remote"])
        check_wrong(t, steps["wrong"])
    check_lab8(t, steps["lab8"])

    leaks = [p for mnt in labtest.hugetlbfs_mounts() for p in glob.glob(f"{mnt}/{tag}*")]
    leaks += glob.glob(os.path.join(labtest.RUNTIME_DIR, tag + "*"))
    t.check(leaks == [], "no hugepage file or runtime dir of the guest's DPDK on the host",
            str(leaks))
    t.done()


if __name__ == "__main__":
    main()
