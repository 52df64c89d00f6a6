# SPDX-License-Identifier: BSD-3-Clause
"""The multi-process claims (mp-*): experiments with lab8_primary,
lab8_secondary and the probes of claims/. Each claim_<id>(ctx) returns
{"measured": what was seen, "verdict": holds|wrong|partly|not-here,
 "evidence": the command a student runs to see it again}.

Every process gets a --file-prefix from ctx.prefix() (removed at exit), a
timeout, and is stopped here or by the harness. Verdicts are computed from
what the processes printed and returned; an experiment whose processes do
not start raises, which the runner reports as not-here with the reason."""

import glob
import os
import re
import signal
import subprocess
import time

import labtest

PROBE = "claims_probe"
STARTED = {"lab8_primary": "Ctrl-C to stop", "lab8_secondary": "Ctrl-C to stop",
           PROBE: "primary: ready"}

# What a student types (build/ is where ./scripts/check-claims.sh builds).
E_PRIM = ("build/lab8_multiprocess/lab8_primary -l 0 --no-pci --file-prefix=cl "
          "--vdev=net_null0 -- --no-status &")
E_PROBE_PRIM = ("build/claims/claims_probe -l 0 --no-pci --file-prefix=cl --vdev=net_null0 "
                "-- primary{} &")
E_SEC = "build/lab8_multiprocess/lab8_secondary {} --no-pci --proc-type=secondary --file-prefix=cl"
E_PROBE = "build/claims/claims_probe {} --no-pci --proc-type=secondary --file-prefix=cl -- {}"
E_END = "kill -INT %1; wait; ./scripts/labenv.sh clean cl"


def _tail(proc, n=600):
    return proc.output()[-n:].replace("\n", " | ")


def _start(ctx, prog, eal_args, app=(), what=None, timeout=15.0):
    """Starts prog and waits for its 'started' line; raises with its output otherwise."""
    proc = ctx.dpdk(prog, eal_args, app=list(app))
    if not proc.wait_for(STARTED[prog], timeout):
        rc = proc.wait(0.1)
        proc.kill()
        raise RuntimeError(f"{what or prog} did not start (rc={rc}): {_tail(proc)}")
    return proc


def _lab8_primary(ctx, prefix, lcores="0"):
    return _start(ctx, "lab8_primary", ctx.eal(lcores, prefix, proc_type="primary",
                                               vdevs=["net_null0"], extra=[labtest.BASE_VIRTADDR]),
                  ["--no-status"], "lab8_primary")


def _probe_primary(ctx, prefix, pool=False, vdevs=(), extra=()):
    return _start(ctx, PROBE, ctx.eal("0", prefix, proc_type="primary", vdevs=vdevs,
                                      extra=[labtest.BASE_VIRTADDR] + list(extra)),
                  ["primary"] + (["--pool"] if pool else []), "claims_probe primary")


def _lab8_secondary(ctx, prefix, lcores, app=("--quiet",)):
    return ctx.dpdk("lab8_secondary", ctx.eal(lcores, prefix, proc_type="secondary"),
                    app=["--role", "enterprise"] + list(app))


def _finish(proc, timeout=15.0):
    """Exit code and output of a process that should end by itself."""
    rc = proc.wait(timeout)
    if rc is None:
        out = _tail(proc)
        proc.kill()
        raise RuntimeError(f"{' '.join(proc.argv[:1])} still running after {timeout} s: {out}")
    return rc, proc.output()


def _probe(ctx, prefix, cmd, lcores="1", proc_type="secondary", extra=(), timeout=15.0):
    """Runs a probe subcommand to its end: (exit code, output)."""
    proc = ctx.dpdk(PROBE, ctx.eal(lcores, prefix, proc_type=proc_type, extra=extra),
                    app=[cmd])
    return _finish(proc, timeout)


def _line(pattern, text):
    """The first match of pattern (a regex) in text, as its groups; None if absent."""
    m = re.search(pattern, text, re.M)
    return m.groups() if m else None


