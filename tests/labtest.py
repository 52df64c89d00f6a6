# SPDX-License-Identifier: BSD-3-Clause
"""Shared harness for the labs' integration tests.

Every DPDK process a test starts gets its own --file-prefix, always
--no-pci, a timeout, and its runtime directory and hugepage files removed
afterwards, even when the test fails or is killed by meson's timeout.

    import labtest
    t = labtest.Test("lab8_flow")
    t.require_hugepages()
    with t.dpdk("lab8_primary", ["-l", "0", "--vdev=net_null0"], app=["--port", "0"]) as p:
        ...
        t.check(p.wait(5) == 0, "primary exits 0")
    t.done()
"""

import atexit
import collections
import glob
import os
import re
import signal
import subprocess
import sys
import time

SKIP = 77
RUNTIME_DIR = "/var/run/dpdk"
# For every primary a secondary attaches to: where the primary maps shared
# memory, which each secondary must map at the same address. Far above where
# Linux and ASan (shadow ends at 0x10007fff7fff) put anything. Without it, ASLR
# sometimes puts something of the secondary's there (5 runs of 34 of
# lab9_capture under ASan): the secondary fails, and a dpdk-dumpcap that fails
# so crashes in its clean-up holding the shared memory lock (docs/lab9.md).
BASE_VIRTADDR = "--base-virtaddr=0x200000000000"
_SIGINT = signal.SIGINT  # DpdkProcess.signal() shadows the module in its class body


def build_dir():
    """The meson build folder: LAB_BUILD_DIR (set by tests/meson.build) or ./build."""
    return os.environ.get("LAB_BUILD_DIR") or os.path.join(
        os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "build")


def dpdk_version():
    """The DPDK the build uses (pkg-config's libdpdk), e.g. '22.11.11'."""
    res = subprocess.run(["pkg-config", "--modversion", "libdpdk"], capture_output=True,
                         text=True)
    return res.stdout.strip() or "0"


def source_dir():
    return os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def program(name):
    """Path of a built lab program, found anywhere under the build folder."""
    hits = glob.glob(os.path.join(build_dir(), "*", name))
    if not hits:
        raise FileNotFoundError(f"{name} not built under {build_dir()}: run ninja -C build")
    return hits[0]


def gen_traffic(t, args, timeout=120):
    """Runs scripts/gen_traffic.py ARGS; returns its counts {'https': 100, ..., 'total': N}.

    A generator that fails makes the test fail (never skip): every test's
    expectations come from what it says it sent.
    """
    gen = os.path.join(source_dir(), "scripts", "gen_traffic.py")
    res = t.run(["/usr/bin/python3", gen] + list(args), timeout=timeout)
    if res.returncode != 0:
        raise RuntimeError(f"gen_traffic.py {' '.join(args)} failed: {res.stderr.strip()[-300:]}")
    counts = {}
    for line in res.stdout.splitlines():
        key, _, value = line.partition("=")
        if key == "class":
            name, _, count = value.partition(" count=")
            counts[name] = int(count)
        elif key == "total":
            counts["total"] = int(value)
    return counts


# DPDK's capture tools are secondaries. dpdk-dumpcap builds its own EAL
# arguments, with no --no-pci: it would scan the machine's own PCI NIC. A mount
# namespace with an empty /sys/bus/pci/devices shows it none; /sys is made
# private first, so the empty folder never shows outside (unshare's own
# --propagation private fails in the DPDK 24.11 root, whose / is no mount
# point). stdbuf: their progress lines are printf()s, which a pipe or file
# would otherwise hold back.
_CAPTURE_TOOL = ["unshare", "--mount", "--propagation", "unchanged", "sh", "-c",
                 "mount --make-rprivate /sys && mount -t tmpfs none /sys/bus/pci/devices && "
                 'exec "$@"', "sh", "stdbuf", "-oL"]


def dumpcap(t, prefix, out, cpu, args=()):
    """dpdk-dumpcap --file-prefix=PREFIX -i 0 -w OUT, started; wait for 'Packets captured:'.

    cpu: the CPU it runs on, hence its lcore id (the EAL takes lcore ids from
    the CPU affinity): never one whose lcore id polls the port, since the
    poller fills dumpcap's pool with that id's mempool cache slot.
    """
    argv = _CAPTURE_TOOL + ["taskset", "-c", str(cpu), "dpdk-dumpcap",
                            f"--file-prefix={prefix}", "-i", "0", "-w", out] + list(args)
    return DpdkProcess(t, argv)


