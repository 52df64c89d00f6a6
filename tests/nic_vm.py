# SPDX-License-Identifier: BSD-3-Clause
"""The emulated server's PCI NIC (./scripts/labenv.sh numa-vm --nic virtio), both sides.

Host side: run_job() boots the machine with the NIC once, runs a job file
inside and returns the JSON report the job printed between two markers.
Traffic is written as pcap files on the host (scripts/gen_traffic.py, fast
here) and replayed inside by send_pcap() on LAB_TRAFFIC_IFACE, so no guest
process pays Scapy's import (about 7 s under TCG).

Guest side: nic_env() (the LAB_NIC_* variables), send_pcap(), report().

    rc, report, out, err = nic_vm.run_job(t, JOB, args, queues=4, node=1)
"""

import atexit
import json
import os
import socket
import struct
import sys
import time

import labtest

BEGIN = "=== nic_vm report begin ==="
END = "=== nic_vm report end ==="
HUGEPAGES = 128


def numa_module(name):
    """tests/numa's numa_vm_util (host side) or numa_vm_job (its read())."""
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "numa"))
    return __import__(name)


def numa_vm_util():
    return numa_module("numa_vm_util")


# --- host side -------------------------------------------------------------

def require_nic_vm(t):
    """Skip (77) unless the emulated machine and its NIC can run here."""
    numa_vm_util().require_vm(t)


def run_job(t, job, args=(), queues=4, node=1, timeout=1200, env=None):
    """Boots the two-node machine with the NIC and runs /usr/bin/python3 JOB ARGS
    in the source folder. Returns (rc, report or None, stdout, stderr)."""
    util = numa_vm_util()
    opts = ["--nodes", "2", "--cpus-per-node", "2", "--hugepages", str(HUGEPAGES),
            "--nic", "virtio", "--nic-node", str(node), "--nic-queues", str(queues),
            "--timeout", str(timeout)]
    job_env = {"LAB_BUILD_DIR": labtest.build_dir()}
    job_env.update(env or {})
    vm = util.VmRun(opts, ["/usr/bin/python3", job] + list(args), cwd=labtest.source_dir(),
                    env=job_env)
    atexit.register(vm.kill_all)
    rc, out, err = vm.finish(timeout + 60)
    print(err.strip())
    print(f"numa-vm --nic run: {vm.seconds:.0f} s")
    t.check(util.gone_within(vm.qemu, 5), "no qemu left after the run", str(vm.qemu))
    t.check(not host_links(vm.proc.pid), "labenv removed its host links (nv<PID>b/d/k)",
            str(host_links(vm.proc.pid)))
    try:
        body = out.split(BEGIN + "\n", 1)[1].split(END, 1)[0]
        return rc, json.loads(body), out, err
    except (IndexError, ValueError):
        return rc, None, out, err


def host_links(pid):
    """The host links labenv pid made for its NIC and did not remove."""
    return [d for d in os.listdir("/sys/class/net")
            if d in (f"nv{pid}b", f"nv{pid}d", f"nv{pid}k")]


def traffic(t, name, mix, seed):
    """A pcap from gen_traffic.py on the host: (path, [(class, src)], counts)."""
    pcap = os.path.join(t.workdir, f"{name}.pcap")
    srcs = os.path.join(t.workdir, f"{name}.src")
    counts = labtest.gen_traffic(t, ["--pcap", pcap, "--mix", mix, "--seed", str(seed),
                                     "--src-list", srcs])
    with open(srcs) as f:
        sent = [tuple(line.split()) for line in f if line.strip()]
    return pcap, sent, counts


# --- guest side ------------------------------------------------------------

def nic_env():
    """What labenv says about the NIC, and what sysfs says about it and the iface."""
    pci = os.environ.get("LAB_NIC_PCI", "")
    iface = os.environ.get("LAB_TRAFFIC_IFACE", "")
    dev = f"/sys/bus/pci/devices/{pci}"
    read = numa_module("numa_vm_job").read
    driver = os.path.realpath(f"{dev}/driver") if os.path.exists(f"{dev}/driver") else ""
    return {
        "pci": pci, "socket": os.environ.get("LAB_NIC_SOCKET"),
        "queues": os.environ.get("LAB_NIC_QUEUES"), "mac": os.environ.get("LAB_NIC_MAC"),
        "iface": iface,
        "sysfs_numa_node": read(f"{dev}/numa_node"),
        "sysfs_local_cpulist": read(f"{dev}/local_cpulist"),
        "driver": os.path.basename(driver),
        "iface_operstate": read(f"/sys/class/net/{iface}/operstate"),
        "iface_flags": read(f"/sys/class/net/{iface}/flags"),
        "iface_disable_ipv6": read(f"/proc/sys/net/ipv6/conf/{iface}/disable_ipv6"),
        "iface_address": read(f"/sys/class/net/{iface}/address"),
    }


def pcap_frames(path):
    with open(path, "rb") as f:
        data = f.read()
    endian = "<" if data[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    pos, frames = 24, []
    while pos + 16 <= len(data):
        incl = struct.unpack(endian + "I", data[pos + 8:pos + 12])[0]
        frames.append(data[pos + 16:pos + 16 + incl])
        pos += 16 + incl
    return frames


def send_pcap(path, iface=None, pps=400):
    """Sends every frame of a pcap on iface (LAB_TRAFFIC_IFACE) at about pps
    frames a second: under TCG a poller drains its rx ring slowly, and a
    faster burst would overflow it. Returns the number of frames sent."""
    iface = iface or os.environ["LAB_TRAFFIC_IFACE"]
    frames = pcap_frames(path)
    with socket.socket(socket.AF_PACKET, socket.SOCK_RAW) as s:
        s.bind((iface, 0))
        start = time.monotonic()
        for n, frame in enumerate(frames):
            delay = start + n / pps - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            s.send(frame)
    return len(frames)


def report(data):
    print(BEGIN)
    print(json.dumps(data, indent=1))
    print(END)