def _eal_errors(text):
    """The EAL's own error lines (not its banner), joined."""
    skip = ("Detected", "Multi-process socket", "Selected IOVA", "No available 1048576")
    return "; ".join(line.strip() for line in text.splitlines()
                     if line.startswith("EAL:") and not any(s in line for s in skip))


def _rc_text(rc):
    if rc is None:
        return "still running"
    if rc < 0:
        return f"killed by {signal.Signals(-rc).name}"
    if rc >= 128 and rc - 128 in signal.valid_signals():
        return f"exit {rc} ({signal.Signals(rc - 128).name})"
    return f"exit {rc}"


def _stop_primary(proc):
    rc = proc.stop(signal.SIGINT, 5)
    return rc


# --- mp-secondary-segfaults ---------------------------------------------------------------

def _kill_primary_under(ctx, tag, watch):
    """lab8 primary + an enterprise secondary; kill -9 the primary; what the secondary does."""
    p = ctx.prefix(tag)
    prim = _lab8_primary(ctx, p)
    sec = _lab8_secondary(ctx, p, "1", ["--quiet"] + ([] if watch else ["--no-watch"]))
    if not sec.wait_for("Ctrl-C to stop", 15):
        raise RuntimeError(f"lab8_secondary did not attach: {_tail(sec)}")
    time.sleep(0.3)
    prim.signal(signal.SIGKILL)
    if prim.wait(10) is None:
        raise RuntimeError("the primary did not die of SIGKILL within 10 s")
    start = time.monotonic()
    rc = sec.wait(3.0)
    took = time.monotonic() - start
    left = (len(glob.glob(os.path.join(labtest.hugetlbfs_mounts()[0], p + "map_*")))
            if labtest.hugetlbfs_mounts() else 0)
    return p, sec, rc, took, left


def claim_mp_secondary_segfaults(ctx):
    _, sec, rc, _, left = _kill_primary_under(ctx, "segnw", watch=False)
    alive = rc is None
    stop_rc = sec.stop(signal.SIGINT, 10) if alive else rc
    counters = _line(r"stopped; (\d+) packets", sec.output())
    _, sec_w, rc_w, took_w, _ = _kill_primary_under(ctx, "segw", watch=True)
    if rc_w is None:
        sec_w.kill()
    why_w = _line(r"the primary (is gone|is stopping)", sec_w.output())
    sigsegv = rc is not None and rc in (-signal.SIGSEGV, -signal.SIGBUS, 139, 135)
    if alive:
        measured = (f"After kill -9 of the primary, a --no-watch secondary was still running "
                    f"3 s later (no segfault, no error; it kept polling the ring in the "
                    f"stale hugepage mapping: {left} map files of the prefix were still in "
                    f"hugetlbfs) and on Ctrl-C it ended with {_rc_text(stop_rc)}"
                    + (f" (it had processed {counters[0]} packets)" if counters else "") + ". "
                    f"With the lab's watch on it left by itself with {_rc_text(rc_w)} "
                    f"{took_w:.2f} s after the kill"
                    + (f" ('the primary {why_w[0]}')" if why_w else "") + ". The kernel "
                    "keeps mapped pages alive: the crash comes only later, e.g. when a new "
                    "primary re-initialises the same prefix (docs/lab8.md).")
        verdict = "wrong"
    else:
        measured = (f"After kill -9 of the primary, the --no-watch secondary died: "
                    f"{_rc_text(rc)} within 3 s. With the lab's watch on: {_rc_text(rc_w)}.")
        verdict = "holds" if sigsegv else "partly"
    return {"measured": measured, "verdict": verdict,
            "evidence": f"{E_PRIM} sleep 2; {E_SEC.format('-l 1')} -- --role enterprise "
                        "--quiet --no-watch & sleep 1; kill -9 %1; sleep 3; jobs; "
                        "kill -INT %2; wait %2; echo $?; ./scripts/labenv.sh clean cl"}