def _unlink(path):
    if os.path.exists(path):
        os.unlink(path)


def pdump_file(name):
    """A path for dpdk-pdump's rx-dev=: it truncates paths to 63 characters, silently."""
    path = f"/tmp/lt_{name}_{os.getpid()}.pcap"
    atexit.register(_unlink, path)
    return path


def pdump(t, eal_args, spec):
    """dpdk-pdump EAL-ARGS -- --pdump SPEC, started; wait for 'capture for'.

    Give it --no-pci and an lcore id that polls none of the port's queues (see dumpcap()).
    """
    return DpdkProcess(t, _CAPTURE_TOOL + ["dpdk-pdump"] + list(eal_args) +
                       ["--", "--pdump", spec])


def capture_stats(output):
    """(received, dropped) from dpdk-dumpcap's last line, or None."""
    m = re.search(r"Packets received/dropped on interface '[^']+': (\d+)/(\d+)", output)
    return (int(m.group(1)), int(m.group(2))) if m else None


def read_frames(path):
    """Every frame of a pcap or pcapng file, as bytes (Scapy reads both)."""
    from scapy.utils import rdpcap  # slow to import: only where a test reads a capture
    return [bytes(p) for p in rdpcap(path)]


def check_capture(t, what, sent, captured):
    """Every frame sent is in the capture exactly once, byte for byte.

    Frames nobody sent (the kernel's own) are named in the detail, not failed.
    """
    want = collections.Counter(sent)
    got = collections.Counter(captured)
    missing = sum((want - got).values())
    dupes = sum((got - want)[f] for f in want)
    extra = [f for f in got if f not in want]
    t.check(missing == 0 and dupes == 0,
            f"{what}: all {len(sent)} frames sent are captured once each, byte for byte",
            f"{missing} missing, {dupes} duplicated, {len(captured)} captured, "
            f"{len(extra)} frame(s) not sent by the test (first: {extra[:1]})")
    return len(extra)


def hugetlbfs_mounts():
    with open("/proc/mounts") as f:
        return [line.split()[1] for line in f if line.split()[2] == "hugetlbfs"]


def hugepages_free():
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("HugePages_Free:"):
                return int(line.split()[1])
    return 0


def remove_prefix(prefix):
    """Remove what a DPDK process with this --file-prefix leaves behind."""
    subprocess.run(["rm", "-rf", os.path.join(RUNTIME_DIR, prefix)], check=False)
    for mnt in hugetlbfs_mounts():
        for path in glob.glob(os.path.join(mnt, prefix + "map_*")):
            try:
                os.unlink(path)
            except OSError:
                pass


