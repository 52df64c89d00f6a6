#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Bad input everywhere (issue 7, part 4): every program, each of its options
with a missing value, a non-number, a negative and a huge number, a number
just past its maximum, an unknown name and an unreadable (or unwritable)
file. Each row must be refused with ONE line naming the option (the EAL's own
lines and the start-up banner aside), a non-zero exit, and no crash: no
signal, no "Segmentation fault", no sanitizer report.

lab8_secondary reads its options only after attaching to a primary, so its
rows run against a live lab8_primary (hugepages needed; they skip without).
Each program's --help is read too: an option it lists with no row here fails
the test, so a new option cannot slip past the table.

    /usr/bin/python3 tests/hardening/test_bad_input.py [PROGRAM...]
"""

import concurrent.futures
import os
import re
import sys

import labtest

t = labtest.Test("bad_input")
only = set(sys.argv[1:])

# DPDK's vdev bus leaks one entry in every secondary (DPDK 22.11): not ours.
# Suppressed leaks are not listed either: that table is not the program's answer.
_SUPP = os.path.join(labtest.source_dir(), "tests", "lab8", "lsan.supp")
os.environ["LSAN_OPTIONS"] = ":".join(filter(None, [
    os.environ.get("LSAN_OPTIONS", ""), "print_suppressions=0",
    f"suppressions={_SUPP}" if os.path.exists(_SUPP) else ""]))

U64_OVERFLOW = "18446744073709551616"   # 2^64: strtoull overflows
NOFILE = "/nonexistent/bad_input/file"   # no such folder: cannot be read or written
ADIR = "/"                               # a folder: opens for reading on Linux, reads fail

# Lines that are not the program's answer: the EAL's, and lab_eal_init's banner.
NOISE = re.compile(r"^(EAL|TELEMETRY): |^\S+: (primary|secondary) process, file prefix |"
                   r"^\S+: capture: ")
CRASH = re.compile(r"Segmentation fault|AddressSanitizer|LeakSanitizer|runtime error:|"
                   r"Aborted|core dumped|stack smashing|double free")


def number_rows(opt, maximum):
    return [
        (opt, "missing value", [opt]),
        (opt, "not a number", [opt, "abc"]),
        (opt, "negative", [opt, "-1"]),
        (opt, "huge", [opt, U64_OVERFLOW]),
        (opt, "past its maximum", [opt, str(maximum + 1)]),
        (opt, "number with trailing junk", [opt, "12x"]),
    ]


def name_rows(opt):
    return [
        (opt, "missing value", [opt]),
        (opt, "unknown name", [opt, "bogus"]),
        (opt, "empty", [opt, ""]),
    ]


def in_file_rows(opt):
    return [
        (opt, "missing value", [opt]),
        (opt, "nonexistent file", [opt, NOFILE]),
        (opt, "a folder, not a file", [opt, ADIR]),
    ]


def out_file_rows(opt):
    return [
        (opt, "missing value", [opt]),
        (opt, "unwritable file", [opt, NOFILE]),
        (opt, "a folder, not a file", [opt, ADIR]),
    ]


def common_rows():
    return [
        ("--bogus", "unknown option", ["--bogus"]),
        ("stray", "unexpected argument", ["stray"]),
    ]


PROGRAMS = {
    "lab8_primary": {
        "vdevs": ["net_null0"],
        "flags": ["--no-status"],
        "rows": number_rows("--port", 31) + [("--port", "nonexistent port", ["--port", "5"])] +
        number_rows("--rxq", 16) +
        number_rows("--ring-size", 65536) + number_rows("--mbufs", 1048576) +
        in_file_rows("--policy") + in_file_rows("--rules") + name_rows("--fallback") +
        common_rows(),
    },
    "lab8_secondary": {
        "secondary": True,
        # --role comes first so every other row reaches the option it tests.
        "base": ["--role", "enterprise", "--quiet"],
        "flags": ["--quiet", "--no-watch"],
        "rows": name_rows("--role") + number_rows("--sample", 4294967295) + [
            ("--queues", "missing value", ["--queues"]),
            ("--queues", "not a number", ["--queues", "a-b"]),
            ("--queues", "negative", ["--queues", "-1"]),
            ("--queues", "huge", ["--queues", f"0-{U64_OVERFLOW}"]),
            ("--queues", "past its maximum", ["--queues", "0-16"]),
            ("--queues", "reversed range", ["--queues", "3-1"]),
        ] + common_rows(),
    },
    "lab9_flow_classifier": {
        "vdevs": ["net_null0"],
        "base": ["--fallback", "software", "--duration", "1"],
        "flags": ["--interactive", "--probe"],
        "rows": name_rows("--fallback") + name_rows("--matcher") + number_rows("--port", 31) +
        [("--port", "nonexistent port", ["--port", "5"])] +
        number_rows("--duration", 86400) + number_rows("--bench", 3600) +
        number_rows("--rxq", 8) + [("--rxq", "below its minimum", ["--rxq", "1"])] +
        in_file_rows("--rules") + out_file_rows("--report") + [
            ("--rule", "missing value", ["--rule"]),
            # A syntax error shows the rule with a caret under the word: 3 lines.
            ("--rule", "unknown name",
             ["--rule", "ingress pattern bogus / end actions drop / end"]),
        ] + common_rows(),
    },
    "numa_check": {
        "flags": ["--strict", "--wrong-socket", "--latency", "--sweep", "--self-test"],
        "rows": number_rows("--buffer-mib", 65536) + number_rows("--reps", 1000) +
        number_rows("--loads", 10000000000) + number_rows("--queues", 64) +
        in_file_rows("--topology") + out_file_rows("--json") + [
            ("--pollers", "missing value", ["--pollers"]),
            ("--pollers", "not a number", ["--pollers", "a:b"]),
            ("--pollers", "negative", ["--pollers", "-1:0"]),
            ("--pollers", "huge", ["--pollers", f"0:{U64_OVERFLOW}"]),
            ("--pollers", "past its maximum", ["--pollers", "0:128"]),
            ("--pollers", "not PORT:LCORES", ["--pollers", "0"]),
            ("--pollers", "nonexistent port", ["--pollers", "5:0"]),
        ] + common_rows(),
    },
    "false_sharing_bench": {
        "flags": ["--stride-sweep"],
        "rows": name_rows("--layouts") + name_rows("--op") +
        number_rows("--iterations", 1000000000) + number_rows("--repeat", 1000) +
        [("--iterations", "below its minimum", ["--iterations", "9"])] +
        number_rows("--max-spread", 1000) +
        out_file_rows("--csv") + out_file_rows("--json") + common_rows(),
    },
}

# Rows whose answer is more than one line by design.
MULTI_LINE_OK = {("lab9_flow_classifier", "--rule", "unknown name"): 3}
# A port that does not exist is found after the EAL probed the devices, by
# common/ code that names the port rather than the option.
NAMED_AS = {"nonexistent port": "port 5 does not exist"}


def answer_lines(output):
    return [line for line in output.splitlines() if line.strip() and not NOISE.search(line)]


def judge(prog, opt, what, argv, rc, output):
    """None when the row passes, else why not."""
    lines = answer_lines(output)
    allowed = MULTI_LINE_OK.get((prog, opt, what), 1)
    naming = [line for line in lines if NAMED_AS.get(what, opt) in line]
    if rc is None:
        return "still running after the timeout (the bad value was taken?)"
    if CRASH.search(output) or labtest_crashed(rc):
        return f"crashed (exit {rc})"
    if rc == 0:
        return "exit 0"
    if not naming:
        return f"no line names {NAMED_AS.get(what, opt)!r}"
    if len(lines) > allowed:
        return f"{len(lines)} lines, not {allowed}"
    return None


def labtest_crashed(rc):
    return rc < 0 or rc >= 128


def run_row(prog, spec, prefix, opt, what, args):
    eal = ["--no-pci", f"--file-prefix={prefix}"]
    if spec.get("secondary"):
        eal += ["-l", "1", "--proc-type=secondary"]
    else:
        eal += ["-l", "0", "--no-huge", "-m", "64"] + [f"--vdev={v}" for v in spec.get("vdevs", [])]
    argv = [labtest.program(prog)] + eal + ["--"] + spec.get("base", []) + args
    try:
        res = t.run(argv, timeout=30)
        rc, out = res.returncode, res.stdout + res.stderr
    except Exception as e:  # subprocess.TimeoutExpired
        rc, out = None, str(e)
    finally:
        if not spec.get("secondary"):
            labtest.remove_prefix(prefix)
    return rc, out, argv


# EAL options a --help text may mention; the EAL checks those itself.
EAL_OPTIONS = {"--file-prefix", "--proc-type", "--lcores", "--vdev", "--no-pci", "--no-huge",
               "--in-memory", "--base-virtaddr", "--log-level", "--socket-mem"}


def check_help_covered(prog, spec, out):
    """Every option --help lists has rows here (or is a flag), and the reverse."""
    listed = set(re.findall(r"(?<![\w-])--[a-z][a-z0-9-]*", "\n".join(answer_lines(out))))
    listed -= EAL_OPTIONS | {"--help"}
    tested = {opt for opt, _, _ in spec["rows"] if opt.startswith("--") and opt != "--bogus"}
    flags = set(spec.get("flags", []))
    t.check(listed and listed <= tested | flags, f"{prog}: every option its --help lists has rows",
            f"no rows for {sorted(listed - tested - flags)} (a new option? add it to PROGRAMS)")
    t.check(tested | flags <= listed, f"{prog}: --help lists every option tested here",
            f"not in --help: {sorted((tested | flags) - listed)}")


def start_primary():
    """A lab8_primary for the secondary's rows; None (with a skip line) when impossible."""
    if not labtest.hugetlbfs_mounts() or labtest.hugepages_free() < 64:
        print("SKIP lab8_secondary rows: no hugepages (./scripts/labenv.sh hugepages)")
        return None, None
    p = t.prefix("prim")
    prim = t.dpdk("lab8_primary", t.eal("0", p, proc_type="primary", vdevs=["net_null0"],
                                        extra=[labtest.BASE_VIRTADDR]),
                  app=["--no-status"])
    if not prim.wait_for("Ctrl-C to stop", 30):
        t.check(False, "lab8_primary started for the secondary's rows", prim.output()[-1500:])
        return None, None
    return prim, p