# --- mp-shm-files ------------------------------------------------------------------------

def claim_mp_shm_files(ctx):
    p = ctx.prefix("shm")
    prim = _lab8_primary(ctx, p)
    shm = sorted(n for n in os.listdir("/dev/shm") if p in n) if os.path.isdir("/dev/shm") \
        else None
    run_dir = os.path.join(labtest.RUNTIME_DIR, p)
    runtime = sorted(os.listdir(run_dir)) if os.path.isdir(run_dir) else []
    huge = {m: sorted(os.path.basename(f) for f in glob.glob(os.path.join(m, p + "*")))
            for m in labtest.hugetlbfs_mounts()}
    _stop_primary(prim)
    if shm is None:
        raise RuntimeError("this machine has no /dev/shm")
    # The telemetry socket and the per-process mp sockets vary; name the shared-memory files.
    files = ", ".join(n for n in runtime if not n.startswith("mp_socket_"))
    huge_txt = "; ".join(f"{len(v)} files in {m} ({v[0]} ...)" for m, v in huge.items() if v)
    measured = (f"With lab8_primary on --file-prefix=P: /dev/shm holds "
                f"{len(shm)} file(s) with P in the name"
                + (f" ({', '.join(shm)})" if shm else "") +
                f"; the prefix names the folder /var/run/dpdk/P/ ({files}) and the hugepage "
                f"files: {huge_txt or 'none'}. The course's /dev/shm/sase_config is neither "
                f"(DPDK 17.11's source named /var/run/.P_config).")
    if not shm and "config" in runtime and huge_txt:
        verdict = "wrong"
    elif shm:
        verdict = "holds"
    else:
        raise RuntimeError(f"no runtime files seen for the prefix: {runtime} {huge}")
    return {"measured": measured, "verdict": verdict,
            "evidence": f"{E_PRIM} sleep 2; ls /dev/shm | grep cl; ls /var/run/dpdk/cl; "
                        f"ls /dev/hugepages | grep '^cl'; {E_END}"}


# --- mp-prefix-mismatch ------------------------------------------------------------------

def claim_mp_prefix_mismatch(ctx):
    p = ctx.prefix("pm")
    other = ctx.prefix("pmother")
    prim = _probe_primary(ctx, p)
    rc_s, out_s = _finish(_lab8_secondary(ctx, other, "1"))
    eal_s = _eal_errors(out_s)
    rc_a, out_a = _probe(ctx, other, "attach", proc_type="auto")
    kind = _line(r"attach: process=(\w+)", out_a)
    found = "memzone CLAIMS_MZ found" in out_a
    rc_ok, out_ok = _probe(ctx, p, "attach")
    _stop_primary(prim)
    ok = rc_ok == 0 and "memzone CLAIMS_MZ found" in out_ok
    if not ok:
        raise RuntimeError(f"the control secondary on the right prefix did not attach: "
                           f"{out_ok[-400:]}")
    refused = rc_s != 0 and "Ctrl-C to stop" not in out_s
    measured = (f"With a primary on prefix A, a secondary on prefix B "
                f"(--proc-type=secondary) is refused by the EAL itself in rte_eal_init, "
                f"before any lookup: {_rc_text(rc_s)}, '{eal_s}'. With --proc-type=auto on "
                f"B it starts as a {kind[0] if kind else '?'} of a new, empty B and finds "
                f"{'the memzone' if found else 'no CLAIMS_MZ'} ({_rc_text(rc_a)}). The same "
                f"secondary on A attaches. So 'maps an empty file and finds nothing' is what "
                f"--proc-type=auto does; a plain secondary never gets that far.")
    # "Fails to start" is what a secondary does; "maps an empty file" only what auto does.
    verdict = "partly" if refused else "wrong"
    return {"measured": measured, "verdict": verdict,
            "evidence": f"{E_PROBE_PRIM.format('')} sleep 2; "
                        "build/lab8_multiprocess/lab8_secondary -l 1 --no-pci "
                        "--proc-type=secondary --file-prefix=other -- --role enterprise; "
                        "echo $?; build/claims/claims_probe -l 1 --no-pci --proc-type=auto "
                        f"--file-prefix=other -- attach; {E_END} other"}