class DpdkProcess:
    """A DPDK program run in its own process group, output captured to a file."""

    def __init__(self, test, argv, stdin=None):
        self.test = test
        self.argv = argv
        self.log_path = os.path.join(test.workdir, f"proc{len(test.procs)}.log")
        self.log = open(self.log_path, "w+b")
        self.proc = subprocess.Popen(argv, stdout=self.log, stderr=subprocess.STDOUT,
                                     stdin=stdin if stdin is not None else subprocess.DEVNULL,
                                     start_new_session=True)
        test.procs.append(self)

    @property
    def pid(self):
        return self.proc.pid

    def output(self):
        self.log.flush()
        with open(self.log_path, "rb") as f:
            return f.read().decode(errors="replace")

    def wait_for(self, text, timeout=10.0):
        """Wait until text appears in the output; False on timeout or exit."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in self.output():
                return True
            if self.proc.poll() is not None:
                return text in self.output()
            time.sleep(0.05)
        return False

    def send(self, line, wait=None, timeout=10.0):
        """Write a line to its stdin (started with stdin=PIPE); return what it
        printed after, once wait appears in that (or at timeout or exit)."""
        before = len(self.output())
        try:
            self.proc.stdin.write((line + "\n").encode())
            self.proc.stdin.flush()
        except (BrokenPipeError, ValueError):
            return self.output()[before:]
        deadline = time.monotonic() + timeout
        while True:
            out = self.output()[before:]
            if wait is None or wait in out:
                return out
            if time.monotonic() > deadline or self.proc.poll() is not None:
                return out
            time.sleep(0.05)

    def signal(self, sig):
        if self.proc.poll() is None:
            os.kill(self.proc.pid, sig)

    def wait(self, timeout):
        """Exit code, or None if it is still running after timeout seconds."""
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def stop(self, sig=_SIGINT, timeout=5.0):
        """Signal, wait, then SIGKILL the group if needed. Returns the exit code."""
        self.signal(sig)
        rc = self.wait(timeout)
        if rc is None:
            self.kill()
            rc = self.proc.wait()
        return rc

    def kill(self):
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.proc.poll() is None:
            self.kill()


class Test:
    def __init__(self, name):
        self.name = name
        self.failures = 0
        self.checks = 0
        self.procs = []
        self.prefixes = []
        self.workdir = os.path.join(build_dir(), "testrun", f"{name}-{os.getpid()}")
        os.makedirs(self.workdir, exist_ok=True)
        atexit.register(self.cleanup)
        # meson's timeout sends SIGTERM: clean up on the way out.
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))

    def prefix(self, tag=""):
        """A --file-prefix unique to this test run, removed at exit."""
        p = f"lt_{self.name}{tag}_{os.getpid()}"
        if p not in self.prefixes:
            self.prefixes.append(p)
        return p

    def skip(self, reason):
        print(f"SKIP: {reason}")
        sys.exit(SKIP)

    def require_root(self):
        if os.geteuid() != 0:
            self.skip("needs root (hugepages, net_tap)")

    def require_unsanitized(self, why):
        """Skip in the AddressSanitizer build (./build-asan), saying why."""
        if os.environ.get("LAB_SANITIZE", "none") not in ("", "none"):
            self.skip(f"not run under -Db_sanitize={os.environ['LAB_SANITIZE']}: {why}")

    def require_hugepages(self, pages=64):
        if not hugetlbfs_mounts():
            self.skip("no hugetlbfs mounted: run ./scripts/labenv.sh hugepages")
        if hugepages_free() < pages:
            self.skip(f"fewer than {pages} free 2 MiB hugepages "
                      f"({hugepages_free()} free): run ./scripts/labenv.sh hugepages")

    def eal(self, lcores, prefix, proc_type=None, vdevs=(), extra=()):
        """EAL arguments: always --no-pci and the given --file-prefix."""
        args = ["--no-pci", f"--file-prefix={prefix}"]
        args += ["-l", lcores] if "@" not in lcores else [f"--lcores={lcores}"]
        if proc_type:
            args.append(f"--proc-type={proc_type}")
        args += [f"--vdev={v}" for v in vdevs]
        return args + list(extra)

    def dpdk(self, prog, eal_args, app=(), stdin=None):
        """Start a built program: prog EAL-ARGS -- APP-ARGS."""
        if not any(a.startswith("--file-prefix=") for a in eal_args):
            raise ValueError("every DPDK process needs its own --file-prefix")
        if "--no-pci" not in eal_args and not any(a.startswith("-a") for a in eal_args):
            raise ValueError("pass --no-pci: the machine's own NIC must not be probed")
        return DpdkProcess(self, [program(prog)] + list(eal_args) + ["--"] + list(app), stdin)

    def run(self, argv, timeout=60, **kw):
        """Run a command to completion under a timeout; returns CompletedProcess."""
        return subprocess.run(argv, capture_output=True, text=True, timeout=timeout, **kw)

    def check(self, cond, what, detail=""):
        self.checks += 1
        if cond:
            print(f"ok   {what}")
        else:
            self.failures += 1
            print(f"FAIL {what}" + (f"\n     {detail}" if detail else ""))
        return bool(cond)

    def cleanup(self):
        for p in self.procs:
            if p.proc.poll() is None:
                p.kill()
        for prefix in self.prefixes:
            remove_prefix(prefix)

    def done(self):
        """Exit 1 on any failed check; a test that checked nothing fails too."""
        if self.checks == 0:
            print("FAIL no check was made")
            sys.exit(1)
        if self.failures:
            for p in self.procs:
                print(f"--- output of {' '.join(p.argv)}\n{p.output()[-4000:]}")
            print(f"{self.failures} of {self.checks} checks failed")
            sys.exit(1)
        print(f"all {self.checks} checks passed")
        sys.exit(0)