jobs = []
for prog, spec in PROGRAMS.items():
    if only and prog not in only:
        continue
    prefix = None
    if spec.get("secondary"):
        prim, prefix = start_primary()
        if prim is None:
            continue
    jobs.append((prog, spec, prefix or t.prefix(f"{prog[:6]}h"), "--help", "help", ["--help"]))
    for i, (opt, what, args) in enumerate(spec["rows"]):
        jobs.append((prog, spec, prefix or t.prefix(f"{prog[:6]}{i}"), opt, what, args))

failed = []
# Processes with their own prefixes and no hugepages run side by side; the
# secondaries attach one at a time (the primary's slots).
with concurrent.futures.ThreadPoolExecutor(max_workers=3) as pool:
    futures = [pool.submit(run_row, *job) if not job[1].get("secondary") else None
               for job in jobs]
    for job, future in zip(jobs, futures):
        prog, spec, prefix, opt, what, args = job
        rc, out, argv = future.result() if future else run_row(*job)
        if what == "help":
            check_help_covered(prog, spec, out)
            continue
        why = judge(prog, opt, what, argv, rc, out)
        shown = " ".join(args) if args else ""
        lines = answer_lines(out)
        t.check(why is None, f"{prog} {shown!s:.60} ({what})",
                f"{why}; rc={rc}; answer:\n       " + "\n       ".join(lines[-6:]))
        if why:
            failed.append(f"{prog} {shown} ({what}): {why}")

if failed:
    print("\nrows that fail:\n  " + "\n  ".join(failed))
t.done()