# --- mp-raw-pointers ---------------------------------------------------------------------

def _ring_of_mbuf_pointers(ctx):
    """lab8: the secondary dequeues the primary's mbuf pointers and reads the packets."""
    p = ctx.prefix("ring")
    prim = _lab8_primary(ctx, p)
    sec = _lab8_secondary(ctx, p, "1")
    if not sec.wait_for("Ctrl-C to stop", 15):
        raise RuntimeError(f"lab8_secondary did not attach: {_tail(sec)}")
    time.sleep(1.0)
    rc = sec.stop(signal.SIGINT, 10)
    _stop_primary(prim)
    got = _line(r"stopped; (\d+) packets", sec.output())
    return int(got[0]) if got and rc == 0 else None


def claim_mp_raw_pointers(ctx):
    p = ctx.prefix("ptr")
    prim = _probe_primary(ctx, p)
    rc, out = _probe(ctx, p, "pointers")
    _stop_primary(prim)
    if rc != 0:
        raise RuntimeError(f"claims_probe pointers: {_rc_text(rc)}: {out[-400:]}")
    dpdk = _line(r'^pointer rte_malloc: (\S+) in_dpdk_memory=(\w+)(?: text="([^"]*)")?', out)
    priv = {k: _line(rf"^pointer {k}: (\S+) in_dpdk_memory=(\w+)(?: this_process=(\S+))?", out)
            for k in ("malloc", "static", "function")}
    if dpdk is None or None in priv.values():
        raise RuntimeError(f"claims_probe pointers printed no result: {out[-400:]}")
    mbufs = _ring_of_mbuf_pointers(ctx)
    shared_ok = dpdk[1] == "yes" and (dpdk[2] or "").startswith("rte_malloc text of primary")
    private = [k for k, v in priv.items() if v[1] == "no"]
    moved = [k for k in ("static", "function") if priv[k][2] and priv[k][2] != priv[k][0]]
    measured = (f"The primary stored 4 raw pointers in a memzone. In the secondary, its "
                f"rte_malloc pointer {dpdk[0]} is in DPDK memory and reads "
                f"\"{dpdk[2]}\"; its malloc() ({priv['malloc'][0]}), static variable and "
                f"function addresses are {'not ' if len(private) == 3 else ''}in DPDK memory"
                + (f", and the static variable and function sit elsewhere in the secondary "
                   f"(PIE + ASLR: {priv['static'][0]} vs {priv['static'][2]})" if moved else "")
                + ". lab8's rings of raw mbuf pointers work across processes too: "
                + (f"the secondary processed {mbufs} mbufs in about 1 s." if mbufs else
                   "(the lab8 run did not report its count).")
                + " True for process-private memory, false for hugepage memory.")
    if shared_ok and len(private) == 3:
        verdict = "partly"
    elif not shared_ok and len(private) == 3:
        verdict = "holds"
    else:
        verdict = "wrong"
    return {"measured": measured, "verdict": verdict,
            "evidence": f"{E_PROBE_PRIM.format('')} sleep 2; {E_PROBE.format('-l 1', 'pointers')}"
                        f"; {E_END}"}


# --- mp-heap-per-process -----------------------------------------------------------------

