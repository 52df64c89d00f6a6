# SPDX-License-Identifier: BSD-3-Clause
"""Host side of the emulated-NUMA-machine tests: runs ./scripts/labenv.sh numa-vm
and finds the qemu it starts, so a test can check that none outlives it."""

import os
import subprocess
import time

import labtest

LABENV = os.path.join(labtest.source_dir(), "scripts", "labenv.sh")


def vm_env(extra=None):
    env = dict(os.environ)
    env["NUMA_VM_CACHE"] = os.path.join(labtest.build_dir(), "numa-vm")
    env.update(extra or {})
    return env


def require_vm(t):
    """Skip (77) unless root and qemu, a kernel and static busybox are installed."""
    t.require_root()
    res = subprocess.run([LABENV, "numa-vm", "--check"], capture_output=True, text=True,
                         env=vm_env(), timeout=60)
    if res.returncode != 0:
        t.skip("the emulated NUMA machine cannot run here:\n" + res.stderr.strip())
    print(res.stdout.strip())


def qemu_children(ppid):
    """Pids of qemu processes whose parent is ppid."""
    pids = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        comm = stat[stat.index("(") + 1:stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2:].split()
        if comm.startswith("qemu-system") and int(fields[1]) == ppid:
            pids.append(int(d))
    return pids


def alive(pid):
    """True while pid exists and is not a zombie."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            stat = f.read()
    except OSError:
        return False
    return stat[stat.rindex(")") + 2] != "Z"


def gone_within(pids, seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not any(alive(p) for p in pids):
            return True
        time.sleep(0.1)
    return not any(alive(p) for p in pids)


class VmRun:
    """labenv.sh numa-vm OPTIONS -- CMD, with the qemu it started recorded."""

    def __init__(self, options, cmd, cwd=None, env=None):
        self.argv = [LABENV, "numa-vm"] + list(options) + ["--"] + list(cmd)
        self.proc = subprocess.Popen(self.argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     stdin=subprocess.DEVNULL, text=True, cwd=cwd,
                                     env=vm_env(env), start_new_session=True)
        self.qemu = set()
        self.started = time.monotonic()

    def wait_for_qemu(self, timeout=60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.proc.poll() is None:
            self.qemu.update(qemu_children(self.proc.pid))
            if self.qemu:
                return True
            time.sleep(0.05)
        return bool(self.qemu)

    def finish(self, timeout):
        """Waits, noting qemu pids on the way; returns (rc, stdout, stderr)."""
        deadline = time.monotonic() + timeout
        while self.proc.poll() is None and time.monotonic() < deadline:
            self.qemu.update(qemu_children(self.proc.pid))
            time.sleep(0.2)
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, 9)
        out, err = self.proc.communicate()
        self.seconds = time.monotonic() - self.started
        return self.proc.returncode, out, err

    def kill_all(self):
        """Last resort at test exit: nothing of this run may stay behind."""
        try:
            os.killpg(self.proc.pid, 9)
        except ProcessLookupError:
            pass
        for pid in self.qemu:
            try:
                os.kill(pid, 9)
            except ProcessLookupError:
                pass
