#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Lab 8 fault drill: the primary on net_null (its traffic never ends), the
enterprise (-l 1) and mobility (--lcores=2@1) secondaries. ROUNDS times, a
random secondary gets SIGKILL or SIGINT at a random moment and is started
again with the same arguments; then, PRIMARY_RESTARTS times, the primary
gets SIGKILL or SIGINT, the secondaries must leave with exit code 3, a late
secondary must refuse the dead primary, the prefix is cleaned and everything
starts again. A summary table at the end; exit 1 when any row failed.

    scripts/drill-lab8.sh [--rounds N] [--primary-restarts M] [--seed S] [--sase]

With --sase the primary is the SASE-DP one: --rxq 8 --rules sase.rules
--fallback software --policy FILE, on net_pcap replaying gen_traffic.py's
enterprise, GTP-U and HTTPS mix forever (the rules send each class to its
role, so both secondaries get traffic).

The choices (role, signal, delay) come from one seeded RNG: --seed replays
them. Timing on a shared machine does not replay."""

import argparse
import glob
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import time

import labtest
import lab8common as l8

ROLE_LCORES = {"enterprise": "1", "mobility": "2@1"}
SIGNALS = (signal.SIGKILL, signal.SIGINT)
# The longest random wait before a kill, after the secondary was seen receiving.
MAX_DELAY_S = 1.0
# What no process of the drill may ever print.
CRASH_RE = re.compile(r"Segmentation fault|SIGSEGV|Floating point exception|Bus error|"
                      r"core dumped|AddressSanitizer|LeakSanitizer|runtime error:")
DIED_RE = re.compile(r"secondary (\w+) pid (\d+) \(lcores [\d,]+\) died without detaching "
                     r"after (\d+) packets: it stranded (\d+) mbufs in flight .*? left (\d+) "
                     r"in lcore")


def header_constant(path, name):
    with open(os.path.join(labtest.source_dir(), path)) as f:
        m = re.search(rf"^#define\s+{name}\s+(\d+)", f.read(), re.M)
    if m is None:
        raise SystemExit(f"drill: cannot find #define {name} in {path}")
    return int(m.group(1))


BURST = header_constant("lab8_multiprocess/lab8_shared.h", "LAB8_BURST")
CACHE = header_constant("common/lab_mempool.h", "LAB_MBUF_CACHE")
# An lcore cache of size C holds up to its flush threshold, 1.5 x C
# (CACHE_FLUSHTHRESH_MULTIPLIER in DPDK's lib/mempool/rte_mempool.c), before
# rte_mempool_do_generic_put() moves it back to the pool.
CACHE_MAX = CACHE * 3 // 2


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=50,
                    help="secondary kills and restarts (default 50)")
    ap.add_argument("--primary-restarts", type=int, default=3,
                    help="primary kills and restarts after the rounds (default 3)")
    ap.add_argument("--seed", type=int, default=None,
                    help="RNG seed for roles, signals and moments (default: random, printed)")
    ap.add_argument("--stranded-bound", type=int, default=BURST + CACHE_MAX,
                    help=f"most mbufs one SIGKILL may strand, in flight + cached (default "
                         f"one burst {BURST} + one lcore cache at its flush threshold "
                         f"{CACHE_MAX} = {BURST + CACHE_MAX})")
    ap.add_argument("--sase", action="store_true",
                    help="the SASE-DP primary (--rules on the CPU, --policy) on net_pcap")
    args = ap.parse_args()
    for name in ("rounds", "primary_restarts", "stranded_bound"):
        if getattr(args, name) < 0:
            ap.error(f"--{name.replace('_', '-')}: must be 0 or more")
    if args.seed is None:
        args.seed = random.SystemRandom().randrange(1, 1 << 31)
    return args


class Drill:
    def __init__(self, args):
        self.args = args
        self.rng = random.Random(args.seed)
        self.t = labtest.Test("lab8_sase_drill" if args.sase else "lab8_drill")
        self.prefix = self.t.prefix()
        self.vdev, self.primary_app = "net_null0", []
        self.expected_rc = {}      # DpdkProcess -> exit codes the drill's own signals explain
        self.problems = []         # one line per failed observation, for the summary
        self.prim = None
        self.tel = None
        self.secs = {}
        # Results, by summary row.
        self.rx_rises = 0
        self.rx_first = self.rx_last = None
        self.first_pid = None
        self.restarts_ok = 0
        self.restart_waits = []
        self.sec_kills = {(r, s): 0 for r in ROLE_LCORES for s in SIGNALS}
        self.sec_exit_ok = 0
        self.stranded = []         # (round, role, in_flight, cached)
        self.stranded_missing = 0
        self.death_exits = []      # (primary signal, role, rc, seconds)
        self.late_refused = []
        self.generations_ok = 0
        self.files_left = None
        self.files_after_clean = None

    # -- processes -------------------------------------------------------

    def note(self, what):
        self.problems.append(what)
        print(f"  PROBLEM: {what}", flush=True)
        self.dump_stacks(what)

    def dump_stacks(self, why):
        """The first few problems: every live process's stacks, for the post-mortem."""
        if len(self.problems) > 3 or not shutil.which("gdb"):
            return
        path = os.path.join(self.t.workdir, f"stacks-{len(self.problems)}.txt")
        with open(path, "w") as out:
            out.write(f"{why}\n")
            for p in self.t.procs:
                if p.proc.poll() is not None:
                    continue
                out.write(f"\n=== {' '.join(p.argv)} (pid {p.pid})\n")
                out.flush()
                subprocess.run(["gdb", "-p", str(p.pid), "-batch", "-ex",
                                "thread apply all bt"], stdout=out, stderr=subprocess.DEVNULL,
                               timeout=60, check=False)
        print(f"  stacks of the live processes: {path}", flush=True)

    def sase_setup(self):
        """--sase: the traffic (replayed forever), a policy for half the VPN subnet."""
        pcap, sent, _ = l8.gen_traffic(self.t, "enterprise=64,gtpu=64,https=64", seed=5)
        policy = os.path.join(self.t.workdir, "policy.txt")
        with open(policy, "w") as f:
            f.writelines(f"{src} allow\n" for cls, src in sent[0::2] if cls == "enterprise")
        self.vdev = l8.pcap_vdev([pcap], infinite=True)
        self.primary_app = ["--rxq", "8", "--rules", os.path.join(
            labtest.source_dir(), "lab8_multiprocess", "sase.rules"), "--fallback", "software",
            "--policy", policy]

    def start_primary(self):
        self.prim = l8.primary(self.t, self.prefix, self.vdev, app=self.primary_app)
        self.expected_rc[self.prim] = {0}
        if not self.prim.wait_for("Ctrl-C to stop", 20):
            self.note(f"primary did not start: {self.prim.output()[-300:]!r}")
            return False
        self.tel = l8.Telemetry(self.prefix)
        return True

    def start_secondary(self, role):
        sec = l8.secondary(self.t, self.prefix, ROLE_LCORES[role], role,
                           ["--sample", "1000000"])
        self.expected_rc[sec] = {0}
        self.secs[role] = sec
        if not sec.wait_for("Ctrl-C to stop", 20):
            self.note(f"{role} secondary pid {sec.pid} did not attach: "
                      f"{sec.output()[-300:]!r}")
            return False
        return True

    def announced(self, role, pid, timeout=10):
        return self.prim.wait_for(f"secondary attached: {role}, pid {pid},", timeout)

    def role_gets_traffic(self, role, timeout=10):
        """After the primary announced this secondary: its role's counter rises.
        Only one process of the role is attached, so the rise is its work."""
        key = f"{role}_packets"
        base = self.tel.stats()
        if base is None:
            return False
        _, ok = self.tel.wait(lambda s: s[key] > base[key], timeout)
        return ok

    # -- phase 1: secondary kills under traffic ------------------------------

    def schedule(self, n):
        """Each block of four rounds is a shuffled (role x signal) set: even a
        short drill kills both roles with both signals."""
        combos = [(r, s) for r in ROLE_LCORES for s in SIGNALS]
        out = []
        while len(out) < n:
            block = combos[:]
            self.rng.shuffle(block)
            out += block
        return out[:n]

    def secondary_round(self, rnd, role, sig):
        sec = self.secs[role]
        delay = self.rng.uniform(0.0, MAX_DELAY_S)
        time.sleep(delay)
        before = self.tel.stats()
        self.sec_kills[(role, sig)] += 1
        sname = signal.Signals(sig).name
        sec.signal(sig)
        rc = sec.wait(10)
        self.expected_rc[sec] = {-signal.SIGKILL} if sig == signal.SIGKILL else {0}
        detail = f"round {rnd}: {role} pid {sec.pid} {sname} after {delay:.2f} s"
        if rc is None:
            self.note(f"{detail}: still running 10 s later")
            sec.kill()
            return
        if sig == signal.SIGKILL:
            ok_exit = rc == -signal.SIGKILL
            m = None
            if self.prim.wait_for(f"pid {sec.pid} (lcores", 10):
                m = next((m for m in DIED_RE.finditer(self.prim.output())
                          if int(m.group(2)) == sec.pid), None)
            if m is None:
                self.stranded_missing += 1
                self.note(f"{detail}: the primary did not report what it stranded")
                report = "no report"
            else:
                in_flight, cached = int(m.group(4)), int(m.group(5))
                self.stranded.append((rnd, role, in_flight, cached))
                report = f"stranded {in_flight} in flight + {cached} cached"
        else:
            ok_exit = (rc == 0 and "stopped;" in sec.output() and
                       self.prim.wait_for(f"secondary left: {role}, pid {sec.pid},", 10))
            report = "left cleanly" if ok_exit else "no clean leave"
        if ok_exit:
            self.sec_exit_ok += 1
        else:
            self.note(f"{detail}: exit code {rc}, {report}")

        # The primary carried on: same process, rx still counting.
        after, rose = self.tel.wait(
            lambda s: before is not None and s["rx_packets"] > before["rx_packets"], 10)
        if self.prim.proc.poll() is None and self.prim.pid == self.first_pid and rose:
            self.rx_rises += 1
            self.rx_last = after["rx_packets"]
        else:
            self.note(f"{detail}: primary rc={self.prim.proc.poll()}, rx "
                      f"{before and before['rx_packets']} -> {after and after['rx_packets']}")

        start = time.monotonic()
        if (self.start_secondary(role) and self.announced(role, self.secs[role].pid) and
                self.role_gets_traffic(role)):
            self.restarts_ok += 1
            self.restart_waits.append(time.monotonic() - start)
        else:
            self.note(f"{detail}: the restarted {role} secondary got no traffic")
        print(f"round {rnd:3d}: {role:10s} {sname:7s} after {delay:.2f} s: exit {rc}, "
              f"{report}; restarted as pid {self.secs[role].pid}", flush=True)

    # -- phase 2: primary kills -----------------------------------------------

    def prefix_files(self):
        run = glob.glob(os.path.join(labtest.RUNTIME_DIR, self.prefix, "*"))
        run += glob.glob(os.path.join(labtest.RUNTIME_DIR, self.prefix))
        huge = [f for mnt in labtest.hugetlbfs_mounts()
                for f in glob.glob(os.path.join(mnt, self.prefix + "map_*"))]
        return run, huge

    def primary_death(self, k, sig):
        sname = signal.Signals(sig).name
        self.tel.close()
        prim = self.prim
        self.expected_rc[prim] = {-signal.SIGKILL} if sig == signal.SIGKILL else {0}
        prim.signal(sig)
        # The 1 s starts when the primary is gone (SIGKILL) or says it stops (SIGINT):
        # tearing down a killed process can take longer on a shared CPU.
        if sig == signal.SIGINT:
            gone = prim.wait_for("stopping: secondaries are told", 10)
        else:
            gone = prim.wait(10) is not None
        if not gone:
            self.note(f"primary {sname} #{k}: did not stop or die within 10 s")
        start = time.monotonic()
        for role, sec in self.secs.items():
            rc = sec.wait(max(0.0, start + 5 - time.monotonic()))
            took = time.monotonic() - start
            self.expected_rc[sec] = {3}
            self.death_exits.append((sname, role, rc, took))
            if rc is None:
                sec.kill()
            print(f"primary {sname} #{k}: {role} secondary exit {rc} after {took:.2f} s",
                  flush=True)
        rc = prim.wait(10)
        if rc not in self.expected_rc[prim]:
            self.note(f"primary {sname} #{k}: exit code {rc}")
            if rc is None:
                prim.kill()

        # Its files are still there: a late secondary must not attach to them.
        run, huge = self.prefix_files()
        late = l8.secondary(self.t, self.prefix, "1", "enterprise", ["--quiet"])
        self.expected_rc[late] = set(range(1, 128))
        rc = late.wait(30)
        refused = rc is not None and 0 < rc < 128 and "is not running" in late.output()
        self.late_refused.append(refused)
        if rc is None:
            late.kill()
        if not refused:
            self.note(f"primary {sname} #{k}: late secondary rc={rc}: {late.output()[-300:]!r}")
        print(f"primary {sname} #{k}: stale files {len(run)} runtime + {len(huge)} hugepage; "
              f"late secondary {'refused' if refused else 'NOT refused'} (exit {rc})", flush=True)

        # A clean prefix, then everything again.
        labtest.remove_prefix(self.prefix)
        run, huge = self.prefix_files()
        if run or huge:
            self.note(f"primary {sname} #{k}: files left after cleaning: {run + huge}")
        self.start_generation(f"after primary {sname} #{k}")

    def start_generation(self, what):
        ok = self.start_primary()
        for role in ROLE_LCORES:
            ok = ok and self.start_secondary(role) and self.announced(role,
                                                                      self.secs[role].pid)
        ok = ok and all(self.role_gets_traffic(role) for role in ROLE_LCORES)
        if ok:
            self.generations_ok += 1
        else:
            self.note(f"{what}: primary and both secondaries not all up with traffic")
        return ok

    # -- the end -------------------------------------------------------------

    def stop_all(self):
        for role, sec in self.secs.items():
            rc = sec.stop(signal.SIGINT, timeout=10)
            if rc != 0:
                self.note(f"final stop: {role} secondary exit {rc}")
        if self.tel:
            self.tel.close()
        rc = self.prim.stop(signal.SIGINT, timeout=10)
        if rc != 0:
            self.note(f"final stop: primary exit {rc}")
        run, huge = self.prefix_files()
        self.files_left = (len(run), len(huge))
        labtest.remove_prefix(self.prefix)
        run, huge = self.prefix_files()
        self.files_after_clean = run + huge

    def crashes(self):
        """Processes ended other than by the drill's own signals, and crash
        lines in any output."""
        bad = []
        for p in self.t.procs:
            rc = p.proc.poll()
            name = os.path.basename(p.argv[0])
            if rc is None:
                bad.append(f"{name} pid {p.pid} still running")
                p.kill()
            elif rc not in self.expected_rc.get(p, {0}):
                bad.append(f"{name} pid {p.pid} exit {rc} ({p.log_path})")
            m = CRASH_RE.search(p.output())
            if m:
                bad.append(f"{name} pid {p.pid} printed '{m.group(0)}' ({p.log_path})")
        return bad

    def run(self):
        a = self.args
        print(f"lab 8 fault drill: seed {a.seed}, {a.rounds} rounds, {a.primary_restarts} "
              f"primary restarts; logs in {self.t.workdir}", flush=True)
        t0 = time.monotonic()
        if a.sase:
            self.sase_setup()
        if self.start_generation("first start"):
            s = self.tel.stats()
            self.rx_first = s and s["rx_packets"]
            self.first_pid = self.prim.pid
            for rnd, (role, sig) in enumerate(self.schedule(a.rounds), 1):
                self.secondary_round(rnd, role, sig)
            sigs = list(SIGNALS) * a.primary_restarts
            sigs = sigs[:a.primary_restarts]
            self.rng.shuffle(sigs)
            for k, sig in enumerate(sigs, 1):
                self.primary_death(k, sig)
            self.stop_all()
        else:
            for p in self.t.procs:
                if p.proc.poll() is None:
                    p.stop(signal.SIGINT, timeout=10)
            labtest.remove_prefix(self.prefix)
            self.files_after_clean = sum(self.prefix_files(), [])
        return self.summary(time.monotonic() - t0)

    def summary(self, elapsed):
        a = self.args
        rows = []

        def row(ok, what, detail):
            rows.append(("PASS" if ok else "FAIL", what, detail))

        kills = sum(self.sec_kills.values())
        row(self.rx_rises == a.rounds and self.rx_first is not None,
            "primary up through secondary kills",
            f"pid {self.first_pid or '-'} throughout; rx rose after "
            f"{self.rx_rises}/{a.rounds} kills ({self.rx_first} -> {self.rx_last})")
        waits = sorted(self.restart_waits)
        row(self.restarts_ok == a.rounds, "restarted secondaries get traffic",
            f"{self.restarts_ok}/{a.rounds}" + (f", slowest {waits[-1]:.2f} s, median "
                                                f"{waits[len(waits) // 2]:.2f} s" if waits else ""))
        by = ", ".join(f"{r[:3]} {signal.Signals(s).name} {n}"
                       for (r, s), n in self.sec_kills.items())
        row(self.sec_exit_ok == kills, "killed secondaries end as signalled",
            f"{self.sec_exit_ok}/{kills} ({by}); SIGINT: exit 0 + 'left' line")
        nk = sum(n for (_, s), n in self.sec_kills.items() if s == signal.SIGKILL)
        worst = max((f + c for _, _, f, c in self.stranded), default=0)
        over = [x for x in self.stranded if x[2] + x[3] > a.stranded_bound or x[2] > BURST]
        row(not over and not self.stranded_missing and len(self.stranded) == nk,
            f"mbufs stranded per SIGKILL <= {a.stranded_bound}",
            f"{len(self.stranded)}/{nk} reported; in flight max "
            f"{max((x[2] for x in self.stranded), default=0)} (<= {BURST}), cached max "
            f"{max((x[3] for x in self.stranded), default=0)}, sum max {worst}" +
            (f"; over: {over[:3]}" if over else ""))
        ok3 = [d for d in self.death_exits if d[2] == 3 and d[3] <= 1.0]
        slow = max((d[3] for d in self.death_exits), default=0)
        psigs = sorted({d[0] for d in self.death_exits})
        row(len(ok3) == len(self.death_exits) == 2 * a.primary_restarts,
            "primary killed: secondaries exit 3 <= 1 s",
            f"{len(ok3)}/{2 * a.primary_restarts} ({'+'.join(psigs) or '-'}), slowest {slow:.2f} s")
        row(sum(self.late_refused) == a.primary_restarts,
            "late secondary refuses dead primary",
            f"{sum(self.late_refused)}/{a.primary_restarts}")
        row(self.generations_ok == 1 + a.primary_restarts,
            "restart on a clean prefix, traffic to both",
            f"{self.generations_ok}/{1 + a.primary_restarts} generations")
        crashes = self.crashes()
        row(not crashes, "no crash, no sanitizer report",
            f"{len(self.t.procs)} processes" + (f"; {crashes[:3]}" if crashes else ""))
        left = self.files_left
        row(self.files_after_clean == [], "hugepage and runtime files gone",
            (f"DPDK left {left[0]} runtime + {left[1]} hugepage files, " if left else "") +
            f"{len(self.files_after_clean or [])} after cleaning")

        print(f"\nlab 8 fault drill summary: seed {a.seed}, {a.rounds} rounds, "
              f"{a.primary_restarts} primary restarts, {elapsed:.0f} s")
        w = max(len(r[1]) for r in rows)
        print(f"{'result':6s}  {'check':{w}s}  detail")
        for r in rows:
            print(f"{r[0]:6s}  {r[1]:{w}s}  {r[2]}")
        failed = [r for r in rows if r[0] == "FAIL"]
        if self.problems:
            print(f"\n{len(self.problems)} problem(s) seen:")
            for line in self.problems[:20]:
                print(f"  {line}")
        if failed:
            print(f"\nFAILED: {len(failed)} of {len(rows)} checks (logs: {self.t.workdir}; "
                  f"replay the choices with --seed {a.seed})")
            return 1
        print(f"\nall {len(rows)} checks passed")
        return 0


def main():
    args = parse_args()
    drill = Drill(args)
    drill.t.require_root()
    drill.t.require_hugepages()
    sys.exit(drill.run())


if __name__ == "__main__":
    main()