def claim_mp_heap_per_process(ctx):
    p = ctx.prefix("heap")
    prim = _probe_primary(ctx, p)
    rc, out = _probe(ctx, p, "heap")
    prim_seen = prim.wait_for("primary: read the secondary's rte_malloc buffer", 3)
    _stop_primary(prim)
    pout = prim.output()
    if rc != 0:
        raise RuntimeError(f"claims_probe heap: {_rc_text(rc)}: {out[-400:]}")
    read = _line(r'heap: the primary\'s rte_malloc buffer (\S+) reads "([^"]*)"', out)
    alloc = _line(r"heap: secondary rte_malloc\((\d+)\) = (\S+) in_dpdk_memory=(\w+); "
                  r"socket (-?\d+) heap_allocsz_bytes before=(\d+) after=(\d+)", out)
    pview = _line(r'primary: read the secondary\'s rte_malloc buffer (\S+): "([^"]*)"; '
                  r'in DPDK memory: (\w+); socket (-?\d+) heap_allocsz_bytes=(\d+)', pout)
    if read is None or alloc is None:
        raise RuntimeError(f"claims_probe heap printed no result: {out[-400:]}")
    grew = int(alloc[5]) - int(alloc[4])
    same = pview is not None and pview[4] == alloc[5]
    measured = (f"The secondary read the primary's rte_malloc buffer (\"{read[1]}\"). "
                f"The secondary's rte_malloc({alloc[0]}) at {alloc[1]} (hugepage memory: "
                f"{alloc[2]}) raised socket {alloc[3]}'s heap_allocsz_bytes from {alloc[4]} "
                f"to {alloc[5]} (+{grew})"
                + (f", the primary read that same counter as {pview[4]} and the text "
                   f"\"{pview[1]}\" from the secondary's buffer" if pview else
                   ", but the primary did not report reading it") +
                ": one heap in shared memory, not one per process.")
    if prim_seen and same and read[1].startswith("rte_malloc text of primary"):
        verdict = "wrong"
    elif not read[1]:
        verdict = "holds"
    else:
        verdict = "partly"
    return {"measured": measured, "verdict": verdict,
            "evidence": f"{E_PROBE_PRIM.format('')} sleep 2; {E_PROBE.format('-l 1', 'heap')}"
                        f"; {E_END}"}


# --- mp-socket-mem-match -----------------------------------------------------------------

def _huge_files(prefix):
    return sum(len(glob.glob(os.path.join(m, prefix + "map_*")))
               for m in labtest.hugetlbfs_mounts())


def claim_mp_socket_mem_match(ctx):
    p = ctx.prefix("sm")
    prim = _probe_primary(ctx, p, extra=["--socket-mem=256"])
    pages = _huge_files(p)
    results = []
    for mem in ("--socket-mem=64", None, "--socket-mem=512"):
        rc, out = _probe(ctx, p, "attach", extra=[mem] if mem else [])
        results.append((mem or "no --socket-mem", rc == 0 and "CLAIMS_MZ found" in out,
                        _rc_text(rc), _eal_errors(out)))
    after = _huge_files(p)
    _stop_primary(prim)
    attached = [r for r in results if r[1]]
    desc = "; ".join(f"{r[0]}: {'attached, read the primary' if r[1] else 'failed'} "
                     f"({r[2]}{', ' + r[3] if r[3] and not r[1] else ''})" for r in results)
    measured = (f"Primary with --socket-mem=256 ({pages} hugepage files of its prefix). "
                f"Secondaries: {desc}; the prefix still had {after} hugepage files. A 22.11 "
                f"secondary parses --socket-mem but never uses it: it maps the primary's "
                f"memory (rte_eal_hugepage_attach() in lib/eal/linux/eal_memory.c; only the "
                f"primary's eal_dynmem_hugepage_init() reads socket_mem).")
    if len(attached) == len(results):
        verdict = "wrong"
    elif not attached:
        verdict = "holds"
    else:
        verdict = "partly"
    return {"measured": measured, "verdict": verdict,
            "evidence": "build/claims/claims_probe -l 0 --no-pci --file-prefix=cl "
                        "--socket-mem=256 -- primary & sleep 2; "
                        + E_PROBE.format("-l 1 --socket-mem=64", "attach") + f"; {E_END}"}


# --- mp-version-mismatch -----------------------------------------------------------------

DPDK24_SECONDARY = "build-dpdk24/lab8_multiprocess/lab8_secondary"


def _dpdk24_secondary(ctx):
    """The 24.11 lab8_secondary, built in the Debian 13 root if needed: (path, why not)."""
    labenv = os.path.join(ctx.source, "scripts", "labenv.sh")
    res = ctx.run([labenv, "dpdk24", "check"], timeout=30, cwd=ctx.source)
    if res.returncode != 0:
        said = (res.stdout + res.stderr).strip()
        fix = "" if "dpdk24 setup" in said else " (./scripts/labenv.sh dpdk24 setup makes the root)"
        return None, f"cannot run a DPDK 24.11 secondary here: {said}{fix}"
    version = _line(r"\(DPDK ([\d.]+)\)", res.stdout)
    build = ("test -f build-dpdk24/build.ninja || meson setup build-dpdk24 >/dev/null; "
             "ninja -C build-dpdk24 lab8_multiprocess/lab8_secondary >/dev/null")
    try:
        res = ctx.run([labenv, "dpdk24", "run", "--", "bash", "-c", build], timeout=50,
                      cwd=ctx.source)
    except subprocess.TimeoutExpired:
        return None, "building the 24.11 lab8_secondary took over 50 s (run check-claims again)"
    if res.returncode != 0:
        raise RuntimeError(f"building the 24.11 lab8_secondary failed: {res.stderr[-400:]}")
    return (version[0] if version else "24.11"), None


def claim_mp_version_mismatch(ctx):
    ev = (f"{E_PRIM} sleep 2; ./scripts/labenv.sh dpdk24 run -- {DPDK24_SECONDARY} -l 1 "
          f"--no-pci --proc-type=secondary --file-prefix=cl -- --role enterprise; echo $?; "
          f"{E_END}")
    version, why = _dpdk24_secondary(ctx)
    if why:
        return {"measured": why, "verdict": "not-here", "evidence": ev}
    p = ctx.prefix("ver")
    prim = _lab8_primary(ctx, p)
    labenv = os.path.join(ctx.source, "scripts", "labenv.sh")
    eal = ctx.eal("1", p, proc_type="secondary")
    # labenv binds the working folder into the root: run it from the project folder.
    sec = labtest.DpdkProcess(ctx, ["/usr/bin/env", "-C", ctx.source, labenv, "dpdk24", "run",
                                    "--", os.path.join(ctx.source, DPDK24_SECONDARY)] + eal
                              + ["--", "--role", "enterprise", "--quiet"])
    rc = sec.wait(15)
    out = sec.output()
    if rc is None:
        sec.kill()
    prim_alive = prim.proc.poll() is None
    _stop_primary(prim)
    attached = "Ctrl-C to stop" in out
    eal_err = _eal_errors(out)
    measured = (f"A DPDK {ctx.dpdk_version} lab8_primary and a DPDK {version} lab8_secondary "
                f"(Debian 13 root) on one prefix: the secondary "
                + ("attached" if attached else f"was refused: {_rc_text(rc)}, '{eal_err}'")
                + f"; the primary {'kept running' if prim_alive else 'died'}. The EAL compares "
                "the RTE_VERSION the primary wrote into the shared config with its own "
                "(eal_mcfg_check_version()), so any other release is refused at start.")
    if attached:
        verdict = "wrong"
    elif rc is not None and rc != 0:
        verdict = "holds"
    else:
        raise RuntimeError(f"the 24.11 secondary neither attached nor exited: {out[-400:]}")
    return {"measured": measured, "verdict": verdict, "evidence": ev}


# --- mp-secondary-no-configure -----------------------------------------------------------

def _configure_rets(out):
    conf = _line(r"configure: rte_eth_dev_configure\(0, 1, 1\): ret=(-?\d+) \(([^)]*)\)", out)
    start = _line(r"configure: rte_eth_dev_start\(0\): ret=(-?\d+) \(([^)]*)\)", out)
    link = _line(r"configure: link (\w+) afterwards", out)
    if conf is None or start is None:
        raise RuntimeError(f"claims_probe configure printed no result: {out[-400:]}")
    return conf, start, link


def claim_mp_secondary_no_configure(ctx):
    p = ctx.prefix("cfgstarted")
    prim = _lab8_primary(ctx, p)
    _, out = _probe(ctx, p, "configure")
    _stop_primary(prim)
    a_conf, a_start, _ = _configure_rets(out)
    p = ctx.prefix("cfgfresh")
    prim = _probe_primary(ctx, p, vdevs=["net_null0"])
    _, out = _probe(ctx, p, "configure")
    _stop_primary(prim)
    b_conf, b_start, b_link = _configure_rets(out)
    measured = (f"In a secondary, on lab8's started net_null0 port: rte_eth_dev_configure = "
                f"{a_conf[0]} ({a_conf[1]}), rte_eth_dev_start = {a_start[0]} ({a_start[1]}: "
                f"'already started'). On a port the primary probed but never configured: "
                f"configure = {b_conf[0]} ({b_conf[1]}), start = {b_start[0]} ({b_start[1]})"
                + (f", link {b_link[0]}" if b_link else "") + ". 22.11's ethdev has no "
                "process-type check: configure is refused only while the port is started, "
                "as it is for the primary. Don't do it (the primary owns the port), but the "
                "API does not stop you.")
    if int(b_conf[0]) == 0 and int(b_start[0]) == 0:
        verdict = "wrong"
    elif int(b_conf[0]) < 0 and int(a_conf[0]) < 0:
        verdict = "holds"
    else:
        verdict = "partly"
    return {"measured": measured, "verdict": verdict,
            "evidence": f"{E_PRIM} sleep 2; {E_PROBE.format('-l 1', 'configure')}; {E_END}; "
                        f"{E_PROBE_PRIM.format('')} sleep 2; "
                        f"{E_PROBE.format('-l 1', 'configure')}; {E_END}"}


# --- mp-pool-create-eexist ---------------------------------------------------------------

def claim_mp_pool_create_eexist(ctx):
    p = ctx.prefix("pool")
    prim = _lab8_primary(ctx, p)
    rc, out = _probe(ctx, p, "pool-create")
    _stop_primary(prim)
    lookup = _line(r"rte_mempool_lookup\(MBUF_POOL\) = (\S+)", out)
    same = _line(r"rte_pktmbuf_pool_create\(MBUF_POOL\) = (NULL|a pool) rte_errno=(\d+) "
                 r"\(([^)]*)\)", out)
    fresh = _line(r"rte_pktmbuf_pool_create\(CLAIMS_SEC_POOL\) = (NULL|a pool) rte_errno=(\d+)"
                  r" \(([^)]*)\)", out)
    if same is None or fresh is None:
        raise RuntimeError(f"claims_probe pool-create: {_rc_text(rc)}: {out[-400:]}")
    measured = (f"With lab8_primary running, a secondary's rte_pktmbuf_pool_create(\"MBUF_POOL\")"
                f" returned {same[0]}, rte_errno={same[1]} ({same[2]}); rte_mempool_lookup "
                f"found it ({lookup[0] if lookup else '?'}). The same call with a free name "
                f"returned {fresh[0]}"
                + (f" (rte_errno {fresh[1]})" if fresh[0] == "NULL" else
                   ": a secondary may create pools, the name is what collides") + ".")
    if same[0] == "NULL" and int(same[1]) == 17:
        verdict = "holds"
    elif same[0] == "NULL":
        verdict = "partly"
    else:
        verdict = "wrong"
    return {"measured": measured, "verdict": verdict,
            "evidence": f"{E_PRIM} sleep 2; {E_PROBE.format('-l 1', 'pool-create')}; {E_END}"}


# --- mp-secondary-no-allow-list ----------------------------------------------------------

def claim_mp_secondary_no_allow_list(ctx):
    p = ctx.prefix("allow")
    prim = _lab8_primary(ctx, p)
    rc, out = _probe(ctx, p, "ports")
    _stop_primary(prim)
    count = _line(r"ports: process=secondary count_avail=(\d+)", out)
    port = _line(r"ports: port 0 name=(\S+) driver=(\S+)", out)
    if count is None:
        raise RuntimeError(f"claims_probe ports: {_rc_text(rc)}: {out[-400:]}")
    seen = int(count[0]) > 0 and port is not None
    measured = (f"A secondary started with --no-pci and no --vdev/-a saw "
                f"{count[0]} port(s)" + (f", port 0 = {port[0]} ({port[1]}), the primary's "
                                         f"--vdev" if port else "") +
                ": its EAL asks the primary for the vdev list. Holds for a virtual device; "
                "a PCI port is not observable here (no PCI NIC may be used on this machine): "
                "that needs the emulated server's NIC (issue 13), where a secondary probes "
                "the device itself and so must scan PCI (no --no-pci; not measured).")
    verdict = "partly" if seen else "wrong"
    return {"measured": measured, "verdict": verdict,
            "evidence": f"{E_PRIM} sleep 2; {E_PROBE.format('-l 1', 'ports')}; {E_END}"}


# --- mp-lcores-no-overlap ----------------------------------------------------------------

def claim_mp_lcores_no_overlap(ctx):
    p = ctx.prefix("lcore")
    prim = _lab8_primary(ctx, p, lcores="0")
    rc_same, out_same = _finish(_lab8_secondary(ctx, p, "0"))
    refusal = _line(r"(lcore id 0 is already used by the primary[^:]*)", out_same)
    rc_probe, out_probe = _probe(ctx, p, "lcore", lcores="0")
    accepted = "lcore: EAL accepted, process=secondary lcore id 0" in out_probe
    cache = _line(r"cache for lcore id 0 at (\S+) held (\d+)-(\d+) mbufs", out_probe)
    fresh = _lab8_secondary(ctx, p, "2@0")
    fresh_ok = fresh.wait_for("Ctrl-C to stop", 15)
    if fresh_ok:
        time.sleep(0.5)
    rc_fresh = fresh.stop(signal.SIGINT, 10)
    got = _line(r"stopped; (\d+) packets", fresh.output())
    _stop_primary(prim)
    if not accepted:
        raise RuntimeError(f"claims_probe lcore -l 0: {_rc_text(rc_probe)}: {out_probe[-400:]}")
    measured = (f"Primary on -l 0. lab8_secondary -l 0: {_rc_text(rc_same)}, "
                + (f"'{refusal[0]}' (the lab's own check)" if refusal else
                   "no refusal from the lab") +
                "; DPDK itself accepts it: a probe secondary on -l 0 started, and lcore id "
                f"0's MBUF_POOL cache it reads"
                + (f" ({cache[0]}) held {cache[1]}-{cache[2]} of the primary's mbufs without "
                   "it taking any" if cache else "") +
                " - the same per-lcore cache, unlocked, in two processes. "
                f"lab8_secondary --lcores=2@0 (fresh lcore id 2 on the primary's CPU 0) "
                + (f"ran and processed {got[0]} packets ({_rc_text(rc_fresh)})" if fresh_ok
                   and got else f"failed ({_rc_text(rc_fresh)})") +
                ". It is lcore ids that must not overlap (mempool caches are indexed by "
                "them), not CPUs, and DPDK does not enforce it.")
    if fresh_ok and got:
        verdict = "partly"
    else:
        verdict = "holds"
    return {"measured": measured, "verdict": verdict,
            "evidence": f"{E_PRIM} sleep 2; {E_SEC.format('-l 0')} -- --role enterprise; "
                        f"{E_PROBE.format('-l 0', 'lcore')}; {E_SEC.format('--lcores=2@0')} "
                        f"-- --role enterprise --quiet & sleep 2; kill -INT %2; {E_END}"}
